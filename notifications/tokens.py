"""Signed, tamper-proof tokens for links in emails that work without signing in."""

from django.core import signing

UNSUBSCRIBE = "cx.notifications.unsubscribe"
DIGEST = "cx.notifications.digest"
# Links in a summary stay valid for this long; unsubscribe links never expire.
LINK_MAX_AGE = 60 * 60 * 24 * 90


def make(purpose: str, **payload) -> str:
    return signing.dumps(payload, salt=purpose)


def read(purpose: str, token: str, max_age: int | None = None) -> dict | None:
    """The payload, or None if the token was forged, altered, or is too old."""
    try:
        return signing.loads(token, salt=purpose, max_age=max_age)
    except signing.BadSignature:
        return None
