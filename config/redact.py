"""One-time secrets out of the logs: the part of an address that is a secret link's key.

The outbox hides these links from staff; the access log and Django's "Not Found" warnings
wrote them in full, so anyone who reads the logs could reset a password, accept an
invitation or answer a match as its owner (attacker probe). No import of Django here:
config/gunicorn.py loads this before Django is set up.
"""

import re

HIDDEN = "[hidden]"

# The paths whose next segment is a secret (allauth's are under /account/), also when the
# address is itself a parameter, with its slashes written %2F (/account/login/?next=...).
_PATHS = (
    "account/password/reset/key",
    "account/confirm-email",
    "invitations",
    "email/unsubscribe",
    "email/link",
    "email/answer",
)
_SLASH = r"(?:/|%2[Ff])"
_SECRET = re.compile(
    _SLASH
    + "(?:"
    + "|".join(p.replace("/", _SLASH) for p in _PATHS)
    + ")"
    + _SLASH
    + r"((?:(?!%2[Ff])[^/?#&\s\"])+)"
)


def redact(text):
    """`text` with the secret of every such path replaced by [hidden]; not text: as it is."""
    if not isinstance(text, str) or not ("/" in text or "%2" in text):
        return text
    return _SECRET.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + HIDDEN, text)
