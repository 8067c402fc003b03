"""Public pages for clusters, challenges, offers and needs."""

from django.urls import path

from . import views

app_name = "clusters"
urlpatterns = [
    path("clusters/", views.cluster_list, name="cluster-list"),
    path("clusters/<slug:slug>/", views.cluster_detail, name="cluster-detail"),
    path("challenges/", views.challenge_list, name="challenge-list"),
    path("challenges/<str:ref>/", views.challenge_detail, name="challenge-detail"),
    path("offers/", views.listing_list, {"kind": "offer"}, name="offer-list"),
    path("needs/", views.listing_list, {"kind": "need"}, name="need-list"),
    path("listings/<str:ref>/", views.listing_detail, name="listing-detail"),
]
