"""Both sides of an accepted introduction are asked by email, at 60 and 180 days, what came
of it: once each, only for accepted introductions, only to verified addresses."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from introductions import services
from introductions.models import Introduction, IntroductionQuerySet
from introductions.tasks import ask_for_outcomes_task

pytestmark = pytest.mark.django_db

START = datetime(2027, 4, 1, 9, tzinfo=ZoneInfo("Europe/London"))


def travel(days, **kwargs):
    return time_machine.travel(START + timedelta(days=days, **kwargs), tick=False)


def make(sides, *, accept=True):
    with travel(0):
        introduction = services.request_introduction(
            sides.asker,
            organisation=sides.asking,
            target=sides.target,
            message="Hello",
            about_listing=sides.listing,
        )
        if accept:
            services.accept_introduction(introduction, sides.contact)
    return Introduction.objects.get(pk=introduction.pk)


def asks():
    return [m for m in mail.outbox if "What came of your introduction" in m.subject]


def run(days, capture, **kwargs):
    with travel(days, **kwargs), capture(execute=True):
        return ask_for_outcomes_task()


def test_asked_at_60_and_180_days_once_each_to_verified_members_of_both_sides(
    sides, django_capture_on_commit_callbacks
):
    introduction = make(sides)
    mail.outbox.clear()
    capture = django_capture_on_commit_callbacks
    assert run(59, capture, hours=23) == 0
    assert asks() == []
    assert run(60, capture) == 1
    assert run(60, capture, hours=1) == 0  # the next run, or a second worker: nothing more
    people = sorted([sides.asker.email, sides.contact.email, sides.colleague.email])
    assert sorted(m.to[0] for m in asks()) == people  # not the unverified member
    assert sides.unverified.email not in [m.to[0] for m in mail.outbox]
    assert run(120, capture) == 0
    assert len(asks()) == 3
    assert run(180, capture) == 1
    assert run(181, capture) == 0
    assert len(asks()) == 6
    introduction.refresh_from_db()
    assert introduction.outcome_asked_60_at and introduction.outcome_asked_180_at
    assert all(m.to[0] in people for m in asks())


def test_the_email_links_to_the_answer_page_and_logs_nobody_in(
    client, sides, django_capture_on_commit_callbacks
):
    introduction = make(sides)
    services.record_outcome(introduction, sides.contact, "talking")
    mail.outbox.clear()
    run(60, django_capture_on_commit_callbacks)
    page = reverse("introductions:outcome", args=[introduction.public_id])
    for message in asks():
        links = re.findall(r"https?://\S+", message.body)
        assert links == [settings.SITE_URL + page]  # a plain link, no token of any kind
        assert "two months" in message.body
    to_contact = next(m for m in asks() if m.to[0] == sides.contact.email)
    to_asker = next(m for m in asks() if m.to[0] == sides.asker.email)
    assert "last told us: We are talking" in to_contact.body
    assert "last told us" not in to_asker.body
    assert sides.asking.name in to_contact.subject and sides.asked.name in to_asker.subject
    # Following the link signed out leads to sign in, and records nothing.
    response = client.get(page)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("status", ["open", "declined", "expired"])
def test_introductions_that_were_not_accepted_are_not_asked(
    sides, status, django_capture_on_commit_callbacks
):
    introduction = make(sides, accept=False)
    Introduction.objects.filter(pk=introduction.pk).update(status=status, decided_at=START)
    mail.outbox.clear()
    assert run(60, django_capture_on_commit_callbacks) == 0
    assert run(180, django_capture_on_commit_callbacks) == 0
    assert asks() == []


def test_introductions_accepted_long_before_are_not_all_asked_at_once(
    sides, django_capture_on_commit_callbacks
):
    make(sides)
    mail.outbox.clear()
    assert run(400, django_capture_on_commit_callbacks) == 0  # past both windows
    assert asks() == []


def test_a_missed_day_is_caught_up_within_the_window(sides, django_capture_on_commit_callbacks):
    make(sides)
    mail.outbox.clear()
    assert run(75, django_capture_on_commit_callbacks) == 1  # the task was down for 15 days
    assert len(asks()) == 3


def test_two_runs_at_once_send_once(sides, monkeypatch, django_capture_on_commit_callbacks):
    """Run B runs entirely between run A's read of what is due and A's claim: A claims
    nothing, so the emails go out once."""
    make(sides)
    mail.outbox.clear()
    original = IntroductionQuerySet.due_outcome_ask
    state = {"inner": False}

    def due(self, days, now):
        found = original(self, days, now)
        if state["inner"] or days != 60:
            return found
        stale = list(found.values_list("pk", flat=True))
        state["inner"] = True
        assert services.ask_for_outcomes() == 1  # the other worker
        return Introduction.objects.filter(pk__in=stale)  # what A read before B claimed

    monkeypatch.setattr(IntroductionQuerySet, "due_outcome_ask", due)
    with travel(60), django_capture_on_commit_callbacks(execute=True):
        assert services.ask_for_outcomes() == 0
    assert state["inner"]
    assert len(asks()) == 3


def test_beat_asks_once_a_day():
    entry = settings.CELERY_BEAT_SCHEDULE["introduction-outcome-asks"]
    assert entry["task"] == ask_for_outcomes_task.name
    assert len(entry["schedule"].hour) == 1 and len(entry["schedule"].day_of_week) == 7
