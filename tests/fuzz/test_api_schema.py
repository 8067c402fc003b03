"""schemathesis over the API's OpenAPI schema, against the site through WSGI, anonymous and
signed in: no server error, and every answer as the schema describes it.

The schema is made in-process by drf-spectacular and loaded at module level (the pytest
fixture loader of schemathesis has broken with new pytest releases).
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

from config.wsgi import application
from tests.fuzz.strategies import fuzz

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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


@pytest.fixture(params=["anonymous", "member"])
def cookies(request, client, world) -> dict:
    if request.param == "anonymous":
        return {}
    client.force_login(world.member)
    return {"sessionid": client.cookies["sessionid"].value}


@pytest.mark.django_db
@schema.parametrize()
@settings(fuzz, max_examples=max(10, round(fuzz.max_examples * 0.6)))
def test_the_api_answers_every_request_as_its_schema_says(case, wsgi_app, cookies):
    case.call_and_validate(app=wsgi_app, cookies=cookies, checks=CHECKS)
