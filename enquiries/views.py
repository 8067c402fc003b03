"""The public "Get in touch" page and its confirmation."""

from allauth.core import ratelimit
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse

from . import services
from .forms import EnquiryForm

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


def create(request):
    form = EnquiryForm(request.POST or None)
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
