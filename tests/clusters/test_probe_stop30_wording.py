"""Emails about a staff decision name what they are about and read naturally (usability
probe, stop 30): the restored listing is named like the taken-down one, and approving an
organisation says how many of its listings are now published in plain words."""

import pytest
from django.core import mail

from clusters import services
from clusters.models import Organisation
from tests.factories import ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_restored_email_names_the_listing_by_title_and_reference(
    member, organisation, moderator, django_capture_on_commit_callbacks
):
    listing = ListingFactory(organisation=organisation, title="Modular amine capture units")
    with django_capture_on_commit_callbacks(execute=True):
        services.unpublish_listing(listing, moderator, "Advertising.")
    taken_down = mail.outbox[-1]
    assert "“Modular amine capture units”" in taken_down.subject
    with django_capture_on_commit_callbacks(execute=True):
        assert services.restore_listing(listing, moderator)
    restored = mail.outbox[-1]
    assert restored is not taken_down and restored.to == [member.email]
    # Named as the take-down names it: by its title, quoted (the reference is in the body;
    # tests/outbox/test_subjects.py keeps anything but quoted titles out of subjects).
    assert restored.subject == "Your listing has been restored: “Modular amine capture units”"
    assert "Modular amine capture units" in restored.body
    assert f"(reference {listing.ref})" in restored.body


def approve_with_pending(count: int, django_capture_on_commit_callbacks):
    membership = MembershipFactory(organisation__status=Organisation.Status.PENDING)
    for _ in range(count):
        ListingFactory(organisation=membership.organisation, status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.approve_organisation(membership.organisation, None) == count
    return mail.outbox[-1].body


def test_approval_of_one_waiting_listing_reads_naturally(django_capture_on_commit_callbacks):
    body = approve_with_pending(1, django_capture_on_commit_callbacks)
    assert "Your listing that was waiting for approval is now published." in body
    assert "1 listing" not in body


def test_approval_of_several_waiting_listings_reads_naturally(
    django_capture_on_commit_callbacks,
):
    body = approve_with_pending(3, django_capture_on_commit_callbacks)
    assert "Your 3 listings that were waiting for approval are now published." in body


def test_approval_with_no_waiting_listing_says_nothing_about_listings(
    django_capture_on_commit_callbacks,
):
    body = approve_with_pending(0, django_capture_on_commit_callbacks)
    assert "now published" not in body
    assert "has been approved on Cluster Exchange." in body


def test_the_restored_email_of_a_rejected_organisations_listing_says_it_stays_private(
    member, organisation, moderator, django_capture_on_commit_callbacks
):
    """It said "It will be published as soon as your organisation is approved" to an
    organisation told it was not approved (review, stop 30)."""
    listing = ListingFactory(organisation=organisation)
    services.unpublish_listing(listing, moderator, "Advertising.")
    services.reject_organisation(organisation, moderator, "Not an industrial organisation.")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.restore_listing(listing, moderator)
    body = mail.outbox[-1].body
    assert "your organisation was not approved" in body and organisation.ref in body
    assert "/get-in-touch/" in body
    assert "as soon as your organisation is approved" not in body
