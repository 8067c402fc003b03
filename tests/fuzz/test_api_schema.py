"""schemathesis over the API's OpenAPI schema, against the site through WSGI: anonymous, and
with a personal token that can read and write, of a member whose organisation has listings,
matches and an introduction (tests/fuzz/conftest.py `world`). No answer is a server error,
and every answer is as the schema describes it (status, content type, body).

- Every operation is tried, write operations included: with the token they run as the
  member would on the site's pages, so the bodies schemathesis makes reach the same checks.
- Path parameters are half the time a record of the world (a listing's ref, the
  organisation's, a match's or an introduction's id), so that requests reach real records and
  not only 404s; the other half, whatever schemathesis makes of them.
- Each example runs in a savepoint that is rolled back, so examples do not see each other's
  writes (a withdrawn listing stays published for the next one).
- Bounded: FUZZ_EXAMPLES (tests/fuzz/strategies.py) examples per operation and actor, times
  0.6 (15 by default).

The schema is made in-process by drf-spectacular and loaded at module level (the pytest
fixture loader of schemathesis has broken with new pytest releases).
"""

import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import create_token
from config.wsgi import application
from tests.fuzz.strategies import fuzz

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Real values for path parameters, by the path segment before the parameter
# ("/listings/{ref}/" -> "listings") or else by the parameter's name. Filled in by the
# `known_records` fixture before each test draws its examples.
REAL: dict[str, list[str]] = {}


@schema.hook("flatmap_path_parameters")
def sometimes_real_records(context, path_parameters):
    """Half the examples address a record of the world instead of a made-up one."""
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    options = {}
    for name in path_parameters:
        segment = re.search(rf"/([^/{{}}]+)/\{{{re.escape(name)}\}}", path)
        values = REAL.get(segment.group(1) if segment else "") or REAL.get(name)
        if values:
            options[name] = st.sampled_from(values)
    if not options:
        return st.just(path_parameters)
    real = st.fixed_dictionaries(options).map(lambda chosen: {**path_parameters, **chosen})
    return st.one_of(st.just(path_parameters), real)


@pytest.fixture
def known_records(world):
    from matching.models import Match

    listings = [world.need.ref, world.draft.ref, world.offer.ref]
    organisations = [world.organisation.ref, world.offer.organisation.ref]
    matches = [str(pk) for pk in Match.objects.values_list("pk", flat=True)]
    introductions = [str(world.introduction.public_id), str(world.introduction.pk)]
    REAL.clear()
    REAL.update(
        {
            "listings": listings,
            "listing_ref": listings,
            "organisations": organisations,
            "organisation_ref": organisations,
            "challenges": [world.challenge.ref],
            "clusters": [world.need.clusters.first().slug],
            "themes": [world.need.themes.first().slug],
            "matches": matches,
            "introductions": introductions,
        }
    )
    yield
    REAL.clear()


@pytest.fixture
def wsgi_app(world):
    """The site's WSGI application, sharing the test's database transaction.

    Django closes "old" connections at the start and end of each request; inside a test's
    transaction that would end it, so (as Django's own test client does) it is switched off.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["anonymous", "token"])
def headers(request, world) -> dict:
    if request.param == "anonymous":
        return {}
    _, secret = create_token(world.member, "Fuzzing", "write")
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(fuzz, max_examples=max(10, round(fuzz.max_examples * 0.6)))
def test_the_api_answers_every_request_as_its_schema_says(case, wsgi_app, headers, known_records):
    with transaction.atomic():
        case.call_and_validate(app=wsgi_app, headers=headers, checks=CHECKS)
        transaction.set_rollback(True)
