"""Staff moderation in the admin: approve or reject organisations, unpublish listings."""

import pytest
from django.core import mail
from django.urls import reverse

from clusters.models import Organisation
from tests.factories import ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def seen(pks) -> dict:
    """The organisations' statuses, as the reason page sends them back (seen_<pk>)."""
    from clusters.models import Organisation

    statuses = Organisation.objects.filter(pk__in=pks).values_list("pk", "status")
    return {f"seen_{pk}": status for pk, status in statuses}


def run_action(client, changelist, action, pks, reason):
    return client.post(
        reverse(changelist),
        {"action": action, "_selected_action": pks, "apply": "1", "reason": reason, **seen(pks)},
    )


def test_rejecting_an_organisation_needs_a_reason_which_is_emailed(
    client, staff, django_capture_on_commit_callbacks
):
    membership = MembershipFactory(organisation__status=Organisation.Status.PENDING)
    organisation = membership.organisation
    client.force_login(staff)
    changelist = "admin:clusters_organisation_changelist"

    response = run_action(client, changelist, "reject", [organisation.pk], "")
    assert response.status_code == 200  # the reason page again, with its error
    assert "Enter the reason" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        run_action(
            client,
            changelist,
            "reject",
            [organisation.pk],
            "We could not find it at Companies House.",
        )
    organisation.refresh_from_db()
    assert organisation.status == "rejected"
    assert organisation.reviewed_by == staff
    assert mail.outbox[-1].to == [membership.user.email]
    assert "Companies House" in mail.outbox[-1].body


def test_approving_publishes_pending_listings(client, staff, django_capture_on_commit_callbacks):
    membership = MembershipFactory(organisation__status=Organisation.Status.PENDING)
    listing = ListingFactory(organisation=membership.organisation, status="pending")
    draft = ListingFactory(organisation=membership.organisation, status="draft")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(
            client,
            "admin:clusters_organisation_changelist",
            "approve",
            [membership.organisation.pk],
            "",
        )
    listing.refresh_from_db()
    draft.refresh_from_db()
    assert listing.status == "published" and listing.published_at is not None
    assert draft.status == "draft"
    assert "is approved" in mail.outbox[-1].subject


def test_staff_unpublish_a_listing_with_a_reason(
    client, staff, member, organisation, django_capture_on_commit_callbacks
):
    listing = ListingFactory(organisation=organisation)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(
            client,
            "admin:clusters_listing_changelist",
            "unpublish",
            [listing.pk],
            "It advertises a product unrelated to decarbonisation.",
        )
    listing.refresh_from_db()
    assert listing.status == "taken_down"  # not "withdrawn": its organisation cannot re-open it
    assert "unrelated" in listing.status_reason
    assert mail.outbox[-1].to == [member.email]
    assert "unrelated" in mail.outbox[-1].body


def test_members_who_are_not_staff_cannot_reach_the_admin(client, member, organisation):
    client.force_login(member)
    for url in [reverse("admin:index"), reverse("admin:clusters_organisation_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    response = run_action(
        client, "admin:clusters_organisation_changelist", "approve", [organisation.pk], ""
    )
    assert response.status_code == 302
