"""Webhook endpoints and deliveries, read-only, so staff can see what is sent and what fails.

The endpoints' secrets (sealed) are never shown, listed, searched or filtered on. Staff turn
an endpoint off through an action that calls webhooks.services.deactivate_endpoint.
"""

from django.contrib import admin, messages

from config.admin import OfferedFiltersOnly

from . import services
from .models import Delivery, Endpoint

ENDPOINT_SHOWN = [f.name for f in Endpoint._meta.fields if f.name != "secret_sealed"]
DELIVERY_SHOWN = [f.name for f in Delivery._meta.fields]


class ReadOnly(OfferedFiltersOnly, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Endpoint)
class EndpointAdmin(ReadOnly):
    list_display = ["url", "user", "active", "created_at"]
    list_filter = ["active"]
    filter_fields = ("active",)
    list_select_related = ["user"]
    search_fields = ["url", "user__email"]
    fields = ENDPOINT_SHOWN
    readonly_fields = ENDPOINT_SHOWN
    actions = ["deactivate"]

    def has_deactivate_permission(self, request):
        return request.user.has_perm("webhooks.change_endpoint")

    @admin.action(permissions=["deactivate"], description="Turn off the selected endpoints")
    def deactivate(self, request, queryset):
        who = request.user.email or request.user.get_username()
        done = sum(
            services.deactivate_endpoint(endpoint, f"Turned off by our team ({who}).")
            for endpoint in queryset
        )
        messages.success(request, f"{done} endpoint(s) turned off.")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ["event", "endpoint", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event"]
    filter_fields = ("status", "event")
    list_select_related = ["endpoint"]
    search_fields = ["event_id", "endpoint__url"]
    fields = DELIVERY_SHOWN
    readonly_fields = DELIVERY_SHOWN
