"""Who may call each endpoint of the public data and of an organisation's own listings.

Public reads answer everyone alike. An organisation and its listings answer its members
only: anyone else signed in (another organisation's member, a cluster team, every staff
role, a superuser) gets the 404 the pages give (member_views._my_organisation), and a
read-only token may read but never write (403, before anything else is looked at).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.services import record_removal
from clusters.models import Listing
from tests.api.matrix import Cell, check_matrix
from tests.factories import ChallengeFactory, ListingFactory

pytestmark = pytest.mark.django_db

EVERYONE = dict.fromkeys(
    [
        "anonymous",
        "member_a",
        "member_b",
        "team",
        "triager",
        "moderator",
        "programme_admin",
        "superuser",
    ]
)


def everyone(status: int, **others) -> dict:
    return {**dict.fromkeys(EVERYONE, status), **others}


def members_only(status: int) -> dict:
    """`status` for org A's member, 401 without a token, 404 for everyone else."""
    return everyone(404, anonymous=401, member_a=status)


def listing_of(organisation, **fields):
    return ListingFactory(organisation=organisation, themes=["ccus"], **fields)


NEW_LISTING = {
    "kind": "need",
    "title": "A heat pump for a drying line",
    "description": "About 2 MW of heat at 120 °C.",
    "themes": ["energy-efficiency"],
    "clusters": ["humber"],
}


@pytest.fixture
def public_records():
    ListingFactory(ref="L-public", themes=["ccus"])
    ChallengeFactory(ref="ch-public")
    record_removal("listing", "L-gone", reason="deleted")


def test_public_reads_answer_everyone_and_refuse_writes(api, actors, token_for, public_records):
    cells = [
        Cell("get", "/api/v1/clusters/", everyone(200)),
        Cell("get", "/api/v1/clusters/humber/", everyone(200)),
        Cell("get", "/api/v1/themes/", everyone(200)),
        Cell("get", "/api/v1/themes/ccus/", everyone(200)),
        Cell("get", "/api/v1/challenges/", everyone(200)),
        Cell("get", "/api/v1/challenges/ch-public/", everyone(200)),
        Cell("get", "/api/v1/challenges/removed/", everyone(200)),
        Cell("get", "/api/v1/listings/", everyone(200)),
        Cell("get", "/api/v1/listings/L-public/", everyone(200)),
        Cell("get", "/api/v1/listings/removed/", everyone(200)),
        # Read-only: no writes here, whoever asks (a read-only token: 403 before that).
        Cell("post", "/api/v1/listings/", everyone(405), body=NEW_LISTING),
        Cell("patch", "/api/v1/listings/L-public/", everyone(405), body={}),
        Cell("delete", "/api/v1/listings/L-public/", everyone(405)),
        Cell("post", "/api/v1/challenges/", everyone(405), body={}),
    ]
    check_matrix(api, actors, cells, token_for)


def test_an_organisation_answers_its_members_only(api, actors, token_for):
    cells = [
        # Everyone signed in has a list of their own organisations (empty if none).
        Cell("get", "/api/v1/organisations/", everyone(200, anonymous=401)),
        Cell("get", "/api/v1/organisations/{org_a}/", members_only(200)),
        Cell(
            "patch",
            "/api/v1/organisations/{org_a}/",
            members_only(200),
            body={"description": "We make heat pumps."},
        ),
        # Not methods of this address, whatever the record (so nothing is revealed).
        Cell("put", "/api/v1/organisations/{org_a}/", everyone(405), body={}),
        Cell("delete", "/api/v1/organisations/{org_a}/", everyone(405)),
        Cell("get", "/api/v1/organisations/org-nowhere/", everyone(404, anonymous=401)),
    ]
    check_matrix(api, actors, cells, token_for)


def test_an_organisations_listings_answer_its_members_only(api, actors, token_for):
    def draft(a):
        return listing_of(a.org_a, status=Listing.Status.DRAFT)

    def published(a):
        return listing_of(a.org_a, expires_on=timezone.localdate() + timedelta(days=5))

    def at(suffix=""):
        return lambda a, made: f"/api/v1/organisations/{a.org_a.ref}/listings/{made.ref}/{suffix}"

    cells = [
        Cell("get", "/api/v1/organisations/{org_a}/listings/", members_only(200)),
        Cell("get", "/api/v1/organisations/{org_a}/listings/removed/", members_only(200)),
        Cell(
            "post", "/api/v1/organisations/{org_a}/listings/", members_only(201), body=NEW_LISTING
        ),
        Cell("get", at(), members_only(200), setup=draft),
        Cell("patch", at(), members_only(200), setup=draft, body={"title": "A new title"}),
        Cell("put", at(), everyone(405), setup=draft, body=NEW_LISTING),
        Cell("delete", at(), everyone(405), setup=draft),
        Cell("post", at("publish/"), members_only(200), setup=draft),
        Cell("post", at("withdraw/"), members_only(200), setup=published),
        Cell("post", at("renew/"), members_only(200), setup=published),
        # A listing of org A is not found under org B, even by org A's own member.
        Cell(
            "get",
            lambda a, made: f"/api/v1/organisations/{a.org_b.ref}/listings/{made.ref}/",
            everyone(404, anonymous=401),
            setup=draft,
        ),
        Cell(
            "post",
            lambda a, made: f"/api/v1/organisations/{a.org_b.ref}/listings/{made.ref}/publish/",
            everyone(404, anonymous=401),
            setup=draft,
        ),
    ]
    check_matrix(api, actors, cells, token_for)


def test_organisation_b_is_answered_to_its_own_member_alone(api, actors, token_for):
    cells = [
        Cell("get", "/api/v1/organisations/{org_b}/", everyone(404, anonymous=401, member_b=200)),
        Cell(
            "get",
            "/api/v1/organisations/{org_b}/listings/",
            everyone(404, anonymous=401, member_b=200),
        ),
        Cell(
            "post",
            "/api/v1/organisations/{org_b}/listings/",
            everyone(404, anonymous=401, member_b=201),
            body=NEW_LISTING,
        ),
    ]
    check_matrix(api, actors, cells, token_for)


def test_a_session_is_enough_and_a_read_only_token_never_writes(api, actors, token_for):
    """The matrix calls with tokens; the site's own session works too, with the same rules."""
    listing = listing_of(actors.org_a, status=Listing.Status.DRAFT)
    base = f"/api/v1/organisations/{actors.org_a.ref}/listings/{listing.ref}/"
    api.force_login(actors["member_a"])
    assert api.post(base + "publish/").status_code == 200
    api.force_login(actors["member_b"])
    assert api.post(base + "withdraw/").status_code == 404
    api.logout()
    from tests.api.conftest import bearer

    bearer(api, token_for(actors["member_a"], "read"))
    response = api.post(base + "withdraw/")
    assert response.status_code == 403
    assert "can only read" in response.json()["message"]
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
