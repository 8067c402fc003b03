"""Pages for cluster teams, under their cluster's address."""

from django.urls import path

from . import views

app_name = "teams"
urlpatterns = [
    path("clusters/<slug:slug>/team/", views.dashboard, name="dashboard"),
    path("clusters/<slug:slug>/team/join/", views.join, name="join"),
    path(
        "clusters/<slug:slug>/team/challenges/new/",
        views.challenge_create,
        name="challenge-create",
    ),
    path(
        "clusters/<slug:slug>/team/challenges/<str:ref>/",
        views.challenge_detail,
        name="challenge",
    ),
    path(
        "clusters/<slug:slug>/team/challenges/<str:ref>/edit/",
        views.challenge_edit,
        name="challenge-edit",
    ),
    path(
        "clusters/<slug:slug>/team/challenges/<str:ref>/close/",
        views.challenge_close,
        name="challenge-close",
    ),
    path(
        "clusters/<slug:slug>/team/challenges/<str:ref>/reopen/",
        views.challenge_reopen,
        name="challenge-reopen",
    ),
    path(
        "clusters/<slug:slug>/team/challenges/<str:ref>/review/",
        views.challenge_review,
        name="challenge-review",
    ),
    path(
        "clusters/<slug:slug>/team/challenges/<str:ref>/shortlist/add/",
        views.shortlist_add,
        name="shortlist-add",
    ),
    path(
        "clusters/<slug:slug>/team/challenges/<str:ref>/shortlist/remove/",
        views.shortlist_remove,
        name="shortlist-remove",
    ),
    path(
        "clusters/<slug:slug>/team/challenges/<str:ref>/shortlist/<str:listing_ref>/introduce/",
        views.introduce,
        name="introduce",
    ),
]
