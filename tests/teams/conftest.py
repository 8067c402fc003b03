"""Fixtures for cluster teams: a team member of Humber, and people who are not."""

import pytest

from tests.factories import ChallengeFactory, ClusterFactory, ClusterTeamMemberFactory


@pytest.fixture
def team_member(db):
    """An approved member of the Humber cluster's team (and of no organisation)."""
    return ClusterTeamMemberFactory().user


@pytest.fixture
def other_team_member(db):
    """An approved member of another cluster's team."""
    return ClusterTeamMemberFactory(cluster=ClusterFactory(slug="solent")).user


@pytest.fixture
def pending_member(db):
    """Someone who asked to join the Humber team and is still waiting."""
    return ClusterTeamMemberFactory(status="pending").user


@pytest.fixture
def challenge(db):
    return ChallengeFactory(themes=["ccus"], set_by="Humber Industrial Cluster Plan")


@pytest.fixture
def other_challenge(db):
    """A challenge of another cluster."""
    return ChallengeFactory(cluster=ClusterFactory(slug="solent"))
