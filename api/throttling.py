"""Request limits: per person with a token, per signed-in person, per anonymous address.

The counts are kept in the default cache, which every process shares (the database cache
locally, Redis in production), so two workers do not each allow the full rate. A refusal is a
429 with `Retry-After` (DRF adds it from `wait()`).
"""

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from .models import ApiToken


class AnonymousThrottle(AnonRateThrottle):
    """Anonymous requests, per address (scope "anon")."""


class TokenThrottle(SimpleRateThrottle):
    """Requests with a personal token, counted per person across all their tokens (scope
    "token"): a person may hold 20 tokens, and counted per token that was 20 times the rate
    (attacker probe, stop 26)."""

    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.user_id}
        return None


class SessionThrottle(SimpleRateThrottle):
    """Signed-in requests without a token (the site's own pages), per person (scope "user")."""

    scope = "user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated and request.auth is None:
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return None
