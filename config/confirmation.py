"""Confirming it is you before making something that outlives the session.

An API token, a webhook, a copy of all of one's data, and a new member of one's organisation
(an invitation sent, a request to join approved) outlive the session that makes them: a
session left open or stolen must not be enough. So the site asks for the password (or the
authenticator app) first, unless the person signed in or confirmed it in the last 5 minutes
(allauth's ACCOUNT_REAUTHENTICATION_TIMEOUT).

Unlike allauth's own `reauthentication_required`, nothing is held back to be completed after
the password: a request held back by whoever had the session was completed later for
whoever typed the password, and the password page did not say what it would do (outside
probe, stop 28). The person is sent to the password page and back to the page they were on,
where they press the button again. The same check holds for the API when it is called with
the site's session rather than a token (RecentlyConfirmedSession): that was a way round it.
"""

import time
from functools import wraps
from urllib.parse import urlencode

from allauth.account import app_settings
from allauth.account.authentication import get_authentication_records
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework import permissions

AGAIN = (
    "For your security, enter your password again. Then press the button again: nothing "
    "has been done yet."
)
API_REFUSED = (
    "This needs your password given in the last 5 minutes when it is called with your "
    "signed-in session. Confirm it on the site (Your account, then any page that asks), or "
    "use a read-and-write API token instead."
)


def recently_confirmed(request) -> bool:
    """Whether the person signed in, or gave their password or a code again, in the last
    ACCOUNT_REAUTHENTICATION_TIMEOUT seconds, in this session."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    django_request = getattr(request, "_request", request)
    records = get_authentication_records(django_request, user)
    latest = max((record.get("at", 0) for record in records), default=0)
    return time.time() - latest < app_settings.REAUTHENTICATION_TIMEOUT


def ask_to_confirm(request, back_to: str) -> HttpResponse | None:
    """Without a recent confirmation, the redirect to the password page (then back to the path
    `back_to`), storing nothing; None if confirmed. For a view that checks who may act first,
    so that someone who may not gets the same answer as ever (a 404, say), not this page."""
    if recently_confirmed(request):
        return None
    if request.method == "POST":
        messages.info(request, AGAIN)
    query = urlencode({"next": back_to})
    return redirect(f"{reverse('account_reauthenticate')}?{query}")


def confirm_first(back_to: str | None = None, *, posts_only: bool = False):
    """A view decorator: without a recent confirmation, send the person to the password page,
    then back to `back_to` (a URL name; by default the page itself), storing nothing. With
    `posts_only`, the page itself opens without (it only shows a form)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if posts_only and request.method != "POST":
                return view(request, *args, **kwargs)
            page = reverse(back_to) if back_to else request.path
            return ask_to_confirm(request, page) or view(request, *args, **kwargs)

        return wrapper

    return decorator


class RecentlyConfirmedSession(permissions.BasePermission):
    """For the API: a token passes (making it asked for the password); the site's session
    only with a recent confirmation (recently_confirmed)."""

    message = API_REFUSED

    def has_permission(self, request, view):
        from api.models import ApiToken

        if isinstance(request.auth, ApiToken):
            return True
        return recently_confirmed(request)
