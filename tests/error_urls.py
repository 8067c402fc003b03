"""The site's URLs plus one that fails, to see the 500 page as a visitor would."""

from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("a deliberate failure for the 500 page test")


urlpatterns = [*site_urlpatterns, path("broken/", broken)]
