"""A permission matrix: each endpoint and method, with the status every actor must get.

    cells = [
        Cell("get", "/api/v1/organisations/{org_a}/", {
            "anonymous": 401, "member_a": 200, "member_b": 404, "team": 404,
            "triager": 404, "moderator": 404, "programme_admin": 404, "superuser": 404,
        }),
        Cell("patch", lambda a: f"/api/v1/organisations/{a.org_a.ref}/", {...}, body={...}),
    ]
    check_matrix(api, actors, cells, token_for)

Every actor in tests.api.conftest.ACTOR_NAMES must have an expected status in every cell
(a missing one fails the test: nobody is left out by accident). Each actor calls with a
read-and-write token (anonymous with none); `read_token` cells are checked again with a
read-only token, where every unsafe method must answer 403 for a signed-in actor (the
scope is checked before the record is looked up), unless the address does not offer the
method at all (405 for everyone).
`path` is a string formatted with `org_a`/`org_b` refs and `cluster` slug, or a callable
taking the actors (for records made in the test). `body` may also be a callable
(actors -> dict). `setup(actors)` runs before each actor's call (e.g. to make a fresh record,
so that one actor's write does not change what the next one sees); its return value is
passed to callables of path and body as a second argument when they take two.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.api.conftest import ACTOR_NAMES, bearer


@dataclass
class Cell:
    method: str
    path: Any  # str or callable(actors[, made])
    expect: dict[str, int]
    body: Any = None  # dict or callable(actors[, made])
    setup: Callable | None = None
    read_token: bool = True
    label: str = field(default="")


def _call(value, actors, made):
    if not callable(value):
        return value
    arguments = len(inspect.signature(value).parameters)
    return value(actors, made) if arguments >= 2 else value(actors)


def _path(cell: Cell, actors, made) -> str:
    if callable(cell.path):
        return _call(cell.path, actors, made)
    return cell.path.format(
        org_a=actors.org_a.ref, org_b=actors.org_b.ref, cluster=actors.team_cluster.slug
    )


def check_matrix(api, actors, cells: list[Cell], token_for) -> None:
    """Call every cell as every actor; one assertion error listing every wrong cell."""
    tokens = {
        name: (token_for(user, "write"), token_for(user, "read"))
        for name, user in actors.items()
        if user is not None
    }
    wrong = []
    for cell in cells:
        missing = set(ACTOR_NAMES) - set(cell.expect)
        assert not missing, f"{cell.method.upper()} {cell.path}: no expectation for {missing}"
        for name in ACTOR_NAMES:
            scopes = [0, 1] if cell.read_token and name != "anonymous" else [0]
            for scope in scopes:
                made = cell.setup(actors) if cell.setup else None
                path = _path(cell, actors, made)
                body = _call(cell.body, actors, made)
                bearer(api, tokens[name][scope] if name != "anonymous" else None)
                response = getattr(api, cell.method)(path, body, format="json")
                expected = cell.expect[name]
                if scope == 1 and cell.method not in ("get", "head", "options") and expected != 405:
                    # A read-only token never writes: refused (403) before anything else
                    # is looked at, whoever holds it (after a method the address does not
                    # offer at all: 405 for everyone).
                    expected = 403
                if response.status_code != expected:
                    wrong.append(
                        f"{cell.method.upper()} {path} as {name}"
                        f"{' (read-only token)' if scope else ''}: "
                        f"{response.status_code}, expected {expected}"
                        f" {getattr(response, 'data', '')!s:.200}"
                    )
    bearer(api, None)
    assert not wrong, "\n".join(wrong)
