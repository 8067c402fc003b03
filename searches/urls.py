"""Saved searches."""

from django.urls import path

from . import views

app_name = "searches"
urlpatterns = [
    path("saved-searches/", views.saved_searches, name="list"),
    path("saved-searches/save/", views.save, name="save"),
    path("saved-searches/<str:ref>/rename/", views.rename, name="rename"),
    path("saved-searches/<str:ref>/delete/", views.delete, name="delete"),
]
