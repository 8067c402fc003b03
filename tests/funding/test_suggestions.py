"""Suggested funding calls: on a listing's page for its own organisation only, and on an
accepted introduction's page for both sides (the page is 404 to anyone else)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from introductions import services as introductions
from matching.services import calls_for_introduction, calls_for_listing
from tests.factories import ListingFactory, MembershipFactory
from tests.funding.factories import FundingCallFactory
from tests.introductions.conftest import make_match

pytestmark = pytest.mark.django_db
HEADING = "Funding you could bid for"


@pytest.fixture
def listing(organisation):
    organisation.clusters.set([])
    return ListingFactory(
        organisation=organisation,
        kind="need",
        title="Heat pumps for a drying line",
        description="We want to recover waste heat from our drying line with heat pumps.",
        themes=["energy-efficiency"],
        clusters=["humber"],
    )


@pytest.fixture
def calls():
    return {
        "heat": FundingCallFactory(
            name="Heat recovery in industry",
            description="Heat pumps and waste heat recovery on drying lines.",
            themes=["energy-efficiency"],
            eligible_kinds="business",
        ),
        "hydrogen": FundingCallFactory(name="Hydrogen switching", themes=["hydrogen"]),
        "teesside": FundingCallFactory(name="Teesside only", clusters=["teesside"]),
        "universities": FundingCallFactory(name="For universities", eligible_kinds="university"),
        "consortium": FundingCallFactory(
            name="Joint heat projects",
            themes=["energy-efficiency"],
            needs_consortium=True,
            eligible_kinds="business,university",
        ),
        "past": FundingCallFactory(
            name="Heat pumps, last year",
            themes=["energy-efficiency"],
            deadline=timezone.localdate() - timedelta(days=1),
        ),
        "closed": FundingCallFactory(name="Heat, closed early", status="closed"),
        "anything": FundingCallFactory(name="Anything goes", description="Any project at all."),
    }


def test_a_listing_gets_the_calls_it_is_eligible_for_closest_first(listing, calls):
    chosen = [c.name for c in calls_for_listing(listing, limit=10)]
    assert chosen == ["Heat recovery in industry", "Anything goes"]
    assert calls_for_listing(listing, limit=1) == [calls["heat"]]


def test_the_owner_sees_suggested_calls_on_the_listing_page(client, member, listing, calls):
    client.force_login(member)
    body = client.get(listing.get_absolute_url()).content.decode()
    assert HEADING in body
    assert "Heat recovery in industry" in body
    assert calls["heat"].get_absolute_url() in body
    for name in ("Hydrogen switching", "Joint heat projects", "Heat pumps, last year"):
        assert name not in body


def test_another_organisations_member_and_a_visitor_see_no_suggested_calls(
    client, outsider, listing, calls
):
    assert HEADING not in client.get(listing.get_absolute_url()).content.decode()
    client.force_login(outsider)
    body = client.get(listing.get_absolute_url()).content.decode()
    assert listing.title in body
    assert HEADING not in body


def test_no_open_calls_means_no_section(client, member, listing):
    FundingCallFactory(themes=["hydrogen"])
    client.force_login(member)
    assert HEADING not in client.get(listing.get_absolute_url()).content.decode()


def listing_page_queries(client, listing) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(listing.get_absolute_url()).status_code == 200
    return len(queries)


def test_the_listing_page_costs_the_same_queries_with_3_calls_and_with_60(
    client, member, listing, django_assert_max_num_queries
):
    client.force_login(member)
    for _ in range(3):
        FundingCallFactory(themes=["energy-efficiency", "ccus"], clusters=["humber"])
    few = listing_page_queries(client, listing)
    for _ in range(57):
        FundingCallFactory(themes=["energy-efficiency", "ccus"], clusters=["humber", "teesside"])
    assert listing_page_queries(client, listing) == few
    # Signed in: session, user, the ask button's organisations, then membership of the
    # listing's organisation and the open calls with their themes and clusters.
    with django_assert_max_num_queries(11):
        client.get(listing.get_absolute_url())


def test_the_listing_page_for_a_visitor_makes_no_funding_queries(client, listing, calls):
    with CaptureQueriesContext(connection) as queries:
        client.get(listing.get_absolute_url())
    assert not any("funding_fundingcall" in q["sql"] for q in queries.captured_queries)


# Introductions -----------------------------------------------------------------------------


@pytest.fixture
def pair(member, listing):
    """`member`'s need and a university's offer, matched; the university asks, and so the
    introduction's two sides are a business and a university."""
    contact = MembershipFactory(organisation__kind="university").user
    university = contact.memberships.get().organisation
    offer = ListingFactory(
        organisation=university,
        kind="offer",
        title="Heat pump testing laboratory",
        themes=["energy-efficiency"],
        clusters=["humber"],
    )
    make_match(offer, listing)
    make_match(listing, offer)
    introduction = introductions.request_introduction(
        contact, organisation=university, target=listing, message="Hello", about_listing=offer
    )
    return introduction, contact


