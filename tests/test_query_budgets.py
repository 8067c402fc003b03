"""How many queries the pages of issue #12 take, held as the data grows (the brief: query
counts per page are asserted in tests)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ChallengeFactory,
    ClusterTeamMemberFactory,
    ListingFactory,
    MembershipFactory,
    OrganisationFactory,
    ShortlistFactory,
)

pytestmark = pytest.mark.django_db


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def world(size: int):
    """A member in `size` organisations, each with `size` listings; a team member whose
    challenge has `size` shortlisted offers; someone else's offer to ask about."""
    membership = MembershipFactory()
    user = membership.user
    for _ in range(size - 1):
        MembershipFactory(user=user)
    for org in [m.organisation for m in user.memberships.all()]:
        for _ in range(size):
            ListingFactory(organisation=org, kind="need")
    target = ListingFactory(organisation=OrganisationFactory(), kind="offer")
    ClusterTeamMemberFactory(user=user)
    challenge = ChallengeFactory()
    for _ in range(size):
        ShortlistFactory(challenge=challenge, listing=ListingFactory(kind="offer"))
    entry = ShortlistFactory(challenge=challenge, listing=target)
    own = ListingFactory(organisation=membership.organisation, kind="offer")
    return user, target, challenge, entry, own


def urls(target, challenge, entry, own):
    team = f"/clusters/humber/team/challenges/{challenge.ref}"
    return {
        "ask": (f"/listings/{target.ref}/introduction/", True),
        "report listing": (f"/listings/{target.ref}/report/", False),
        "report organisation": (f"/organisations/{target.organisation.ref}/report/", False),
        "join team": ("/clusters/teesside/team/join/", True),
        "team challenge": (f"{team}/", True),
        "team review": (f"{team}/review/", True),
        "team introduce": (f"{team}/shortlist/{entry.listing.ref}/introduce/", True),
        "keep open": (f"/listings/{own.ref}/keep-open/", True),
        "offer a solution": (f"/challenges/{challenge.ref}/offer/", True),
    }


BUDGET = {
    "ask": 5,
    "report listing": 1,
    "report organisation": 1,
    "join team": 4,
    "team challenge": 11,
    "team review": 5,
    "team introduce": 8,  # one more: whether anyone at the offer's organisation could answer
    "keep open": 5,
    "offer a solution": 4,
}


def test_each_page_takes_as_many_queries_with_more_data_and_stays_in_budget(client):
    small = world(2)
    client.force_login(small[0])
    few = {
        name: count(client, url) if signed_in else None
        for name, (url, signed_in) in urls(*small[1:]).items()
    }
    big = world(6)
    client.force_login(big[0])
    many = {
        name: count(client, url) if signed_in else None
        for name, (url, signed_in) in urls(*big[1:]).items()
    }
    client.logout()
    for name, (url, signed_in) in urls(*big[1:]).items():
        if not signed_in:
            many[name] = count(client, url)
            few[name] = many[name]
    for name in BUDGET:
        # Never more with six times the data (one fewer once a cache is warm is fine).
        assert many[name] <= few[name] <= BUDGET[name], (name, few[name], many[name])
