"""Personal API tokens on the account pages: make one (shown once), see them, revoke one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.confirmation import confirm_first

from . import services
from .forms import NewTokenForm
from .models import ApiToken
from .permissions import session_passed_second_step


def _verified(user) -> bool:
    return user.emailaddress_set.filter(verified=True).exists()


def _needs_second_step(request) -> bool:
    """Staff reach the admin only with a second step; a token must not be a way round it."""
    return (
        request.user.is_staff
        and settings.STAFF_REQUIRE_MFA
        and not session_passed_second_step(request)
    )


def _page(request, form, status=200):
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "verified": _verified(request.user)},
        status=status,
    )


# Making a token asks for the password or the app again (unless given in the last 5
# minutes, signing in included): a token outlives the session, so a session left open or
# stolen must not be enough to make one (outside probe, stop 28). Seeing the list does not
# ask (config.confirmation).
@never_cache
@login_required
@confirm_first(posts_only=True)
def tokens(request):
    if request.method != "POST":
        return _page(request, NewTokenForm())
    form = NewTokenForm(request.POST)
    if not _verified(request.user):
        form.add_error(None, "Confirm your email address before you make a token")
    elif _needs_second_step(request):
        form.add_error(
            None,
            "Staff make tokens only after the second step of signing in: sign out, then sign "
            "in again with the code from your authenticator app",
        )
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        token, secret = services.create_token(
            request.user,
            form.cleaned_data["name"],
            form.cleaned_data["scope"],
            second_step=session_passed_second_step(request),
        )
    except services.TokenRefused as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=400)
    # The one time the secret is shown: this answer to the POST, never stored or cached
    # (never_cache: "no-store"), never in a URL, a message or a redirect.
    return render(request, "api/token_created.html", {"token": token, "secret": secret})


@login_required
@require_POST
def revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if services.revoke_token(token, by=request.user):
        messages.success(request, f"“{token.name}” is revoked: it no longer works.")
    return redirect("api-tokens")
