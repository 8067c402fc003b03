"""Introductions: request one from a listing's page or a match, and accept or decline one."""

from django.urls import path

from . import views

app_name = "introductions"
urlpatterns = [
    path("listings/<str:ref>/introduction/", views.ask_about_listing, name="ask"),
    path(
        "listings/<str:ref>/matches/<str:target>/introduction/",
        views.request_introduction,
        name="request",
    ),
    path(
        "your-organisation/<str:ref>/introductions/",
        views.organisation_introductions,
        name="list",
    ),
    path("introductions/<uuid:public_id>/", views.introduction_detail, name="detail"),
    path("introductions/<uuid:public_id>/accept/", views.accept, name="accept"),
    path("introductions/<uuid:public_id>/decline/", views.decline, name="decline"),
    path("introductions/<uuid:public_id>/outcome/", views.outcome, name="outcome"),
]
