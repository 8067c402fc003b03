"""The staff API's moderation queues: what waits is listed, and each decision goes through
the same service as the admin action (status, emails, history), with a reason where the
admin asks for one."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from clusters.models import Listing, ListingReview, Organisation, OrganisationChange
from outbox.models import Email
from reports.models import Report
from teams.models import ClusterTeamMember
from tests.api import staff_records as records
from tests.api.conftest import bearer
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/staff/moderation"
REASON = {"reason": "The website is not the organisation's."}


@pytest.fixture
def as_moderator(api, moderator, token_for):
    return bearer(api, token_for(moderator))


@pytest.fixture
def as_programme_admin(api, programme_admin, token_for):
    return bearer(api, token_for(programme_admin))


def keys(response, key="id") -> list:
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


# Organisations awaiting approval -------------------------------------------------------------


def test_the_queue_lists_only_organisations_awaiting_approval(as_moderator):
    waiting = records.pending_organisation()
    OrganisationFactory(status=Organisation.Status.APPROVED)
    OrganisationFactory(status=Organisation.Status.REJECTED)
    response = as_moderator.get(f"{BASE}/organisations/")
    assert keys(response, "ref") == [waiting.ref]
    row = response.json()["results"][0]
    assert row["status"] == "pending"
    assert row["members"] == [waiting.memberships.get().user.email]


def test_members_are_shown_only_to_staff_who_may_see_members(api, token_for):
    records.pending_organisation()
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(
        Permission.objects.get(codename="view_organisation", content_type__app_label="clusters")
    )
    row = bearer(api, token_for(reader)).get(f"{BASE}/organisations/").json()["results"][0]
    assert row["members"] is None


def test_approving_publishes_its_listings_and_tells_its_members(as_moderator, moderator):
    organisation = records.pending_organisation()
    response = as_moderator.post(
        f"{BASE}/organisations/{organisation.ref}/approve/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["reviewed_by"] == moderator.email
    assert organisation.listings.get().status == Listing.Status.PUBLISHED
    assert Email.objects.filter(key__startswith=f"organisation-approved:{organisation.pk}").exists()


def test_approving_an_approved_organisation_is_a_409_and_sends_nothing(as_moderator):
    organisation = OrganisationFactory(status=Organisation.Status.APPROVED)
    response = as_moderator.post(
        f"{BASE}/organisations/{organisation.ref}/approve/", {}, format="json"
    )
    assert response.status_code == 409
    assert "no longer awaiting approval (approved)" in response.json()["message"]
    assert not Email.objects.exists()


def test_rejecting_needs_a_reason_which_is_kept_and_sent(as_moderator):
    organisation = records.pending_organisation()
    url = f"{BASE}/organisations/{organisation.ref}/reject/"
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = as_moderator.post(url, body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == {"reason": ["Enter the reason"]}
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING

    response = as_moderator.post(url, REASON, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_reason"]) == (
        "rejected",
        REASON["reason"],
    )
    assert Email.objects.filter(key__startswith=f"organisation-rejected:{organisation.pk}").exists()


def test_a_reason_longer_than_the_admin_form_allows_is_a_400(as_moderator):
    organisation = records.pending_organisation()
    response = as_moderator.post(
        f"{BASE}/organisations/{organisation.ref}/reject/", {"reason": "x" * 2001}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]


def test_a_rejection_whose_body_is_not_an_object_is_a_400_about_the_body(as_moderator):
    # It was read as no reason (a 400 about `reason`); an approval read so went through.
    organisation = records.pending_organisation()
    response = as_moderator.post(
        f"{BASE}/organisations/{organisation.ref}/reject/", ["a list"], format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["non_field_errors"]


def test_an_unknown_record_is_a_404(as_moderator):
    response = as_moderator.post(f"{BASE}/organisations/no-such-org/approve/", {}, format="json")
    assert response.status_code == 404
    for queue in ("organisation-changes", "listing-reviews", "team-requests", "reports"):
        for key in ("12345", "9" * 30):
            assert as_moderator.get(f"{BASE}/{queue}/{key}/").status_code == 404


# Changes of name ----------------------------------------------------------------------------


def test_approving_a_change_of_name_shows_the_new_name(as_moderator):
    change = records.open_change()
    decided = records.open_change()
    OrganisationChange.objects.filter(pk=decided.pk).update(
        status=OrganisationChange.Status.REJECTED
    )
    assert keys(as_moderator.get(f"{BASE}/organisation-changes/")) == [change.pk]

    response = as_moderator.post(
        f"{BASE}/organisation-changes/{change.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["current_name"] == change.name
    change.organisation.refresh_from_db()
    assert change.organisation.name == change.name

    again = as_moderator.post(
        f"{BASE}/organisation-changes/{change.pk}/approve/", {}, format="json"
    )
    assert again.status_code == 409


def test_a_name_swapped_after_staff_read_the_change_is_not_what_they_approve(as_moderator):
    """Staff read change N, the organisation then asks for another name: approving N must not
    put the new name live unseen (attacker probe). The new request is a new change, with a
    new id, waiting in the queue; N is gone."""
    from clusters import services
    from clusters.models import Membership

    membership = Membership.objects.create(
        user=UserFactory(), organisation=OrganisationFactory(), role="admin"
    )
    organisation, member = membership.organisation, membership.user
    old_name = organisation.name

    def ask(name):
        data = {"name": name, "website": organisation.website}
        assert services.update_organisation(organisation, member, data, clusters=[])

    ask("Fenwold Refining Group")
    (seen,) = keys(as_moderator.get(f"{BASE}/organisation-changes/"))
    assert as_moderator.get(f"{BASE}/organisation-changes/{seen}/").json()["name"] == (
        "Fenwold Refining Group"
    )
    ask("National Grid ESO (official)")
    response = as_moderator.post(f"{BASE}/organisation-changes/{seen}/approve/", {}, format="json")
    assert response.status_code == 404
    organisation.refresh_from_db()
    assert organisation.name == old_name
    (waiting,) = keys(as_moderator.get(f"{BASE}/organisation-changes/"))
    assert waiting != seen
    assert OrganisationChange.objects.get(pk=waiting).name == "National Grid ESO (official)"


def test_asking_again_for_the_same_name_keeps_the_change_staff_are_reading(as_moderator):
    from clusters import services
    from clusters.models import Membership

    membership = Membership.objects.create(
        user=UserFactory(), organisation=OrganisationFactory(), role="admin"
    )
    organisation, member = membership.organisation, membership.user
    data = {"name": "Fenwold Refining Group", "website": organisation.website}
    services.update_organisation(organisation, member, data, clusters=[])
    (seen,) = keys(as_moderator.get(f"{BASE}/organisation-changes/"))
    services.update_organisation(organisation, member, data, clusters=[])
    response = as_moderator.post(f"{BASE}/organisation-changes/{seen}/approve/", {}, format="json")
    assert response.status_code == 200
    organisation.refresh_from_db()
    assert organisation.name == "Fenwold Refining Group"


def test_rejecting_a_change_of_name_keeps_the_old_one_and_needs_a_reason(as_moderator):
    change = records.open_change()
    old_name = change.organisation.name
    url = f"{BASE}/organisation-changes/{change.pk}/reject/"
    assert as_moderator.post(url, {}, format="json").status_code == 400
    response = as_moderator.post(url, REASON, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("rejected", REASON["reason"])
    change.organisation.refresh_from_db()
    assert change.organisation.name == old_name


# Listing reviews ----------------------------------------------------------------------------


def test_approving_a_review_restores_the_listing(as_moderator):
    review = records.open_review()
    assert keys(as_moderator.get(f"{BASE}/listing-reviews/")) == [review.pk]
    response = as_moderator.post(f"{BASE}/listing-reviews/{review.pk}/approve/", {}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["listing_status"]) == (
        "restored",
        "published",
    )
    assert keys(as_moderator.get(f"{BASE}/listing-reviews/")) == []


def test_rejecting_a_review_keeps_the_listing_down_with_the_reason(as_moderator):
    review = records.open_review()
    url = f"{BASE}/listing-reviews/{review.pk}/reject/"
    assert as_moderator.post(url, {"reason": ""}, format="json").status_code == 400
    response = as_moderator.post(url, REASON, format="json")
    assert response.status_code == 200
    review.refresh_from_db()
    assert (review.status, review.reason) == (ListingReview.Status.KEPT_DOWN, REASON["reason"])
    assert review.listing.status == Listing.Status.TAKEN_DOWN
    assert as_moderator.post(url, REASON, format="json").status_code == 409


# Cluster team requests ----------------------------------------------------------------------


def test_team_requests_are_approved_or_rejected_with_a_reason(as_moderator, actors):
    first, second = records.team_request(), records.team_request()
    # The team actor is approved already: not in the queue.
    assert sorted(keys(as_moderator.get(f"{BASE}/team-requests/"))) == sorted([first.pk, second.pk])

    approved = as_moderator.post(f"{BASE}/team-requests/{first.pk}/approve/", {}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert (
        as_moderator.post(
            f"{BASE}/team-requests/{second.pk}/reject/", {}, format="json"
        ).status_code
        == 400
    )
    rejected = as_moderator.post(f"{BASE}/team-requests/{second.pk}/reject/", REASON, format="json")
    assert rejected.json()["status"] == "rejected"
    assert ClusterTeamMember.objects.get(pk=second.pk).reason == REASON["reason"]
    assert (
        as_moderator.post(
            f"{BASE}/team-requests/{first.pk}/approve/", {}, format="json"
        ).status_code
        == 409
    )


# Reports ------------------------------------------------------------------------------------


def test_taking_a_reported_listing_down_closes_its_reports(as_moderator):
    report = records.listing_report()
    assert keys(as_moderator.get(f"{BASE}/reports/")) == [report.pk]
    response = as_moderator.post(f"{BASE}/reports/{report.pk}/take-down/", REASON, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "taken_down"
    assert Listing.objects.get(pk=report.listing_id).status == Listing.Status.TAKEN_DOWN
    assert keys(as_moderator.get(f"{BASE}/reports/")) == []


def test_a_decision_that_does_not_fit_the_report_is_a_409_saying_why(as_moderator):
    organisation_report = records.organisation_report()
    listing_report = records.listing_report()
    down = as_moderator.post(
        f"{BASE}/reports/{organisation_report.pk}/take-down/", REASON, format="json"
    )
    assert down.status_code == 409
    assert down.json()["message"] == "Only a listing can be taken down."
    refer = as_moderator.post(f"{BASE}/reports/{listing_report.pk}/refer/", REASON, format="json")
    assert refer.status_code == 409
    assert Report.objects.open().count() == 2


def test_a_referred_report_stays_in_the_queue_until_a_programme_admin_resolves_it(
    as_moderator, api, programme_admin, token_for
):
    report = records.organisation_report()
    assert (
        as_moderator.post(f"{BASE}/reports/{report.pk}/refer/", {}, format="json").status_code
        == 400
    )
    referred = as_moderator.post(f"{BASE}/reports/{report.pk}/refer/", REASON, format="json")
    assert referred.json()["status"] == "referred"
    assert keys(as_moderator.get(f"{BASE}/reports/")) == [report.pk]
    assert (
        as_moderator.post(f"{BASE}/reports/{report.pk}/resolve/", REASON, format="json").status_code
        == 403
    )
    # Nor may the moderator dismiss it now: it is the programme admin's (outside probe, stop
    # 30), and the 409 says so.
    dismissed = as_moderator.post(f"{BASE}/reports/{report.pk}/dismiss/", REASON, format="json")
    assert dismissed.status_code == 409
    assert "referred to a programme admin" in dismissed.json()["message"]
    report.refresh_from_db()
    assert report.status == "referred"

    bearer(api, token_for(programme_admin))
    resolved = api.post(f"{BASE}/reports/{report.pk}/resolve/", REASON, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert (
        api.post(f"{BASE}/reports/{report.pk}/dismiss/", REASON, format="json").status_code == 409
    )


def test_an_unknown_queue_is_a_404(as_moderator):
    assert as_moderator.get(f"{BASE}/listings/").status_code == 404


# What left a queue --------------------------------------------------------------------------


def test_decided_records_are_listed_as_removed_from_their_queue(as_moderator):
    approved, waiting = records.pending_organisation(), records.pending_organisation()
    as_moderator.post(f"{BASE}/organisations/{approved.ref}/approve/", {}, format="json")
    review = records.open_review()
    as_moderator.post(f"{BASE}/listing-reviews/{review.pk}/reject/", REASON, format="json")

    removed = as_moderator.get(f"{BASE}/organisations/removed/").json()["results"]
    assert [(r["key"], r["reason"]) for r in removed] == [(approved.ref, "approved")]
    assert waiting.ref not in {r["key"] for r in removed}
    reviews = as_moderator.get(f"{BASE}/listing-reviews/removed/").json()["results"]
    assert [(r["key"], r["reason"]) for r in reviews] == [(str(review.pk), "kept_down")]


def test_removed_records_are_filtered_by_updated_since(as_moderator):
    request = records.team_request()
    as_moderator.post(f"{BASE}/team-requests/{request.pk}/approve/", {}, format="json")
    url = f"{BASE}/team-requests/removed/"
    assert (
        len(as_moderator.get(url, {"updated_since": "2000-01-01T00:00:00Z"}).json()["results"]) == 1
    )
    assert as_moderator.get(url, {"updated_since": "2999-01-01T00:00:00Z"}).json()["results"] == []
    bad = as_moderator.get(url, {"updated_since": "soon"})
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["updated_since"]


# The staff area's history ---------------------------------------------------------------------


def history(obj) -> list[tuple[str, int]]:
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )
    return [(e.change_message, e.user_id) for e in entries]


def test_a_decision_is_in_the_staff_areas_history_as_the_admin_action_writes_it(
    as_moderator, moderator
):
    organisation = records.pending_organisation()
    as_moderator.post(f"{BASE}/organisations/{organisation.ref}/reject/", REASON, format="json")
    assert history(organisation) == [(f"Reject organisations: {REASON['reason']}", moderator.pk)]

    change = records.open_change()
    as_moderator.post(f"{BASE}/organisation-changes/{change.pk}/approve/", {}, format="json")
    assert history(change.organisation) == [("Approve changes of name or website", moderator.pk)]

    report = records.listing_report()
    as_moderator.post(f"{BASE}/reports/{report.pk}/dismiss/", REASON, format="json")
    message = f"Dismiss (no action needed): {REASON['reason']}"
    assert history(report) == [(message, moderator.pk)]
    assert history(report.listing) == [(f"Report {report.pk}. {message}", moderator.pk)]


def test_a_refused_decision_writes_no_history(as_moderator):
    organisation = OrganisationFactory(status=Organisation.Status.APPROVED)
    as_moderator.post(f"{BASE}/organisations/{organisation.ref}/approve/", {}, format="json")
    assert history(organisation) == []


# Found in review ------------------------------------------------------------------------


def test_rejecting_an_organisation_twice_is_a_409_and_emails_its_members_once(
    api, token_for, moderator
):
    from tests.factories import MembershipFactory

    organisation = OrganisationFactory(status="pending")
    MembershipFactory(organisation=organisation)
    bearer(api, token_for(moderator))
    path = f"/api/v1/staff/moderation/organisations/{organisation.ref}/reject/"
    first = api.post(path, {"reason": "Not an industrial organisation"}, format="json")
    assert first.status_code == 200
    sent = Email.objects.count()
    assert sent >= 1
    second = api.post(path, {"reason": "Still not"}, format="json")
    assert second.status_code == 409
    assert Email.objects.count() == sent


@pytest.mark.parametrize(
    "status, verb", [("approved", "reject"), ("rejected", "approve"), ("approved", "approve")]
)
def test_a_queue_decision_on_an_organisation_decided_already_is_a_409(
    api, token_for, moderator, status, verb
):
    """Found by an outside probe: rejecting an approved organisation (a colleague's decision,
    from a list read before it) through the queue was a 200 that took its listings down and
    emailed its members."""
    from tests.factories import ListingFactory, MembershipFactory

    organisation = OrganisationFactory(status=status)
    MembershipFactory(organisation=organisation)
    listing = ListingFactory(organisation=organisation, status="published")
    sent = Email.objects.count()
    bearer(api, token_for(moderator))
    path = f"/api/v1/staff/moderation/organisations/{organisation.ref}/{verb}/"
    response = api.post(path, {"reason": "Not an industrial organisation"}, format="json")
    assert response.status_code == 409
    said = {"approved": "approved", "rejected": "not approved"}[status]
    assert response.json()["message"].startswith(
        f"This organisation is no longer awaiting approval ({said})"
    )
    organisation.refresh_from_db()
    listing.refresh_from_db()
    assert (organisation.status, listing.status) == (status, "published")
    assert Email.objects.count() == sent


@pytest.mark.parametrize("reason", [["a", "b"], 12, {"text": "x"}, True])
def test_a_reason_that_is_not_text_is_a_400_and_changes_nothing(api, token_for, moderator, reason):
    organisation = OrganisationFactory(status="pending")
    bearer(api, token_for(moderator))
    path = f"/api/v1/staff/moderation/organisations/{organisation.ref}/reject/"
    response = api.post(path, {"reason": reason}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    organisation.refresh_from_db()
    assert organisation.status == "pending"


@pytest.mark.parametrize("body", ["[]", '"approve"', "3", "null"])
def test_a_decision_whose_body_is_not_an_object_is_a_400_and_decides_nothing(as_moderator, body):
    """Found in review: these approved the organisation, as if the body were {}."""
    organisation = records.pending_organisation()
    response = as_moderator.post(
        f"{BASE}/organisations/{organisation.ref}/approve/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:200]
    assert response.json()["errors"] == {
        "non_field_errors": [
            "Send one JSON object ({...}) holding the fields, not a list or a single value."
        ]
    }
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING
    assert not Email.objects.filter(key__startswith=f"organisation-approved:{organisation.pk}")
    # No body at all is still an approval without a reason.
    assert as_moderator.post(f"{BASE}/organisations/{organisation.ref}/approve/").status_code == 200
