"""The public "Get in touch" page and its confirmation."""

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse

from . import services
from .forms import EnquiryForm

SESSION_KEY = "enquiry_reference"


def _crumbs(*trail):
    return [("Home", reverse("home")), *trail]


def _client_ip(request) -> str:
    """The visitor's address as sign-in rate limits see it (allauth's ALLAUTH_TRUSTED_PROXY_COUNT
    or ALLAUTH_TRUSTED_CLIENT_IP_HEADER), not the proxy's."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return ""


def create(request):
    form = EnquiryForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if services.allow_enquiry(form.cleaned_data["email"], _client_ip(request)):
            enquiry = services.submit_enquiry(form.cleaned_data)
            request.session[SESSION_KEY] = enquiry.reference
            return redirect("enquiries:sent")
        form.add_error(
            None,
            f"You have sent {services.rate_limit()} enquiries in the last hour, which is our "
            "limit. Nothing has been sent this time. Wait an hour and try again, or reply to "
            "the acknowledgement email we sent you.",
        )
        status = 429
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
        {"reference": reference, "crumbs": _crumbs(("Get in touch", None))},
    )