def test_an_accepted_introduction_gets_consortium_calls(pair, member, calls):
    introduction, _ = pair
    assert calls_for_introduction(introduction) == []  # not accepted yet
    introductions.accept_introduction(introduction, member)
    introduction.refresh_from_db()
    chosen = {c.name for c in calls_for_introduction(introduction, limit=10)}
    assert "Joint heat projects" in chosen  # needs two: suits a pair
    assert "For universities" in chosen  # one of the two may lead
    assert not chosen & {"Hydrogen switching", "Teesside only", "Heat pumps, last year"}
    assert len(calls_for_introduction(introduction)) == 3


def test_both_sides_see_the_calls_on_the_accepted_introductions_page(
    client, pair, member, outsider, calls
):
    introduction, contact = pair
    client.force_login(member)
    assert HEADING not in client.get(introduction.get_absolute_url()).content.decode()
    introductions.accept_introduction(introduction, member)
    for person in (member, contact):
        client.force_login(person)
        body = client.get(introduction.get_absolute_url()).content.decode()
        assert HEADING in body
        assert "You two could bid together" in body
        assert "Joint heat projects" in body
    client.force_login(outsider)
    assert client.get(introduction.get_absolute_url()).status_code == 404


# The member area ---------------------------------------------------------------------------


def test_the_organisations_page_lists_calls_for_its_published_listings(
    client, member, organisation, listing, calls, outsider
):
    ListingFactory(organisation=organisation, status="draft", themes=["hydrogen"])
    page = reverse("clusters:organisation-detail", args=[organisation.ref])
    client.force_login(member)
    body = client.get(page).content.decode()
    assert "Funding you could bid for" in body
    assert "Heat recovery in industry" in body
    assert "“Heat pumps for a drying line”" in body
    assert "Hydrogen switching" not in body  # only for the draft's theme
    client.force_login(outsider)
    assert client.get(page).status_code == 404


def test_the_organisations_page_says_when_no_call_fits(client, member, organisation, listing):
    client.force_login(member)
    page = reverse("clusters:organisation-detail", args=[organisation.ref])
    html = client.get(page).content.decode()
    assert "No open funding call fits" in html
    # Calls for partners bidding together are on introductions: the two pages seemed to
    # disagree (newcomer probe, stop 29).
    assert "Calls for partners bidding together are suggested on each accepted introduction" in html


def test_the_organisations_page_costs_the_same_queries_with_2_listings_and_with_20(
    client, member, organisation, calls
):
    client.force_login(member)
    page = reverse("clusters:organisation-detail", args=[organisation.ref])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        return len(captured)

    for _ in range(2):
        ListingFactory(organisation=organisation, themes=["energy-efficiency"])
    few = queries()
    for _ in range(18):
        ListingFactory(organisation=organisation, themes=["energy-efficiency"], clusters=["humber"])
    assert queries() == few
