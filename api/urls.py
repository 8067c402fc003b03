"""The token pages, under /account/ beside the other "Your account" pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("api-tokens/", views.tokens, name="api-tokens"),
    path("api-tokens/<int:pk>/revoke/", views.revoke, name="api-token-revoke"),
]
