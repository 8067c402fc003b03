"""The site's URLs: public pages, the API and its schema, and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from clusters import views as cluster_views
from config import api_docs

urlpatterns = [
    path("", cluster_views.home, name="home"),
    path("", include("clusters.urls")),
    path("", include("matching.urls")),
    path("", include("notifications.urls")),
    path("", include("searches.urls")),
    path("", include("introductions.urls")),
    path("", include("enquiries.urls")),
    path("", include("teams.urls")),
    path("", include("reports.urls")),
    path("", include("opendata.urls")),
    path("", include("dashboards.urls")),
    path("", include("funding.urls")),
    path("", include("insights.urls")),
    path("", include("webhooks.urls")),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
    path("cookies/", TemplateView.as_view(template_name="pages/cookies.html"), name="cookies"),
    path("account/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("account/", include("api.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-v1-schema"),
    # Third-party viewers of that schema (JavaScript; not fully accessible): see api_docs.
    path("api/v1/swagger/", api_docs.swagger_ui, name="api-swagger"),
    path("api/v1/redoc/", api_docs.redoc, name="api-redoc"),
    path("api/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The API reference: a page drawn on the server from the schema above (no JavaScript).
    path("api/docs/", api_docs.api_docs, name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "config.api.bad_request"
handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"
