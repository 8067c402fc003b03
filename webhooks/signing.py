"""Endpoint secrets (kept encrypted) and the signature of each delivery.

The signature is the hex HMAC-SHA256, keyed with the endpoint's secret, of
"<timestamp>.<body>" (the X-Cluster-Exchange-Timestamp header, a dot, and the raw body):
sent as `X-Cluster-Exchange-Signature: sha256=<hex>`. docs/api.md shows a receiver checking it.

The secret must be kept in a form the server can read back (it signs with it), so it is
not hashed but encrypted (Fernet) with a key derived from DJANGO_SECRET_KEY: a copy of the
database alone does not give the secrets away. Rotating the secret key with the old one in
Django's SECRET_KEY_FALLBACKS keeps existing secrets readable.
"""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"webhooks:{k}".encode()).digest()))
            for k in keys
        ]
    )


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    """The secret; raises ValueError if no key in use can read it."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The endpoint's secret cannot be read with the current keys") from exc


def signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The header's value: "sha256=" and the hex HMAC of "<timestamp>.<body>"."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (docs/api.md has the same, standalone)."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)
