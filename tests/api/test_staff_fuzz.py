"""schemathesis over the staff API's operations, as a superuser with a read-and-write token:
no server error, and every answer (200s included) as the schema describes it.

The fuzz tests of the whole API (tests/fuzz/) call as anonymous and as a member, who get 401
and 403 here; this reaches the views themselves, with a record of each queue to find.
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
from tests.api import staff_records as records
from tests.factories import UserFactory
from tests.fuzz.strategies import fuzz

schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True)
).include(path_regex=r"^/api/v1/staff/")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def secret(db):
    """A superuser's token, and one waiting record of each kind (ids 1 upwards are tried)."""
    records.enquiry()
    records.pending_organisation()
    records.open_change()
    records.open_review()
    records.team_request()
    records.listing_report()
    records.organisation_report()
    return create_token(UserFactory(is_staff=True, is_superuser=True), "Fuzz", "write")[1]


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
def test_the_staff_api_answers_a_superuser_as_its_schema_says(case, wsgi_app, secret):
    case.call_and_validate(
        app=wsgi_app, headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS
    )
