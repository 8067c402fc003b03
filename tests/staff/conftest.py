"""Fixtures for the staff area: staff in each role, and TOTP made with allauth's own helpers."""

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth.models import Group
from django.urls import reverse

from staff.roles import MODERATOR, PROGRAMME_ADMIN, TRIAGER

# The shared axe-core check, for the triage test in Chromium.
from tests.browser.conftest import assert_accessible  # noqa: F401
from tests.factories import UserFactory

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


def staff_in(role: str, **fields):
    user = UserFactory(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def mfa_off(settings):
    """For tests about something other than the second factor."""
    settings.STAFF_REQUIRE_MFA = False


@pytest.fixture
def mfa_on(settings):
    settings.STAFF_REQUIRE_MFA = True


@pytest.fixture
def triager(db):
    return staff_in(TRIAGER)


@pytest.fixture
def moderator(db):
    return staff_in(MODERATOR)


@pytest.fixture
def programme_admin(db):
    return staff_in(PROGRAMME_ADMIN)
