"""The public "Report this ..." pages."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("listings/<str:ref>/report/", views.report_listing, name="listing"),
    path("organisations/<str:ref>/report/", views.report_organisation, name="organisation"),
    path("reports/sent/", views.sent, name="sent"),
]
