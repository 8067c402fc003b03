"""Webhook endpoints on the account pages."""

from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("account/webhooks/", views.endpoint_list, name="list"),
    path("account/webhooks/new/", views.endpoint_create, name="create"),
    path("account/webhooks/<uuid:public_id>/", views.endpoint_detail, name="detail"),
    path("account/webhooks/<uuid:public_id>/ping/", views.endpoint_ping, name="ping"),
    path("account/webhooks/<uuid:public_id>/delete/", views.endpoint_delete, name="delete"),
]
