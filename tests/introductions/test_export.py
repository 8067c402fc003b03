"""A person's data export names what a request was about, with or without their listing."""

import pytest

from accounts.export import export_user_data
from tests.factories import ChallengeFactory, IntroductionFactory, ListingFactory

pytestmark = pytest.mark.django_db


def test_a_request_about_none_of_the_askers_listings_is_exported_for_both_sides(member, outsider):
    offer = ListingFactory(organisation=outsider.memberships.get().organisation, title="Pumps")
    IntroductionFactory(
        source_listing=None,
        from_organisation=member.memberships.get().organisation,
        target_listing=offer,
        requested_by=member,
        challenge=ChallengeFactory(title="Steam"),
    )
    asked = export_user_data(member)["introductions"][0]
    assert asked["direction"] == "sent"
    assert asked["your_listing"] is None
    assert asked["their_listing"]["title"] == "Pumps"
    assert asked["challenge"] == "Steam"
    received = export_user_data(outsider)["introductions"][0]
    assert received["direction"] == "received"
    assert received["your_listing"]["title"] == "Pumps"
    assert received["their_listing"] is None
