"""The API of a cluster team's challenges: only that cluster's approved team, checked by the
team page's forms and written by teams.services (with the challenge's history)."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from clusters.models import Challenge, Cluster
from tests.api.conftest import bearer
from tests.factories import ChallengeFactory, ClusterTeamMemberFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/clusters/humber/challenges/"


@pytest.fixture
def team_member(db):
    return ClusterTeamMemberFactory().user


@pytest.fixture
def challenge(db):
    return ChallengeFactory(themes=["ccus"], title="Capture heater CO2")


def test_the_team_lists_its_clusters_challenges_open_and_closed(
    api, team_member, challenge, token_for
):
    closed = ChallengeFactory(status="closed", status_reason="Solved.")
    elsewhere = ChallengeFactory(cluster=Cluster.objects.get(slug="teesside"))
    bearer(api, token_for(team_member, "read"))
    response = api.get(URL)
    assert response.status_code == 200
    found = {row["ref"]: row for row in response.json()["results"]}
    assert set(found) == {challenge.ref, closed.ref}
    assert elsewhere.ref not in found
    assert found[closed.ref]["status"] == "closed"
    assert found[closed.ref]["status_reason"] == "Solved."
    assert found[challenge.ref]["themes"] == ["ccus"]


def test_posting_a_challenge_goes_through_the_service(api, team_member, token_for):
    bearer(api, token_for(team_member))
    body = {
        "title": "  Heat   from waste ",
        "description": "Use it.",
        "themes": ["ccus", "digital"],
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    made = Challenge.objects.get(ref=response.json()["ref"])
    assert made.title == "Heat from waste"  # as the page's form cleans it
    assert made.status == "open"
    assert made.cluster.slug == "humber"
    assert made.set_by == "Humber Industrial Cluster Plan"
    assert sorted(made.themes.values_list("slug", flat=True)) == ["ccus", "digital"]
    assert LogEntry.objects.filter(object_id=str(made.pk)).exists()
    assert response.json()["themes"] == ["ccus", "digital"]


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"title", "description", "themes"}),
        ({"title": "T", "description": "D", "themes": ["no-such-theme"]}, {"themes"}),
        ({"title": "T", "description": "D", "themes": []}, {"themes"}),
        ({"title": "x" * 300, "description": "D", "themes": ["ccus"]}, {"title"}),
        ({"title": "T", "description": "D", "themes": "ccus"}, {"themes"}),
    ],
)
def test_a_challenge_the_page_would_refuse_is_a_400(api, team_member, token_for, body, errors):
    bearer(api, token_for(team_member))
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == errors
    assert not Challenge.objects.filter(cluster__slug="humber").exists()


def test_changing_keeps_what_was_not_sent(api, team_member, challenge, token_for):
    bearer(api, token_for(team_member))
    response = api.patch(f"{URL}{challenge.ref}/", {"title": "A clearer title"}, format="json")
    assert response.status_code == 200, response.content
    challenge.refresh_from_db()
    assert challenge.title == "A clearer title"
    assert challenge.description == "Reduce emissions from process heat on a large site."
    assert list(challenge.themes.values_list("slug", flat=True)) == ["ccus"]
    assert challenge.last_reviewed_at is not None
    blank = api.patch(f"{URL}{challenge.ref}/", {"description": ""}, format="json")
    assert blank.status_code == 400
    assert blank.json()["errors"] == {"description": ["Enter a description"]}


def test_closing_needs_a_reason_and_reopening_brings_it_back(
    api, team_member, challenge, token_for
):
    bearer(api, token_for(team_member))
    url = f"{URL}{challenge.ref}/"
    refused = api.post(url + "close/", {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"reason": ["Enter the reason"]}
    closed = api.post(url + "close/", {"reason": "A partner was found."}, format="json")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["status_reason"] == "A partner was found."
    # A retry changes nothing and answers it as it is.
    again = api.post(url + "close/", {"reason": "Again."}, format="json")
    assert again.status_code == 200
    assert again.json()["status_reason"] == "A partner was found."
    reopened = api.post(url + "reopen/", {"reason": "Fell through."}, format="json")
    assert reopened.json()["status"] == "open"
    challenge.refresh_from_db()
    assert challenge.status == "open"


@pytest.mark.parametrize("who", ["pending", "other_cluster", "removed"])
def test_anyone_but_the_approved_team_gets_404(api, challenge, token_for, who):
    place = {
        "pending": lambda: ClusterTeamMemberFactory(status="pending"),
        "removed": lambda: ClusterTeamMemberFactory(status="removed"),
        "other_cluster": lambda: ClusterTeamMemberFactory(
            cluster=Cluster.objects.get(slug="teesside")
        ),
    }[who]()
    bearer(api, token_for(place.user))
    assert api.get(URL).status_code == 404
    closing = api.post(f"{URL}{challenge.ref}/close/", {"reason": "Mine now."}, format="json")
    assert closing.status_code == 404
    challenge.refresh_from_db()
    assert challenge.status == "open"


def test_another_clusters_challenge_is_a_404_under_ours(api, team_member, token_for):
    theirs = ChallengeFactory(cluster=Cluster.objects.get(slug="teesside"))
    bearer(api, token_for(team_member))
    response = api.patch(f"{URL}{theirs.ref}/", {"title": "Taken over"}, format="json")
    assert response.status_code == 404


def test_updated_since_and_the_cursor(api, team_member, token_for):
    old = timezone.now() - timedelta(days=10)
    made = [ChallengeFactory().pk for _ in range(5)]
    Challenge.objects.filter(pk__in=made[:2]).update(updated_at=old)
    bearer(api, token_for(team_member))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    recent = api.get(URL, {"updated_since": since}).json()["results"]
    assert len(recent) == 3
    seen, url = [], URL + "?page_size=2"
    while url:
        page = api.get(url).json()
        seen += [row["ref"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize("count", [10, 500])
def test_the_list_makes_the_same_few_queries_at_10_and_500(
    api, team_member, token_for, django_assert_max_num_queries, count
):
    ChallengeFactory.create_batch(count, themes=["ccus"])
    bearer(api, token_for(team_member))
    with django_assert_max_num_queries(6):
        response = api.get(URL, {"page_size": 500})
    assert len(response.json()["results"]) == count
