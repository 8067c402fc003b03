"""The API's URLs: `/api/v1/` (router_v1, urlpatterns_v1), and the read-only paths under
`/api/` that came before it, kept working as they were.

Each domain's API views live in that app's `api.py`; they are wired together here, one block
per area.
"""

from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults
from rest_framework.routers import DefaultRouter

from accounts import api as account_api
from clusters import api as cluster_api
from introductions import api as introduction_api
from matching import api as matching_api
from searches import api as search_api
from teams import api as team_api

# The read-only API as it was before v1 (its schema and answers unchanged).
router = DefaultRouter()
router.register("clusters", cluster_api.ClusterViewSet, basename="cluster")
router.register("themes", cluster_api.ThemeViewSet, basename="theme")
router.register("challenges", cluster_api.ChallengeViewSet, basename="challenge")
router.register("listings", cluster_api.ListingViewSet, basename="listing")

router_v1 = DefaultRouter()
# Public reads: clusters, themes, challenges, published listings.
router_v1.register("clusters", cluster_api.ClusterViewSet, basename="cluster")
router_v1.register("themes", cluster_api.ThemeViewSet, basename="theme")
router_v1.register("challenges", cluster_api.ChallengeViewSet, basename="challenge")
router_v1.register("listings", cluster_api.ListingViewSet, basename="listing")

# Paths a router cannot make (nested under an organisation, actions on a queue...).
urlpatterns_v1: list = []

# A member's and a cluster team's own data (hS): matches, introductions, saved searches, the
# data export, the team's challenges.
router_v1.register("saved-searches", search_api.SavedSearchViewSet, basename="saved-search")
router_v1.register("introductions", introduction_api.IntroductionViewSet, basename="intro")
urlpatterns_v1 += matching_api.v1_paths
urlpatterns_v1 += introduction_api.v1_paths
urlpatterns_v1 += team_api.v1_paths
urlpatterns_v1 += account_api.v1_paths

app_name = "api"
urlpatterns = [
    path("v1/", include((urlpatterns_v1 + router_v1.urls, "v1"))),
    *router.urls,
]


def page_not_found(request, exception):
    """The site's 404 page, or under /api/ the JSON the API's schema promises."""
    if request.path.startswith("/api/v1/"):
        return JsonResponse(
            {"message": "Not found: there is no such address in the API.", "errors": {}},
            status=404,
        )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
