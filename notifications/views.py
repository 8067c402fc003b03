"""Email preferences, and the one-click links in match emails (they work without signing in)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt

from clusters.models import Listing

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
            "crumbs": [("Home", reverse("home")), ("Email settings", None)],
        },
    )


@csrf_exempt  # the signed token is the authority; mail clients POST here (RFC 8058)
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


def feedback(request, token, notice, answer):
    payload = tokens.read(tokens.DIGEST, token, max_age=tokens.LINK_MAX_AGE)
    if payload is None or answer not in ("useful", "not-relevant"):
        return _bad_link(request)
    match = services.record_feedback(payload["d"], notice, answer)
    return render(
        request,
        "notifications/feedback.html",
        {"match": match, "useful": answer == "useful"},
    )
