"""What the API does when something happens to an account elsewhere (allauth's signals)."""

from allauth.account.signals import password_reset
from django.dispatch import receiver

from . import services


@receiver(password_reset, dispatch_uid="api.revoke_tokens_on_password_reset")
def revoke_tokens_on_password_reset(sender, request, user, **kwargs):
    """A reset password is the way back into an account someone else may have held: a token
    they made would otherwise outlive the reset (outside probe, stop 28). The email that says
    the password was reset says the tokens went too."""
    services.revoke_all_tokens(user)
