"""Who reaches the staff API: active staff with a role, with their second factor when
STAFF_REQUIRE_MFA is on; and a token never opens the staff area (/admin/)."""

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from tests.api import staff_records as records
from tests.api.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ENQUIRIES = "/api/v1/staff/enquiries/"


def with_authenticator(user) -> str:
    """An authenticator app set up, as the staff area's setup page does; its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def sign_in_with_code(client, user, secret: str) -> None:
    """The site's sign-in page, then its second step with the app's current code."""
    password = "a long enough password"  # tests.factories.UserFactory's
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response["Location"] == reverse("mfa_authenticate")
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302


def test_staff_with_no_role_are_refused_with_a_message(api, token_for):
    nobody = UserFactory(is_staff=True)
    response = bearer(api, token_for(nobody)).get(ENQUIRIES)
    assert response.status_code == 403
    assert "role" in response.json()["message"]


def test_a_superuser_who_is_not_staff_is_refused_as_in_the_admin(api, token_for):
    response = bearer(api, token_for(UserFactory(is_superuser=True))).get(ENQUIRIES)
    assert response.status_code == 403


def test_a_staff_token_stops_working_when_staff_status_is_taken_away(api, triager, token_for):
    bearer(api, token_for(triager))
    assert api.get(ENQUIRIES).status_code == 200
    triager.is_staff = False
    triager.save(update_fields=["is_staff"])
    assert api.get(ENQUIRIES).status_code == 403


def test_a_staff_token_never_opens_the_staff_area(client, superuser_token):
    for path in ("/admin/", "/admin/enquiries/enquiry/", "/admin/auth/user/"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {superuser_token}")
        # The admin knows only sessions: a token is no sign-in, so it asks to sign in.
        assert response.status_code == 302, path
        assert "/login/" in response["Location"] or "login" in response["Location"]


@pytest.fixture
def superuser_token(token_for):
    return token_for(UserFactory(is_staff=True, is_superuser=True))


class TestWithTheSecondFactorRequired:
    @pytest.fixture(autouse=True)
    def _mfa_on(self, settings):
        settings.STAFF_REQUIRE_MFA = True

    def test_a_token_of_staff_with_an_authenticator_app_works(self, api, triager, token_for):
        with_authenticator(triager)
        records.enquiry()
        response = bearer(api, token_for(triager)).get(ENQUIRIES)
        assert response.status_code == 200
        assert len(response.json()["results"]) == 1

    def test_a_session_signed_in_with_the_code_reaches_the_staff_api(self, api, triager):
        sign_in_with_code(api, triager, with_authenticator(triager))
        assert api.get(ENQUIRIES).status_code == 200

    def test_a_session_that_skipped_the_second_step_is_refused(self, api, triager):
        with_authenticator(triager)
        api.force_login(triager)  # signed in without the code
        response = api.get(ENQUIRIES)
        assert response.status_code == 403
        assert "second step" in response.json()["message"]

    def test_members_are_refused_whatever_their_second_factor(self, api, member, token_for):
        with_authenticator(member)
        assert bearer(api, token_for(member)).get(ENQUIRIES).status_code == 403


def test_with_the_setting_off_a_staff_session_without_a_code_works(api, triager, settings):
    settings.STAFF_REQUIRE_MFA = False
    api.force_login(triager)
    assert api.get(ENQUIRIES).status_code == 200
