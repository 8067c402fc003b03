"""Public pages of organisations: the directory, each approved organisation, its logo.

Only approved organisations are shown, to everyone alike: a pending or rejected one is a
404 here even to its own members, who have their member page (/your-organisation/<ref>/).
Nothing about the people in an organisation is shown.
"""

from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from .filters import OrganisationFilter
from .logos import CONTENT_TYPES
from .models import Cluster, Listing, Organisation
from .views import _crumbs, _paginate


def _directory_queryset():
    return Organisation.objects.approved().prefetch_related(
        Prefetch("clusters", queryset=Cluster.objects.order_by("name"))
    )


@require_safe
def organisation_list(request):
    filterset = OrganisationFilter(request.GET or None, queryset=_directory_queryset())
    page_obj, query_string = _paginate(request, filterset.qs.order_by("name", "ref"))
    return render(
        request,
        "clusters/organisation_list.html",
        {
            "filter": filterset,
            "page_obj": page_obj,
            "query_string_without_page": query_string,
            "nav_section": "organisations",
            "crumbs": _crumbs(("Organisations", None)),
        },
    )


@require_safe
def organisation_public(request, ref):
    organisation = get_object_or_404(_directory_queryset(), ref=ref)
    listings = list(
        Listing.objects.published()
        .live()
        .filter(organisation=organisation)
        .prefetch_related("themes")
        .order_by("-published_at", "-created_at", "ref")
    )
    return render(
        request,
        "clusters/organisation_public.html",
        {
            "organisation": organisation,
            "offers": [item for item in listings if item.kind == Listing.Kind.OFFER],
            "needs": [item for item in listings if item.kind == Listing.Kind.NEED],
            "nav_section": "organisations",
            "crumbs": _crumbs(
                ("Organisations", reverse("clusters:organisation-list")),
                (organisation.name, None),
            ),
        },
    )


@require_safe
def organisation_logo(request, ref, name):
    """The logo of an approved organisation (to anyone), of one's own (to its members), or of
    any organisation to staff who may see organisations (to check it before approving).

    Served here rather than from MEDIA_URL: uploads of other kinds (enquiry attachments)
    share the media folder and must never be public, and the logo of an organisation not
    yet approved is not public either.
    """
    if request.user.has_perm("clusters.view_organisation"):
        visible = Organisation.objects.all()
    else:
        visible = Organisation.objects.approved() | Organisation.objects.of_member(request.user)
    organisation = get_object_or_404(visible.distinct(), ref=ref)
    stored = organisation.logo.name
    if not stored or stored.rsplit("/", 1)[-1] != name:
        raise Http404
    content_type = CONTENT_TYPES.get(name.rsplit(".", 1)[-1])
    if content_type is None:
        raise Http404
    try:
        handle = organisation.logo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    # The name is random and changes with each upload: a cached copy is never stale for
    # long, and one removed by staff stops being served at once.
    response["Cache-Control"] = (
        "public, max-age=3600" if organisation.is_approved else "private, no-store"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
