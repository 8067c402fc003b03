"""Calls close themselves after their deadline (a daily task), and staff close and reopen
them with the admin's actions; the status is never a field of the form."""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from funding import services
from funding.models import FundingCall
from funding.tasks import close_calls_past_deadline_task
from staff.roles import MODERATOR, PROGRAMME_ADMIN
from tests.factories import UserFactory
from tests.funding.factories import FundingCallFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_off")]
CHANGELIST = reverse("admin:funding_fundingcall_changelist")


@pytest.fixture
def mfa_off(settings):
    settings.STAFF_REQUIRE_MFA = False


def staff_client(client, role):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def status(call) -> str:
    call.refresh_from_db()
    return call.status


@time_machine.travel("2027-04-01 00:05 +0100")
def test_the_daily_task_closes_calls_past_their_deadline_and_is_harmless_twice():
    past = FundingCallFactory(deadline=date(2027, 3, 31))
    today = FundingCallFactory(deadline=date(2027, 4, 1))
    assert close_calls_past_deadline_task() == 1
    assert status(past) == "closed" and past.closed_at is not None
    assert status(today) == "open"
    first_closed_at = past.closed_at
    assert close_calls_past_deadline_task() == 0
    past.refresh_from_db()
    assert past.closed_at == first_closed_at


def test_a_call_closes_the_day_after_its_deadline():
    call = FundingCallFactory(deadline=timezone.localdate() + timedelta(days=1))
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        services.close_calls_past_deadline()
        assert status(call) == "open"
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        services.close_calls_past_deadline()
        assert status(call) == "closed"


def test_the_task_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "funding.tasks.close_calls_past_deadline_task" in tasks


def test_a_programme_admin_closes_and_reopens_calls_with_the_actions(client):
    admin = staff_client(client, PROGRAMME_ADMIN)
    call, other = FundingCallFactory(), FundingCallFactory()
    response = admin.post(
        CHANGELIST, {"action": "close", "_selected_action": [call.pk]}, follow=True
    )
    assert "Closed 1 funding call(s)." in response.content.decode()
    assert status(call) == "closed" and status(other) == "open"
    response = admin.post(
        CHANGELIST, {"action": "reopen", "_selected_action": [call.pk]}, follow=True
    )
    assert "Reopened 1 funding call(s)." in response.content.decode()
    assert status(call) == "open"
    call.refresh_from_db()
    assert call.closed_at is None


def test_a_call_past_its_deadline_cannot_be_reopened_and_staff_are_told_why(client):
    admin = staff_client(client, PROGRAMME_ADMIN)
    call = FundingCallFactory(
        status="closed", deadline=timezone.localdate() - timedelta(days=1), name="Old call"
    )
    response = admin.post(
        CHANGELIST, {"action": "reopen", "_selected_action": [call.pk]}, follow=True
    )
    body = response.content.decode()
    assert "“Old call” cannot be reopened" in body
    assert "Change the deadline first" in body
    assert status(call) == "closed"


def test_the_status_is_not_in_the_form_and_a_new_call_is_open(client):
    admin = staff_client(client, PROGRAMME_ADMIN)
    response = admin.post(
        reverse("admin:funding_fundingcall_add"),
        {
            "ref": "FC-new",
            "name": "Net zero innovation",
            "funder": "Innovate UK",
            "link": "https://example.org/nzip",
            "value": "up to £2m",
            "value_pounds": "2000000",
            "deadline": "2030-01-31",
            "eligible_kinds": ["business", "university"],
            "themes": [],
            "clusters": [],
            "needs_consortium": "on",
            "description": "For consortia.",
            "status": "closed",  # not a field of the form: ignored
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    call = FundingCall.objects.get(ref="FC-new")
    assert call.status == "open"
    assert call.eligible_kinds == "business,university"
    assert call.needs_consortium


def test_a_moderator_reads_calls_but_cannot_close_or_change_them(client):
    moderator = staff_client(client, MODERATOR)
    call = FundingCallFactory()
    assert moderator.get(CHANGELIST).status_code == 200
    moderator.post(CHANGELIST, {"action": "close", "_selected_action": [call.pk]})
    assert status(call) == "open"
    change = reverse("admin:funding_fundingcall_change", args=[call.pk])
    moderator.post(change, {"name": "Renamed"})
    call.refresh_from_db()
    assert call.name != "Renamed"


def test_a_bad_theme_id_in_the_admin_form_is_an_error_and_saves_nothing(client):
    admin = staff_client(client, PROGRAMME_ADMIN)
    response = admin.post(
        reverse("admin:funding_fundingcall_add"),
        {
            "ref": "FC-bad",
            "name": "A call",
            "funder": "A funder",
            "link": "https://example.org/",
            "deadline": "2030-01-31",
            "themes": ["99999999999999999999"],
        },
    )
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not FundingCall.objects.exists()
