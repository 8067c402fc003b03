"""The one DRF router: every app registers its API viewsets here."""

from django.http import JsonResponse
from django.views import defaults
from rest_framework.routers import DefaultRouter

from clusters import api as cluster_api

router = DefaultRouter()
router.register("clusters", cluster_api.ClusterViewSet, basename="cluster")
router.register("themes", cluster_api.ThemeViewSet, basename="theme")
router.register("challenges", cluster_api.ChallengeViewSet, basename="challenge")
router.register("listings", cluster_api.ListingViewSet, basename="listing")

app_name = "api"
urlpatterns = router.urls


def page_not_found(request, exception):
    """The site's 404 page, or under /api/ the JSON the API's schema promises."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
