"""Fixtures for API tests: a client, personal tokens, and one user in every role."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """A DRF test client; `bearer(api, secret)` signs it in with a token."""
    return APIClient()


def bearer(client: APIClient, secret: str | None) -> APIClient:
    """Send `secret` as the personal token from now on (None: no token)."""
    if secret is None:
        client.credentials()
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def token_for(db):
    """`token_for(user, scope="write") -> secret`: a new personal token of `user`."""
    from api.services import create_token

    def make(user, scope: str = "write", name: str = "Tests") -> str:
        return create_token(user, name, scope)[1]

    return make


class Actors(dict):
    """Users by role name; `org_a`, `org_b` the two organisations; `team_cluster` the team's."""

    org_a = None
    org_b = None
    team_cluster = None


ACTOR_NAMES = (
    "anonymous",
    "member_a",
    "member_b",
    "team",
    "triager",
    "moderator",
    "programme_admin",
    "superuser",
)


@pytest.fixture
def actors(db, triager, moderator, programme_admin):
    """One user per role (see ACTOR_NAMES; "anonymous" maps to None).

    member_a: an admin member of org_a (approved, in the Humber cluster);
    member_b: an admin member of org_b, another approved organisation;
    team: an approved member of the Humber cluster's team, in no organisation;
    triager, moderator, programme_admin: staff in each role (staff.roles);
    superuser: staff with every permission.
    """
    from clusters.models import Cluster
    from tests.factories import (
        ClusterTeamMemberFactory,
        MembershipFactory,
        OrganisationFactory,
        UserFactory,
    )

    humber = Cluster.objects.get(slug="humber")
    org_a = OrganisationFactory(name="Alpha Heat Ltd")
    org_a.clusters.add(humber)
    org_b = OrganisationFactory(name="Beta Hydrogen Ltd")
    found = Actors(
        anonymous=None,
        member_a=MembershipFactory(organisation=org_a).user,
        member_b=MembershipFactory(organisation=org_b).user,
        team=ClusterTeamMemberFactory(cluster=humber).user,
        triager=triager,
        moderator=moderator,
        programme_admin=programme_admin,
        superuser=UserFactory(is_staff=True, is_superuser=True),
    )
    found.org_a, found.org_b, found.team_cluster = org_a, org_b, humber
    return found
