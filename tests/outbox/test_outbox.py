"""The outbox: each email is a row, sent once per key, even if asked twice."""

import pytest
from django.core import mail

from outbox.models import Email
from outbox.services import queue_rendered, resend_pending, send_email

pytestmark = pytest.mark.django_db


def test_the_same_key_is_queued_and_sent_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_rendered("k-1", "a@example.org", "Hello", "Body")
        second = queue_rendered("k-1", "a@example.org", "Hello again", "Other body")
    assert first.pk == second.pk
    assert len(mail.outbox) == 1
    assert Email.objects.get().status == "sent"
    assert send_email(first.pk) is False  # already sent: nothing happens
    assert len(mail.outbox) == 1


def test_message_id_is_derived_from_the_row(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_rendered("k-2", "a@example.org", "Hello", "Body")
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<outbox-{email.pk}@cluster-exchange>"


def test_a_line_break_in_a_subject_cannot_inject_a_header(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_rendered("k-3", "a@example.org", "Hi\r\nBcc: victim@example.org", "Body")
    assert mail.outbox[0].subject == "Hi Bcc: victim@example.org"
    assert mail.outbox[0].bcc == []


def test_an_email_that_failed_stays_pending_and_the_sweeper_sends_it(settings):
    email = Email.objects.create(key="k-4", to="a@example.org", subject="S", body_text="B")
    settings.EMAIL_BACKEND = "tests.outbox.failing_backend.FailingBackend"
    with pytest.raises(ConnectionRefusedError):
        send_email(email.pk)
    email.refresh_from_db()
    assert email.status == "pending" and email.attempts == 1 and "refused" in email.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert resend_pending() == 1
    assert send_email(email.pk) is True
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 2


def test_a_fresh_claim_by_another_worker_is_not_sent_again():
    from django.utils import timezone

    email = Email.objects.create(
        key="k-5",
        to="a@example.org",
        subject="S",
        body_text="B",
        status="sending",
        claimed_at=timezone.now(),
    )
    assert send_email(email.pk) is False
    assert mail.outbox == []


def test_subjects_are_not_html_escaped(django_capture_on_commit_callbacks):
    from outbox.services import queue_email
    from tests.factories import OrganisationFactory, UserFactory

    organisation = OrganisationFactory(name="Smith & Sons <Steel>")
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            "k-6",
            user.email,
            "organisation_rejected",
            {"user": user, "organisation": organisation, "reason": "x"},
        )
    assert mail.outbox[-1].subject == "“Smith & Sons <Steel>” was not approved"


def test_the_providers_message_id_is_recorded(settings, django_capture_on_commit_callbacks):
    # A real provider cannot be reached from here: anymail's test backend stands in for it.
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_rendered("k-7", "a@example.org", "Hello", "Body")
    email.refresh_from_db()
    assert email.status == "sent"
    assert email.provider_message_id  # set by the provider's answer
