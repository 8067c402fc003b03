"""The public "Get in touch" page."""

from django.urls import path

from . import views

app_name = "enquiries"
urlpatterns = [
    path("get-in-touch/", views.create, name="create"),
    path("get-in-touch/sent/", views.sent, name="sent"),
]
