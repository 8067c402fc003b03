"""Pages for matches: "Your matches", answering a suggestion, and checking before publishing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from clusters.forms import ListingForm
from clusters.models import Listing, Organisation

from . import services
from .models import Match

ANSWERS = {
    "interested": Match.Status.INTERESTED,
    "not-relevant": Match.Status.DISMISSED,
    "suggest-again": Match.Status.NEW,  # undoes "Not relevant" (or "Interested")
}


@login_required
def organisation_matches(request, ref):
    organisation = get_object_or_404(Organisation.objects.of_member(request.user), ref=ref)
    suggestions = (
        Match.objects.visible()
        .filter(rank__isnull=False)
        .select_related("target__organisation")
        .prefetch_related("target__themes", "target__clusters")
        .order_by("rank")
    )
    # What a person marked "Not relevant", so that they can change their mind.
    dismissed = (
        Match.objects.filter(status=Match.Status.DISMISSED, target__status=Listing.Status.PUBLISHED)
        .select_related("target")
        .order_by("-status_changed_at", "pk")
    )
    listings = (
        organisation.listings.published()
        .order_by("-published_at", "ref")
        .prefetch_related(
            Prefetch("matches", queryset=suggestions, to_attr="suggestions"),
            Prefetch("matches", queryset=dismissed, to_attr="dismissed"),
        )
    )
    listings = list(listings)
    # Nothing published yet: what waits for approval, so that the page does not say to post
    # what was just posted (newcomer probe, stop 29). A query only then.
    waiting = (
        []
        if listings
        else list(organisation.listings.filter(status=Listing.Status.PENDING).order_by("title")[:6])
    )
    # After an answer (answer_match): its message goes in that listing's section.
    answered = request.GET.get("answered", "")
    return render(
        request,
        "matching/organisation_matches.html",
        {
            "organisation": organisation,
            "listings": listings,
            "waiting": waiting[:5],
            "waiting_more": len(waiting) > 5,  # whether there are more: no count, no query
            "answered": answered if any(x.ref == answered for x in listings) else "",
            "nav_section": "organisation",
            "crumbs": [
                ("Home", reverse("home")),
                (organisation.name, reverse("clusters:organisation-detail", args=[ref])),
                ("Your matches", None),
            ],
        },
    )


@login_required
@require_POST
def answer_match(request, ref, target):
    listing = get_object_or_404(Listing.objects.editable_by(request.user), ref=ref)
    match = get_object_or_404(listing.matches.select_related("target"), target__ref=target)
    answer = ANSWERS.get(request.POST.get("answer", ""))
    if answer is None:
        messages.error(request, "Choose “Interested”, “Not relevant” or “Suggest it again”.")
    else:
        before = match.status
        services.set_match_status(match, answer)
        if answer == before:
            messages.success(
                request,
                f"Nothing to change: your answer about “{match.target.title}” stays as it was.",
            )
        elif answer == Match.Status.NEW and before == Match.Status.INTERESTED:
            messages.success(
                request, f"You are no longer marked as interested in “{match.target.title}”."
            )
        elif answer == Match.Status.DISMISSED:
            messages.success(
                request,
                f"“{match.target.title}” will not be suggested to you again. Changed your mind? "
                "Find it under “Suggestions you marked not relevant” below this listing.",
            )
        elif answer == Match.Status.NEW:
            messages.success(
                request,
                f"“{match.target.title}” can be suggested to your organisation again. Your "
                "suggestions are being worked out again: it shows in the list if it is still "
                "one of the best fits (within a few minutes).",
            )
        else:
            messages.success(request, f"Noted: you are interested in “{match.target.title}”.")
    # The answer's message shows in the listing's own section, where the page opens: at the
    # top of a long page it was out of sight (newcomer probe, stop 27).
    page = reverse("matching:organisation", args=[listing.organisation.ref])
    return redirect(f"{page}?{urlencode({'answered': ref})}#listing-{ref}")


@login_required
@require_POST
def check_matches(request, ref):
    """The htmx partial: listings that fit what is typed so far (no JavaScript: see the form)."""
    organisation = get_object_or_404(Organisation.objects.of_member(request.user), ref=ref)
    form = ListingForm(request.POST)
    previews = services.preview_for_draft(form, organisation)
    # As the page without JavaScript says it (review, stop 30): too little written yet is
    # not "Nothing fits yet".
    return render(
        request,
        "matching/_check_results.html",
        {"previews": previews, "checked": previews is not None, "too_short": previews is None},
    )
