"""`Authorization: Bearer cx_...`: a personal API token (api.models.ApiToken)."""

from rest_framework import authentication, exceptions

from . import services

KEYWORD = "bearer"


class TokenAuthentication(authentication.BaseAuthentication):
    """Signs a request in as the token's owner; `request.auth` is the ApiToken.

    No header, or another scheme: not this one (the session is tried next). A header with a
    token that is wrong, revoked or whose owner can no longer sign in, or one of our tokens
    under another scheme ("Token cx_...", a bare "cx_..."): 401, never a fall back.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != KEYWORD.encode():
            # Another scheme (a proxy's Basic sign-in) is not ours to judge; but one of our
            # tokens sent another way must not silently read as anonymous (found by a probe).
            if header[0].lower() == b"token" or any(p.startswith(b"cx_") for p in header):
                raise exceptions.AuthenticationFailed(
                    "Send the token as 'Authorization: Bearer <token>': the word Bearer, one "
                    "space, then the token."
                )
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>', with one space and no quotes."
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That token is not valid.") from None
        token = services.token_for_secret(secret)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                "That token is not valid: it may have been revoked. Make a new one on your "
                "account page (API tokens)."
            )
        services.record_use(token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes an unauthenticated request a 401 (with this challenge), not a 403.
        return 'Bearer realm="api"'
