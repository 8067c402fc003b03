"""A session alone cannot take an account over (outside probe): adding an email address and
deleting the account ask for the password again, and the owner's address hears of a change."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.conftest import confirm_it_is_you

pytestmark = pytest.mark.django_db

ATTACKER = "attacker@evil.example"


@pytest.fixture
def held_session(client, member):
    """What someone holding the member's session cookie has: signed in, nothing more."""
    EmailAddress.objects.get_or_create(
        user=member, email=member.email, defaults={"verified": True, "primary": True}
    )
    client.force_login(member)
    return client


def test_adding_an_address_asks_for_the_password_first(held_session, member):
    response = held_session.post(reverse("account_email"), {"action_add": "", "email": ATTACKER})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email=ATTACKER).exists()
    assert not [m for m in mail.outbox if ATTACKER in m.to]


def test_with_the_password_given_the_address_is_added(
    held_session, member, django_capture_on_commit_callbacks
):
    confirm_it_is_you(held_session)
    with django_capture_on_commit_callbacks(execute=True):
        held_session.post(reverse("account_email"), {"action_add": "", "email": "ada@new.example"})
    assert EmailAddress.objects.filter(user=member, email="ada@new.example").exists()


def test_a_wrong_password_adds_nothing(held_session, member):
    response = held_session.post(reverse("account_reauthenticate"), {"password": "not it"})
    assert response.status_code == 200
    held_session.post(reverse("account_email"), {"action_add": "", "email": ATTACKER})
    assert not EmailAddress.objects.filter(email=ATTACKER).exists()


def test_deleting_the_account_asks_for_the_password_first(held_session, member):
    response = held_session.post(reverse("account-delete"), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert User.objects.filter(pk=member.pk).exists()


def test_the_delete_page_itself_asks_for_the_password_first(held_session):
    """Asked before the page, not after the box is ticked: the proof, then the page."""
    response = held_session.get(reverse("account-delete"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    confirm_it_is_you(held_session)
    assert held_session.get(reverse("account-delete")).status_code == 200


def test_a_changed_password_is_told_to_the_owners_address(
    held_session, member, django_capture_on_commit_callbacks
):
    confirm_it_is_you(held_session)
    with django_capture_on_commit_callbacks(execute=True):
        response = held_session.post(
            reverse("account_change_password"),
            {
                "oldpassword": "a long enough password",
                "password1": "another long enough password",
                "password2": "another long enough password",
            },
        )
    assert response.status_code == 302
    told = [m for m in mail.outbox if member.email in m.to]
    assert told and "password" in told[-1].subject.lower()
