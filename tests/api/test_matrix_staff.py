"""The staff API's permission matrix: every endpoint and method, as every actor, with a
read-and-write token and (for writes) a read-only one.

Reading needs the model's "view" (or "change") permission, as the admin's list page does;
each decision needs that and the permission of the same admin action (staff/roles.py).
"""

import pytest

from tests.api import staff_records as records
from tests.api.matrix import Cell, check_matrix

pytestmark = pytest.mark.django_db

ANONYMOUS = {"anonymous": 401}
NOT_STAFF = {"member_a": 403, "member_b": 403, "team": 403}


def expect(*, triager: int, moderator: int, programme_admin: int, superuser: int) -> dict:
    return {
        **ANONYMOUS,
        **NOT_STAFF,
        "triager": triager,
        "moderator": moderator,
        "programme_admin": programme_admin,
        "superuser": superuser,
    }


TRIAGE = {"triager": 200, "moderator": 403, "programme_admin": 200, "superuser": 200}
NOT_OFFERED = dict.fromkeys([*ANONYMOUS, *NOT_STAFF, *TRIAGE], 405)
MODERATE = {"triager": 403, "moderator": 200, "programme_admin": 200, "superuser": 200}
REASON = {"reason": "Checked against Companies House."}


def enquiry_cells() -> list[Cell]:
    def made(actors):
        return records.enquiry()

    return [
        Cell("get", "/api/v1/staff/enquiries/", expect(**TRIAGE)),
        Cell(
            "get",
            lambda a, e: f"/api/v1/staff/enquiries/{e.reference}/",
            expect(**TRIAGE),
            setup=made,
        ),
        Cell(
            "get",
            lambda a, e: f"/api/v1/staff/enquiries/{e.pk}/",
            expect(**TRIAGE),
            setup=made,
        ),
        Cell(
            "patch",
            lambda a, e: f"/api/v1/staff/enquiries/{e.reference}/",
            expect(**TRIAGE),
            body={"status": "triaged", "priority": "high"},
            setup=made,
        ),
        # Enquiries are never deleted, nor replaced whole: 405 for everyone (a method an
        # address does not offer is refused first, whoever asks).
        Cell(
            "delete",
            lambda a, e: f"/api/v1/staff/enquiries/{e.reference}/",
            NOT_OFFERED,
            setup=made,
        ),
        Cell(
            "put",
            lambda a, e: f"/api/v1/staff/enquiries/{e.reference}/",
            NOT_OFFERED,
            body={"status": "closed"},
            setup=made,
        ),
        Cell(
            "post",
            lambda a, e: f"/api/v1/staff/enquiries/{e.reference}/notes/",
            expect(**{**TRIAGE, "triager": 201, "programme_admin": 201, "superuser": 201}),
            body={"body": "Rang them back."},
            setup=made,
        ),
    ]


def queue_cells(queue: str, make, key=lambda record: record.pk, verbs=("approve", "reject")):
    cells = [
        Cell("get", f"/api/v1/staff/moderation/{queue}/", expect(**MODERATE)),
        Cell("get", f"/api/v1/staff/moderation/{queue}/removed/", expect(**MODERATE)),
        Cell(
            "get",
            lambda a, r: f"/api/v1/staff/moderation/{queue}/{key(r)}/",
            expect(**MODERATE),
            setup=lambda a: make(),
        ),
    ]
    for verb in verbs:
        cells.append(
            Cell(
                "post",
                lambda a, r, verb=verb: f"/api/v1/staff/moderation/{queue}/{key(r)}/{verb}/",
                expect(**MODERATE),
                body=REASON,
                setup=lambda a: make(),
            )
        )
    return cells


def report_cells() -> list[Cell]:
    base = "/api/v1/staff/moderation/reports"
    return [
        Cell("get", f"{base}/", expect(**MODERATE)),
        Cell("get", f"{base}/removed/", expect(**MODERATE)),
        Cell(
            "get",
            lambda a, r: f"{base}/{r.pk}/",
            expect(**MODERATE),
            setup=lambda a: records.listing_report(),
        ),
        Cell(
            "post",
            lambda a, r: f"{base}/{r.pk}/dismiss/",
            expect(**MODERATE),
            body=REASON,
            setup=lambda a: records.listing_report(),
        ),
        Cell(
            "post",
            lambda a, r: f"{base}/{r.pk}/take-down/",
            expect(**MODERATE),
            body=REASON,
            setup=lambda a: records.listing_report(),
        ),
        Cell(
            "post",
            lambda a, r: f"{base}/{r.pk}/refer/",
            expect(**MODERATE),
            body=REASON,
            setup=lambda a: records.organisation_report(),
        ),
        # Resolving is for programme admins only (reports.resolve_report).
        Cell(
            "post",
            lambda a, r: f"{base}/{r.pk}/resolve/",
            expect(triager=403, moderator=403, programme_admin=200, superuser=200),
            body=REASON,
            setup=lambda a: records.organisation_report(),
        ),
    ]


def test_the_enquiry_endpoints_answer_each_actor_as_their_role_allows(api, actors, token_for):
    check_matrix(api, actors, enquiry_cells(), token_for)


@pytest.mark.parametrize(
    ("queue", "make", "key"),
    [
        ("organisations", records.pending_organisation, lambda o: o.ref),
        ("organisation-changes", records.open_change, lambda c: c.pk),
        ("listing-reviews", records.open_review, lambda r: r.pk),
        ("team-requests", records.team_request, lambda m: m.pk),
    ],
)
def test_each_moderation_queue_answers_each_actor_as_their_role_allows(
    api, actors, token_for, queue, make, key
):
    check_matrix(api, actors, queue_cells(queue, make, key), token_for)


def test_the_report_queue_answers_each_actor_as_their_role_allows(api, actors, token_for):
    check_matrix(api, actors, report_cells(), token_for)
