"""Admin for introductions: staff follow them; only the two organisations change them."""

from django.contrib import admin

from config.admin import ReadOnlyInline

from .models import Introduction, Outcome


class OutcomeInline(ReadOnlyInline, admin.TabularInline):
    """What each side said came of it: read-only, only the two organisations answer."""

    model = Outcome
    verbose_name = "outcome reported"
    verbose_name_plural = "What came of it (each side’s latest answer)"
    fields = ["organisation", "result", "answered_by", "created_at", "updated_at"]
    readonly_fields = fields


@admin.register(Introduction)
class IntroductionAdmin(admin.ModelAdmin):
    # The date asked opens it: the public id (a UUID) read as a developer's column to the
    # programme staff (newcomer probe, stop 29); it is still on the page and searchable.
    list_display = [
        "created_at",
        "from_organisation",
        "to_organisation",
        "target_listing",
        "about_listing",
        "challenge",
        "status",
        "decided_at",
    ]
    list_display_links = ["created_at"]
    list_filter = ["status", "created_at", "target_listing__clusters", "target_listing__themes"]
    list_select_related = [
        "from_organisation",
        "to_organisation",
        "target_listing",
        "source_listing",
        "challenge",
    ]
    search_fields = [
        "=public_id",
        "from_organisation__name",
        "to_organisation__name",
        "source_listing__ref",
        "source_listing__title",
        "target_listing__ref",
        "target_listing__title",
        "challenge__ref",
        "challenge__title",
        "requested_by__email",
    ]
    date_hierarchy = "created_at"
    inlines = [OutcomeInline]
    # Read-only: a change of state goes through the services, which send the emails.
    readonly_fields = [
        "public_id",
        "source_listing",
        "target_listing",
        "challenge",
        "from_organisation",
        "to_organisation",
        "requested_by",
        "message",
        "status",
        "expires_at",
        "reminder_sent_at",
        "decided_by",
        "decided_at",
        "decline_shown_at",
        "outcome_asked_60_at",
        "outcome_asked_180_at",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="About the asker’s listing", ordering="source_listing__title")
    def about_listing(self, introduction):
        if introduction.source_listing is None:
            return "None: not about one of their listings"
        return introduction.source_listing

    def has_add_permission(self, request):
        return False
