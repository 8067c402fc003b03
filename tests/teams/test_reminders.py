"""A challenge not reviewed for 6 months asks its team, once, whether it is still open; the
answer is a POST on a page, never a GET (issue #12)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clusters.models import Challenge
from outbox.models import Email
from teams import services
from teams.tasks import remind_teams_to_review_task
from tests.factories import ChallengeFactory, ClusterFactory, ClusterTeamMemberFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=200)


def stale(challenge):
    Challenge.objects.filter(pk=challenge.pk).update(last_reviewed_at=LONG_AGO)
    challenge.refresh_from_db()
    return challenge


def reminders():
    return Email.objects.filter(key__startswith="challenge-review:")


def test_the_task_runs_daily_from_the_beat_schedule():
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "teams.tasks.remind_teams_to_review_task"
    )
    assert entry["schedule"].hour == {8}


def test_approved_team_members_are_asked_once_about_a_stale_challenge(
    team_member, pending_member, other_team_member, challenge
):
    stale(challenge)
    colleague = ClusterTeamMemberFactory().user
    assert remind_teams_to_review_task() == 1
    assert remind_teams_to_review_task() == 0  # a second run sends nothing
    assert sorted(reminders().values_list("to", flat=True)) == sorted(
        [team_member.email, colleague.email]
    )
    email = reminders().get(to=team_member.email)
    assert challenge.title in email.subject
    assert reverse("teams:challenge-review", args=["humber", challenge.ref]) in email.body_text


def test_recent_closed_and_teamless_challenges_are_not_reminded(team_member, challenge):
    Challenge.objects.filter(pk=challenge.pk).update(last_reviewed_at=timezone.now())
    stale(ChallengeFactory(status="closed"))
    waiting = ClusterTeamMemberFactory(status="pending", cluster=ClusterFactory(slug="waiting"))
    stale(ChallengeFactory(cluster=waiting.cluster))  # its only team member is not approved
    stale(ChallengeFactory(cluster=ClusterFactory(slug="no-team")))
    assert services.remind_teams_to_review() == 0
    assert not reminders().exists()


def test_an_imported_challenge_never_reviewed_counts_from_when_it_was_added(team_member):
    challenge = ChallengeFactory()
    Challenge.objects.filter(pk=challenge.pk).update(created_at=LONG_AGO)
    assert services.remind_teams_to_review() == 1


def test_get_of_the_review_page_changes_nothing(client, team_member, challenge):
    challenge = stale(challenge)
    client.force_login(team_member)
    page = client.get(reverse("teams:challenge-review", args=["humber", challenge.ref]))
    assert "Still open" in page.content.decode() and "Close it" in page.content.decode()
    challenge.refresh_from_db()
    assert challenge.last_reviewed_at == LONG_AGO and challenge.status == "open"


def test_still_open_marks_it_reviewed_and_the_next_reminder_comes_six_months_later(
    client, team_member, challenge
):
    stale(challenge)
    services.remind_teams_to_review()
    client.force_login(team_member)
    url = reverse("teams:challenge-review", args=["humber", challenge.ref])
    assert client.post(url, {"answer": "still-open"}).status_code == 302
    challenge.refresh_from_db()
    assert challenge.last_reviewed_at > timezone.now() - timedelta(minutes=1)
    assert challenge.review_reminder_sent_at is None
    assert services.remind_teams_to_review() == 0
    later = timezone.now() + timedelta(days=190)
    assert services.remind_teams_to_review(now=later) == 1
    assert reminders().count() == 2  # one per review period


def test_close_it_closes_the_challenge(client, team_member, challenge):
    client.force_login(team_member)
    url = reverse("teams:challenge-review", args=["humber", challenge.ref])
    client.post(url, {"answer": "close"})
    challenge.refresh_from_db()
    assert challenge.status == "closed"
    assert "review reminder" in challenge.status_reason


def test_still_open_on_a_closed_challenge_changes_nothing_and_says_why(
    client, team_member, challenge
):
    challenge = stale(challenge)
    Challenge.objects.filter(pk=challenge.pk).update(status="closed")
    client.force_login(team_member)
    url = reverse("teams:challenge-review", args=["humber", challenge.ref])
    response = client.post(url, {"answer": "still-open"}, follow=True)
    assert "This challenge is closed already" in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.status == "closed" and challenge.last_reviewed_at == LONG_AGO


@pytest.mark.parametrize("who", ["other_team_member", "pending_member", "member"])
def test_only_the_clusters_team_can_answer(client, request, who, challenge):
    challenge = stale(challenge)
    client.force_login(request.getfixturevalue(who))
    url = reverse("teams:challenge-review", args=["humber", challenge.ref])
    assert client.post(url, {"answer": "close"}).status_code == 404
    challenge.refresh_from_db()
    assert challenge.status == "open" and challenge.last_reviewed_at == LONG_AGO
