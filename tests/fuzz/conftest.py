"""A small exchange for the fuzz tests: two organisations whose listings matched, a challenge,
an introduction waiting for an answer, a join request and an invitation."""

from dataclasses import dataclass

import pytest

from clusters import services as cluster_services
from clusters.models import Challenge, Invitation, JoinRequest, Listing, Organisation
from introductions import services as introduction_services
from introductions.models import Introduction
from tests.factories import (
    ChallengeFactory,
    ListingFactory,
    MatchFactory,
    MembershipFactory,
    UserFactory,
)

INVITATION_TOKEN = "fuzz-invitation-token-of-43-characters-xxxx"


@dataclass
class World:
    member: object  # a verified admin of `organisation`
    organisation: Organisation
    need: Listing  # published, matched with `offer`
    draft: Listing
    other: object  # a verified admin of the other organisation
    offer: Listing
    challenge: Challenge
    introduction: Introduction  # from the other organisation, waiting for `member`
    join_request: JoinRequest  # a stranger asking to join `organisation`
    invitation: Invitation  # to `member`, from the other organisation; its link's token is
    # INVITATION_TOKEN


@pytest.fixture
def world(member, organisation) -> World:
    challenge = ChallengeFactory(ref="ch-fuzz", title="Heat for drying lines", themes=["ccus"])
    need = ListingFactory(
        organisation=organisation,
        kind="need",
        title="Heat for a drying line",
        themes=["energy-efficiency"],
        clusters=["humber"],
        challenge=challenge,
    )
    draft = ListingFactory(organisation=organisation, status=Listing.Status.DRAFT)
    other = MembershipFactory(user__name="Ada Contact").user
    offer = ListingFactory(
        organisation=other.memberships.get().organisation,
        kind="offer",
        title="Industrial heat pumps",
        themes=["energy-efficiency"],
        clusters=["teesside"],
    )
    MatchFactory(source_listing=need, target=offer)
    MatchFactory(source_listing=offer, target=need)
    introduction = introduction_services.request_introduction(
        other, organisation=offer.organisation, target=need, message="Hello", about_listing=offer
    )
    stranger = UserFactory()
    join_request = cluster_services.request_to_join(stranger, organisation, "Let me in")
    # Only a digest of an invitation's token is stored; the world keeps the emailed token.
    invitation = Invitation.objects.create(
        organisation=offer.organisation,
        invited_by=other,
        email=member.email,
        token=cluster_services.invitation_token_digest(INVITATION_TOKEN),
    )
    return World(
        member=member,
        organisation=organisation,
        need=need,
        draft=draft,
        other=other,
        offer=offer,
        challenge=challenge,
        introduction=introduction,
        join_request=join_request,
        invitation=invitation,
    )


@pytest.fixture
def signed_in(client, world):
    """The test client, signed in as the world's member."""
    client.force_login(world.member)
    return client


@pytest.fixture
def pending_member(db):
    """A verified member of an organisation still awaiting approval."""
    return MembershipFactory(organisation__status=Organisation.Status.PENDING).user


@pytest.fixture(params=["anonymous", "member"])
def visitor(request, client, world):
    """The test client, once signed out and once signed in as the world's member."""
    if request.param == "member":
        client.force_login(world.member)
    return client
