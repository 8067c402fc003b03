"""The one DRF router: every app registers its API viewsets here."""

from rest_framework.routers import DefaultRouter

from clusters import api as cluster_api

router = DefaultRouter()
router.register("clusters", cluster_api.ClusterViewSet, basename="cluster")
router.register("themes", cluster_api.ThemeViewSet, basename="theme")
router.register("challenges", cluster_api.ChallengeViewSet, basename="challenge")
router.register("listings", cluster_api.ListingViewSet, basename="listing")

app_name = "api"
urlpatterns = router.urls
