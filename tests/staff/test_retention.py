"""Retention: closed enquiries are anonymised after the retention period, spam after 30 days."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from clusters.models import Cluster
from enquiries import services as enquiries
from enquiries.models import Attachment, Enquiry, EnquiryEvent, Message
from outbox.models import Email
from staff import services
from staff.tasks import anonymise_expired_enquiries_task
from tests.enquiries.conftest import make_enquiry
from tests.factories import UserFactory
from tests.services import filesystem_worker, wait_for

LONDON = ZoneInfo("Europe/London")
START = datetime(2024, 3, 1, 9, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def closed_enquiry(**fields) -> Enquiry:
    """An enquiry from a real-looking sender, with an attachment and a reply, closed at START."""
    with time_machine.travel(START, tick=False):
        enquiry = make_enquiry(
            cluster=Cluster.objects.get(slug="humber"),
            subject="Hydrogen burners for our Humber glassworks",
            consent_to_contact=True,
            **fields,
        )
        inbound = enquiry.messages.get()
        inbound.import_notes = "“passport.exe” was not kept: files of this type are not accepted"
        inbound.save(update_fields=["import_notes"])
        attachment = Attachment(
            message=inbound, filename="plans.pdf", content_type="application/pdf", size=4
        )
        attachment.file.save("plans.pdf", ContentFile(b"%PDF"), save=False)
        attachment.save()
        staff = UserFactory(is_staff=True)
        enquiries.send_reply(enquiry, staff, "Dear Ada, Amine Works could help you.")
        enquiries.change_enquiry(enquiry, staff, status=Enquiry.Status.CLOSED)
    return enquiry


def anonymise_at(when) -> int:
    with time_machine.travel(when, tick=False):
        return services.anonymise_expired_enquiries()


@pytest.mark.django_db
def test_a_closed_enquiry_is_anonymised_after_the_retention_period_keeping_its_statistics(
    django_capture_on_commit_callbacks,
):
    enquiry = closed_enquiry()
    file_name = Attachment.objects.get().file.name
    assert default_storage.exists(file_name)
    Email.objects.update(status=Email.Status.SENT)

    assert anonymise_at(START + timedelta(days=729)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymise_at(START + timedelta(days=731)) == 1

    after = Enquiry.objects.get(pk=enquiry.pk)
    assert after.name == services.ANONYMISED_NAME
    assert after.email == services.ANONYMISED_EMAIL
    assert after.organisation == "" and after.subject == "" and not after.consent_to_contact
    for kept in ("reference", "topic", "organisation_kind", "cluster_id", "status", "priority"):
        assert getattr(after, kept) == getattr(enquiry, kept), kept
    assert after.created_at == enquiry.created_at
    assert after.first_replied_at is not None

    for message in Message.objects.filter(enquiry=enquiry):
        assert message.body == services.REMOVED_TEXT
        assert message.sender == "" and message.subject == "" and message.import_notes == ""
    assert Message.objects.filter(enquiry=enquiry).count() == 2  # the thread's shape is kept

    assert not Attachment.objects.exists()
    assert not default_storage.exists(file_name)

    for email in Email.objects.all():
        assert email.to == services.ANONYMISED_EMAIL
        assert "Ada" not in email.body_text and email.headers == {}

    event = EnquiryEvent.objects.get(enquiry=enquiry, field=services.ANONYMISED_EVENT)
    assert event.actor is None


@pytest.mark.django_db
def test_the_admin_history_of_an_anonymised_enquiry_no_longer_names_its_sender(client):
    """The admin's own history (LogEntry) names each entry by the enquiry as it was,
    "GC-...: <sender's name>"; bulk actions write such entries for every enquiry they change
    (review, stop 29)."""
    from django.contrib.admin.models import LogEntry
    from django.urls import reverse

    from staff.roles import TRIAGER
    from tests.factories import staff_in

    enquiry = closed_enquiry(name="Ada Lovelace")
    triager = staff_in(TRIAGER)
    client.force_login(triager)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        client.post(
            reverse("admin:enquiries_enquiry_changelist"),
            {"action": "mark_spam", "_selected_action": [enquiry.pk]},
        )
    assert LogEntry.objects.filter(object_repr__contains="Ada Lovelace").exists()
    Email.objects.update(status=Email.Status.SENT)
    assert anonymise_at(START + timedelta(days=731)) == 1
    assert LogEntry.objects.filter(object_id=str(enquiry.pk)).exists()
    assert not LogEntry.objects.filter(object_repr__contains="Ada").exists()


@pytest.mark.django_db
def test_spam_is_anonymised_after_30_days():
    with time_machine.travel(START, tick=False):
        spam = make_enquiry(name="Cheap Pills", email="pills@spam.example")
        enquiries.change_enquiry(spam, None, status=Enquiry.Status.SPAM)

    assert anonymise_at(START + timedelta(days=29)) == 0
    assert anonymise_at(START + timedelta(days=31)) == 1
    spam.refresh_from_db()
    assert spam.email == services.ANONYMISED_EMAIL and spam.status == Enquiry.Status.SPAM


@pytest.mark.django_db
def test_the_period_counts_from_closing_not_from_arrival():
    with time_machine.travel(START, tick=False):
        enquiry = make_enquiry()
    with time_machine.travel(START + timedelta(days=600), tick=False):
        enquiries.change_enquiry(enquiry, None, status=Enquiry.Status.CLOSED)

    assert anonymise_at(START + timedelta(days=800)) == 0
    assert anonymise_at(START + timedelta(days=1331)) == 1


@pytest.mark.django_db
def test_open_enquiries_are_never_anonymised_however_old():
    for status in (Enquiry.Status.NEW, Enquiry.Status.WAITING, Enquiry.Status.ASSIGNED):
        make_enquiry(created_at=START, status=status)
    assert anonymise_at(START + timedelta(days=3000)) == 0
    assert not Enquiry.objects.filter(name=services.ANONYMISED_NAME).exists()


@pytest.mark.django_db
def test_a_reopened_enquiry_is_kept():
    enquiry = closed_enquiry()
    with time_machine.travel(START + timedelta(days=700), tick=False):
        enquiries.change_enquiry(enquiry, None, status=Enquiry.Status.NEW)
    assert anonymise_at(START + timedelta(days=2000)) == 0


@pytest.mark.django_db
def test_the_periods_come_from_the_settings(settings):
    settings.ENQUIRIES_RETENTION_DAYS = 10
    closed_enquiry()
    assert anonymise_at(START + timedelta(days=11)) == 1


@pytest.mark.django_db
def test_running_twice_changes_nothing_more():
    enquiry = closed_enquiry()
    when = START + timedelta(days=800)
    assert anonymise_at(when) == 1
    assert anonymise_at(when) == 0
    assert services.anonymise_enquiry(enquiry.pk, when) is False
    assert EnquiryEvent.objects.filter(field=services.ANONYMISED_EVENT).count() == 1


@pytest.mark.django_db
def test_importing_the_mailbox_again_does_not_bring_an_anonymised_email_back():
    enquiry = closed_enquiry()
    first = enquiry.messages.filter(direction=Message.Direction.INBOUND).get()
    raw = (
        "From: Ada Lovelace <ada@example.org>\r\n"
        "To: enquiries@example.org\r\n"
        "Subject: Hydrogen burners\r\n"
        f"Message-ID: {first.message_id}\r\n"
        "\r\n"
        "We run a glassworks near the Humber and need hydrogen burners.\r\n"
    ).encode()
    anonymise_at(START + timedelta(days=800))

    assert enquiries.import_email(raw) == "duplicate"
    assert not Enquiry.objects.filter(email="ada@example.org").exists()


def test_beat_runs_the_retention_once_a_day():
    [entry] = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == anonymise_expired_enquiries_task.name
    ]
    schedule = entry["schedule"]
    assert len(schedule.hour) == 1 and len(schedule.minute) == 1 and len(schedule.day_of_week) == 7


def test_retention_defaults_are_24_months_and_30_days():
    assert django_settings.ENQUIRIES_RETENTION_DAYS == 730
    assert django_settings.ENQUIRIES_SPAM_RETENTION_DAYS == 30


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_anonymises_an_expired_enquiry(tmp_path):

    from clusters.models import Theme
    from clusters.reference import create_reference_data

    create_reference_data(Theme, Cluster)  # transactional tests start with empty tables
    with time_machine.travel(datetime.now(tz=LONDON) - timedelta(days=800), tick=False):
        enquiry = make_enquiry()
        enquiries.change_enquiry(enquiry, None, status=Enquiry.Status.CLOSED)
    with filesystem_worker(tmp_path):
        anonymise_expired_enquiries_task.delay()
        wait_for(lambda: Enquiry.objects.get(pk=enquiry.pk).name == services.ANONYMISED_NAME)
