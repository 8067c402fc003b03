"""The account forms' errors in plain words that say what to do (newcomer probe: "This field
is required." twice on an empty sign-in, "The email address and/or password you specified are
not correct.", "Try again later.")."""

import pytest
from django.urls import reverse

from tests.conftest import confirm_it_is_you
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def test_an_empty_sign_in_names_each_field(client):
    html = page(client.post(reverse("account_login"), {"login": "", "password": ""}))
    assert "Enter your email address" in html and "Enter your password" in html
    assert "This field is required" not in html


def test_a_wrong_password_says_what_to_do_next(client):
    user = UserFactory(email="ada@steel.example")
    html = page(client.post(reverse("account_login"), {"login": user.email, "password": "no"}))
    assert "The email address or the password is not right" in html
    assert "Forgotten your password?" in html
    assert "and/or" not in html


def test_the_lockout_says_how_long_to_wait(client):
    user = UserFactory(email="ada@steel.example")
    for _ in range(6):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "no"})
    assert "Wait 5 minutes and try again" in page(response)


def test_an_empty_password_reset_and_a_malformed_address(client):
    empty = page(client.post(reverse("account_reset_password"), {"email": ""}))
    assert "Enter your email address" in empty and "This field is required" not in empty
    wrong = page(client.post(reverse("account_reset_password"), {"email": "ada@"}))
    assert "Enter an email address in the right format, like name@example.com" in wrong


def test_changing_the_password_without_the_current_one(client):
    user = UserFactory()
    client.force_login(user)
    confirm_it_is_you(client)
    html = page(
        client.post(
            reverse("account_change_password"),
            {"oldpassword": "", "password1": "", "password2": ""},
        )
    )
    assert "Enter your current password" in html and "Enter a new password" in html
    assert "Please type your current password" not in html
