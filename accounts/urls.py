"""The user's own pages beside allauth's: privacy notice, download my data, delete my account."""

from django.urls import path

from . import views

urlpatterns = [
    path("privacy/", views.privacy_notice, name="privacy"),
    path("your-data/", views.your_data, name="account-your-data"),
    path("your-data/download/", views.download_data, name="account-download-data"),
    path("delete/", views.delete_account, name="account-delete"),
]
