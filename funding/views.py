"""Public pages of funding calls: the open calls, filtered, and one call. No sign-in needed."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from config.pages import requested_page

from .filters import FundingCallFilter
from .models import FundingCall

PAGE_SIZE = 20


def _crumbs(*trail):
    return [("Home", reverse("home")), *trail]


@require_safe
def call_list(request):
    filterset = FundingCallFilter(
        request.GET or None,
        queryset=FundingCall.objects.open().prefetch_related("themes", "clusters"),
    )
    paginator = Paginator(filterset.qs.order_by("deadline", "ref"), PAGE_SIZE)
    page_obj = requested_page(paginator, request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    # With no open calls at all the filters are not to blame, whatever they are.
    no_open_calls = paginator.count == 0 and not FundingCall.objects.open().exists()
    return render(
        request,
        "funding/fundingcall_list.html",
        {
            "filter": filterset,
            "no_open_calls": no_open_calls,
            "page_obj": page_obj,
            "query_string_without_page": params.urlencode(),
            "nav_section": "funding",
            "crumbs": _crumbs(("Funding calls", None)),
        },
    )


@require_safe
def call_detail(request, ref):
    """Any call, open or closed: a closed call's page says so (links to it live on in emails)."""
    call = get_object_or_404(FundingCall.objects.prefetch_related("themes", "clusters"), ref=ref)
    return render(
        request,
        "funding/fundingcall_detail.html",
        {
            "call": call,
            "nav_section": "funding",
            "crumbs": _crumbs(("Funding calls", reverse("funding:call-list")), (call.name, None)),
        },
    )
