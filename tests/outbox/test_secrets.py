"""One-time secrets in emails are never shown to staff, and are not kept once sent.

Each email that carries a link acting for its reader (password reset, email confirmation,
invitation, the answer and unsubscribe links of a match summary) is made through the site
as a visitor would; then every outbox admin page is loaded as each staff role and as a
superuser, while the email waits to be sent and after a real SMTP server (aiosmtpd) has
received it with the link that works.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clusters.models import Membership
from matching.models import Match
from notifications.services import send_digests
from outbox.models import Email
from outbox.services import queue_rendered, seal, send_email, unseal
from staff.roles import ROLES
from tests.conftest import confirm_it_is_you
from tests.factories import ListingFactory, MembershipFactory, UserFactory

from .conftest import text_of

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password"  # the factory's
NEW_PASSWORD = "a brand new passphrase 42"
SUPERUSER = "superuser"


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    # The admin's second factor is tested in tests/staff; here, only what each role sees.
    settings.STAFF_REQUIRE_MFA = False


def staff_client(role: str) -> Client:
    user = UserFactory(is_staff=True, is_superuser=role == SUPERUSER)
    if role != SUPERUSER:
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


def admin_pages(email: Email, secret: str) -> list[str]:
    prefix = secret[:10]
    changelist = reverse("admin:outbox_email_changelist")
    return [
        reverse("admin:index"),
        changelist,
        f"{changelist}?status={email.status}",
        reverse("admin:outbox_email_change", args=[email.pk]),
        reverse("admin:outbox_email_history", args=[email.pk]),
        reverse("admin:outbox_email_delete", args=[email.pk]),
        # Searches and address-bar filters that would be an oracle over what is hidden.
        f"{changelist}?q={prefix}",
        f"{changelist}?sealed__icontains={prefix}",
        f"{changelist}?body_text__icontains={prefix}",
        f"{changelist}?body_html__icontains={prefix}",
        f"{changelist}?headers__icontains={prefix}",
    ]


def assert_hidden_from_every_staff_role(email: Email, secrets: list[str]) -> None:
    for role in [*ROLES, SUPERUSER]:
        client = staff_client(role)
        sees_outbox = role == SUPERUSER or any(p.startswith("outbox.") for p in ROLES[role])
        for secret in secrets:
            for url in admin_pages(email, secret):
                response = client.get(url)
                page = response.content.decode()
                if secret[:10] in url:  # a search page shows what was searched for
                    page = page.replace(secret[:10], "")
                assert secret not in page and secret[:10] not in page, (role, url)
                if not sees_outbox and "outbox" in url:
                    assert response.status_code == 403, (role, url)
                elif "?" in url and "status=" not in url:
                    # A search or filter on a hidden value finds nothing (or is refused).
                    found = (
                        response.context["cl"].result_count if response.status_code == 200 else 0
                    )
                    assert found == 0, (role, url)
                else:
                    assert response.status_code == 200, (role, url)
    # Nor on the API, in any column but the one kept only until the email is sent.
    api = Client().get(reverse("api:api-root")).content.decode()
    email.refresh_from_db()
    shown = str({k: v for k, v in model_to_dict(email).items() if k != "sealed"})
    for secret in secrets:
        assert secret not in api
        assert secret not in shown and secret not in email.subject and secret not in email.key


def assert_wiped(email: Email, secrets: list[str]) -> None:
    email.refresh_from_db()
    assert email.status == Email.Status.SENT
    assert email.sealed == {}
    everything = str(Email.objects.filter(pk=email.pk).values().get())
    for secret in secrets:
        assert secret not in everything


def the_one_pending_email() -> Email:
    return Email.objects.get(status=Email.Status.PENDING)


def send_queued(callbacks) -> None:
    for callback in callbacks:
        callback()


def test_a_password_reset_link_is_never_shown_to_staff_and_still_works_for_its_owner(
    client, smtp, django_capture_on_commit_callbacks
):
    victim = UserFactory(email="victim@example.org")
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("account_reset_password"), {"email": "victim@example.org"})
    email = the_one_pending_email()
    send_queued(callbacks)
    [message] = smtp
    path = re.search(r"http://testserver(/account/password/reset/key/(\S+)/)", text_of(message))
    link, key = path.group(1), path.group(2)
    token = key.split("-", 1)[1]  # after the user's id: the secret part
    assert_hidden_from_every_staff_role(email, [key, token])
    assert_wiped(email, [key, token])

    # The link that reached the mail server sets the victim's password, once.
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    victim.refresh_from_db()
    assert victim.check_password(NEW_PASSWORD)
    # The victim's own data download holds no reset link either.
    client.force_login(victim)
    confirm_it_is_you(client, NEW_PASSWORD)  # the download asks for the password first
    response = client.post(reverse("account-download-data"))
    assert response.status_code == 200
    download = response.content.decode()
    assert token not in download and key not in download


def test_an_email_confirmation_link_is_never_shown_to_staff_and_still_works(
    client, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            reverse("account_signup"),
            {
                "name": "Ana Rees",
                "email": "ana@example.org",
                "password1": "a long passphrase 77",
                "password2": "a long passphrase 77",
                "accept_privacy": "on",
            },
        )
    email = the_one_pending_email()
    waiting = Email.objects.filter(pk=email.pk).values().get()
    send_queued(callbacks)
    [message] = smtp
    found = re.search(r"http://testserver(/account/confirm-email/(\S+)/)", text_of(message))
    link, key = found.group(1), found.group(2)
    # The row as it waited to be sent was already hidden from staff.
    sent = Email.objects.filter(pk=email.pk).values().get()
    Email.objects.filter(pk=email.pk).update(**waiting)
    assert_hidden_from_every_staff_role(email, [key])
    Email.objects.filter(pk=email.pk).update(**sent)
    assert_hidden_from_every_staff_role(email, [key])
    assert_wiped(email, [key])

    Client().post(link)
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(email="ana@example.org").verified


def test_an_invitation_link_is_never_shown_to_staff_and_still_works(
    client, smtp, django_capture_on_commit_callbacks
):
    inviter = MembershipFactory().user
    organisation = inviter.memberships.get().organisation
    client.force_login(inviter)
    confirm_it_is_you(client)  # inviting asks for it
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            reverse("clusters:organisation-invite", args=[organisation.ref]),
            {"email": "colleague@example.org"},
        )
    email = the_one_pending_email()
    send_queued(callbacks)
    [message] = smtp
    found = re.search(r"http://testserver(/invitations/(\S+)/)", text_of(message))
    link, token = found.group(1), found.group(2)
    assert_hidden_from_every_staff_role(email, [token])
    assert_wiped(email, [token])
    # Nor in the invitations' own admin pages, where only a digest of the token is kept.
    invitation = organisation.invitations.get()
    invitations = reverse("admin:clusters_invitation_changelist")
    for role in [*ROLES, SUPERUSER]:
        staff = staff_client(role)
        for url in [invitations, reverse("admin:clusters_invitation_change", args=[invitation.pk])]:
            assert token[:10] not in staff.get(url).content.decode()
        search = staff.get(f"{invitations}?q={token[:10]}")
        assert search.status_code == 403 or search.context["cl"].result_count == 0

    colleague = UserFactory(email="colleague@example.org")
    client.force_login(colleague)
    client.post(link)
    assert Membership.objects.filter(user=colleague, organisation=organisation).exists()


def test_the_answer_and_unsubscribe_links_of_a_match_summary_are_never_shown_to_staff(
    smtp, django_capture_on_commit_callbacks
):
    owner = MembershipFactory().user
    need = ListingFactory(organisation=owner.memberships.get().organisation, kind="need")
    Match.objects.create(
        source_key=Match.key_for(need),
        source_listing=need,
        target=ListingFactory(kind="offer"),
        score=0.9,
        rank=1,
        reasons=["heat pumps"],
        engine_version="test",
        computed_at=timezone.now(),
        first_seen_at=timezone.now() - timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert send_digests("daily") == 1
    email = the_one_pending_email()
    send_queued(callbacks)
    [message] = smtp
    body = text_of(message)
    answer = re.search(r"/email/answer/([^/\s]+)/", body).group(1)
    unsubscribe = re.search(r"/email/unsubscribe/([^/\s>]+)/", message["List-Unsubscribe"])
    secrets = [answer, unsubscribe.group(1)]
    # Signed tokens start with their (public) payload: the signature is the secret.
    signatures = [s.rsplit(":", 1)[1] for s in secrets]
    assert_hidden_from_every_staff_role(email, signatures)
    assert_wiped(email, secrets)
    assert "[hidden" in email.body_text and "[hidden" in email.headers["List-Unsubscribe"]


def test_an_email_that_failed_once_still_carries_its_link_when_it_is_sent_again(
    settings, smtp, django_capture_on_commit_callbacks
):
    link = "http://testserver/account/password/reset/key/1b-abc123-secretpart/"
    with django_capture_on_commit_callbacks():
        email = queue_rendered("k-secret", "a@example.org", "Reset", f"Go: {link}", secrets=[link])
    smtp_backend = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "tests.outbox.failing_backend.FailingBackend"
    with pytest.raises(ConnectionRefusedError):
        send_email(email.pk)
    email.refresh_from_db()
    assert email.status == "pending" and email.sealed  # kept for the next attempt
    assert "secretpart" not in email.body_text
    settings.EMAIL_BACKEND = smtp_backend
    assert send_email(email.pk) is True
    assert link in text_of(smtp[0])
    assert_wiped(email, ["secretpart"])


def test_an_email_given_up_on_keeps_no_secret(settings):
    link = "http://testserver/invitations/tok-en-secret/"
    email = queue_rendered("k-given-up", "a@example.org", "Join", link, secrets=[link])
    Email.objects.filter(pk=email.pk).update(attempts=7)
    settings.EMAIL_BACKEND = "tests.outbox.failing_backend.FailingBackend"
    with pytest.raises(ConnectionRefusedError):
        send_email(email.pk)
    email.refresh_from_db()
    assert email.status == "failed" and email.sealed == {}
    assert mail.outbox == []


def test_sealing_hides_every_form_of_a_secret_and_unsealing_restores_the_email_exactly():
    secret = "a&b<c>-tok"
    text = f"Link: https://x.example/k/{secret}/ and text that says [hidden 1]"
    html = f'<a href="https://x.example/k/a&amp;b&lt;c&gt;-tok/">Link</a> {secret}'
    headers = {"List-Unsubscribe": f"<https://x.example/u/{secret}/>"}
    shown_text, shown_html, shown_headers, sealed = seal([secret], text, html, headers)
    for part in [shown_text, shown_html, *shown_headers.values()]:
        assert "tok" not in part and "a&amp;b" not in part
    # A placeholder never takes the place of text that was already in the email.
    assert "[hidden 1]" in shown_text and "[hidden 1]" not in sealed
    assert unseal(shown_text, sealed) == text
    assert unseal(shown_html, sealed) == html
    assert unseal(shown_headers["List-Unsubscribe"], sealed) == headers["List-Unsubscribe"]


def test_links_stored_before_secrets_were_sealed_are_hidden_by_the_migration():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("outbox.migrations.0005_hide_secrets_in_stored_emails")
    sent = Email.objects.create(
        key="old-sent",
        to="a@example.org",
        subject="Reset",
        body_text="http://x/account/password/reset/key/1b-old-secret1/",
        status="sent",
    )
    waiting = Email.objects.create(
        key="old-waiting",
        to="a@example.org",
        subject="Join",
        body_text="http://x/invitations/secret2/",
        headers={"List-Unsubscribe": "<http://x/email/unsubscribe/secret3/>"},
    )
    migration.hide_secrets(apps, None)
    sent.refresh_from_db()
    waiting.refresh_from_db()
    assert "secret1" not in sent.body_text and sent.sealed == {}
    assert "secret2" not in waiting.body_text and "secret3" not in str(waiting.headers)
    assert send_email(waiting.pk) is True
    assert "/invitations/secret2/" in mail.outbox[-1].body
    assert "secret3" in mail.outbox[-1].extra_headers["List-Unsubscribe"]
