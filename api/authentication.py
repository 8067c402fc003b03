"""`Authorization: Bearer cx_...`: a personal API token (api.models.ApiToken)."""

from rest_framework import authentication, exceptions

from . import services

KEYWORD = "bearer"


class TokenAuthentication(authentication.BaseAuthentication):
    """Signs a request in as the token's owner; `request.auth` is the ApiToken.

    No header: not this scheme (the session is tried next). A header with a token that is
    wrong, revoked or whose owner can no longer sign in: 401, never a fall back to the session.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.encode():
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
