"""Staff publish a pending listing of an approved organisation (newcomer probe: imported as
pending, such listings were counted as "awaiting approval" on the staff home with no action
that could publish them)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from clusters.models import Listing, Organisation
from staff.roles import MODERATOR, TRIAGER
from tests.factories import ListingFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff(role):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def run_action(client, pks):
    return client.post(
        reverse("admin:clusters_listing_changelist"),
        {"action": "publish_pending", "_selected_action": pks, "apply": "1", "reason": ""},
    )


def test_a_moderator_publishes_pending_listings_of_approved_organisations_only(client):
    approved = ListingFactory(status=Listing.Status.PENDING, published_at=None)
    waiting_org = OrganisationFactory(status=Organisation.Status.PENDING)
    waiting = ListingFactory(organisation=waiting_org, status=Listing.Status.PENDING)
    draft = ListingFactory(status=Listing.Status.DRAFT)
    client.force_login(staff(MODERATOR))
    response = run_action(client, [approved.pk, waiting.pk, draft.pk])
    assert response.status_code == 302
    statuses = dict(Listing.objects.values_list("pk", "status"))
    assert statuses[approved.pk] == Listing.Status.PUBLISHED
    assert statuses[waiting.pk] == Listing.Status.PENDING  # its organisation decides first
    assert statuses[draft.pk] == Listing.Status.DRAFT  # its owner publishes a draft
    assert Listing.objects.get(pk=approved.pk).published_at is not None


def test_staff_without_the_moderation_role_cannot(client):
    pending = ListingFactory(status=Listing.Status.PENDING)
    client.force_login(staff(TRIAGER))
    run_action(client, [pending.pk])
    assert Listing.objects.get(pk=pending.pk).status == Listing.Status.PENDING


def test_the_reason_page_has_one_heading_and_says_when_the_reason_is_optional(client):
    pending = ListingFactory(status=Listing.Status.PENDING)
    client.force_login(staff(MODERATOR))
    page = client.post(
        reverse("admin:clusters_listing_changelist"),
        {"action": "publish_pending", "_selected_action": [pending.pk]},
    ).content.decode()
    assert page.count("<h1") == 1
    assert "Reason (optional)" in page


@pytest.mark.parametrize("days", [None, -10])
def test_a_published_pending_listing_gets_an_end_date(client, days):
    """Imported listings have no end date; one already past would expire at the next run
    (review): published, it ends 12 months from today, as a listing its owner publishes."""
    from datetime import timedelta

    from django.utils import timezone

    from clusters.services import LISTING_LIFETIME

    ends = None if days is None else timezone.localdate() + timedelta(days=days)
    pending = ListingFactory(
        status=Listing.Status.PENDING, expires_on=ends, expiry_reminder_sent_at=timezone.now()
    )
    client.force_login(staff(MODERATOR))
    run_action(client, [pending.pk])
    published = Listing.objects.get(pk=pending.pk)
    assert published.status == Listing.Status.PUBLISHED
    assert published.expires_on == timezone.localdate() + LISTING_LIFETIME
    assert published.expiry_reminder_sent_at is None  # a new date earns a new reminder


def test_the_listing_list_names_its_two_status_filters_apart(client):
    ListingFactory()
    client.force_login(staff(MODERATOR))
    page = client.get(reverse("admin:clusters_listing_changelist")).content.decode()
    assert page.count("By status") == 1  # the listing's own (newcomer probe, stop 27)
    assert "By organisation status" in page


def test_the_approve_page_says_the_reason_goes_to_the_organisation(client):
    organisation = OrganisationFactory(status=Organisation.Status.PENDING)
    client.force_login(staff(MODERATOR))
    page = client.post(
        reverse("admin:clusters_organisation_changelist"),
        {"action": "approve", "_selected_action": [organisation.pk]},
    ).content.decode()
    assert "Reason (optional)" in page
    assert "We send it to the organisation’s members with the decision" in page
