"""What webhooks do when something happens to an account elsewhere (allauth's signals)."""

from allauth.account.signals import password_reset
from django.dispatch import receiver

from . import services


@receiver(password_reset, dispatch_uid="webhooks.deactivate_on_password_reset")
def deactivate_on_password_reset(sender, request, user, **kwargs):
    """As API tokens are revoked (api.receivers): a webhook added by whoever held the account
    would keep sending its events to them after the reset."""
    services.deactivate_all(user, services.PASSWORD_RESET_REASON)
