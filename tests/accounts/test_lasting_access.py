"""What outlives a session: an API token, a webhook, a copy of all one's data. Each asks for
the password again first (unless given in the last 5 minutes), and a password reset stops
the tokens and webhooks made before it (outside probe, stop 28: a session left open or
stolen was enough to make a token that still worked after the owner reset the password)."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.services import create_token, token_for_secret
from tests.conftest import confirm_it_is_you
from tests.factories import MembershipFactory
from webhooks import services as webhooks
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough password"
NEW_PASSWORD = "tinplate furnace dawn 42"
HOOK = "https://93.184.215.14/hook"


@pytest.fixture
def member(client):
    user = MembershipFactory().user
    client.force_login(user)  # a session only: no password given in it
    return user


def asks_for_the_password(response, back_to: str) -> bool:
    return response.status_code == 302 and response["Location"] == (
        f"{reverse('account_reauthenticate')}?{urlencode({'next': back_to})}"
    )


def confirm(client) -> None:
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302


def test_making_a_token_asks_for_the_password_first_and_holds_nothing_back(client, member):
    """Nothing is completed after the password: a request held back by whoever had the
    session was completed for whoever typed the password (re-probe, stop 28)."""
    tokens = reverse("api-tokens")
    assert client.get(tokens).status_code == 200  # the list does not ask
    asked = client.post(tokens, {"name": "Our CRM", "scope": "write"})
    assert asks_for_the_password(asked, tokens)
    confirm(client)
    assert not ApiToken.objects.exists()  # the password made nothing
    made = client.post(tokens, {"name": "Our CRM", "scope": "write"})
    assert made.status_code == 200 and "cx_" in made.content.decode()
    assert ApiToken.objects.filter(user=member, name="Our CRM").count() == 1
    # Within 5 minutes, another one without asking again.
    assert client.post(tokens, {"name": "Two", "scope": "read"}).status_code == 200


def test_a_wrong_password_makes_no_token(client, member):
    client.post(reverse("api-tokens"), {"name": "Our CRM", "scope": "write"})
    again = client.post(reverse("account_reauthenticate"), {"password": "not the password"})
    assert again.status_code == 200 and "cx_" not in again.content.decode()
    assert not ApiToken.objects.exists()


def test_signing_in_counts_as_giving_the_password(client):
    """Asked twice in a row, right after signing in (re-probe, stop 28)."""
    user = MembershipFactory().user
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("account-your-data")).status_code == 200
    made = client.post(reverse("api-tokens"), {"name": "Our CRM", "scope": "write"})
    assert made.status_code == 200 and "cx_" in made.content.decode()


def test_adding_a_webhook_asks_for_the_password_first(client, member):
    page = reverse("webhooks:create")
    assert client.get(page).status_code == 200
    asked = client.post(page, {"url": HOOK, "events": ["match.created"]})
    assert asks_for_the_password(asked, page)
    confirm(client)
    assert not Endpoint.objects.exists()
    made = client.post(page, {"url": HOOK, "events": ["match.created"]})
    assert made.status_code == 200 and "whsec_" in made.content.decode()
    assert Endpoint.objects.filter(user=member).count() == 1


def test_your_data_asks_for_the_password_before_the_page_and_the_download(client, member):
    page = reverse("account-your-data")
    assert asks_for_the_password(client.get(page), page)
    assert asks_for_the_password(client.post(reverse("account-download-data")), page)
    confirm_it_is_you(client)
    assert client.get(page).status_code == 200
    download = client.post(reverse("account-download-data"))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("when", ["never", "just now"])
def test_the_api_with_the_sites_session_asks_for_it_too(client, member, when):
    """The API called with the session, not a token, was a way round the pages' check
    (re-probe, stop 28)."""
    if when == "just now":
        confirm(client)
    hook = client.post(
        "/api/v1/webhooks/",
        {"url": HOOK, "events": ["match.created"]},
        content_type="application/json",
    )
    export = client.get("/api/v1/account/export/")
    if when == "never":
        assert hook.status_code == 403 and "password" in hook.json()["message"]
        assert export.status_code == 403
        assert not Endpoint.objects.exists()
    else:
        assert hook.status_code == 201 and export.status_code == 200


def test_a_token_needs_no_password_in_the_api(member):
    from rest_framework.test import APIClient

    _, secret = create_token(member, "Ours", "write")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/account/export/").status_code == 200
    made = api.post("/api/v1/webhooks/", {"url": HOOK, "events": ["match.created"]}, format="json")
    assert made.status_code == 201


def reset_password(client, user):
    url = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    form = client.get(url, follow=True)
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else url,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert done.status_code == 302, done.content.decode()[:2000]


def test_a_password_reset_stops_the_tokens_and_webhooks_made_before_it(
    client, django_capture_on_commit_callbacks
):
    user = MembershipFactory().user
    other = MembershipFactory().user
    _, secret = create_token(user, "Made by someone else", "write")
    _, kept = create_token(other, "Another person's", "write")
    hook, _ = webhooks.create_endpoint(user, HOOK, ["match.created"])
    waiting = Delivery.objects.create(
        endpoint=hook,
        event="match.created",
        event_id="e1",
        payload={},
        status="pending",
        next_attempt_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        reset_password(client, user)
    assert token_for_secret(secret) is None
    assert token_for_secret(kept) is not None  # nobody else's
    hook.refresh_from_db()
    waiting.refresh_from_db()
    assert not hook.active and "password" in hook.deactivated_reason
    assert waiting.status == Delivery.Status.FAILED  # nothing more goes out to it
    notice = next(m for m in mail.outbox if "has been reset" in m.body)
    assert "any API tokens you had no longer work" in notice.body
    assert "any webhooks you added have been turned off" in notice.body


def test_a_password_change_keeps_them_and_says_how_to_stop_them(
    client, django_capture_on_commit_callbacks
):
    user = MembershipFactory().user
    _, secret = create_token(user, "Ours", "read")
    client.force_login(user)
    confirm_it_is_you(client)
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    assert changed.status_code == 302
    assert token_for_secret(secret) is not None
    notice = next(m for m in mail.outbox if "has been changed" in m.body)
    assert "resetting it (below) also stops them" in notice.body


def test_deleting_the_account_asks_for_the_password_and_deletes_only_when_pressed_again(
    client, member
):
    """Delete-account used allauth's reauthentication_required, which held the POST back and
    completed it once the password was typed, whoever typed it; now the same rule as the
    other lasting actions: the password, then back to the page, nothing done (stop 29)."""
    from django.contrib.auth import get_user_model

    page = reverse("account-delete")
    assert asks_for_the_password(client.get(page), page)
    asked = client.post(page, {"confirm": "on"})
    assert asks_for_the_password(asked, page)
    # The password page's form, as a browser sends it (with where to go next).
    typed = client.post(asked["Location"], {"password": PASSWORD, "next": page})
    assert typed.status_code == 302 and typed["Location"] == page
    assert get_user_model().objects.filter(pk=member.pk).exists()  # the password deleted nothing
    assert client.get(page).status_code == 200
    client.post(page, {"confirm": "on"})
    assert not get_user_model().objects.filter(pk=member.pk).exists()


def test_signing_up_and_confirming_the_address_counts_as_giving_the_password(
    client, django_capture_on_commit_callbacks
):
    """Asked for the password seconds after signing up and pressing "Confirm" in the email,
    which signs one in (newcomer probe, stop 30): allauth records no sign-in for that login,
    though the password was chosen in this very session minutes before."""
    import re

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "name": "Tom Price",
                "email": "tom@swansea-uni.example",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_privacy": "on",
            },
        )
    link = re.search(r"http://testserver(/account/confirm-email/\S+/)", mail.outbox[-1].body)[1]
    client.post(link)
    tokens = reverse("api-tokens")
    made = client.post(tokens, {"name": "Our CRM", "scope": "read"})
    assert made.status_code == 200 and "cx_" in made.content.decode()
    # The 5 minutes still run out.
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert asks_for_the_password(client.post(tokens, {"name": "Two", "scope": "read"}), tokens)
