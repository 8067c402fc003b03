"""A cluster's team posts, edits, closes and reopens its own challenges from the site, with the
history staff see in the admin (issue #12)."""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from clusters.models import Challenge
from matching.models import MatchingWork
from staff.roles import PROGRAMME_ADMIN
from tests.factories import ChallengeFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "A member company has now installed capture on its heaters."


def pages(challenge):
    """(method, url) of every team page about `challenge` and its cluster."""
    slug, ref = challenge.cluster.slug, challenge.ref
    return [
        ("get", reverse("teams:dashboard", args=[slug])),
        ("get", reverse("teams:challenge-create", args=[slug])),
        ("get", reverse("teams:challenge", args=[slug, ref])),
        ("get", reverse("teams:challenge-edit", args=[slug, ref])),
        ("get", reverse("teams:challenge-review", args=[slug, ref])),
        ("post", reverse("teams:challenge-close", args=[slug, ref])),
        ("post", reverse("teams:challenge-reopen", args=[slug, ref])),
        ("post", reverse("teams:shortlist-add", args=[slug, ref])),
        ("post", reverse("teams:shortlist-remove", args=[slug, ref])),
    ]


def challenge_data(**changes):
    return {
        "title": "Capture CO2 from small stacks",
        "description": "Dozens of small stacks across the estuary need capture.",
        "themes": ["1"],
        **changes,
    }


def test_team_member_reaches_every_page_of_their_cluster(client, team_member, challenge):
    client.force_login(team_member)
    for method, url in pages(challenge):
        if method == "get":
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["other_team_member", "pending_member", "member", "staff"])
def test_anyone_but_the_clusters_approved_team_gets_404(client, request, challenge, who):
    client.force_login(request.getfixturevalue(who))
    for method, url in pages(challenge):
        assert getattr(client, method)(url, {"reason": REASON}).status_code == 404, url
    challenge.refresh_from_db()
    assert challenge.status == "open"


def test_signed_out_visitor_is_sent_to_sign_in(client, challenge):
    for method, url in pages(challenge):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_team_cannot_reach_another_clusters_challenge_through_its_own_address(
    client, team_member, other_challenge
):
    client.force_login(team_member)
    for url in [
        reverse("teams:challenge", args=["humber", other_challenge.ref]),
        reverse("teams:challenge-edit", args=["humber", other_challenge.ref]),
    ]:
        assert client.get(url).status_code == 404
    response = client.post(
        reverse("teams:challenge-close", args=["humber", other_challenge.ref]), {"reason": REASON}
    )
    assert response.status_code == 404
    other_challenge.refresh_from_db()
    assert other_challenge.status == "open"


def test_team_posts_a_challenge_with_a_ref_who_set_it_and_history(
    client, team_member, django_capture_on_commit_callbacks
):
    client.force_login(team_member)
    with django_capture_on_commit_callbacks():
        response = client.post(reverse("teams:challenge-create", args=["humber"]), challenge_data())
    challenge = Challenge.objects.get(title="Capture CO2 from small stacks")
    assert response["Location"] == reverse("teams:challenge", args=["humber", challenge.ref])
    assert challenge.ref.startswith("CH-") and challenge.cluster.slug == "humber"
    assert challenge.status == "open" and challenge.last_reviewed_at is not None
    assert challenge.set_by == "Humber Industrial Cluster Plan"
    assert " captur " in challenge.search_document
    assert MatchingWork.objects.filter(kind="challenge", object_id=challenge.pk).exists()
    entry = LogEntry.objects.get(object_id=str(challenge.pk))
    assert entry.user == team_member and entry.action_flag == ADDITION
    public = client.get(challenge.get_absolute_url()).content.decode()
    assert "Humber Industrial Cluster Plan" in public
    assert "Last reviewed" in public


def test_a_challenge_without_a_title_shows_what_to_fix_and_saves_nothing(client, team_member):
    client.force_login(team_member)
    response = client.post(
        reverse("teams:challenge-create", args=["humber"]), challenge_data(title="")
    )
    assert response.status_code == 200
    assert "Enter a title" in response.content.decode()
    assert not Challenge.objects.filter(description__startswith="Dozens").exists()


def test_editing_keeps_status_and_cluster_and_is_recorded(client, team_member, challenge):
    Challenge.objects.filter(pk=challenge.pk).update(status="closed")
    client.force_login(team_member)
    url = reverse("teams:challenge-edit", args=["humber", challenge.ref])
    response = client.post(url, challenge_data(title="New title", status="open", cluster="9"))
    assert response.status_code == 302
    challenge.refresh_from_db()
    assert challenge.title == "New title"
    assert challenge.status == "closed" and challenge.cluster.slug == "humber"
    assert "Edited by the cluster team" in LogEntry.objects.get().change_message


