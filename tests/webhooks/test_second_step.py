"""Staff-only events need what the staff API needs: the second step of signing in.

Found by an outside probe: a triager who signed in with a password alone (or used a token
made without the second step) subscribed to "enquiry.created", saw the endpoint's secret,
and received new enquiries' details, while the same token got 403 from the staff API.
"""

import time

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import create_token
from enquiries import services as enquiries_services
from tests.api.conftest import bearer
from tests.conftest import confirm_it_is_you
from tests.factories import AuthenticatorFactory
from webhooks import services
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

URL = "https://93.184.215.14/in"
ENQUIRY = {
    "name": "Ann",
    "email": "ann@example.org",
    "organisation_kind": "business",
    "topic": "partnering",
    "message": "Hello",
}


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_REQUIRE_MFA = True


def passed_second_step(client, user):
    session = client.session
    # Added to the records of the session (its password confirmed again just now).
    records = session.get("account_authentication_methods", [])
    mfa = {"method": "mfa", "type": "totp", "at": time.time()}
    session["account_authentication_methods"] = [*records, mfa]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def test_the_page_asks_for_the_second_step_before_staff_events(client, triager, mfa_required):
    AuthenticatorFactory(user=triager)
    client.force_login(triager)  # a password alone
    confirm_it_is_you(client)
    assert 'value="enquiry.created"' in client.get(reverse("webhooks:create")).content.decode()
    response = client.post(reverse("webhooks:create"), {"url": URL, "events": ["enquiry.created"]})
    page = response.content.decode()
    assert "whsec_" not in page
    assert "needs the second step of signing in. Sign in again with the code" in page
    assert not Endpoint.objects.exists()
    passed_second_step(client, triager)
    made = client.post(reverse("webhooks:create"), {"url": URL, "events": ["enquiry.created"]})
    assert "whsec_" in made.content.decode()
    endpoint = Endpoint.objects.get()
    assert (endpoint.events, endpoint.second_step) == (["enquiry.created"], True)


def test_staff_without_an_authenticator_are_told_to_set_one_up(client, triager, mfa_required):
    client.force_login(triager)
    confirm_it_is_you(client)
    response = client.post(reverse("webhooks:create"), {"url": URL, "events": ["enquiry.created"]})
    assert "Set up an authenticator app on your account page" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_api_asks_the_token_for_the_second_step(triager, mfa_required):
    AuthenticatorFactory(user=triager)
    api = APIClient()
    bearer(api, create_token(triager, "Tool", "write", second_step=False)[1])
    body = {"url": URL, "events": ["enquiry.created"]}
    refused = api.post("/api/v1/webhooks/", body, format="json")
    assert refused.status_code == 400
    assert "needs the second step of signing in" in refused.json()["errors"]["events"][0]
    assert not Endpoint.objects.exists()
    bearer(api, create_token(triager, "Tool 2", "write", second_step=True)[1])
    assert api.post("/api/v1/webhooks/", body, format="json").status_code == 201
    assert Endpoint.objects.get().second_step is True


def test_members_events_need_no_second_step(member, mfa_required):
    api = APIClient()
    bearer(api, create_token(member, "CRM", "write")[1])
    body = {"url": URL, "events": ["match.created"]}
    assert api.post("/api/v1/webhooks/", body, format="json").status_code == 201


def test_staff_events_are_sent_only_to_endpoints_added_with_the_second_step(
    triager, mfa_required, dns, settings
):
    app = AuthenticatorFactory(user=triager)
    endpoint, _ = services.create_endpoint(triager, URL, ["enquiry.created"], second_step=True)
    # One added without it (before it was recorded, or while the setting was off).
    settings.STAFF_REQUIRE_MFA = False
    older, _ = services.create_endpoint(triager, URL + "/old", ["enquiry.created"])
    settings.STAFF_REQUIRE_MFA = True
    assert older.second_step is False
    enquiries_services.submit_enquiry(ENQUIRY)
    assert endpoint.deliveries.count() == 1
    assert older.deliveries.count() == 0
    app.delete()  # the second step is gone: so are the staff events
    enquiries_services.submit_enquiry({**ENQUIRY, "message": "Again"})
    assert endpoint.deliveries.count() == 1
