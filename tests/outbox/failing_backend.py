"""An email backend whose server refuses connections, as one that is down would."""

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("Connection refused by the mail server")
