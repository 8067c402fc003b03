"""Fixtures for the staff area: staff in each role, and TOTP made with allauth's own helpers."""

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

# The shared axe-core check, for the triage test in Chromium.
from tests.browser.conftest import assert_accessible  # noqa: F401

PASSWORD = "a long enough password"  # the factory's


def add_totp(user) -> str:
    """Activate an authenticator app for the user, as the setup page does; return its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code the authenticator app shows now."""
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def sign_in_with_totp(client, user, secret: str):
    """Sign in through the site's real sign-in page and its second step; return the last
    response (a redirect to where the sign-in goes next)."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})


@pytest.fixture
def mfa_on(settings):
    settings.STAFF_REQUIRE_MFA = True
