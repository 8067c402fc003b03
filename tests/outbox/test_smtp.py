"""A real SMTP server (aiosmtpd) receives the verification email a new user is sent."""

import re

import pytest
from django.core.mail import get_connection
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_verification_email_arrives_at_a_real_smtp_server_with_a_working_link(
    client, settings, smtp_server, django_capture_on_commit_callbacks
):
    handler, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    assert get_connection().open()

    with django_capture_on_commit_callbacks(execute=True):
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
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message["To"] == "ana@example.org"
    assert message["Message-ID"].startswith("<outbox-")
    body = (
        message.get_payload(decode=True).decode()
        if not message.is_multipart()
        else (message.get_payload(0).get_payload(decode=True).decode())
    )
    link = re.search(r"http://testserver(/account/confirm-email/\S+)", body).group(1)
    client.post(link)
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(email="ana@example.org").verified
