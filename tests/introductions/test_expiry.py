"""Requests expire after 30 days, with one reminder to the asked organisation at 7 days."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from introductions import services
from introductions.models import Introduction
from introductions.tasks import expire_introductions_task

pytestmark = pytest.mark.django_db

START = datetime(2027, 4, 1, 9, tzinfo=ZoneInfo("Europe/London"))


def travel(days, **kwargs):
    return time_machine.travel(START + timedelta(days=days, **kwargs), tick=False)


@pytest.fixture
def introduction(sides):
    with travel(0):
        return services.request_introduction(
            sides.asker,
            organisation=sides.listing.organisation,
            target=sides.target,
            message="Hello",
            about_listing=sides.listing,
        )


def test_one_reminder_at_7_days_and_expiry_at_30(
    client, sides, introduction, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with travel(6, hours=23), django_capture_on_commit_callbacks(execute=True):
        assert services.expire_introductions() == (0, 0)
    with travel(7), django_capture_on_commit_callbacks(execute=True):
        assert expire_introductions_task() == (1, 0)
        assert expire_introductions_task() == (0, 0)  # run twice: nothing more
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [sides.contact.email, sides.colleague.email]
    )
    assert all("Reminder" in m.subject and sides.asking.name in m.subject for m in mail.outbox)
    assert all("1 May 2027" in m.body for m in mail.outbox)  # when it expires

    with travel(20), django_capture_on_commit_callbacks(execute=True):
        assert services.expire_introductions() == (0, 0)  # never a second reminder
    assert len(mail.outbox) == 2

    with travel(29, hours=23):
        assert services.expire_introductions() == (0, 0)
        client.force_login(sides.contact)
        assert "Accept and share" in client.get(introduction.get_absolute_url()).content.decode()

    with travel(30), django_capture_on_commit_callbacks(execute=True):
        assert expire_introductions_task() == (0, 1)
        assert expire_introductions_task() == (0, 0)
        introduction.refresh_from_db()
        assert introduction.status == "expired"
        assert len(mail.outbox) == 2  # expiry is quiet, like a decline

        client.force_login(sides.contact)
        html = client.get(introduction.get_absolute_url()).content.decode()
        assert "Expired" in html and "Accept and share" not in html
        response = client.post(
            reverse("introductions:accept", args=[introduction.public_id]), follow=True
        )
        assert "already been answered" in response.content.decode()
        client.force_login(sides.asker)
        html = client.get(reverse("introductions:list", args=[sides.asking.ref])).content.decode()
        assert "Not taken forward" in html


def test_a_request_past_30_days_cannot_be_accepted_before_the_sweep_runs(sides, introduction):
    with travel(30, minutes=1), pytest.raises(services.NotAllowed, match="expired"):
        services.accept_introduction(introduction, sides.contact)
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_an_answered_request_gets_no_reminder(sides, introduction):
    with travel(1):
        services.accept_introduction(introduction, sides.contact)
    mail.outbox.clear()
    with travel(8):
        assert services.expire_introductions() == (0, 0)
    with travel(31):
        assert services.expire_introductions() == (0, 0)
    introduction.refresh_from_db()
    assert introduction.status == Introduction.Status.ACCEPTED
    assert introduction.reminder_sent_at is None


def test_a_request_past_30_days_reads_as_expired_and_can_be_asked_again_before_the_sweep(
    client, sides, introduction
):
    with travel(30, minutes=1):
        client.force_login(sides.contact)
        html = client.get(introduction.get_absolute_url()).content.decode()
        assert "Expired" in html and "Accept and share" not in html
        client.force_login(sides.asker)
        url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
        assert client.post(url, {"message": "Trying again"}).status_code == 302
    introduction.refresh_from_db()
    assert introduction.status == "expired"
    assert Introduction.objects.get(status="open").message == "Trying again"
