"""Two organisations whose listings were matched: the asking side and the asked side."""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from clusters.models import Listing, Membership, Organisation
from matching.models import Match
from tests.factories import ListingFactory, MembershipFactory, UserFactory


def make_match(source: Listing, target: Listing) -> Match:
    return Match.objects.create(
        source_key=Match.key_for(source),
        source_listing=source,
        target=target,
        score=0.8,
        rank=1,
        reasons=["both about heat pumps"],
        engine_version="test",
        computed_at=timezone.now(),
    )


@dataclass
class Sides:
    asker: object  # a member of the asking organisation
    asking: Organisation
    listing: Listing  # the asking organisation's need
    asked: Organisation
    contact: object  # a verified member of the asked organisation
    colleague: object  # a second verified member of the asked organisation
    unverified: object  # a member of the asked organisation who never confirmed their email
    target: Listing  # the asked organisation's offer


@pytest.fixture
def sides(member, organisation):
    """`member`'s need matched with another organisation's offer, both ways round."""
    listing = ListingFactory(
        organisation=organisation,
        kind="need",
        title="Heat for a drying line",
        themes=["energy-efficiency"],
        clusters=["humber"],
    )
    contact = MembershipFactory(user__name="Ada Contact").user
    asked = contact.memberships.get().organisation
    colleague = MembershipFactory(organisation=asked, role="member").user
    unverified = UserFactory(verified=False)
    Membership.objects.create(user=unverified, organisation=asked)
    target = ListingFactory(
        organisation=asked,
        kind="offer",
        title="Industrial heat pumps",
        themes=["energy-efficiency"],
        clusters=["teesside"],
    )
    make_match(listing, target)
    make_match(target, listing)
    return Sides(member, organisation, listing, asked, contact, colleague, unverified, target)
