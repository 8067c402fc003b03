"""Public pages: home, clusters, challenges, offers and needs. No sign-in needed."""

from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from config.pages import requested_page
from pagecache.decorators import cache_public_page

from .charts import emissions_chart
from .filters import ChallengeFilter, ListingFilter
from .models import Challenge, Cluster, ClusterListingCount, Listing, Organisation

PAGE_SIZE = 20


def _crumbs(*trail):
    """Breadcrumbs from the home page: (label, url) pairs, the current page last with None."""
    return [("Home", reverse("home")), *trail]


def _count(queryset, group_by: str):
    """A correlated COUNT subquery: one query in all, however many rows are listed."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _published(kind: str):
    """The cluster's count of published listings of `kind`, which the database keeps
    (ClusterListingCount, clusters.counts): one row read, not every listing counted."""
    counted = ClusterListingCount.objects.filter(cluster=OuterRef("pk"), kind=kind)
    return Coalesce(Subquery(counted.values("published")[:1]), 0)


def clusters_with_counts():
    return Cluster.objects.annotate(
        open_challenges=_count(Challenge.objects.open().filter(cluster=OuterRef("pk")), "cluster"),
        published_offers=_published(Listing.Kind.OFFER),
        published_needs=_published(Listing.Kind.NEED),
    )


@cache_public_page
def home(request):
    clusters = list(clusters_with_counts())
    return render(
        request,
        "clusters/home.html",
        {
            "clusters": clusters,
            "chart": emissions_chart(clusters),
            "total_emissions": sum(c.emissions_mtco2 or 0 for c in clusters),
        },
    )


@cache_public_page
def cluster_list(request):
    clusters = list(clusters_with_counts())
    return render(
        request,
        "clusters/cluster_list.html",
        {
            "clusters": clusters,
            "chart": emissions_chart(clusters),
            "nav_section": "clusters",
            "crumbs": _crumbs(("Clusters", None)),
        },
    )


@cache_public_page
def cluster_detail(request, slug):
    cluster = get_object_or_404(clusters_with_counts(), slug=slug)
    # Each challenge's published offers and needs, counted from an index of (challenge,
    # status, kind) alone: a join of every listing, grouped by every column of the
    # challenge, read each listing's row.
    answering = Listing.objects.published().filter(challenge=OuterRef("pk"))
    challenges = (
        cluster.challenges.order_by("status", "-created_at", "ref")
        .prefetch_related("themes")
        .annotate(
            offer_count=_count(answering.offers(), "challenge"),
            need_count=_count(answering.needs(), "challenge"),
        )
    )
    return render(
        request,
        "clusters/cluster_detail.html",
        {
            "cluster": cluster,
            "challenges": challenges,
            "nav_section": "clusters",
            "crumbs": _crumbs(("Clusters", reverse("clusters:cluster-list")), (cluster.name, None)),
        },
    )


def _paginate(request, queryset, rows=None):
    """The requested page of `queryset`, and the query string of the other pages.

    Given `rows`, the page's ids are sorted and cut first, then only the page's rows are
    read whole from `rows` (with their joins and prefetches): sorting every match whole
    (descriptions, organisation, challenge) spilled a search's sort to disk on PostgreSQL;
    sorting ids and the sort keys stays in memory (issue #14).
    """
    if rows is None:
        page_obj = requested_page(Paginator(queryset, PAGE_SIZE), request.GET.get("page"))
    else:
        paginator = Paginator(queryset.values_list("pk", flat=True), PAGE_SIZE)
        page_obj = requested_page(paginator, request.GET.get("page"))
        ids = list(page_obj.object_list)
        found = rows.in_bulk(ids)
        page_obj.object_list = [found[pk] for pk in ids if pk in found]
    params = request.GET.copy()
    params.pop("page", None)
    return page_obj, params.urlencode()


@cache_public_page
def challenge_list(request):
    filterset = ChallengeFilter(request.GET or None, queryset=Challenge.objects.all())
    page_obj, query_string = _paginate(
        request,
        filterset.qs,
        rows=Challenge.objects.select_related("cluster").prefetch_related("themes"),
    )
    return render(
        request,
        "clusters/challenge_list.html",
        {
            "filter": filterset,
            "page_obj": page_obj,
            "query_string_without_page": query_string,
            "nav_section": "challenges",
            "crumbs": _crumbs(("Challenges", None)),
        },
    )


def _listing_rows():
    """Listings with what a list shows of them: organisation, challenge, themes, clusters."""
    return Listing.objects.select_related("organisation", "challenge").prefetch_related(
        "themes", "clusters"
    )


def _published_listings():
    return _listing_rows().published()


def challenge_detail(request, ref):
    challenge = get_object_or_404(
        Challenge.objects.select_related("cluster").prefetch_related("themes"), ref=ref
    )
    listings = list(_published_listings().filter(challenge=challenge).order_by("-created_at"))
    from matching.services import challenge_suggestions

    suggested = challenge_suggestions(challenge, top=10)
    return render(
        request,
        "clusters/challenge_detail.html",
        {
            "challenge": challenge,
            "offers": [item for item in listings if item.kind == Listing.Kind.OFFER],
            "needs": [item for item in listings if item.kind == Listing.Kind.NEED],
            "suggested": suggested,
            "nav_section": "challenges",
            "crumbs": _crumbs(
                ("Clusters", reverse("clusters:cluster-list")),
                (challenge.cluster.name, challenge.cluster.get_absolute_url()),
                (challenge.title, None),
            ),
        },
    )


@cache_public_page
def listing_list(request, kind):
    filterset = ListingFilter(
        request.GET or None, queryset=Listing.objects.published().filter(kind=kind)
    )
    # The page's rows by id alone: with the status filter too, SQLite read them off the
    # status index instead of by their ids.
    page_obj, query_string = _paginate(request, filterset.qs, rows=_listing_rows())
    return render(
        request,
        "clusters/listing_list.html",
        {
            "kind": kind,
            "kind_plural": "offers" if kind == Listing.Kind.OFFER else "needs",
            "filter": filterset,
            "page_obj": page_obj,
            "query_string_without_page": query_string,
            "nav_section": "offers" if kind == Listing.Kind.OFFER else "needs",
            "crumbs": _crumbs(("Offers" if kind == Listing.Kind.OFFER else "Needs", None)),
        },
    )


@cache_public_page
def listing_detail(request, ref):
    try:
        listing = get_object_or_404(
            _published_listings().prefetch_related(
                Prefetch("organisation__clusters", queryset=Cluster.objects.order_by("name"))
            ),
            ref=ref,
        )
    except Http404:
        # Its own organisation's links (emails, bookmarks) reach a listing that is not public
        # (taken down, withdrawn, a draft) on its preview, which says why; anyone else gets the
        # same 404 as for no listing at all.
        if Listing.objects.editable_by(request.user).filter(ref=ref).exists():
            return redirect("clusters:listing-preview", ref)
        # One that was public (withdrawn, taken down, its organisation refused): people reach
        # it from match emails and bookmarks, and "Page not found, check the address" sent
        # them nowhere (newcomer probe, stop 29). It is said to be gone, and nothing more of
        # it is shown: the API's removals list already names such listings, never a draft.
        gone = Listing.objects.once_public().exclude(status=Listing.Status.PUBLISHED)
        found = gone.filter(ref=ref).values_list("pk", "kind").first()
        if found is None:
            raise
        pk, kind = found
        user = request.user
        return render(
            request,
            "clusters/listing_gone.html",
            {
                "noun": Listing.Kind(kind).label.lower(),
                "is_offer": kind == Listing.Kind.OFFER,
                # Each way on only for those it leads somewhere for (newcomer probe, stop 30):
                # "your organisation's page" to someone in none; staff, from "View on site",
                # back to the listing in the staff area.
                "has_organisation": user.is_authenticated
                and Organisation.objects.of_member(user).exists(),
                "staff_url": reverse("admin:clusters_listing_change", args=[pk])
                if user.is_staff and user.has_perm("clusters.view_listing")
                else None,
            },
            status=410,
        )
    is_offer = listing.kind == Listing.Kind.OFFER
    return render(
        request,
        "clusters/listing_detail.html",
        {
            "listing": listing,
            "nav_section": "offers" if is_offer else "needs",
            "crumbs": _crumbs(
                ("Offers", reverse("clusters:offer-list"))
                if is_offer
                else ("Needs", reverse("clusters:need-list")),
                (listing.title, None),
            ),
        },
    )
