"""Matching in the admin: runs (when, how many, how long, errors), work rows and matches."""

from django.contrib import admin, messages

from . import answers, learn
from .models import LearnedWeights, Match, MatchingRun, MatchingWork, MatchModel


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


def _figure(value):
    return "–" if value is None else f"{value:.3f}"


def _weights(weights):
    if not weights:
        return "–"
    return ", ".join(f"{name} {value:.3f}" for name, value in weights.items())


@admin.register(LearnedWeights)
class LearnedWeightsAdmin(ReadOnly):
    """What the matcher learned from people's answers, and whether it is used.

    The page opens with the weights the next fit uses and where they come from. The one
    action, "back to the defaults", calls the service; nothing here is edited by hand.
    """

    list_display = [
        "learned_at",
        "answers",
        "organisations",
        "held_out",
        "held_out_defaults",
        "adopted",
        "in_use",
        "learned_weights",
    ]
    list_filter = ["adopted", "in_use"]
    readonly_fields = [
        "learned_at",
        "answers",
        "organisations",
        "sources",
        "learned_weights",
        "default_weights",
        "held_out",
        "held_out_defaults",
        "fold_gains",
        "adopted",
        "in_use",
        "reason",
    ]
    fields = readonly_fields
    actions = ["back_to_defaults"]

    @admin.display(description="held-out nDCG@10, learned")
    def held_out(self, row):
        return _figure(row.held_out_learned)

    @admin.display(description="held-out nDCG@10, defaults")
    def held_out_defaults(self, row):
        return _figure(row.held_out_default)

    @admin.display(description="weights learned")
    def learned_weights(self, row):
        return _weights(row.weights)

    @admin.display(description="default weights")
    def default_weights(self, row):
        return _weights(row.defaults)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_choose_permission(self, request):
        return request.user.has_perm("matching.change_learnedweights")

    @admin.action(
        description="Stop using learned weights (back to the defaults)", permissions=["choose"]
    )
    def back_to_defaults(self, request, queryset):
        if answers.return_to_defaults():
            self.message_user(
                request, "The next rebuild fits with the default weights.", messages.SUCCESS
            )
        else:
            self.message_user(request, "The matcher already uses the default weights.")

    def changelist_view(self, request, extra_context=None):
        in_use = answers.weights_in_use()
        extra_context = {
            **(extra_context or {}),
            "weights_in_use": in_use,
            "weights_shown": _weights(in_use.weights if in_use else answers.default_weights()),
            "min_answers": learn.MIN_ANSWERS,
            "min_organisations": learn.MIN_ORGANISATIONS,
        }
        return super().changelist_view(request, extra_context)
