"""Email preferences, one-click unsubscribe, and the tracked and feedback links in emails."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("account/email-settings/", views.preferences, name="preferences"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email/link/<str:token>/", views.click, name="click"),
    path("email/answer/<str:token>/<int:notice>/<slug:answer>/", views.feedback, name="feedback"),
]
