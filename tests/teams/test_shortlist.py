"""The team sees what was posted against its challenges and what the matcher suggests, and
shortlists offers for each challenge (issue #12)."""

import pytest
from django.urls import reverse

from teams.models import Shortlist
from tests.factories import ListingFactory, MatchFactory, ShortlistFactory

pytestmark = pytest.mark.django_db


def add(client, challenge, listing):
    return client.post(
        reverse("teams:shortlist-add", args=[challenge.cluster.slug, challenge.ref]),
        {"listing": listing.ref},
    )


def remove(client, challenge, listing):
    return client.post(
        reverse("teams:shortlist-remove", args=[challenge.cluster.slug, challenge.ref]),
        {"listing": listing.ref},
    )


def team_page(client, challenge):
    return client.get(reverse("teams:challenge", args=[challenge.cluster.slug, challenge.ref]))


def test_team_sees_offers_needs_and_suggestions_for_its_challenge(client, team_member, challenge):
    offer = ListingFactory(challenge=challenge, kind="offer", title="Amine skids for stacks")
    need = ListingFactory(challenge=challenge, kind="need", title="A site to trial capture")
    draft = ListingFactory(challenge=challenge, kind="offer", status="draft", title="Unseen draft")
    suggested = ListingFactory(kind="offer", title="Suggested solvent plant")
    MatchFactory(
        source_listing=None,
        source_challenge=challenge,
        source_key=f"C{challenge.pk}",
        target=suggested,
    )
    client.force_login(team_member)
    page = team_page(client, challenge).content.decode()
    for listing in (offer, need, suggested):
        assert listing.title in page
    assert draft.title not in page


def test_team_shortlists_and_removes_an_offer(client, team_member, challenge):
    offer = ListingFactory(kind="offer")
    client.force_login(team_member)
    assert add(client, challenge, offer).status_code == 302
    add(client, challenge, offer)  # twice: still once
    entry = Shortlist.objects.get()
    assert entry.listing == offer and entry.added_by == team_member
    assert offer.title in team_page(client, challenge).content.decode()
    remove(client, challenge, offer)
    assert not Shortlist.objects.exists()


@pytest.mark.parametrize(
    "listing_kwargs", [{"kind": "need"}, {"kind": "offer", "status": "withdrawn"}]
)
def test_only_published_offers_can_be_shortlisted(client, team_member, challenge, listing_kwargs):
    listing = ListingFactory(**listing_kwargs)
    client.force_login(team_member)
    assert add(client, challenge, listing).status_code == 404
    assert not Shortlist.objects.exists()


def test_another_clusters_team_cannot_touch_the_shortlist(client, other_team_member, challenge):
    entry = ShortlistFactory(challenge=challenge)
    client.force_login(other_team_member)
    assert remove(client, challenge, entry.listing).status_code == 404
    assert add(client, challenge, ListingFactory()).status_code == 404
    assert Shortlist.objects.count() == 1


def test_shortlist_of_a_challenge_shows_on_the_dashboard(client, team_member, challenge):
    ShortlistFactory.create_batch(2, challenge=challenge)
    client.force_login(team_member)
    response = client.get(reverse("teams:dashboard", args=["humber"]))
    row = next(r for r in response.context["rows"] if r["challenge"] == challenge)
    assert row["shortlisted"] == 2


def test_team_challenge_page_query_count_does_not_grow_with_the_shortlist(
    client, team_member, challenge, django_assert_max_num_queries
):
    ShortlistFactory.create_batch(15, challenge=challenge)
    for _ in range(10):
        ListingFactory(challenge=challenge)
    client.force_login(team_member)
    with django_assert_max_num_queries(11):
        assert team_page(client, challenge).status_code == 200
