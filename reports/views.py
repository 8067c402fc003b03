"""The public "Report this listing" and "Report this organisation" pages, and the thank-you."""

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from clusters.models import Listing, Organisation

from . import services
from .forms import ReportForm

SESSION_KEY = "report_sent"


def report_listing(request, ref):
    listing = get_object_or_404(Listing.objects.published().select_related("organisation"), ref=ref)
    listings = (
        ("Offers", reverse("clusters:offer-list"))
        if listing.kind == Listing.Kind.OFFER
        else ("Needs", reverse("clusters:need-list"))
    )
    crumbs = [listings, (listing.title, listing.get_absolute_url())]
    return _report(request, listing, "listing", listing.get_absolute_url(), crumbs)


def report_organisation(request, ref):
    organisation = get_object_or_404(Organisation.objects.approved(), ref=ref)
    back = organisation.get_public_url()
    crumbs = [("Organisations", reverse("clusters:organisation-list")), (organisation.name, back)]
    return _report(request, organisation, "organisation", back, crumbs)


def _rate_key(request, form) -> str:
    """Who is reporting, for the second count: their account, else the email address they
    gave, else only their IP address (counted once more under its own name)."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    if form.cleaned_data.get("email"):
        return f"email:{form.cleaned_data['email']}"
    return f"ip:{get_adapter(request).get_client_ip(request)}"


def _report(request, target, noun, back, crumbs):
    signed_in = request.user.is_authenticated
    form = ReportForm(request.POST or None, signed_in=signed_in)
    context = {
        "form": form,
        "target": target,
        "noun": noun,
        "back": back,
        "crumbs": [("Home", reverse("home")), *crumbs, (f"Report this {noun}", None)],
    }
    if request.method == "POST" and form.is_valid():
        # Counted per IP address and per person in the shared cache, by allauth's rate
        # limiter (ACCOUNT_RATE_LIMITS["report"]), as the "Get in touch" form is.
        if not ratelimit.consume(request, action="report", key=_rate_key(request, form)):
            return render(
                request,
                "reports/report_limited.html",
                {**context, "limit": settings.REPORTS_RATE_LIMIT},
                status=429,
            )
        services.submit_report(
            target,
            reason=form.cleaned_data["reason"],
            details=form.cleaned_data["details"].strip(),
            email=form.cleaned_data.get("email", ""),
            reporter=request.user if signed_in else None,
        )
        request.session[SESSION_KEY] = {"noun": noun, "name": str(target), "back": back}
        return redirect("reports:sent")
    return render(request, "reports/report_form.html", context)


def sent(request):
    about = request.session.get(SESSION_KEY)
    if not about:
        return redirect("home")
    return render(
        request,
        "reports/report_sent.html",
        {"about": about, "crumbs": [("Home", reverse("home")), ("Report sent", None)]},
    )
