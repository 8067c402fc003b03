"""The admin is reached with a second factor: staff set up TOTP, then use it in every session."""

from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

SET_UP_MESSAGE = (
    "The staff area needs a second step when you sign in: set up an authenticator app on "
    "your phone, then go back to the staff area."
)
USE_MESSAGE = "Enter the code from your authenticator app to continue to the staff area."


def passed_mfa(request) -> bool:
    """True if this session's sign-in (or a later re-authentication) used a second factor.

    allauth records each step of a sign-in in the session, for the signed-in user only; a
    TOTP or recovery code step is recorded with the method "mfa".
    """
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


class StaffMFAMiddleware:
    """Guards every admin URL, including the admin's own extra ones (attachment downloads).

    - Staff without an authenticator app are sent to set one up.
    - Staff with one, whose session did not use it (e.g. signed in before setting it up),
      are asked for a code.

    People not signed in never get this far: the admin sends them to the site's sign-in
    page, which asks for the code (see staff.admin.StaffAdminSite.login).

    STAFF_REQUIRE_MFA=False turns this off (local development, tests about something else).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.STAFF_REQUIRE_MFA:
            response = self.check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def check(self, request):
        user = request.user
        if not (request.path.startswith(reverse("admin:index")) and user.is_authenticated):
            return None
        if not user.is_staff or request.path == reverse("admin:logout"):
            return None
        if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            messages.warning(request, SET_UP_MESSAGE)
            return redirect("mfa_activate_totp")
        if not passed_mfa(request):
            messages.info(request, USE_MESSAGE)
            next_url = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('mfa_reauthenticate')}?{next_url}")
        return None
