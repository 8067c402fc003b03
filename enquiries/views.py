"""The public "Get in touch" page and its confirmation."""

from allauth.core import ratelimit
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse

from clusters.models import Listing

from . import services
from .forms import EnquiryForm
from .models import Enquiry

SESSION_KEY = "enquiry_reference"


def _crumbs(*trail):
    return [("Home", reverse("home")), *trail]


def _refuse_sent_again(form):
    form.renew_start()
    form.add_error(
        None,
        "You have already sent this form, and we have your enquiry: we emailed you its "
        "reference number. Nothing more has been sent. To send another enquiry, check your "
        "answers, then send the form again.",
    )


def _about_listing(request) -> dict:
    """What the form starts with when a page sends the person here about a listing
    (`?listing=<ref>`, from "Nobody at X can answer ... use the Get in touch form and name
    this offer"): the listing named in the message, the topic and its cluster, and, signed
    in, their name, address and organisation. They had to type it all again (newcomer probe,
    stop 29). Only a published listing is named; any other reference is ignored."""
    ref = request.GET.get("listing", "")[:64]
    listing = (
        Listing.objects.published().select_related("organisation").filter(ref=ref).first()
        if ref
        else None
    )
    initial = {}
    if listing is not None:
        kind = listing.get_kind_display().lower()
        initial["message"] = (
            f"I would like to get in touch with {listing.organisation.name} about their "
            f"{kind} “{listing.title}” ({listing.ref}).\n\n"
        )
        initial["topic"] = Enquiry.Topic.PARTNERING
        clusters = list(listing.clusters.all()[:2])
        if len(clusters) == 1:
            initial["cluster"] = clusters[0].pk
    user = request.user
    if user.is_authenticated:
        initial["name"], initial["email"] = user.name, user.email
        membership = user.memberships.select_related("organisation").order_by("created_at")
        if first := membership.first():
            initial["organisation"] = first.organisation.name
            # The site knows its kind: the form refused to send until it was chosen again
            # (newcomer probe, stop 30). The two lists of kinds are the same.
            if first.organisation.kind in Enquiry.OrganisationKind.values:
                initial["organisation_kind"] = first.organisation.kind
    return initial


def create(request):
    form = EnquiryForm(
        request.POST or None, initial=None if request.POST else _about_listing(request)
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["started"]
        # A copy sent again sends nothing, so it is refused before the rate limit counts it:
        # otherwise a few presses of "Send" used up the hour's enquiries.
        if services.form_already_sent(token):
            _refuse_sent_again(form)
        # Counted per IP address and per email address in the shared cache, by allauth's rate
        # limiter (ACCOUNT_RATE_LIMITS["enquiry"]), as sign-in attempts are.
        elif not ratelimit.consume(request, action="enquiry", key=form.cleaned_data["email"]):
            form.add_error(
                None,
                # Per address or per network: a colleague on the same network may be the one
                # who sent them (found by an outside probe), so it does not say "you".
                f"We have had {settings.ENQUIRIES_RATE_LIMIT} enquiries in the last hour from "
                "this email address or from your network (your workplace, say), which is our "
                "limit. Nothing has been sent this time. Wait an hour and try again. If you "
                "sent us an enquiry before, you can also reply to the acknowledgement email.",
            )
            status = 429
        else:
            try:
                enquiry = services.submit_enquiry(form.cleaned_data, form_token=token)
            except services.AlreadySent:  # the same copy, sent at the same moment elsewhere
                _refuse_sent_again(form)
            else:
                request.session[SESSION_KEY] = enquiry.reference
                return redirect("enquiries:sent")
    return render(
        request,
        "enquiries/enquiry_form.html",
        {"form": form, "crumbs": _crumbs(("Get in touch", None))},
        status=status,
    )


def sent(request):
    reference = request.session.get(SESSION_KEY)
    if not reference:
        return redirect("enquiries:create")
    return render(
        request,
        "enquiries/enquiry_sent.html",
        {
            "reference": reference,
            "reply_days": settings.ENQUIRIES_REPLY_WITHIN_WORKING_DAYS,
            "crumbs": _crumbs(("Get in touch", None)),
        },
    )
