"""Public pages for funding calls."""

from django.urls import path

from . import views

app_name = "funding"
urlpatterns = [
    path("funding/", views.call_list, name="call-list"),
    path("funding/<str:ref>/", views.call_detail, name="call-detail"),
]
