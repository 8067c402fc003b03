"""Who may call the API of matches, introductions, saved searches, the data export and the
cluster team's challenges: every endpoint and method, as every actor (issue #15)."""

import pytest

from tests.api.matrix import Cell, check_matrix
from tests.factories import (
    ChallengeFactory,
    IntroductionFactory,
    ListingFactory,
    MatchFactory,
    SavedSearchFactory,
)

pytestmark = pytest.mark.django_db

STAFF_AND_OTHERS = ("member_b", "team", "triager", "moderator", "programme_admin", "superuser")


def only(actor: str, status: int, *, anonymous: int = 401, others: int = 404) -> dict:
    """`actor` gets `status`; anonymous 401; everyone else `others`."""
    expect = {"anonymous": anonymous, "member_a": others, **dict.fromkeys(STAFF_AND_OTHERS, others)}
    expect[actor] = status
    return expect


def everyone(status: int) -> dict:
    return {"anonymous": 401, "member_a": status, **dict.fromkeys(STAFF_AND_OTHERS, status)}


def a_match(actors):
    source = ListingFactory(organisation=actors.org_a, kind="need")
    return MatchFactory(source_listing=source, target=ListingFactory(organisation=actors.org_b))


def a_request_to_a(actors):
    """An open request from org B to org A, asked by someone other than the actors."""
    return IntroductionFactory(
        source_listing=ListingFactory(organisation=actors.org_b, kind="need"),
        target_listing=ListingFactory(organisation=actors.org_a),
    )


def matches_cells():
    return [
        Cell("get", "/api/v1/organisations/{org_a}/matches/", only("member_a", 200)),
        Cell("get", "/api/v1/organisations/{org_b}/matches/", only("member_b", 200)),
        Cell("get", "/api/v1/organisations/{org_a}/matches/removed/", only("member_a", 200)),
        Cell("get", "/api/v1/organisations/{org_b}/matches/removed/", only("member_b", 200)),
        Cell(
            "post",
            lambda a, match: f"/api/v1/organisations/{a.org_a.ref}/matches/{match.pk}/answer/",
            only("member_a", 200),
            body={"answer": "interested"},
            setup=a_match,
        ),
        # The match exists, but under another organisation's address: 404 for all.
        Cell(
            "post",
            lambda a, match: f"/api/v1/organisations/{a.org_b.ref}/matches/{match.pk}/answer/",
            only("member_b", 404),
            body={"answer": "interested"},
            setup=a_match,
        ),
    ]


def introductions_cells():
    return [
        Cell("get", "/api/v1/organisations/{org_a}/introductions/", only("member_a", 200)),
        Cell(
            "post",
            "/api/v1/organisations/{org_a}/introductions/",
            only("member_a", 201),
            body=lambda a, target: {"target_listing": target.ref, "message": "Hello."},
            setup=lambda a: ListingFactory(organisation=a.org_b),
        ),
        Cell(
            "get",
            lambda a, made: f"/api/v1/introductions/{made.public_id}/",
            {**only("member_a", 200), "member_b": 200},  # both sides read it
            setup=a_request_to_a,
        ),
        Cell(
            "post",
            lambda a, made: f"/api/v1/introductions/{made.public_id}/accept/",
            # The asking side reads it, but is told it cannot answer.
            {**only("member_a", 200), "member_b": 403},
            setup=a_request_to_a,
        ),
        Cell(
            "post",
            lambda a, made: f"/api/v1/introductions/{made.public_id}/decline/",
            {**only("member_a", 200), "member_b": 403},
            body={"tell": "now"},
            setup=a_request_to_a,
        ),
    ]


def saved_searches_cells():
    mine = lambda a: SavedSearchFactory(user=a["member_a"])  # noqa: E731
    return [
        Cell("get", "/api/v1/saved-searches/", everyone(200)),
        Cell("get", "/api/v1/saved-searches/removed/", everyone(200)),
        Cell("post", "/api/v1/saved-searches/", everyone(201), body={"page": "offers"}),
        Cell(
            "get",
            lambda a, made: f"/api/v1/saved-searches/{made.ref}/",
            only("member_a", 200),
            setup=mine,
        ),
        Cell(
            "patch",
            lambda a, made: f"/api/v1/saved-searches/{made.ref}/",
            only("member_a", 200),
            body={"name": "Renamed"},
            setup=mine,
        ),
        Cell(
            "delete",
            lambda a, made: f"/api/v1/saved-searches/{made.ref}/",
            only("member_a", 204),
            setup=mine,
        ),
    ]


def export_cells():
    # A read-only token cannot export (tests/api/test_account_export.py): not in the matrix.
    return [Cell("get", "/api/v1/account/export/", everyone(200), read_token=False)]


def team_cells():
    challenge = lambda a: ChallengeFactory(cluster=a.team_cluster, themes=["ccus"])  # noqa: E731
    base = "/api/v1/clusters/{cluster}/challenges/"
    one = lambda a, made: f"/api/v1/clusters/{a.team_cluster.slug}/challenges/{made.ref}/"  # noqa: E731
    return [
        Cell("get", base, only("team", 200)),
        Cell(
            "post",
            base,
            only("team", 201),
            body={"title": "New", "description": "Something to solve.", "themes": ["ccus"]},
        ),
        Cell("get", one, only("team", 200), setup=challenge),
        Cell("patch", one, only("team", 200), body={"title": "Changed"}, setup=challenge),
        Cell(
            "post",
            lambda a, made: one(a, made) + "close/",
            only("team", 200),
            body={"reason": "Solved."},
            setup=challenge,
        ),
        Cell(
            "post",
            lambda a, made: one(a, made) + "reopen/",
            only("team", 200),
            body={"reason": "Not solved after all."},
            setup=lambda a: ChallengeFactory(cluster=a.team_cluster, status="closed"),
        ),
        # Another cluster's team area: nobody's.
        Cell("get", "/api/v1/clusters/teesside/challenges/", only("team", 404)),
    ]


def test_matches_matrix(api, actors, token_for):
    check_matrix(api, actors, matches_cells(), token_for)


def test_introductions_matrix(api, actors, token_for):
    check_matrix(api, actors, introductions_cells(), token_for)


def test_saved_searches_matrix(api, actors, token_for):
    check_matrix(api, actors, saved_searches_cells(), token_for)


def test_export_matrix(api, actors, token_for):
    check_matrix(api, actors, export_cells(), token_for)


def test_team_challenges_matrix(api, actors, token_for):
    check_matrix(api, actors, team_cells(), token_for)
