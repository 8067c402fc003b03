"""Secrets of one-time links are kept out of the logs (config/redact.py; attacker probe)."""

import logging

import pytest
from django.test import RequestFactory

from config.logs import RedactSecretsFilter
from config.redact import redact


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/account/password/reset/key/1-dj2kol-30a22fe6/", "/account/password/reset/key/[hidden]/"),
        ("/account/confirm-email/MQ:1v2:abc/", "/account/confirm-email/[hidden]/"),
        ("/invitations/tok_123/", "/invitations/[hidden]/"),
        ("/email/unsubscribe/eyJ1IjoxfQ:sig/", "/email/unsubscribe/[hidden]/"),
        ("/email/link/eyJkIjozfQ:x/", "/email/link/[hidden]/"),
        ("/email/answer/eyJ:sig/12/interested/", "/email/answer/[hidden]/12/interested/"),
        (
            "GET /invitations/abc/?next=/x HTTP/1.1",
            "GET /invitations/[hidden]/?next=/x HTTP/1.1",
        ),
        (
            "next=%2Finvitations%2Ftok_123%2F&x=1",
            "next=%2Finvitations%2F[hidden]%2F&x=1",
        ),
        (
            "/account/login/?next=/account/confirm-email/MQ:1v2/",
            "/account/login/?next=/account/confirm-email/[hidden]/",
        ),
        ("/listings/L-1/", "/listings/L-1/"),
        ("/account/password/reset/", "/account/password/reset/"),
        (None, None),
        (404, 404),
    ],
)
def test_the_secret_part_of_an_address_is_hidden(text, expected):
    assert redact(text) == expected


def test_djangos_not_found_warning_loses_the_secret():
    """As django.request logs a 404: "Not Found: %s" with the path, and the request."""
    request = RequestFactory().get("/invitations/Zx9SecretToken4242/")
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "%s: %s",
        ("Not Found", request.path),
        None,
    )
    record.request = request
    record.status_code = 404
    assert RedactSecretsFilter().filter(record)
    assert "Zx9SecretToken4242" not in record.getMessage()
    assert "Zx9SecretToken4242" not in str(record.request)
    assert record.getMessage() == "Not Found: /invitations/[hidden]/"


@pytest.fixture
def site_log():
    """What the site's own handler (LOGGING's console, with its filters) writes."""
    import io

    handler = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        yield written
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
def test_the_sites_own_log_lines_hide_it(client, site_log):
    """End to end through the site's LOGGING."""
    client.get("/invitations/Zx9SecretToken4242/")
    client.get("/email/link/Zx9SecretToken4242/")
    # An address that matches no page: Django logs "Not Found: <path>" as a warning.
    assert client.get("/email/answer/Zx9SecretToken4242/x/interested/").status_code == 404
    logged = site_log.getvalue()
    assert "Not Found: /email/answer/[hidden]/x/interested/" in logged
    assert "Zx9SecretToken4242" not in logged
