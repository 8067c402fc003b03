"""A real SMTP server (aiosmtpd) for the outbox tests, and the site pointed at it."""

import socket

import pytest
from django.core.mail import get_connection


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Collect(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def smtp(settings, smtp_server):
    """The messages the real SMTP server received, with the site sending to it."""
    handler, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    assert get_connection().open()
    return handler.messages


def text_of(message) -> str:
    """The plain-text part of a message as received."""
    part = message.get_payload(0) if message.is_multipart() else message
    return part.get_payload(decode=True).decode()
