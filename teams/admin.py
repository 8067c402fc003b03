"""Admin for cluster teams: staff approve, reject or remove people through actions."""

from django.contrib import admin

from clusters.admin import _with_reason

from . import services
from .models import ClusterTeamMember

PERSON_HINT = "This is emailed to the person"


@admin.register(ClusterTeamMember)
class ClusterTeamMemberAdmin(admin.ModelAdmin):
    """Read-only: people ask from the site, and status changes only through the actions
    (which call the services: the person is emailed, the history records who and why)."""

    list_display = ["user", "cluster", "body", "status", "requested_at", "decided_at"]
    list_filter = ["status", "cluster"]
    list_select_related = ["user", "cluster"]
    search_fields = ["user__email", "user__name", "body", "cluster__name"]
    fields = [
        "user",
        "cluster",
        "body",
        "message",
        "status",
        "requested_at",
        "decided_by",
        "decided_at",
        "reason",
    ]
    readonly_fields = fields
    actions = ["approve", "reject", "remove"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # A place ends through "Remove from team" (a reason, an email, the history); deleting
    # the row would skip all three, and would reset the week's wait after a rejection.
    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm("teams.decide_clusterteammember")

    @admin.action(
        permissions=["decide"], description="Approve the selected requests to join a team"
    )
    def approve(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Approve team requests",
            services.approve_team_member,
            required=False,
            hint=PERSON_HINT,
        )

    @admin.action(permissions=["decide"], description="Reject the selected requests, with a reason")
    def reject(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Reject team requests",
            services.reject_team_member,
            hint=PERSON_HINT,
        )

    @admin.action(
        permissions=["decide"],
        description="Remove the selected people from their team, with a reason",
    )
    def remove(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Remove from team",
            services.remove_team_member,
            hint=PERSON_HINT,
        )
