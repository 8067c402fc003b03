"""The whole journey of a new user, through the test client: sign up to a published need."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import PRIVACY_NOTICE_VERSION, User
from clusters.models import Listing, Organisation, Theme

pytestmark = pytest.mark.django_db

SIGNUP = {
    "name": "Dewi Morgan",
    "email": "dewi@portsteel.example",
    "password1": "hot rolled coil 2040",
    "password2": "hot rolled coil 2040",
    "accept_privacy": "on",
}


def confirmation_link(message) -> str:
    return re.search(r"http://testserver(/account/confirm-email/[^\s]+)", message.body).group(1)


def test_sign_up_verify_create_organisation_post_need_approve_publish(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="dewi@portsteel.example")
    assert user.name == "Dewi Morgan"
    consent = user.privacy_consents.get()
    assert consent.version == PRIVACY_NOTICE_VERSION and consent.accepted_at is not None
    assert mail.outbox[-1].to == ["dewi@portsteel.example"]

    # The link in the email verifies the address and signs the user in.
    link = confirmation_link(mail.outbox[-1])
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response["Location"] == reverse("clusters:organisation-start")

    client.post(
        reverse("clusters:organisation-create"),
        {
            "name": "Port Steel Coatings",
            "kind": "business",
            "description": "Coating lines in Port Talbot.",
            "location": "SA13",
        },
    )
    organisation = Organisation.objects.get(name="Port Steel Coatings")
    client.post(
        reverse("clusters:listing-create", args=[organisation.ref]),
        {
            "kind": "need",
            "title": "Electric furnace for strip annealing",
            "description": "We want to replace two gas-fired annealing furnaces.",
            "themes": [Theme.objects.get(slug="clean-electricity").pk],
            "partner_kind": "any",
        },
    )
    need = Listing.objects.get()
    client.post(reverse("clusters:listing-publish", args=[need.ref]))
    need.refresh_from_db()
    assert need.status == "pending"
    preview = reverse("clusters:listing-preview", args=[need.ref])
    assert client.get(need.get_absolute_url())["Location"] == preview  # not public yet

    # Staff approve the organisation in the admin; the need goes public and the user is told.
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:clusters_organisation_changelist"),
            {
                "action": "approve",
                "_selected_action": [organisation.pk],
                "apply": "1",
                "reason": "",
                f"seen_{organisation.pk}": "pending",  # what the reason page sends back
            },
        )
    need.refresh_from_db()
    assert need.status == "published"
    client.logout()
    page = client.get(need.get_absolute_url())
    assert page.status_code == 200
    assert "Electric furnace for strip annealing" in page.content.decode()
    assert "is approved" in mail.outbox[-1].subject


def test_an_unverified_account_cannot_sign_in_until_the_link_is_used(client):
    client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_sign_up_needs_consent_and_a_name(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "accept_privacy": "", "name": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Confirm that you agree to the privacy notice" in html
    assert "Enter your full name" in html or "This field is required" in html
    assert not User.objects.exists()


def test_an_email_address_can_only_register_once(client):
    client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    client.post(reverse("account_signup"), {**SIGNUP, "name": "Someone Else"})
    assert User.objects.count() == 1


def test_signing_up_with_a_known_address_costs_the_same_password_hash(client, monkeypatch):
    """The answer's time must not tell whether an address has an account (attacker probe:
    20 ms for a known one, 250-400 ms for a new one, the cost of hashing the password).
    Counted, not timed: both paths hash the password once."""
    from django.contrib.auth import hashers

    hashed = []
    real = hashers.make_password
    monkeypatch.setattr(
        "accounts.forms.make_password",
        lambda *a, **k: hashed.append("known") or real(*a, **k),
        raising=False,
    )
    monkeypatch.setattr(
        "django.contrib.auth.base_user.make_password",
        lambda *a, **k: hashed.append("new") or real(*a, **k),
    )
    first = client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    again = client.post(reverse("account_signup"), {**SIGNUP, "name": "Someone Else"})
    assert User.objects.count() == 1
    assert hashed == ["new", "known"]
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]  # and the same page next


def test_repeated_failed_sign_ins_lock_the_account_out_for_a_while(client):
    from tests.factories import UserFactory

    user = UserFactory(email="target@example.org", password="the right password 1")
    for _ in range(6):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    # Even the right password is refused now, with a message that says what to do.
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "the right password 1"}
    )
    assert "_auth_user_id" not in client.session
    assert "too many failed" in response.content.decode().lower()


def test_sign_up_is_rate_limited(client):
    statuses = []
    for n in range(25):
        client.logout()
        response = client.post(reverse("account_signup"), {**SIGNUP, "email": f"p{n}@example.org"})
        statuses.append(response.status_code)
    assert 429 in statuses
    assert User.objects.count() < 25
