"""The API's URLs: `/api/v1/` (router_v1, urlpatterns_v1), and the read-only paths under
`/api/` that came before it, kept working as they were.

Each domain's API views live in that app's `api.py`; they are wired together here, one block
per area.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults
from rest_framework.routers import DefaultRouter

from accounts import api as account_api
from clusters import api as cluster_api
from introductions import api as introduction_api
from matching import api as matching_api
from searches import api as search_api
from staff import api as staff_api
from teams import api as team_api
from webhooks import api as webhook_api

# The read-only API as it was before v1 (its schema and answers unchanged).
router = DefaultRouter()
router.register("clusters", cluster_api.ClusterViewSet, basename="cluster")
router.register("themes", cluster_api.ThemeViewSet, basename="theme")
router.register("challenges", cluster_api.ChallengeViewSet, basename="challenge")
router.register("listings", cluster_api.ListingViewSet, basename="listing")

router_v1 = DefaultRouter()
# hR: public reads (clusters, themes, challenges, published listings, their removals) and an
# organisation's own details and listings, for its members.
router_v1.register("clusters", cluster_api.ClusterV1ViewSet, basename="cluster")
router_v1.register("themes", cluster_api.ThemeV1ViewSet, basename="theme")
router_v1.register("challenges", cluster_api.ChallengeV1ViewSet, basename="challenge")
router_v1.register("listings", cluster_api.ListingV1ViewSet, basename="listing")
router_v1.register("organisations", cluster_api.OrganisationV1ViewSet, basename="organisation")
router_v1.register(
    rf"organisations/(?P<organisation_ref>{cluster_api.REF})/listings",
    cluster_api.OrganisationListingViewSet,
    basename="organisation-listing",
)

# Staff, by role (hT): enquiries and the moderation queues (staff/api/).
MODERATION = "staff/moderation"
router_v1.register("staff/enquiries", staff_api.StaffEnquiryViewSet, basename="staff-enquiry")
router_v1.register(
    f"{MODERATION}/organisations", staff_api.OrganisationQueueViewSet, basename="staff-organisation"
)
router_v1.register(
    f"{MODERATION}/organisation-changes",
    staff_api.OrganisationChangeQueueViewSet,
    basename="staff-organisation-change",
)
router_v1.register(
    f"{MODERATION}/listing-reviews",
    staff_api.ListingReviewQueueViewSet,
    basename="staff-listing-review",
)
router_v1.register(
    f"{MODERATION}/team-requests", staff_api.TeamRequestQueueViewSet, basename="staff-team-request"
)
router_v1.register(f"{MODERATION}/reports", staff_api.ReportQueueViewSet, basename="staff-report")

# Webhooks (hU): a person's own endpoints, their deliveries, a test ping.
router_v1.register("webhooks", webhook_api.EndpointViewSet, basename="webhook")

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


def _api_error(request, message: str, status: int) -> JsonResponse:
    """An error under /api/ in its shape: v1's {"message", "errors"}, or the paths from before
    v1's {"detail"}."""
    if request.path.startswith("/api/v1/"):
        return JsonResponse({"message": message, "errors": {}}, status=status)
    return JsonResponse({"detail": message}, status=status)


def bad_request(request, exception):
    """The site's 400 page, or under /api/ JSON (the request was refused before any view: a
    body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields)."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
        message = (
            f"The request is larger than the API accepts ({limit:.1f} MB of data outside "
            "files): send less, for example shorter descriptions."
        )
    else:
        message = "The request could not be read: check its headers and body, and send it again."
    return _api_error(request, message, 400)


def server_error(request):
    """The site's 500 page, or under /api/ JSON that says what to do next."""
    if not request.path.startswith("/api/"):
        return defaults.server_error(request)
    return _api_error(
        request,
        "Sorry, there is a problem with the service. Try again later. If you were adding or "
        "changing something, it may not have been saved: read it back before trying again.",
        500,
    )


def page_not_found(request, exception):
    """The site's 404 page, or under /api/ the JSON the API's schema promises."""
    if request.path.startswith("/api/v1/"):
        return _api_error(request, "Not found: there is no such address in the API.", 404)
    if request.path.startswith("/api/"):
        return _api_error(request, "Not found.", 404)
    return defaults.page_not_found(request, exception)
