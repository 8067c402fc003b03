"""Personal API tokens, read-only for staff, who may revoke one (never see a secret).

Only the digest of a secret is stored, and it is neither shown nor searchable nor filterable
here (OfferedFiltersOnly): a filter on it would let someone test guesses.
"""

from django.contrib import admin, messages

from config.admin import OfferedFiltersOnly

from . import services
from .models import ApiToken

SHOWN = [
    "user",
    "name",
    "scope",
    "prefix",
    "created_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
]


@admin.register(ApiToken)
class ApiTokenAdmin(OfferedFiltersOnly, admin.ModelAdmin):
    list_display = ["name", "user", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    filter_fields = ("scope", "revoked_at")
    search_fields = ["name", "user__email", "prefix"]
    list_select_related = ["user"]
    fields = SHOWN
    readonly_fields = SHOWN
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("api.revoke_apitoken")

    @admin.action(permissions=["revoke"], description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = sum(services.revoke_token(token, by=request.user) for token in queryset)
        messages.success(request, f"Revoked {count} token{'s' if count != 1 else ''}.")
