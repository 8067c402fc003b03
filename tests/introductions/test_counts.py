"""The programme's counts: introductions made and accepted, per cluster and per theme."""

import pytest

from introductions import services
from tests.factories import ListingFactory, MembershipFactory

from .conftest import make_match

pytestmark = pytest.mark.django_db


def by_slug(rows):
    return {row.slug: (row.made, row.accepted) for row in rows}


def test_counts_per_cluster_and_theme(sides):
    # sides: a Humber need (energy efficiency) matched with a Teesside offer (same theme).
    accepted = services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=sides.target,
        message="Hello",
        about_listing=sides.listing,
    )
    services.accept_introduction(accepted, sides.contact)

    other = MembershipFactory().organisation
    hydrogen = ListingFactory(organisation=other, themes=["hydrogen"], clusters=["humber"])
    make_match(sides.listing, hydrogen)
    services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=hydrogen,
        message="Hello",
        about_listing=sides.listing,
    )  # left open

    counts = services.count_introductions()
    clusters = by_slug(counts["clusters"])
    themes = by_slug(counts["themes"])
    # Both of the second request's listings are in the Humber: it counts there once.
    assert clusters["humber"] == (2, 1)
    assert clusters["teesside"] == (1, 1)
    assert clusters["south-wales"] == (0, 0)  # every cluster is listed
    assert themes["energy-efficiency"] == (2, 1)
    assert themes["hydrogen"] == (1, 0)
    assert themes["ccus"] == (0, 0)
    assert [row.name for row in counts["clusters"]] == sorted(
        row.name for row in counts["clusters"]
    )


def test_counts_are_zero_with_no_introductions(db):
    counts = services.count_introductions()
    assert counts["clusters"] and counts["themes"]
    assert all((row.made, row.accepted) == (0, 0) for row in counts["clusters"] + counts["themes"])
