"""Creating and revoking personal API tokens; recording removals for mirroring partners."""

import hashlib
import secrets as random

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, Removal

TOKEN_START = "cx_"
PREFIX_LENGTH = 10  # "cx_" and 7 characters: enough to tell a person's tokens apart


class TokenRefused(Exception):
    """A token cannot be made; the message says why, in plain English."""


MAX_ACTIVE_TOKENS = 20


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(user, name: str, scope: str, *, second_step: bool = False) -> tuple[ApiToken, str]:
    """A new token for `user`, and its secret: shown once, never stored.

    `second_step`: the session making it passed the second step of sign-in (see
    ApiToken.second_step).
    """
    name = " ".join(name.split())
    if not name:
        raise TokenRefused("Enter a name for the token, so that you can tell it apart later")
    if scope not in ApiToken.Scope.values:
        raise TokenRefused("Choose whether the token can only read, or read and write")
    if ApiToken.objects.active().filter(user=user).count() >= MAX_ACTIVE_TOKENS:
        raise TokenRefused(
            f"You already have {MAX_ACTIVE_TOKENS} tokens. Revoke one you no longer use first"
        )
    secret = TOKEN_START + random.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:80],
        scope=scope,
        prefix=secret[:PREFIX_LENGTH],
        digest=digest(secret),
        second_step=second_step,
    )
    return token, secret


def revoke_token(token: ApiToken, by) -> bool:
    """Stop a token working at once. False if it had already been revoked."""
    return bool(
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
    )


def revoke_all_tokens(user) -> int:
    """Stop every token of `user` working at once (after a password reset: a token made by
    whoever held the account must not outlive it). The number revoked."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=user
    )


def token_for_secret(secret: str) -> ApiToken | None:
    """The active token with this secret, with its user, or None."""
    if not secret.startswith(TOKEN_START) or len(secret) > 100:
        return None
    return ApiToken.objects.active().select_related("user").filter(digest=digest(secret)).first()


# The last use is written at most once a minute per token: an exact time on every request
# would be a write per read, and a minute is all a person needs to see ("used today").
LAST_USE_RESOLUTION_SECONDS = 60


def record_use(token: ApiToken) -> None:
    now = timezone.now()
    last = token.last_used_at
    if last and (now - last).total_seconds() < LAST_USE_RESOLUTION_SECONDS:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def record_removal(resource: str, key: str, *, organisation_id=None, reason: str = "", when=None):
    """A tombstone: `key` left the `resource` list (listed by its removals endpoint)."""
    return Removal.objects.create(
        resource=resource,
        key=str(key),
        organisation_id=organisation_id,
        reason=reason,
        removed_at=when or timezone.now(),
    )