def test_team_closes_and_reopens_with_a_reason_staff_see_in_the_admin_history(
    client, team_member, challenge
):
    client.force_login(team_member)
    close = reverse("teams:challenge-close", args=["humber", challenge.ref])
    assert client.get(close).status_code == 405  # a GET never changes anything
    client.post(close, {"reason": REASON})
    challenge.refresh_from_db()
    assert challenge.status == "closed" and challenge.status_reason == REASON
    public = client.get(challenge.get_absolute_url()).content.decode()
    assert "This challenge is closed" in public
    client.post(
        reverse("teams:challenge-reopen", args=["humber", challenge.ref]),
        {"reason": "The installation failed its trial."},
    )
    challenge.refresh_from_db()
    assert challenge.status == "open"

    admin = UserFactory(is_staff=True)
    admin.groups.add(Group.objects.get(name=PROGRAMME_ADMIN))
    client.force_login(admin)
    history = client.get(reverse("admin:clusters_challenge_history", args=[challenge.pk]))
    text = history.content.decode()
    assert f"Closed by the cluster team: {REASON}" in text
    assert "Reopened by the cluster team: The installation failed its trial." in text
    assert team_member.email in text or team_member.name in text


def test_closing_without_a_reason_shows_what_to_fix_and_changes_nothing(
    client, team_member, challenge
):
    client.force_login(team_member)
    response = client.post(
        reverse("teams:challenge-close", args=["humber", challenge.ref]), {"reason": ""}
    )
    assert response.status_code == 200
    assert "Enter the reason" in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.status == "open"
    assert not LogEntry.objects.exists()


def test_public_page_of_an_imported_challenge_says_it_was_not_reviewed(client):
    challenge = ChallengeFactory()
    page = client.get(challenge.get_absolute_url()).content.decode()
    assert "The Humber cluster" in page
    assert "Not reviewed since it was added" in page


def test_dashboard_lists_the_clusters_challenges_with_their_counts(
    client, team_member, challenge, other_challenge
):
    ListingFactory(challenge=challenge, kind="offer")
    ListingFactory(challenge=challenge, kind="need")
    ListingFactory(challenge=challenge, kind="offer", status="draft")
    client.force_login(team_member)
    response = client.get(reverse("teams:dashboard", args=["humber"]))
    rows = {r["challenge"].ref: r for r in response.context["rows"]}
    assert challenge.ref in rows and other_challenge.ref not in rows
    assert rows[challenge.ref]["challenge"].offer_count == 1
    assert rows[challenge.ref]["challenge"].need_count == 1


@pytest.mark.parametrize("count", [10, 200])
def test_dashboard_query_count_does_not_grow_with_challenges(
    client, team_member, count, django_assert_max_num_queries
):
    ChallengeFactory.create_batch(count)
    client.force_login(team_member)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("teams:dashboard", args=["humber"]))
    assert len(response.context["rows"]) >= count


def test_the_api_shows_who_set_a_challenge_and_when_it_was_last_reviewed(client, challenge):
    Challenge.objects.filter(pk=challenge.pk).update(last_reviewed_at="2026-06-01T09:00:00Z")
    item = client.get(f"/api/challenges/{challenge.ref}/").json()
    assert item["set_by"] == "Humber Industrial Cluster Plan"
    assert item["last_reviewed_at"].startswith("2026-06-01")


def test_the_team_sees_staff_changes_in_plain_words_without_staff_names(
    client, team_member, challenge
):
    admin = UserFactory(is_staff=True, name="Priya Shah")
    admin.groups.add(Group.objects.get(name=PROGRAMME_ADMIN))
    client.force_login(admin)
    response = client.post(
        reverse("admin:clusters_challenge_change", args=[challenge.pk]),
        {
            "ref": challenge.ref,
            "cluster": challenge.cluster_id,
            "title": "A title staff changed",
            "description": challenge.description,
            "set_by": "",
            "themes": [],
        },
    )
    assert response.status_code == 302
    client.force_login(team_member)
    page = client.get(reverse("teams:challenge", args=["humber", challenge.ref]))
    text = page.content.decode()
    assert "Changed Title" in text  # Django's words for the admin's change, not its JSON
    assert "[{" not in text and "&quot;changed&quot;" not in text
    assert "(the programme team)" in text
    assert "Priya Shah" not in text
