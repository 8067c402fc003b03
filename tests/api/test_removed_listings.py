"""GET /api/v1/listings/removed/ and /api/v1/challenges/removed/: what a mirroring partner
must delete, whether it left by a decision (withdrawn, expired, taken down, its organisation
no longer approved) or was deleted."""

import base64
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.services import delete_account
from api.models import Removal
from clusters import services
from clusters.models import Listing
from tests.factories import ChallengeFactory, ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def removed(api, params=None) -> dict[str, str]:
    response = api.get("/api/v1/listings/removed/", params or {})
    assert response.status_code == 200, response.content
    return {row["ref"]: row["reason"] for row in response.json()["results"]}


def test_each_way_of_leaving_the_list_is_listed_with_its_reason(api, staff):
    withdrawn, expired, down, rejected = (ListingFactory(ref=f"L-{n}") for n in range(4))
    services.withdraw_listing(withdrawn, services.WITHDRAWN_BY_ORGANISATION)
    ListingFactory(ref="L-staying")
    Listing.objects.filter(pk=expired.pk).update(expires_on=timezone.localdate())
    services.expire_listings()
    services.unpublish_listing(down, staff, "Advertising, not an offer.")
    services.reject_organisation(rejected.organisation, staff, "Not a real company.")
    assert removed(api) == {
        "L-0": "withdrawn",
        "L-1": "expired",
        "L-2": "taken_down",
        "L-3": "not_approved",
    }


def test_a_listing_never_published_is_not_listed(api, organisation):
    draft = ListingFactory(ref="L-draft", status=Listing.Status.DRAFT, organisation=organisation)
    pending = ListingFactory(ref="L-pending", status=Listing.Status.PENDING)
    assert removed(api) == {}
    draft.delete()
    pending.delete()
    assert removed(api) == {}
    # Kept for the organisation's own removals list only (its members may hold a copy).
    assert set(Removal.objects.values_list("resource", flat=True)) == {"organisation_listing"}


def test_a_listing_never_public_is_not_listed_once_withdrawn_either(api, organisation, staff):
    """A withdrawn draft was listed, naming a reference nobody outside had seen (outside
    probe, stop 28). A draft has nothing to withdraw; one waiting for approval becomes a
    draft again, so that the approval does not publish it."""
    draft = ListingFactory(ref="L-draft", status=Listing.Status.DRAFT, organisation=organisation)
    with pytest.raises(services.NotAllowed, match="draft: it is not on the site"):
        services.withdraw_listing(draft, services.WITHDRAWN_BY_ORGANISATION)
    waiting = ListingFactory(ref="L-waiting", status=Listing.Status.PENDING)
    waiting.organisation.status = waiting.organisation.Status.PENDING
    waiting.organisation.save(update_fields=["status"])
    services.withdraw_listing(waiting, services.WITHDRAWN_BY_ORGANISATION)
    waiting.refresh_from_db()
    assert waiting.status == Listing.Status.DRAFT
    assert removed(api) == {}
    services.approve_organisation(waiting.organisation, staff)
    waiting.refresh_from_db()
    assert waiting.status == Listing.Status.DRAFT  # not published by the approval
    # Once public, withdrawing is listed as before.
    services.submit_listing(waiting)
    services.withdraw_listing(waiting, services.WITHDRAWN_BY_ORGANISATION)
    assert removed(api) == {"L-waiting": "withdrawn"}


def test_a_listing_withdrawn_then_published_again_is_not_listed(api, organisation):
    listing = ListingFactory(ref="L-back", organisation=organisation)
    services.withdraw_listing(listing, services.WITHDRAWN_BY_ORGANISATION)
    assert removed(api) == {"L-back": "withdrawn"}
    services.submit_listing(listing)
    assert removed(api) == {}
    assert [x["ref"] for x in api.get("/api/v1/listings/").json()["results"]] == ["L-back"]


def test_a_deleted_listing_leaves_a_tombstone_and_one_its_last_member_left_is_withdrawn(api):
    alone = MembershipFactory().user
    organisation = alone.memberships.get().organisation
    ListingFactory(ref="L-alone", organisation=organisation)
    deleted = ListingFactory(ref="L-admin-deleted")
    deleted_from = deleted.organisation_id
    deleted.delete()
    # An approved organisation stays without members; its public listing leaves the site.
    delete_account(alone)
    assert removed(api) == {"L-alone": "withdrawn", "L-admin-deleted": "deleted"}
    tombstone = Removal.objects.get(key="L-admin-deleted")
    assert tombstone.resource == "listing" and tombstone.organisation_id == deleted_from


def test_a_reference_imported_again_is_no_longer_listed_as_deleted(api):
    ListingFactory(ref="L-again").delete()
    assert removed(api) == {"L-again": "deleted"}
    ListingFactory(ref="L-again")
    assert removed(api) == {}


