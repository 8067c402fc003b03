"""What a token's scope allows. Object and role rules are each domain's own (its api.py)."""

from rest_framework import permissions

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
        token = request.auth
        if isinstance(token, ApiToken) and request.method not in permissions.SAFE_METHODS:
            return token.can_write
        return True


class IsStaffToken(permissions.BasePermission):
    """Staff only (their role is checked by each view with `user.has_perm`)."""

    message = "Only programme staff can use this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
