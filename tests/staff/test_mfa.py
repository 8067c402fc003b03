"""The admin needs a second factor: TOTP set up, and used in the current session."""

from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY as TOTP_SECRET_SESSION_KEY
from django.contrib.messages import get_messages
from django.urls import reverse

from staff.middleware import SET_UP_MESSAGE, USE_MESSAGE
from tests.staff.conftest import add_totp, sign_in_with_totp, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_on")]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_staff_without_an_authenticator_app_are_sent_to_set_one_up_with_a_message(client, triager):
    client.force_login(triager)
    for url in [reverse("admin:index"), reverse("admin:enquiries_enquiry_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
        assert SET_UP_MESSAGE in messages_of(response)


def test_staff_who_signed_in_with_their_code_reach_the_admin(client, triager):
    secret = add_totp(triager)
    response = sign_in_with_totp(client, triager, secret)
    assert response.status_code == 302

    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Queues and figures" in response.content.decode()


def test_staff_whose_session_skipped_the_code_are_asked_for_it_then_reach_the_admin(
    client, triager
):
    secret = add_totp(triager)
    client.force_login(triager)  # like the admin's own password-only sign-in form
    wanted = reverse("admin:enquiries_enquiry_changelist") + "?status__exact=new"
    response = client.get(wanted)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_reauthenticate") + "?" + urlencode({"next": wanted})
    assert USE_MESSAGE in messages_of(response)

    response = client.post(response["Location"], {"code": "000000"})
    assert response.status_code == 200  # a wrong code: the form again, still no admin
    assert client.get(wanted).status_code == 302

    response = client.post(
        reverse("mfa_reauthenticate") + "?" + urlencode({"next": wanted}),
        {"code": totp_code(secret)},
    )
    assert response.status_code == 302 and response["Location"] == wanted
    assert client.get(wanted).status_code == 200


def test_members_of_the_public_never_reach_the_admin_even_with_a_second_factor(client, member):
    secret = add_totp(member)
    sign_in_with_totp(client, member, secret)
    for url in [reverse("admin:index"), reverse("admin:enquiries_enquiry_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(reverse("admin:login")).status_code == 403


def test_the_admin_sign_in_form_sends_people_to_the_site_sign_in_with_its_second_step(
    client, triager
):
    add_totp(triager)
    login = reverse("admin:login")
    response = client.get(login + "?" + urlencode({"next": "/admin/enquiries/"}))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Fenquiries%2F"

    # Its password-only form cannot be used either.
    response = client.post(login, {"username": triager.email, "password": "a long enough password"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_staff_can_sign_out_of_the_admin_without_a_second_factor(client, triager):
    client.force_login(triager)
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_with_the_setting_off_staff_reach_the_admin_with_a_password_only(client, triager, settings):
    settings.STAFF_REQUIRE_MFA = False
    client.force_login(triager)
    assert client.get(reverse("admin:index")).status_code == 200


def test_new_staff_set_up_their_app_and_then_reach_the_admin(client, triager):
    response = client.post(
        reverse("account_login"), {"login": triager.email, "password": "a long enough password"}
    )
    assert response.status_code == 302  # signed in with a password only: no app yet
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[0][0] == reverse("mfa_activate_totp")
    # allauth asks for the password again before adding an authenticator.
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert SET_UP_MESSAGE in response.content.decode()
    response = client.post(
        response.redirect_chain[-1][0], {"password": "a long enough password"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("mfa_activate_totp")

    secret = client.session[TOTP_SECRET_SESSION_KEY]  # what the QR code on the page holds
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=triager, type=Authenticator.Type.TOTP).exists()

    # This session's sign-in did not use the app, so the admin asks for a code once.
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    response = client.post(response["Location"], {"code": totp_code(secret)})
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
