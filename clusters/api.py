"""Read-only API for public data: clusters, themes, challenges and published listings."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets

from .filters import ChallengeFilter, ListingApiFilter
from .models import REF_PATTERN, Challenge, Cluster, Listing, Theme
from .serializers import (
    ChallengeSerializer,
    ClusterSerializer,
    ListingSerializer,
    ThemeSerializer,
)

# What a reference or a slug may be, so that the schema says so (and "." is part of a ref,
# not the start of a format suffix).
REF = REF_PATTERN.removeprefix("^").removesuffix("\\Z")
SLUG = r"[-a-zA-Z0-9_]+"

# The answers besides 200 that the API gives, so that its schema describes every answer.
_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
NOT_FOUND = OpenApiResponse(_DETAIL, description="No such record, or no such page of results")
TOO_MANY = OpenApiResponse(_DETAIL, description="Too many requests: wait, then try again")
BAD_FILTER = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="A filter value is not valid: each such parameter, with what to change",
)


def answers(serializer, *, filtered: bool, many: str, one: str):
    """Document every answer of a read-only viewset: 200, and the errors it can give.

    `many` and `one` are the summaries of its list and of its single record, in plain
    English: the API reference page (/api/docs/) shows them under each address.
    """
    errors = {404: NOT_FOUND, 429: TOO_MANY}
    if filtered:
        listed = {200: serializer, 400: BAD_FILTER, **errors}
    else:
        listed = {200: serializer, 429: TOO_MANY}
    return extend_schema_view(
        list=extend_schema(summary=many, responses=listed),
        retrieve=extend_schema(summary=one, responses={200: serializer, **errors}),
    )


@answers(ThemeSerializer, filtered=False, many="All themes", one="One theme, by its slug")
class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Theme.objects.all()
    serializer_class = ThemeSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG
    pagination_class = None


@answers(ClusterSerializer, filtered=False, many="All clusters", one="One cluster, by its slug")
class ClusterViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Cluster.objects.all()
    serializer_class = ClusterSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG
    pagination_class = None


@answers(
    ChallengeSerializer,
    filtered=True,
    many="Challenges, a page at a time",
    one="One challenge, by its reference",
)
class ChallengeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Challenge.objects.select_related("cluster").prefetch_related("themes")
    serializer_class = ChallengeSerializer
    filterset_class = ChallengeFilter
    lookup_field = "ref"
    lookup_value_regex = REF


@answers(
    ListingSerializer,
    filtered=True,
    many="Published offers and needs, a page at a time",
    one="One published offer or need, by its reference",
)
class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    """Published offers and needs; filter with `kind=offer` or `kind=need`."""

    queryset = (
        Listing.objects.published()
        .select_related("organisation", "challenge")
        .prefetch_related("themes", "clusters")
    )
    serializer_class = ListingSerializer
    lookup_field = "ref"
    lookup_value_regex = REF

    filterset_class = ListingApiFilter
