"""Staff publish funding calls here; they close and reopen them with the actions."""

from django.contrib import admin, messages

from . import services
from .forms import FundingCallAdminForm
from .models import FundingCall


@admin.register(FundingCall)
class FundingCallAdmin(admin.ModelAdmin):
    form = FundingCallAdminForm
    list_display = ["ref", "name", "funder", "deadline", "status", "needs_consortium"]
    list_filter = ["status", "needs_consortium", "themes", "clusters"]
    search_fields = ["ref", "name", "funder", "description"]
    date_hierarchy = "deadline"
    filter_horizontal = ["themes", "clusters"]
    # The status changes only through the actions and the daily task (funding/services.py).
    readonly_fields = ["status", "closed_at", "created_at", "updated_at"]
    actions = ["close", "reopen"]

    @admin.action(permissions=["change"], description="Close the selected funding calls")
    def close(self, request, queryset):
        closed = sum(services.close_call(call) for call in queryset)
        self.message_user(request, f"Closed {closed} funding call(s).", messages.SUCCESS)

    @admin.action(permissions=["change"], description="Reopen the selected funding calls")
    def reopen(self, request, queryset):
        reopened = 0
        for call in queryset:
            try:
                reopened += services.reopen_call(call)
            except services.CannotReopen as exc:
                self.message_user(request, str(exc), messages.ERROR)
        self.message_user(request, f"Reopened {reopened} funding call(s).", messages.SUCCESS)
