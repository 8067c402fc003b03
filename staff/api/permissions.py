"""Who may use the staff API: active staff, with the Django permissions of the admin action.

Each view names, per action, the permissions the same action needs in the admin (staff/roles.py
gives them to the roles). The admin also needs its list page to be open to run an action (the
model's "view" or "change" permission), so every action needs that too.
"""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from rest_framework import permissions

from staff.middleware import passed_mfa

NOT_STAFF = "Only programme staff can use this."
NO_ROLE = "Your staff role does not allow this. Ask a programme admin if you need it."
SET_UP_MFA = (
    "Staff need a second step when they sign in: set up an authenticator app (your account, "
    "Two-step sign-in), then make a new token."
)
USE_MFA = "Sign in again with the code from your authenticator app to use the staff API."


def can_see(user, read_perms: tuple[str, ...]) -> bool:
    """As the admin's list page: any one of the permissions (view, or change) opens it."""
    return any(user.has_perm(perm) for perm in read_perms)


class StaffRole(permissions.BasePermission):
    """Active staff whose role gives the view's permissions for this action.

    The view sets `read_perms` (any one of them opens the list and the records) and
    `action_perms` ({action name: (every permission it needs)}; an action not named needs
    only `read_perms`). With STAFF_REQUIRE_MFA, a signed-in session must have used the second
    factor (as the admin asks, staff.middleware), and a token's owner must have one set up:
    tokens are made on a signed-in page, which staff reach only with their second factor.
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            self.message = NOT_STAFF
            return False
        if settings.STAFF_REQUIRE_MFA:
            if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
                self.message = SET_UP_MFA
                return False
            if request.auth is None and not passed_mfa(request):
                self.message = USE_MFA
                return False
        needed = view.action_perms.get(getattr(view, "action", None) or "", ())
        if not (can_see(user, view.read_perms) and all(user.has_perm(p) for p in needed)):
            self.message = NO_ROLE
            return False
        return True
