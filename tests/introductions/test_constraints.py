"""The one-open-request rules, held by the database itself (SQLite and PostgreSQL alike)."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from introductions import services
from tests.factories import (
    ChallengeFactory,
    IntroductionFactory,
    ListingFactory,
    MembershipFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


def refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        IntroductionFactory(**fields)


def test_one_open_request_per_asking_organisation_and_listing_without_a_source():
    asking = OrganisationFactory()
    target = ListingFactory(kind="offer")
    IntroductionFactory(source_listing=None, from_organisation=asking, target_listing=target)
    refused(source_listing=None, from_organisation=asking, target_listing=target)


def test_another_organisation_or_another_listing_is_not_a_duplicate():
    asking, other = OrganisationFactory(), OrganisationFactory()
    target, second = ListingFactory(kind="offer"), ListingFactory(kind="offer")
    IntroductionFactory(source_listing=None, from_organisation=asking, target_listing=target)
    # Before the fix, PostgreSQL's LEAST/GREATEST read (NULL, target) as (target, target):
    # any two source-less requests about one listing collided, whoever asked.
    IntroductionFactory(source_listing=None, from_organisation=other, target_listing=target)
    IntroductionFactory(source_listing=None, from_organisation=asking, target_listing=second)


@pytest.mark.parametrize("status", ["accepted", "declined", "expired"])
def test_a_closed_request_does_not_block_a_new_one(status):
    asking = OrganisationFactory()
    target = ListingFactory(kind="offer")
    IntroductionFactory(
        source_listing=None, from_organisation=asking, target_listing=target, status=status
    )
    IntroductionFactory(source_listing=None, from_organisation=asking, target_listing=target)


def test_the_pair_rule_still_holds_with_a_source_listing_either_way_round():
    need, offer = ListingFactory(kind="need"), ListingFactory(kind="offer")
    IntroductionFactory(source_listing=need, target_listing=offer)
    refused(source_listing=need, target_listing=offer)
    refused(source_listing=offer, target_listing=need)


def test_with_and_without_a_source_listing_are_different_shapes_to_the_database():
    """The service refuses the second (tested in test_ask_from_listing); the rows may coexist."""
    need, offer = ListingFactory(kind="need"), ListingFactory(kind="offer")
    IntroductionFactory(source_listing=need, target_listing=offer)
    IntroductionFactory(
        source_listing=None, from_organisation=need.organisation, target_listing=offer
    )


def test_a_challenge_may_be_recorded_and_is_kept_if_the_row_is_read_back():
    challenge = ChallengeFactory()
    introduction = IntroductionFactory(
        source_listing=None,
        from_organisation=OrganisationFactory(),
        challenge=challenge,
    )
    introduction.refresh_from_db()
    assert introduction.challenge == challenge
    assert challenge.introductions.get() == introduction


def test_the_service_turns_a_race_into_a_plain_refusal(monkeypatch):
    """Two colleagues asking at the same moment: the database refuses the second."""
    member = MembershipFactory().user
    asking = member.memberships.get().organisation
    target = ListingFactory(kind="offer")
    IntroductionFactory(source_listing=None, from_organisation=asking, target_listing=target)
    # As if the check ran before the first row was committed.
    monkeypatch.setattr(services, "check_can_request", lambda *args, **kwargs: None)
    with pytest.raises(services.NotAllowed, match="already a request"):
        services.request_introduction(member, organisation=asking, target=target, message="Hello")


def test_the_service_records_the_challenge_it_is_asked_from(django_capture_on_commit_callbacks):
    member = MembershipFactory().user
    asking = member.memberships.get().organisation
    target = ListingFactory(kind="offer")
    MembershipFactory(organisation=target.organisation)  # a verified contact to email
    challenge = ChallengeFactory(title="Low-carbon steam for the estuary")
    with django_capture_on_commit_callbacks(execute=True):
        introduction = services.request_introduction(
            member,
            organisation=asking,
            target=target,
            message="Hello",
            about_challenge=challenge,
        )
    assert introduction.challenge == challenge and introduction.source_listing is None
    assert len(mail.outbox) == 1
    assert f"challenge: {challenge.title}" in mail.outbox[0].body
