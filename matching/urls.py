"""Matches: an organisation's suggested partners, answers to them, and the pre-publish check."""

from django.urls import path

from . import views

app_name = "matching"
urlpatterns = [
    path("your-organisation/<str:ref>/matches/", views.organisation_matches, name="organisation"),
    path("listings/<str:ref>/matches/<str:target>/", views.answer_match, name="answer"),
    path("your-organisation/<str:ref>/listings/check/", views.check_matches, name="check"),
]
