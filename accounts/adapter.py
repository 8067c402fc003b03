"""How allauth fits this site: plain-English subjects, and the organisation step after sign-in."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from outbox.services import queue_rendered


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # People without an organisation are sent to create or join one first.
        from clusters.models import Membership

        if not Membership.objects.filter(user=request.user).exists():
            return reverse("clusters:organisation-start")
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        return reverse("clusters:organisation-start")

    def get_email_verification_redirect_url(self, email_address):
        return reverse("clusters:organisation-start")

    def send_mail(self, template_prefix, email, context):
        """Through the outbox, so a mail server that is down delays the email, not the page."""
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (body for body, kind in getattr(message, "alternatives", []) if kind == "text/html"),
            "",
        )
        queue_rendered(f"account:{uuid.uuid4()}", email, message.subject, message.body, html)
