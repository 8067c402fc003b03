"""The site's URLs (and error handlers) plus ones that fail and one that refuses, to see the
500 and 403 pages, and the API's JSON 500, as a visitor would."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from config.urls import handler400, handler404, handler500  # noqa: F401 (as the site's)
from config.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("a deliberate failure for the 500 page test")


def refused(request):
    raise PermissionDenied("a deliberate refusal for the 403 page test")


urlpatterns = [
    path("broken/", broken),
    path("refused/", refused),
    path("api/v1/broken/", broken),
    path("api/broken/", broken),
    *site_urlpatterns,
]
