"""Staff close and reopen a challenge through the admin's actions, with a reason; the status
is never edited in the challenge's form (issue #12: staff act through services)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from clusters.models import Challenge, Theme
from matching.models import MatchingWork
from staff.roles import PROGRAMME_ADMIN
from tests.factories import ChallengeFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:clusters_challenge_changelist")


@pytest.fixture
def admin_client(client):
    user = UserFactory(is_staff=True, name="Priya Shah")
    user.groups.add(Group.objects.get(name=PROGRAMME_ADMIN))
    client.force_login(user)
    return client


def act(client, action, challenges, reason):
    return client.post(
        CHANGELIST,
        {
            "action": action,
            "_selected_action": [c.pk for c in challenges],
            "apply": "1",
            "reason": reason,
        },
        follow=True,
    )


def test_closing_asks_for_a_reason_and_keeps_it_in_the_history(
    admin_client, django_capture_on_commit_callbacks
):
    challenge, other = ChallengeFactory(), ChallengeFactory()
    page = admin_client.post(
        CHANGELIST, {"action": "close", "_selected_action": [challenge.pk]}
    ).content.decode()
    assert "kept in the challenge’s history" in page  # the second page, asking why
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.OPEN

    MatchingWork.objects.all().delete()
    with django_capture_on_commit_callbacks():
        response = act(admin_client, "close", [challenge], "Solved by the new pipeline.")
    assert "Close challenge: 1 done." in response.content.decode()
    challenge.refresh_from_db()
    other.refresh_from_db()
    assert challenge.status == Challenge.Status.CLOSED
    assert challenge.status_reason == "Solved by the new pipeline."
    assert challenge.last_reviewed_at is not None
    assert other.status == Challenge.Status.OPEN
    entry = LogEntry.objects.get(object_id=str(challenge.pk))
    assert entry.get_change_message() == "Close challenge: Solved by the new pipeline."
    # Matched again: out of every list of suggestions.
    assert MatchingWork.objects.filter(kind="challenge", object_id=challenge.pk).exists()

    response = act(admin_client, "reopen", [challenge], "The pipeline was cancelled.")
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.OPEN
    assert challenge.status_reason == "The pipeline was cancelled."


def test_closing_without_a_reason_changes_nothing(admin_client):
    challenge = ChallengeFactory()
    response = act(admin_client, "close", [challenge], "")
    assert "Enter the reason" in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.OPEN
    assert not LogEntry.objects.exists()


def test_closing_a_closed_challenge_is_counted_apart(admin_client):
    challenge = ChallengeFactory(status=Challenge.Status.CLOSED, status_reason="Old reason")
    response = act(admin_client, "close", [challenge], "Again")
    assert "1 left as they were" in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.status_reason == "Old reason"


def test_the_form_does_not_change_the_status(admin_client):
    challenge = ChallengeFactory(title="Capture CO2 at the refinery")
    theme = Theme.objects.get(slug="ccus")
    url = reverse("admin:clusters_challenge_change", args=[challenge.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="status"' not in page  # shown, not editable
    data = {
        "ref": challenge.ref,
        "cluster": challenge.cluster_id,
        "title": "Capture CO2 at the refinery, phase 2",
        "description": challenge.description,
        "set_by": "",
        "themes": [theme.pk],
        "status": "closed",  # ignored
        "status_reason": "sneaky",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    challenge.refresh_from_db()
    assert challenge.title == "Capture CO2 at the refinery, phase 2"
    assert challenge.status == Challenge.Status.OPEN
    assert challenge.status_reason == ""
