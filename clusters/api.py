"""Read-only API for public data: clusters, themes, challenges and published listings."""

from rest_framework import viewsets

from .filters import ChallengeFilter, ListingApiFilter
from .models import Challenge, Cluster, Listing, Theme
from .serializers import (
    ChallengeSerializer,
    ClusterSerializer,
    ListingSerializer,
    ThemeSerializer,
)


class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Theme.objects.all()
    serializer_class = ThemeSerializer
    lookup_field = "slug"
    pagination_class = None


class ClusterViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Cluster.objects.all()
    serializer_class = ClusterSerializer
    lookup_field = "slug"
    pagination_class = None


class ChallengeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Challenge.objects.select_related("cluster").prefetch_related("themes")
    serializer_class = ChallengeSerializer
    filterset_class = ChallengeFilter
    lookup_field = "ref"


class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    """Published offers and needs; filter with `kind=offer` or `kind=need`."""

    queryset = (
        Listing.objects.published()
        .select_related("organisation", "challenge")
        .prefetch_related("themes", "clusters")
    )
    serializer_class = ListingSerializer
    lookup_field = "ref"

    filterset_class = ListingApiFilter
