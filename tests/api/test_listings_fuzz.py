"""schemathesis over an organisation's own endpoints (its details, its listings and their
actions), as its member with a read-and-write token, at the addresses of real records: no
server error, and every answer (200s and 201s included) as the schema describes it.

The fuzz tests of the whole API (tests/fuzz/) try random references, which are 404s here;
this reaches the forms and services behind them with every kind of odd input.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import create_token
from config.wsgi import application
from tests.factories import ListingFactory
from tests.fuzz.strategies import fuzz

schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True)
).include(path_regex=r"^/api/v1/organisations/(\{ref\}/$|\{organisation_ref\}/listings/)")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def world(member, organisation):
    listing = ListingFactory(organisation=organisation, themes=["ccus"], clusters=["humber"])
    secret = create_token(member, "Fuzz", "write")[1]
    places = {"ref": organisation.ref, "organisation_ref": organisation.ref}
    places["listing_ref"] = listing.ref
    return secret, places


@pytest.fixture
def wsgi_app():
    """The site's WSGI application inside the test's transaction (as tests/fuzz/ does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(fuzz, max_examples=max(10, round(fuzz.max_examples * 0.6)))
def test_an_organisations_own_endpoints_answer_its_member_as_the_schema_says(case, wsgi_app, world):
    secret, places = world
    case.path_parameters = {name: places[name] for name in case.path_parameters or {}}
    case.call_and_validate(
        app=wsgi_app, headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS
    )
