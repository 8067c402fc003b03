"""Records that wait for staff (an enquiry, and one of each moderation queue), for the staff
API's tests."""

from django.utils import timezone

from clusters.models import Listing, Organisation
from reports.services import submit_report
from tests.factories import (
    ClusterTeamMemberFactory,
    EnquiryFactory,
    EnquiryMessageFactory,
    ListingFactory,
    ListingReviewFactory,
    MembershipFactory,
    OrganisationChangeFactory,
    OrganisationFactory,
)


def enquiry(**fields):
    """A new enquiry with the sender's first message."""
    made = EnquiryFactory(**fields)
    EnquiryMessageFactory(enquiry=made)
    return made


def pending_organisation(**fields):
    """A registered organisation awaiting approval, with one member and a pending listing."""
    organisation = OrganisationFactory(status=Organisation.Status.PENDING, **fields)
    MembershipFactory(organisation=organisation)
    ListingFactory(organisation=organisation, status=Listing.Status.PENDING)
    return organisation


def open_change(**fields):
    """A new name asked for by an approved organisation (one of its members asked)."""
    member = MembershipFactory()
    return OrganisationChangeFactory(
        organisation=member.organisation, requested_by=member.user, **fields
    )


def open_review(**fields):
    """A request to look again at a listing staff took down."""
    member = MembershipFactory()
    listing = ListingFactory(
        organisation=member.organisation,
        status=Listing.Status.TAKEN_DOWN,
        taken_down_at=timezone.now(),
        taken_down_from=Listing.Status.PUBLISHED,  # as unpublish_listing records it
        published_at=timezone.now(),
        status_reason="It named no product.",
    )
    return ListingReviewFactory(listing=listing, requested_by=member.user, **fields)


def team_request(**fields):
    """A person's request to join the Humber cluster's team."""
    return ClusterTeamMemberFactory(status="pending", **fields)


def listing_report():
    return submit_report(
        ListingFactory(), reason="spam", details="An advert", email="a@example.org"
    )


def organisation_report():
    return submit_report(OrganisationFactory(), reason="other", details="Not a real firm")