def test_updated_since_keeps_the_removals_from_that_time(api):
    start = timezone.now() - timedelta(days=2)
    early, late = ListingFactory(ref="L-early"), ListingFactory(ref="L-late")
    with time_machine.travel(start, tick=False):
        services.withdraw_listing(early)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        ListingFactory(ref="L-deleted-late").delete()
        services.withdraw_listing(late)
    since = (start + timedelta(hours=1)).isoformat()
    assert removed(api, {"updated_since": since}) == {
        "L-late": "withdrawn",
        "L-deleted-late": "deleted",
    }
    rows = api.get("/api/v1/listings/removed/").json()["results"]
    assert [row["ref"] for row in rows][0] == "L-early"  # oldest first
    assert parse_datetime(rows[0]["removed_at"]) == start


def test_removals_are_read_in_cursor_pages_merging_both_sources(api):
    start = timezone.now() - timedelta(days=1)
    expected = []
    for number in range(7):
        with time_machine.travel(start + timedelta(minutes=number), tick=False):
            listing = ListingFactory(ref=f"L-{number}")
            if number % 2:
                listing.delete()
            else:
                services.withdraw_listing(listing)
        expected.append(f"L-{number}")
    response = api.get("/api/v1/listings/removed/", {"page_size": 2}).json()
    seen = [row["ref"] for row in response["results"]]
    while response["next"]:
        response = api.get(response["next"]).json()
        assert len(response["results"]) <= 2
        seen += [row["ref"] for row in response["results"]]
    assert seen == expected


def test_a_deleted_challenge_is_listed_and_a_closed_one_stays_in_the_list(api):
    closed = ChallengeFactory(ref="ch-closed")
    services.set_challenge_status(closed, "closed", "Solved.")
    gone = ChallengeFactory(ref="ch-gone")
    gone.delete()
    rows = api.get("/api/v1/challenges/removed/").json()["results"]
    assert [(row["ref"], row["reason"]) for row in rows] == [("ch-gone", "deleted")]
    listed = api.get("/api/v1/challenges/", {"status": "closed"}).json()["results"]
    assert [item["ref"] for item in listed] == ["ch-closed"]


def test_removals_of_the_same_instant_are_paged_each_once(api, staff):
    """Rejecting an organisation moves all its listings back at once: one `removed_at`."""
    organisation = ListingFactory(ref="L-a").organisation
    for ref in ("L-B", "L-b", "L-_", "L-0", "L-Z"):
        ListingFactory(ref=ref, organisation=organisation)
    services.reject_organisation(organisation, staff, "Not a real company.")
    with time_machine.travel(timezone.now(), tick=False):
        for ref in ("L-c", "L-C"):
            ListingFactory(ref=ref, organisation=organisation).delete()
    response = api.get("/api/v1/listings/removed/", {"page_size": 1}).json()
    seen = [row["ref"] for row in response["results"]]
    while response["next"]:
        response = api.get(response["next"]).json()
        seen += [row["ref"] for row in response["results"]]
    assert sorted(seen) == sorted(["L-a", "L-B", "L-b", "L-_", "L-0", "L-Z", "L-c", "L-C"])


@pytest.mark.parametrize(
    "raw",
    [
        "[1, 2]",
        '{"a": 1}',
        "[]",
        '["2026-01-01T00:00:00Z"]',
        "null",
        # Found in review: a NUL reached PostgreSQL, which answered with a 500.
        '["2026-01-01T00:00:00Z", "a\\u0000b"]',
        '["2026-01-01T00:00:00Z", 7]',
        '["2026-01-01T00:00:00Z", "not a ref!"]',
    ],
)
def test_a_forged_removals_cursor_is_a_400(api, raw):
    cursor = base64.urlsafe_b64encode(raw.encode()).decode()
    response = api.get("/api/v1/listings/removed/", {"cursor": cursor})
    assert response.status_code == 400 and "cursor" in response.json()["errors"]


def test_deleting_a_challenge_marks_its_listings_changed(api):
    """Found in review: SET_NULL is a bulk update that moved no updated_at, so a partner
    mirroring with updated_since kept the deleted challenge on its listings."""
    challenge = ChallengeFactory()
    listing = ListingFactory(challenge=challenge)
    Listing.objects.filter(pk=listing.pk).update(updated_at=timezone.now() - timedelta(days=1))
    since = timezone.now() - timedelta(minutes=1)
    challenge.delete()
    changed = api.get("/api/v1/listings/", {"updated_since": since.isoformat()}).json()
    rows = {row["ref"]: row for row in changed["results"]}
    assert listing.ref in rows


def test_a_listing_that_only_waited_for_approval_is_not_listed_when_its_organisation_is_refused(
    api, staff
):
    """It was listed as "not_approved", naming a reference nobody outside had seen
    (re-probe, stop 28); a published one held back by the same refusal still is."""
    waiting = ListingFactory(ref="L-waited", status=Listing.Status.PENDING)
    organisation = waiting.organisation
    organisation.status = organisation.Status.PENDING
    organisation.save(update_fields=["status"])
    public = ListingFactory(ref="L-was-public", organisation=organisation)
    services.reject_organisation(organisation, staff, "Not a real company.")
    assert removed(api) == {"L-was-public": "not_approved"}
    waiting.refresh_from_db()
    assert not waiting.was_public and waiting.published_at is None
    public.refresh_from_db()
    assert public.was_public and public.published_at is not None
