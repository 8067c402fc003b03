"""Outgoing emails, read-only, so staff can see what was sent and what is stuck.

One-time secrets (reset, confirmation, invitation and sign-in links, signed answer links)
are stored as placeholders in the fields shown here; the secrets themselves (`sealed`)
are never shown, listed, searched or filtered on, by anyone, superusers included.
"""

from django.contrib import admin

from config.admin import OfferedFiltersOnly

from .models import Email

SHOWN = [f.name for f in Email._meta.fields if f.name != "sealed"]


@admin.register(Email)
class EmailAdmin(OfferedFiltersOnly, admin.ModelAdmin):
    list_display = ["subject", "to", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    filter_fields = ("status",)
    # Never the bodies or headers: a search over them would be an oracle for what they hid.
    search_fields = ["to", "subject", "key"]
    fields = SHOWN
    readonly_fields = SHOWN

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
