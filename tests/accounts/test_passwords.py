"""Choosing a password: not one's name or email address, nor a common one, each refusal
saying what to do instead (usability probe: "bronwenllewellyn" was accepted for Bronwen
Llewellyn, and "gareth.jones" for gareth.jones@porttalbot-steel.example)."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.conftest import confirm_it_is_you
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# One sentence: shown without its full stop, as the site's own errors are (accounts.forms).
NAME_OR_EMAIL = "Choose a password that is not your name or email address, or close to them"
TOO_COMMON = (
    "This password is too common. Choose one that would be hard to guess, such as three "
    "random words."
)


def sign_up(
    client, password, name="Bronwen Llewellyn", email="gareth.jones@porttalbot-steel.example"
):
    return client.post(
        reverse("account_signup"),
        {
            "name": name,
            "email": email,
            "password1": password,
            "password2": password,
            "accept_privacy": "on",
        },
    )


@pytest.mark.parametrize(
    ("name", "email", "password"),
    [
        ("Bronwen Llewellyn", "bronwen@example.org", "bronwenllewellyn"),
        ("Bronwen Llewellyn", "bronwen@example.org", "Bronwen-Llewellyn!"),
        ("Gareth Jones", "gareth.jones@porttalbot-steel.example", "gareth.jones"),
        ("Gareth Jones", "gareth.jones@porttalbot-steel.example", "GarethJones"),
        # Without its accents, in full-width letters, or with a year (probe, stop 27).
        ("Zoë Ångström", "zoe@example.org", "zoeangstrom"),
        ("Zoë Ångström", "zoe@example.org", "ZOEANGSTROM!"),
        ("Ａｌｉｃｅ Ｓｍｉｔｈｅｒｓ", "alice@example.org", "alicesmithers"),
        ("Anna Bell", "anna@example.org", "Anna.Bell.2024"),
        ("Gareth Jones", "gareth.jones@porttalbot-steel.example", "my gareth.jones 1"),
    ],
)
def test_sign_up_refuses_a_password_that_is_ones_name_or_email_address(
    client, name, email, password
):
    response = sign_up(client, password, name=name, email=email)
    assert response.status_code == 200
    html = response.content.decode()
    assert NAME_OR_EMAIL in html
    assert html.count(NAME_OR_EMAIL) == 2  # in the error summary and by the field, once each
    assert not User.objects.exists()


def test_sign_up_refuses_a_password_too_like_ones_name(client):
    html = sign_up(client, "llewellyn1", email="bronwen@example.org").content.decode()
    assert NAME_OR_EMAIL in html
    assert not User.objects.exists()


def test_sign_up_says_what_to_do_about_a_common_password(client):
    html = sign_up(client, "password123").content.decode()
    assert TOO_COMMON in html
    assert not User.objects.exists()


def test_sign_up_takes_a_password_unlike_ones_name_and_email_address(client):
    response = sign_up(client, "slag heap sunrise 77")
    assert response.status_code == 302
    assert User.objects.get().name == "Bronwen Llewellyn"


@pytest.mark.parametrize("password", ["bronwenllewellyn", "bronwen.ll", "password123"])
def test_the_new_password_on_the_change_page_is_checked_the_same_way(client, password):
    user = UserFactory(name="Bronwen Llewellyn", email="bronwen.ll@example.org")
    client.force_login(user)
    confirm_it_is_you(client)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "a long enough password", "password1": password, "password2": password},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert (TOO_COMMON if password == "password123" else NAME_OR_EMAIL) in html
    user.refresh_from_db()
    assert user.check_password("a long enough password")
