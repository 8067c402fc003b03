"""The site's URLs plus one that fails and one that refuses, to see the 500 and 403 pages as a
visitor would."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("a deliberate failure for the 500 page test")


def refused(request):
    raise PermissionDenied("a deliberate refusal for the 403 page test")


urlpatterns = [*site_urlpatterns, path("broken/", broken), path("refused/", refused)]
