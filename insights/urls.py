"""The gap analysis and funnel pages: public at /gaps/, staff ones inside the admin."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("gaps/", views.gaps, name="gaps"),
    # Under /admin/ so the admin's guards apply: staff only (others are sent to sign in or
    # refused), and the second factor (staff.middleware); the view then checks the role.
    path("admin/insights/gaps/", admin.site.admin_view(views.staff_gaps), name="staff-gaps"),
    path("admin/insights/funnel/", admin.site.admin_view(views.staff_funnel), name="staff-funnel"),
]
