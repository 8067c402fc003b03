"""Email preferences, and the one-click links in match emails (they work without signing in)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clusters.models import Listing
from matching.models import Match
from matching.services import strength

from . import services, tokens
from .forms import PreferencesForm


def _bad_link(request):
    return render(request, "notifications/bad_link.html", status=404)


@login_required
def preferences(request):
    preference = services.preference_for(request.user)
    listings = list(
        Listing.objects.filter(organisation__memberships__user=request.user).order_by("title")
    )
    muted = [str(pk) for pk in request.user.listing_mutes.values_list("listing_id", flat=True)]
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        listings=listings,
        initial={"cadence": preference.cadence, "muted": muted},
    )
    if request.method == "POST" and form.is_valid():
        services.save_preferences(
            request.user, form.cleaned_data["cadence"], form.cleaned_data.get("muted", [])
        )
        messages.success(request, "Your email settings have been saved.")
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "preference": preference,
            # Without an organisation there are no listings to match (newcomer probe).
            "has_organisation": request.user.memberships.exists(),
            "crumbs": [("Home", reverse("home")), ("Email settings", None)],
        },
    )


# The signed token is the authority; mail clients POST here with no page (RFC 8058). A GET
# or HEAD, as a mail scanner sends, only shows the page with the button.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    payload = tokens.read(tokens.UNSUBSCRIBE, token)
    if payload is None:
        return _bad_link(request)
    if request.method == "POST":
        services.unsubscribe(payload["u"])
        return render(request, "notifications/unsubscribed.html")
    return render(request, "notifications/unsubscribe.html", {"token": token})


def click(request, token):
    payload = tokens.read(tokens.DIGEST, token, max_age=tokens.LINK_MAX_AGE)
    path = request.GET.get("to", "")
    if (
        payload is None
        or not path.startswith("/")
        or not url_has_allowed_host_and_scheme(path, allowed_hosts=None)
    ):
        return _bad_link(request)
    services.record_click(payload["d"])
    return redirect(path)


# Mail scanners follow every link in an email: the link opens a page showing the match, and
# only its button (a POST, with a CSRF token, working without a session because the signed
# token is in the address) records the answer.
@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request, token, notice, answer):
    payload = tokens.read(tokens.DIGEST, token, max_age=tokens.LINK_MAX_AGE)
    if payload is None or answer not in services.ANSWERS:
        return _bad_link(request)
    found = services.notice_for_link(payload["d"], notice)
    if found is None:
        return _bad_link(request)
    interested = services.ANSWERS[answer] == Match.Status.INTERESTED
    if request.method == "POST":
        match = services.record_feedback(payload["d"], notice, answer)
        # The next step after "Interested": asking for an introduction, or, when nobody
        # there could answer one, our Get in touch form (newcomer probe).
        answerable = interested and match is not None and services.someone_can_answer(match.target)
        return render(
            request,
            "notifications/feedback.html",
            {"match": match, "interested": interested, "answerable": answerable},
        )
    # A listing taken down since, or no longer public, is not shown to whoever holds the link.
    listed = found.target.status == Listing.Status.PUBLISHED
    match = services.match_for_notice(found) if listed else None
    return render(
        request,
        "notifications/feedback_confirm.html",
        {
            "notice": found,
            "listed": listed,
            "match": match,
            "strength": strength(found.score),
            "interested": interested,
            "answered": match is not None and match.status == services.ANSWERS[answer],
        },
    )
