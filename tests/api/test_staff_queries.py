"""Every staff list answers with the same number of queries for 10 and for 500 records."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from clusters.models import (
    Cluster,
    Listing,
    ListingReview,
    Membership,
    Organisation,
    OrganisationChange,
)
from enquiries.models import Enquiry, Message
from reports.models import Report
from teams.models import ClusterTeamMember
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

# The most any staff list may take (token, user, permissions, the page, its related rows).
BUDGET = 6


def users(prefix: str, count: int) -> list[User]:
    return User.objects.bulk_create(
        User(email=f"{prefix}{n}@example.org", name=f"Person {n}", password="!")
        for n in range(count)
    )


def organisations(prefix: str, count: int, status: str) -> list[Organisation]:
    made = Organisation.objects.bulk_create(
        Organisation(ref=f"{prefix}-{n}", name=f"Org {prefix} {n}", kind="business", status=status)
        for n in range(count)
    )
    people = users(prefix, count)
    Membership.objects.bulk_create(
        Membership(user=user, organisation=org, role="admin")
        for user, org in zip(people, made, strict=True)
    )
    humber = Cluster.objects.get(slug="humber")
    Organisation.clusters.through.objects.bulk_create(
        Organisation.clusters.through(organisation=org, cluster=humber) for org in made
    )
    return made


def make_enquiries(prefix: str, count: int, assignee) -> None:
    humber = Cluster.objects.get(slug="humber")
    made = Enquiry.objects.bulk_create(
        Enquiry(
            reference=f"GC-2026-{prefix}{n:05d}",
            name="Ada",
            email=f"ada{n}@example.org",
            cluster=humber,
            assignee=assignee,
            status="assigned",
        )
        for n in range(count)
    )
    Message.objects.bulk_create(Message(enquiry=e, direction="inbound", body="Hello") for e in made)


def make_changes(prefix: str, count: int) -> None:
    orgs = organisations(prefix, count, "approved")
    OrganisationChange.objects.bulk_create(
        OrganisationChange(organisation=org, name=f"New {org.name}", requested_by=None)
        for org in orgs
    )


def make_reviews(prefix: str, count: int) -> None:
    orgs = organisations(prefix, count, "approved")
    listings = Listing.objects.bulk_create(
        Listing(
            ref=f"L-{prefix}-{n}",
            organisation=org,
            kind="offer",
            title="A listing",
            status="taken_down",
            taken_down_at=timezone.now(),
        )
        for n, org in enumerate(orgs)
    )
    ListingReview.objects.bulk_create(ListingReview(listing=listing) for listing in listings)


def make_team_requests(prefix: str, count: int) -> None:
    humber = Cluster.objects.get(slug="humber")
    ClusterTeamMember.objects.bulk_create(
        ClusterTeamMember(user=user, cluster=humber, body="Humber plan", status="pending")
        for user in users(prefix, count)
    )


def make_reports(prefix: str, count: int) -> None:
    orgs = organisations(prefix, count, "approved")
    Report.objects.bulk_create(
        Report(kind="organisation", organisation=org, reason="spam", email="a@example.org")
        for org in orgs
    )


LISTS = [
    ("/api/v1/staff/enquiries/", "triager", make_enquiries),
    ("/api/v1/staff/moderation/organisations/", "moderator", None),
    ("/api/v1/staff/moderation/organisation-changes/", "moderator", make_changes),
    ("/api/v1/staff/moderation/listing-reviews/", "moderator", make_reviews),
    ("/api/v1/staff/moderation/team-requests/", "moderator", make_team_requests),
    ("/api/v1/staff/moderation/reports/", "moderator", make_reports),
]


@pytest.mark.parametrize(("path", "role", "make"), LISTS, ids=[p for p, _, _ in LISTS])
def test_each_staff_list_takes_the_same_queries_for_10_and_500_records(
    api, request, token_for, path, role, make
):
    user = request.getfixturevalue(role)
    bearer(api, token_for(user))
    # The token's first use is recorded (an update); later uses within a minute are not.
    assert api.get(path).status_code == 200

    def queries_for(total: int, prefix: str) -> int:
        if make is None:
            organisations(prefix, total, "pending")
        elif make is make_enquiries:
            make(prefix, total, user)
        else:
            make(prefix, total)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(path, {"page_size": 500})
        assert response.status_code == 200
        return len(response.json()["results"]), len(captured)

    rows_10, small = queries_for(10, "a")
    rows_510, large = queries_for(500, "b")
    assert (rows_10, rows_510) == (10, 500)
    assert small == large <= BUDGET, (small, large)


DECIDED = [
    ("organisations", None, Organisation, {"status": "approved", "reviewed_at": timezone.now()}),
    ("organisation-changes", make_changes, OrganisationChange, {"status": "approved"}),
    ("listing-reviews", make_reviews, ListingReview, {"status": "restored"}),
    ("team-requests", make_team_requests, ClusterTeamMember, {"status": "approved"}),
    ("reports", make_reports, Report, {"status": "dismissed"}),
]


@pytest.mark.parametrize(
    ("queue", "make", "model", "decision"), DECIDED, ids=[d[0] for d in DECIDED]
)
def test_each_removals_list_takes_the_same_queries_for_10_and_500_records(
    api, moderator, token_for, queue, make, model, decision
):
    path = f"/api/v1/staff/moderation/{queue}/removed/"
    bearer(api, token_for(moderator))
    assert api.get(path).status_code == 200

    def queries_for(total: int, prefix: str):
        if make is None:
            organisations(prefix, total, "pending")
        else:
            make(prefix, total)
        decided = {"decided_at": timezone.now(), **decision}
        if model is Organisation:
            decided = decision
        model.objects.filter(pk__in=list(model.objects.values_list("pk", flat=True))).update(
            **decided
        )
        with CaptureQueriesContext(connection) as captured:
            response = api.get(path, {"page_size": 500})
        assert response.status_code == 200
        return len(response.json()["results"]), len(captured)

    rows_10, small = queries_for(10, "a")
    rows_510, large = queries_for(500, "b")
    assert (rows_10, rows_510) == (10, 500)
    assert small == large <= BUDGET, (small, large)
