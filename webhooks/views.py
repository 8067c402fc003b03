"""Webhooks on the account pages: list, add (the secret shown once), test, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api.permissions import session_passed_second_step
from config.confirmation import confirm_first

from . import services
from .events import EVENTS
from .forms import EndpointForm
from .models import Endpoint


def _mine(request, public_id):
    return get_object_or_404(Endpoint.objects.of_user(request.user), public_id=public_id)


def _labels(endpoint):
    return [EVENTS[name].label if name in EVENTS else name for name in endpoint.events]


@login_required
def endpoint_list(request):
    endpoints = list(Endpoint.objects.of_user(request.user))
    for endpoint in endpoints:
        endpoint.event_labels = _labels(endpoint)
    return render(request, "webhooks/endpoint_list.html", {"endpoints": endpoints})


# As for API tokens (api.views.tokens): adding a webhook, which sends the account's events
# to an address of one's choosing for as long as it stands, asks for the password or the
# app again unless given in the last 5 minutes (config.confirmation).
@never_cache
@login_required
@confirm_first(posts_only=True)
def endpoint_create(request):
    second_step = session_passed_second_step(request)
    form = EndpointForm(request.POST or None, user=request.user, second_step=second_step)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.create_endpoint(
                request.user,
                form.cleaned_data["url"],
                form.cleaned_data["events"],
                second_step=second_step,
            )
        except (services.Refused, services.NotAllowed) as exc:
            form.add_error(None, str(exc))
        else:
            # The one time the secret is shown: this answer to the POST, never stored in
            # the session or cached (never_cache: "no-store"), never in a URL or a redirect.
            return _detail(request, endpoint, secret=secret)
    return render(request, "webhooks/endpoint_form.html", {"form": form})


def _detail(request, endpoint, secret=None):
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "event_labels": _labels(endpoint),
            "deliveries": list(services.recent_deliveries(endpoint)),
            "secret": secret,
            "shown": services.SHOWN_DELIVERIES,
        },
    )


@login_required
def endpoint_detail(request, public_id):
    return _detail(request, _mine(request, public_id))


@login_required
@require_POST
def endpoint_ping(request, public_id):
    endpoint = _mine(request, public_id)
    if not endpoint.active:
        messages.error(request, "This endpoint has been turned off, so we cannot send to it.")
    elif wait := services.reserve_ping(endpoint):
        messages.error(
            request,
            "You sent a test ping to this endpoint less than a minute ago. Wait "
            f"{wait} second{'s' if wait != 1 else ''}, then try again.",
        )
    else:
        services.send_ping(endpoint)
        messages.success(
            request, "Test ping queued. It appears in the deliveries below within a minute."
        )
    return redirect("webhooks:detail", public_id=endpoint.public_id)


@login_required
@require_POST
def endpoint_delete(request, public_id):
    endpoint = _mine(request, public_id)
    services.delete_endpoint(endpoint)
    messages.success(request, f"Endpoint {endpoint.url} deleted. We will send nothing more to it.")
    return redirect("webhooks:list")
