"""Matching in the admin: runs (when, how many, how long, errors), work rows and matches."""

from django.contrib import admin

from .models import Match, MatchingRun, MatchingWork, MatchModel


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MatchingRun)
class MatchingRunAdmin(ReadOnly):
    list_display = [
        "started_at",
        "kind",
        "subject",
        "status",
        "sources",
        "matches_written",
        "chunks_done",
        "chunks_total",
        "seconds",
        "short_error",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["subject", "error", "model_version"]

    @admin.display(description="error")
    def short_error(self, run):
        return run.error[:80]


@admin.register(MatchingWork)
class MatchingWorkAdmin(ReadOnly):
    list_display = [
        "created_at",
        "kind",
        "object_id",
        "state",
        "attempts",
        "claimed_at",
        "finished_at",
        "last_error",
    ]
    list_filter = ["kind", "state"]


@admin.register(MatchModel)
class MatchModelAdmin(ReadOnly):
    list_display = ["version", "fitted_at", "doc_count", "size", "is_current"]


@admin.register(Match)
class MatchAdmin(ReadOnly):
    list_display = ["source_key", "target", "rank", "score", "status", "computed_at"]
    list_filter = ["status"]
    list_select_related = ["target"]
    search_fields = ["source_key", "target__ref", "target__title"]
    raw_id_fields = ["source_listing", "source_challenge", "target"]
