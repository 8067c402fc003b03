"""What a token's scope allows. Object and role rules are each domain's own (its api.py)."""

from django.conf import settings
from rest_framework import exceptions, permissions

from .models import ApiToken


class TokenScope(permissions.BasePermission):
    """A read-only token reads; only a read-and-write token changes anything.

    A session (the site's own pages, signed in) is not limited here: its writes are guarded by
    CSRF (SessionAuthentication) and by each view's own rules.
    """

    message = (
        "This token can only read. Make a token that can read and write on your account page "
        "(API tokens) to change anything."
    )

    def has_permission(self, request, view):
        # A method the address does not offer is a 405 for everyone, checked first: it was
        # 401 without a token, 403 with a read-only one and 405 with a read-and-write one
        # (found by an outside probe). Every API view lists this permission first.
        method = request.method.lower()
        if method not in view.http_method_names or getattr(view, method, None) is None:
            raise exceptions.MethodNotAllowed(request.method)
        token = request.auth
        if isinstance(token, ApiToken) and request.method not in permissions.SAFE_METHODS:
            return token.can_write
        return True


def session_passed_second_step(request) -> bool:
    """True if this session's sign-in used a second factor (allauth records it as "mfa")."""
    from allauth.account.authentication import get_authentication_records

    django_request = getattr(request, "_request", request)
    records = get_authentication_records(django_request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def passed_second_step(request) -> bool:
    """True if this API request carries the second step of signing in: its token was made in
    a session that passed it, or (no token) its session did."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return token.second_step
    return session_passed_second_step(request)


class IsStaffToken(permissions.BasePermission):
    """Staff only (their role is checked by each view with `user.has_perm`).

    Staff reach the admin only with a second step at sign-in (STAFF_REQUIRE_MFA), so the API
    asks the same: a staff token can only be made in a session that passed it (api/views.py),
    a token made without it (e.g. before its owner joined the staff) is refused here, and so
    is a session without it.
    """

    message = "Only programme staff can use this."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        if not settings.STAFF_REQUIRE_MFA:
            return True
        token = request.auth
        if isinstance(token, ApiToken) and not token.second_step:
            self.message = (
                "This token was made without the second step of signing in (or before you "
                "joined the programme's staff). Sign in with the code from your authenticator "
                "app, then make a new token on your account page (API tokens)."
            )
            return False
        if token is None and not session_passed_second_step(request):
            self.message = (
                "Staff use this only after the second step of signing in: sign in again "
                "with the code from your authenticator app, or use a personal token."
            )
            return False
        return True
