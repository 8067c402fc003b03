"""The three slow pages of issue #14 keep to a fixed number of queries, with enough rows that
a query per listing, per theme or per cluster would break the budget; and they show the same
page of results as before (ids first, then the rows)."""

import pytest
from django.urls import reverse

from clusters.models import Cluster
from tests.factories import ChallengeFactory, ListingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

THEMES = ["ccus", "hydrogen", "bioenergy"]
CLUSTERS = ["humber", "teesside", "south-wales"]


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """The pages' own queries, as a cache miss makes them (pagecache/ adds one, the content
    generation, and a hit makes only that one: tests/pagecache/)."""
    settings.PAGE_CACHE_ENABLED = False


def many_listings(n: int, **kwargs):
    organisation = OrganisationFactory()
    organisation.clusters.set(Cluster.objects.filter(slug__in=CLUSTERS))
    challenge = ChallengeFactory(themes=THEMES)
    return [
        ListingFactory(
            organisation=organisation,
            challenge=challenge,
            themes=THEMES,
            clusters=CLUSTERS,
            title=f"Hydrogen offer {i:03d}",
            **kwargs,
        )
        for i in range(n)
    ]


def test_a_searched_offer_list_keeps_to_its_budget_on_every_page(
    client, django_assert_max_num_queries
):
    many_listings(45, kind="offer")
    url = reverse("clusters:offer-list")
    for page in (1, 2, 3):
        with django_assert_max_num_queries(8):
            response = client.get(url, {"q": "hydrogen", "theme": "hydrogen", "page": page})
        assert response.status_code == 200
    assert "45 offers matching" in response.content.decode()
    assert len(response.context["page_obj"].object_list) == 5  # 20 + 20 + 5


def test_a_listing_linked_to_several_themes_is_listed_once_and_counted_once(client):
    ListingFactory(kind="offer", title="Both themes", themes=["ccus", "hydrogen"])
    ListingFactory(kind="offer", title="One theme", themes=["ccus"], clusters=["humber"])
    html = client.get(
        reverse("clusters:offer-list"), {"theme": ["ccus", "hydrogen"], "cluster": "humber"}
    ).content.decode()
    assert "1 offer" in html and "One theme" in html and "Both themes" not in html
    response = client.get(reverse("clusters:offer-list"), {"theme": ["ccus", "hydrogen"]})
    assert [x.title for x in response.context["page_obj"]].count("Both themes") == 1
    assert "2 offers" in response.content.decode()


def test_pages_show_rows_in_the_sorted_order(client):
    many_listings(25, kind="need")
    response = client.get(reverse("clusters:need-list"), {"sort": "title", "page": 2})
    titles = [x.title for x in response.context["page_obj"]]
    assert titles == [f"Hydrogen offer {i:03d}" for i in range(20, 25)]


def test_the_challenge_list_keeps_to_its_budget(client, django_assert_max_num_queries):
    for _ in range(45):
        ChallengeFactory(themes=THEMES)
    for params in ({}, {"page": 3}, {"q": "challenge", "theme": "ccus", "status": "open"}):
        with django_assert_max_num_queries(7):
            response = client.get(reverse("clusters:challenge-list"), params)
        assert response.status_code == 200
    assert "45 challenges" in response.content.decode()


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_listing_page_keeps_to_its_budget(
    client, member, organisation, signed_in, django_assert_max_num_queries
):
    listing = many_listings(1, kind="offer")[0]
    for _ in range(30):  # other listings of the same organisation and challenge
        ListingFactory(organisation=listing.organisation, challenge=listing.challenge)
    if signed_in:
        client.force_login(member)
    # Signed out: 5 since stop 29, with whether anyone there could answer (one query).
    with django_assert_max_num_queries(8 if signed_in else 5):
        response = client.get(listing.get_absolute_url())
    html = response.content.decode()
    assert "Hydrogen offer 000" in html
    assert "Humber" in html and "South Wales" in html


def test_a_cluster_page_counts_each_challenges_listings_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    humber = Cluster.objects.get(slug="humber")
    for _ in range(12):
        challenge = ChallengeFactory(cluster=humber, themes=THEMES)
        for kind in ("offer", "offer", "need"):
            ListingFactory(challenge=challenge, kind=kind)
        ListingFactory(challenge=challenge, kind="offer", status="withdrawn")
    with django_assert_max_num_queries(3):
        response = client.get(humber.get_absolute_url())
    counts = {(c.offer_count, c.need_count) for c in response.context["challenges"]}
    assert counts == {(2, 1)}
