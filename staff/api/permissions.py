"""What a staff role may do in the staff API: the Django permissions of the admin action.

Who is staff, and the second step of signing in, are checked first by
`api.permissions.IsStaffToken`; this adds the role. Each view names, per action, the
permissions the same action needs in the admin (staff/roles.py gives them to the roles). The
admin also needs its list page to be open to run an action (the model's "view" or "change"
permission), so every action needs that too.
"""

from rest_framework import permissions

NO_ROLE = "Your staff role does not allow this. Ask a programme admin if you need it."


class StaffRole(permissions.BasePermission):
    """The view's `read_perms` (any one of them opens its list and records, as the admin's
    list page) and, for an action named in `action_perms`, every permission listed there."""

    message = NO_ROLE

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        needed = view.action_perms.get(getattr(view, "action", None) or "", ())
        can_see = any(user.has_perm(perm) for perm in view.read_perms)
        return can_see and all(user.has_perm(perm) for perm in needed)
