"""How allauth fits this site: plain-English subjects, and the organisation step after sign-in."""

import uuid
from urllib.parse import urlsplit

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.urls import reverse

from outbox.services import queue_rendered

# The values in allauth's email contexts that act for the person: keys, sign-in and reset
# codes, and the links that carry a key (confirmation, password reset). Hidden from staff.
SECRET_VALUES = ("key", "code")
SECRET_LINKS = ("activate_url", "password_reset_url")
# The links allauth puts in its email contexts, made absolute from the request.
SITE_LINKS = ("activate_url", "password_reset_url", "signup_url")


def secrets_in(context: dict) -> list[str]:
    """The one-time secrets an allauth email context holds (a plain link to the reset
    page, with no key in it, is not one)."""
    values = [str(context[name]) for name in SECRET_VALUES if context.get(name)]
    links = [str(context[name]) for name in SECRET_LINKS if context.get(name)]
    return values + [link for link in links if any(value in link for value in values)]


# allauth's messages in the site's plain words, each saying what to do next (newcomer probe:
# "The email address and/or password you specified are not correct.", "Try again later.").
PLAIN_ERRORS = {
    "account_inactive": "This account is closed. If you think that is wrong, get in touch "
    "with the programme team.",
    "cannot_remove_primary_email": "You cannot remove your main email address. Make another "
    "address your main one first.",
    "duplicate_email": "This email address is already on your account.",
    "email_password_mismatch": "The email address or the password is not right. Check both "
    "and try again, or choose “Forgotten your password?” to set a new one.",
    "email_taken": "Another account uses this email address. Sign in to that account instead.",
    "enter_current_password": "Enter your current password",
    "incorrect_code": "The code is not right. Check it and try again.",
    "incorrect_password": "The password is not right. Check it and try again.",
    "invalid_or_expired_key": "This link has expired or has been used already. Ask for a new one.",
    "invalid_password_reset": "This link to set a new password has expired or has been used "
    "already. Ask for a new one.",
    "too_many_login_attempts": "Too many failed sign-in attempts. Wait 5 minutes and try "
    "again, or choose “Forgotten your password?” to set a new one.",
}


def on_site(url: str) -> str:
    """`url` at SITE_URL, the address every other email's links use (SITE_URL is the
    scheme and host only: the path, with any prefix the site is served under, is the
    link's). allauth builds its links from the request's Host header: sign-up emails
    pointed at whichever address the request came in on, and the worker's emails at
    SITE_URL (newcomer probe, stop 31); and a link with a key in it is never built from a
    header the sender controls."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return settings.SITE_URL + path


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {**DefaultAccountAdapter.error_messages, **PLAIN_ERRORS}

    def get_email_confirmation_url(self, request, emailconfirmation):
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key):
        return on_site(super().get_reset_password_from_key_url(key))

    def get_login_redirect_url(self, request):
        # People without an organisation are sent to create or join one first.
        from clusters.models import Membership

        if not Membership.objects.filter(user=request.user).exists():
            # Programme staff go to the admin, not to "which organisation do you work for?".
            return reverse(
                "admin:index" if request.user.is_staff else "clusters:organisation-start"
            )
        return super().get_login_redirect_url(request)

    def post_login(self, request, user, **kwargs):
        """Signing up counts as giving the password (config.confirmation), as signing in
        does: the person chose it in this session, and allauth logs them in only from the
        session they signed up in (on confirming the address). allauth records no sign-in
        for that login, so the site asked for the password again at once (newcomer probe,
        stop 30)."""
        from allauth.account.internal.flows.login import (
            get_authentication_records,
            record_authentication,
        )

        if kwargs.get("signup") and not get_authentication_records(request, user):
            record_authentication(request, user, method="signup")
        return super().post_login(request, user, **kwargs)

    def get_signup_redirect_url(self, request):
        return reverse("clusters:organisation-start")

    # The invitation page puts the invited address in the session (stash_verified_email) only
    # for the sign-up form to offer it; django-allauth would also take it as confirmed, on
    # sign-up and in is_email_verified. A link can be forwarded: the address is confirmed by
    # its own email, as everyone's is.
    def unstash_verified_email(self, request):
        super().unstash_verified_email(request)  # cleared, but not confirmed
        return None

    def is_email_verified(self, request, email):
        return False

    def get_email_verification_redirect_url(self, email_address):
        if email_address.user.is_staff:
            return reverse("admin:index")
        return reverse("clusters:organisation-start")

    def send_mail(self, template_prefix, email, context):
        """Through the outbox, so a mail server that is down delays the email, not the page.

        Its one-time links and codes are hidden from staff in the outbox, and not kept
        once the email is sent.
        """
        # Every link in an account email at SITE_URL (on_site): allauth builds some from the
        # request's Host header (the reset link sent instead of "that address has an
        # account", the sign-up link for an unknown address: review, stop 31).
        links = {k: on_site(str(v)) for k, v in context.items() if k in SITE_LINKS and v}
        # How long a confirmation link works, for the email to say (newcomer probe).
        context = {
            **context,
            **links,
            "site_url": settings.SITE_URL,
            "link_days": app_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
            # Django's reset links last PASSWORD_RESET_TIMEOUT seconds (3 days by default).
            "reset_link_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        }
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (body for body, kind in getattr(message, "alternatives", []) if kind == "text/html"),
            "",
        )
        queue_rendered(
            f"account:{uuid.uuid4()}",
            email,
            message.subject,
            message.body,
            html,
            secrets=secrets_in(context),
        )


class MFAAdapter(DefaultMFAAdapter):
    """django-allauth's second factor, with its messages in plain words (MFA_ADAPTER)."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": "The code is not right. Enter the code your authenticator app "
        "shows now (it changes every 30 seconds), or, when signing in, one of your recovery "
        "codes.",
        "unverified_email": "Confirm your email address first, with the link we sent you, "
        "then set up your authenticator app.",
        "add_email_blocked": "An account with 2-step verification cannot add an email "
        "address here. Ask the programme team to change it for you.",
    }
