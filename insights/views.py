"""The gap analysis and the partnering funnel: a public summary and two staff pages.

Every page reads the newest finished computation and counts nothing itself.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from . import tables
from .models import Computation
from .services import FUNNEL, NEEDS_SHOWN

PUBLIC_UNMET = 20  # unmet needs listed on the public page
STAFF_PERMISSION = "insights.view_computation"


def _page(request, template, build, context=None):
    """Render `template` with the tables `build(computation)` makes, or one as CSV."""
    computation = Computation.objects.latest_done()
    made = build(computation) if computation else []
    wanted = request.GET.get("download")
    if wanted:
        for table in made:
            if table.slug == wanted:
                return tables.csv_response(table, computation.finished_at)
        raise Http404("No such table")
    # A download link keeps the page's other choices (the staff page's filter).
    kept = request.GET.copy()
    kept.pop("download", None)
    query = kept.urlencode() + "&" if kept else ""
    return render(
        request,
        template,
        {"computation": computation, "tables": made, "query": query, **(context or {})},
    )


def gaps(request):
    """Public: where needs go unanswered, and how suggestions turn into partnerships."""

    def build(computation):
        figures = tables.Figures(computation, [*NEEDS_SHOWN, *FUNNEL])
        unmet = tables.unmet_needs_table(computation, figures, limit=PUBLIC_UNMET)
        unmet.caption = "Some of the needs waiting longest for a strong match"
        # Public: no partial matches (they name other organisations' listings in a judgement).
        unmet.head = unmet.head[:4]
        unmet.rows = [row[:4] for row in unmet.rows]
        return [tables.needs_table(figures), unmet, *tables.funnel_tables(figures)[:2]]

    crumbs = [("Home", reverse("home")), ("Where the gaps are", None)]
    return _page(request, "insights/gaps.html", build, {"crumbs": crumbs})


def _staff_only(request):
    if not request.user.has_perm(STAFF_PERMISSION):
        raise PermissionDenied


def _staff_context(request, **context):
    """The admin's own context (the staff area's name in the title and header, the user
    links), as every other staff page has, with this page's."""
    return {**admin.site.each_context(request), **context}


def staff_gaps(request):
    """Staff: the gap analysis in full (reached through the admin: staff, second factor)."""
    _staff_only(request)

    chosen = {}

    def build(computation):
        figures = tables.Figures(computation, NEEDS_SHOWN)
        # The unmet needs of one cluster or theme (GET, a plain form): unknown slugs show all.
        chosen["cluster"] = _pick(figures.clusters, request.GET.get("cluster"))
        chosen["theme"] = _pick(figures.themes, request.GET.get("theme"))
        chosen["clusters"], chosen["themes"] = figures.clusters, figures.themes
        return [
            tables.needs_table(figures),
            tables.unmet_needs_table(
                computation, figures, cluster=chosen["cluster"], theme=chosen["theme"]
            ),
            *tables.challenge_tables(computation, figures),
        ]

    return _page(
        request,
        "admin/insights/gaps.html",
        build,
        _staff_context(request, title="Gap analysis", other="funnel", chosen=chosen),
    )


def _pick(choices, slug):
    return next((choice for choice in choices if choice.slug == slug), None)


def staff_funnel(request):
    """Staff: the partnering funnel by cluster, theme and challenge."""
    _staff_only(request)

    def build(computation):
        return tables.funnel_tables(
            tables.Figures(computation, FUNNEL, challenges=True), challenges=True
        )

    return _page(
        request,
        "admin/insights/funnel.html",
        build,
        _staff_context(request, title="The partnering funnel", other="gaps"),
    )
