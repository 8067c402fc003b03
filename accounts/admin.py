"""Users in the admin: signed in by email, with their consent records."""

from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from config.admin import OfferedFiltersOnly

from .models import PrivacyConsent, User


class ConsentInline(admin.TabularInline):
    model = PrivacyConsent
    extra = 0
    readonly_fields = ["version", "accepted_at"]
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]
    inlines = [ConsentInline]


# allauth's own admin shows (and lets a superuser edit) each authenticator's `data`: the TOTP
# secret and the recovery codes, stored as they are. Nobody in the admin sees a second factor's
# secret; a superuser may only see that one exists and delete it (for someone who lost their
# phone, who then sets up a new one at their next sign-in).
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(OfferedFiltersOnly, admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    filter_fields = ("type",)
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
