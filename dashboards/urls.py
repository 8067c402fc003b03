"""Public dashboards: the mission's, each cluster's and each challenge's, with CSVs."""

from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("dashboard/", views.mission_dashboard, name="mission"),
    path("dashboard/<slug:chart>.csv", views.mission_csv, name="mission-csv"),
    path("clusters/<slug:slug>/dashboard/", views.cluster_dashboard, name="cluster"),
    path(
        "clusters/<slug:slug>/dashboard/<slug:chart>.csv",
        views.cluster_csv,
        name="cluster-csv",
    ),
    path("challenges/<str:ref>/dashboard/", views.challenge_dashboard, name="challenge"),
    path(
        "challenges/<str:ref>/dashboard/<slug:chart>.csv",
        views.challenge_csv,
        name="challenge-csv",
    ),
]
