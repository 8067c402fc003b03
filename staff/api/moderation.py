"""Staff API: the moderation queues, and the decisions on what waits in them.

Each queue lists what waits for staff; each decision is a POST to a verb of one record, with
a reason where the staff area's action asks for one. Decisions need the same permissions as
the admin actions (clusters/admin.py, teams/admin.py, reports/admin.py) and call the same
services, so the same emails go out and the same history is kept.
"""

from collections.abc import Callable, Mapping
from types import SimpleNamespace

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import Prefetch, Q
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.errors import NOT_AN_OBJECT, Conflict
from api.filters import PARAMETER, UpdatedSinceFilter, parse_moment
from api.pagination import SyncCursorPagination
from api.permissions import IsStaffToken, TokenScope
from api.schema import errors
from clusters import services as cluster_services
from clusters.forms import ReasonForm
from clusters.models import ListingReview, Membership, Organisation, OrganisationChange
from reports import services as report_services
from reports.models import Report
from staff.serializers import (
    ListingReviewQueueSerializer,
    OrganisationChangeQueueSerializer,
    OrganisationQueueSerializer,
    ReportQueueSerializer,
    StaffOptionalReasonSerializer,
    StaffReasonSerializer,
    StaffRemovedSerializer,
    TeamRequestQueueSerializer,
)
from teams import services as team_services
from teams.models import ClusterTeamMember

from .permissions import StaffRole

TAGS = ["Staff: moderation"]
REASON_EXAMPLE = OpenApiExample(
    "A reason", value={"reason": "The description names no product or service."}, request_only=True
)


class ChangedSince(UpdatedSinceFilter):
    """`updated_since` over several moments of a record without an `updated_at` (asked,
    referred, decided): a record any of which is at or after the time."""

    def filter_queryset(self, request, queryset, view):
        moment = parse_moment(request.query_params.get(PARAMETER) or "")
        if moment is None:
            return super().filter_queryset(request, queryset, view)
        condition = Q()
        for field in view.updated_fields:
            condition |= Q(**{f"{field}__gte": moment})
        return queryset.filter(condition)


def decision(summary: str, description: str, serializer, *, required: bool):
    """The schema of a decision: its reason (required or not) and every answer it can give."""
    return extend_schema(
        summary=summary,
        description=description,
        tags=TAGS,
        request=StaffReasonSerializer if required else StaffOptionalReasonSerializer,
        examples=[REASON_EXAMPLE],
        responses={200: serializer, **errors(400, 401, 403, 404, 409, 429)},
    )


def queue_schema(serializer, *, many: str, one: str, description: str):
    return extend_schema_view(
        list=extend_schema(
            summary=many,
            description=description,
            tags=TAGS,
            responses={200: serializer, **errors(400, 401, 403, 429)},
        ),
        retrieve=extend_schema(
            summary=one,
            description="Also once decided, to see the decision.",
            tags=TAGS,
            responses={200: serializer, **errors(401, 403, 404, 429)},
        ),
    )


class QueueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A moderation queue: `waiting` is what it lists; one record is found among all rows,
    so that a decision on a record decided meanwhile is a 409 that says so, not a 404."""

    permission_classes = [TokenScope, IsStaffToken, StaffRole]
    pagination_class = SyncCursorPagination
    filter_backends = [UpdatedSinceFilter]
    ordering = ("updated_at", "id")
    lookup_value_regex = r"[0-9]+"
    read_perms: tuple[str, ...] = ()
    action_perms: dict[str, tuple[str, ...]] = {}
    waiting = Q()
    decided = "This was decided already: nothing was changed."
    # For the removals list: when a record left the queue, and the key it is listed by.
    decided_field = "decided_at"
    key_field = "id"

    def rows(self):
        raise NotImplementedError

    def get_queryset(self):
        rows = self.rows()
        return rows.filter(self.waiting) if self.action == "list" else rows

    @extend_schema(
        summary="What left the queue: decided records (staff)",
        description="Records decided at or after `updated_since`, oldest first: `key` is "
        "the record's key in this queue, `reason` the decision (its new status). A mirror "
        "of the queue deletes them. A request withdrawn by its organisation is not listed.",
        tags=TAGS,
        responses={200: StaffRemovedSerializer(many=True), **errors(400, 401, 403, 429)},
    )
    @action(detail=False, methods=["get"])
    def removed(self, request, *args, **kwargs):
        decided = self.decided_field
        self.ordering = (decided, "id")
        rows = (
            self.get_serializer_class()
            .Meta.model.objects.exclude(self.waiting)
            .filter(**{f"{decided}__isnull": False})
            .values("id", self.key_field, decided, "status")
        )
        since = UpdatedSinceFilter()
        rows = since.filter_queryset(request, rows, SimpleNamespace(updated_field=decided))
        page = self.paginate_queryset(rows)
        removed = [
            {"key": str(row[self.key_field]), "removed_at": row[decided], "reason": row["status"]}
            for row in page
        ]
        return self.get_paginated_response(StaffRemovedSerializer(removed, many=True).data)

    def decide(self, request, apply: Callable, *, required: bool, title: str):
        """Validate the reason as the admin's reason form does, then apply the service.

        `apply(record, user, reason)` answers something false if it left the record as it
        was (decided meanwhile): a 409. As the admin action, the decision is written to the
        history of what it changed (`logged`), under `title`. The answer is the record as it
        now is.
        """
        record = self.get_object()
        data = request.data
        if not isinstance(data, Mapping):  # [], "x", 3: as every other v1 write, a 400
            raise exceptions.ValidationError({"non_field_errors": [NOT_AN_OBJECT]})
        reason = data.get("reason", "")
        if not isinstance(reason, str | None):
            # A list or a number would be turned into text ("['a', 'b']") by the form.
            raise exceptions.ValidationError({"reason": ["Give the reason as text."]})
        form = ReasonForm({"reason": reason or ""})
        form.fields["reason"].required = required
        if not form.is_valid():
            raise exceptions.ValidationError({name: list(e) for name, e in form.errors.items()})
        reason = form.cleaned_data["reason"]
        with transaction.atomic():
            if not apply(record, request.user, reason):
                raise Conflict(self.decided_message(record))
            for obj, message in self.logged(record, f"{title}: {reason}" if reason else title):
                LogEntry.objects.log_actions(
                    user_id=request.user.pk,
                    queryset=[obj],
                    action_flag=CHANGE,
                    change_message=message,
                    single_object=True,
                )
        return Response(self.get_serializer(self.rows().get(pk=record.pk)).data)

    def decided_message(self, record) -> str:
        """The 409's message for a record `apply` found decided already."""
        return self.decided

    def logged(self, record, message: str) -> list[tuple]:
        """The records whose admin history shows the decision, as the admin action logs it."""
        return [(record, message)]


@queue_schema(
    OrganisationQueueSerializer,
    many="Organisations awaiting approval (staff)",
    one="One organisation and its approval status, by reference (staff)",
    description="Registered organisations waiting for staff; their listings are published "
    "when they are approved. Needs the Moderator or Programme admin role.",
)
class OrganisationQueueViewSet(QueueViewSet):
    serializer_class = OrganisationQueueSerializer
    read_perms = ("clusters.view_organisation", "clusters.change_organisation")
    action_perms = {
        "approve": ("clusters.moderate_organisation",),
        "reject": ("clusters.moderate_organisation",),
    }
    waiting = Q(status=Organisation.Status.PENDING)
    lookup_field = "ref"
    lookup_value_regex = r"[^/]+"
    decided_field = "reviewed_at"
    key_field = "ref"

    @staticmethod
    def _waiting(organisation: Organisation) -> bool:
        """A decision of this queue is only for an organisation awaiting approval (read under
        a lock); one decided already is a 409 (decided_message). The staff area's actions
        still take an approved organisation off the site, or approve a rejected one."""
        current = Organisation.objects.select_for_update().get(pk=organisation.pk)
        return current.status == Organisation.Status.PENDING

    def decided_message(self, record) -> str:
        record.refresh_from_db(fields=["status"])
        return (
            "This organisation is no longer awaiting approval "
            f"({record.get_status_display().lower()}): nothing was changed. To change a "
            "decision, use the actions of the organisations list in the staff area."
        )

    def rows(self):
        return Organisation.objects.select_related("reviewed_by").prefetch_related(
            "clusters",
            Prefetch("memberships", Membership.objects.select_related("user").order_by("pk")),
        )

    @decision(
        "Approve an organisation (staff)",
        "Approves it, publishes its listings that waited for it, and emails its members "
        "(with the reason, if given). 409 if it is approved or rejected already.",
        OrganisationQueueSerializer,
        required=False,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        def apply(organisation, user, reason):
            if not self._waiting(organisation):
                return False
            cluster_services.approve_organisation(organisation, user, reason)
            return True

        return self.decide(request, apply, required=False, title="Approve organisations")

    @decision(
        "Reject an organisation, with a reason (staff)",
        "Marks it not approved, takes its published listings off the site until it is "
        "approved, and emails its members the reason. 409 if it is approved or rejected "
        "already.",
        OrganisationQueueSerializer,
        required=True,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        def apply(organisation, user, reason):
            # Decided already: a second rejection would email its members again, and
            # rejecting one a colleague approved (from a list read before) would overturn
            # that decision unseen (found by an outside probe).
            if not self._waiting(organisation):
                return False
            cluster_services.reject_organisation(organisation, user, reason)
            return True

        return self.decide(request, apply, required=True, title="Reject organisations")


@queue_schema(
    OrganisationChangeQueueSerializer,
    many="Changes of name or website waiting for review (staff)",
    one="One change of name or website (staff)",
    description="A new name or website of an approved organisation shows only once staff "
    "approve it. Needs the Moderator or Programme admin role.",
)
class OrganisationChangeQueueViewSet(QueueViewSet):
    serializer_class = OrganisationChangeQueueSerializer
    read_perms = ("clusters.view_organisation", "clusters.change_organisation")
    action_perms = {
        "approve": ("clusters.moderate_organisation",),
        "reject": ("clusters.moderate_organisation",),
    }
    waiting = Q(status=OrganisationChange.Status.OPEN)

    def rows(self):
        return OrganisationChange.objects.select_related(
            "organisation", "requested_by", "decided_by"
        )

    def logged(self, record, message):
        return [(record.organisation, message)]  # the admin action runs on organisations

    @staticmethod
    def _if_open(service):
        def apply(change, user, reason):
            if change.status != OrganisationChange.Status.OPEN:
                return False
            return service(change.organisation, user, reason, change_id=change.pk)

        return apply

    @decision(
        "Approve a change of name or website (staff)",
        "The new name and website show from now on; the organisation's admins are told.",
        OrganisationChangeQueueSerializer,
        required=False,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        apply = self._if_open(cluster_services.approve_organisation_change)
        title = "Approve changes of name or website"
        return self.decide(request, apply, required=False, title=title)

    @decision(
        "Reject a change of name or website, with a reason (staff)",
        "The old name and website stay; the organisation's admins are told why.",
        OrganisationChangeQueueSerializer,
        required=True,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        apply = self._if_open(cluster_services.reject_organisation_change)
        title = "Reject changes of name or website"
        return self.decide(request, apply, required=True, title=title)


@queue_schema(
    ListingReviewQueueSerializer,
    many="Requests to look again at listings taken down (staff)",
    one="One request to look again at a listing (staff)",
    description="An organisation asks staff to review a listing they took down. Approve "
    "restores the listing; reject keeps it down. Needs the Moderator or Programme admin role.",
)
class ListingReviewQueueViewSet(QueueViewSet):
    serializer_class = ListingReviewQueueSerializer
    read_perms = ("clusters.view_listing", "clusters.change_listing")
    action_perms = {
        "approve": ("clusters.moderate_listing",),
        "reject": ("clusters.moderate_listing",),
    }
    waiting = Q(status=ListingReview.Status.OPEN)

    def rows(self):
        return ListingReview.objects.select_related(
            "listing__organisation", "requested_by", "decided_by"
        )

    def logged(self, record, message):
        return [(record.listing, message)]  # the admin action runs on listings

    @staticmethod
    def _if_open(service):
        def apply(review, user, reason):
            if review.status != ListingReview.Status.OPEN:
                return False
            return service(review.listing, user, reason)

        return apply

    @decision(
        "Restore the listing (staff)",
        "Publishes the listing again (or holds it until its organisation is approved) and "
        "tells its organisation.",
        ListingReviewQueueSerializer,
        required=False,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        apply = self._if_open(cluster_services.restore_listing)
        return self.decide(request, apply, required=False, title="Restore listings")

    @decision(
        "Keep the listing down, with a reason (staff)",
        "The listing stays down; its organisation is told why, and may ask again later.",
        ListingReviewQueueSerializer,
        required=True,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        apply = self._if_open(cluster_services.keep_listing_down)
        return self.decide(request, apply, required=True, title="Keep listings down")


@queue_schema(
    TeamRequestQueueSerializer,
    many="Requests to join a cluster's team (staff)",
    one="One request to join a cluster's team (staff)",
    description="People of a cluster's own body ask to post its challenges. Needs the "
    "Moderator or Programme admin role.",
)
class TeamRequestQueueViewSet(QueueViewSet):
    serializer_class = TeamRequestQueueSerializer
    read_perms = ("teams.view_clusterteammember", "teams.change_clusterteammember")
    action_perms = {
        "approve": ("teams.decide_clusterteammember",),
        "reject": ("teams.decide_clusterteammember",),
    }
    waiting = Q(status=ClusterTeamMember.Status.PENDING)
    filter_backends = [ChangedSince]
    ordering = ("requested_at", "id")
    updated_fields = ("requested_at", "decided_at")

    def rows(self):
        return ClusterTeamMember.objects.select_related("user", "cluster", "decided_by")

    @decision(
        "Approve a request to join a cluster's team (staff)",
        "The person joins the team and is emailed (with the reason, if given).",
        TeamRequestQueueSerializer,
        required=False,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        apply = team_services.approve_team_member
        return self.decide(request, apply, required=False, title="Approve team requests")

    @decision(
        "Reject a request to join a cluster's team, with a reason (staff)",
        "The person is emailed the reason.",
        TeamRequestQueueSerializer,
        required=True,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        apply = team_services.reject_team_member
        return self.decide(request, apply, required=True, title="Reject team requests")


MODERATE_REPORT = "reports.moderate_report"


@queue_schema(
    ReportQueueSerializer,
    many="Open reports from visitors (staff)",
    one="One report from a visitor (staff)",
    description="Reports of a listing or an organisation, open or referred to a programme "
    "admin. A decision closes every open report on the same listing or organisation. Needs "
    "the Moderator or Programme admin role (resolving: Programme admin).",
)
class ReportQueueViewSet(QueueViewSet):
    serializer_class = ReportQueueSerializer
    read_perms = ("reports.view_report", "reports.change_report")
    # As ReportAdmin's has_<action>_permission.
    action_perms = {
        "dismiss": (MODERATE_REPORT,),
        "take_down": (MODERATE_REPORT, "clusters.moderate_listing"),
        "refer": (MODERATE_REPORT,),
        "resolve": ("reports.resolve_report",),
    }
    waiting = Q(status__in=Report.OPEN_STATUSES)
    filter_backends = [ChangedSince]
    ordering = ("created_at", "id")
    updated_fields = ("created_at", "referred_at", "decided_at")
    decided = "These reports were decided already: nothing was changed."

    def rows(self):
        return Report.objects.select_related(
            "listing", "organisation", "reporter", "referred_by", "decided_by"
        )

    def logged(self, record, message):
        # As ReportAdmin._decide: the report, and the listing or organisation reported.
        return [(record, message), (record.target, f"Report {record.pk}. {message}")]

    def _report_decision(self, request, name: str):
        title, service = report_services.DECISIONS[name]

        def apply(report, user, reason):
            if name == "dismiss" and not report_services.may_dismiss(report, user):
                raise Conflict(  # referred: the programme admin's
                    "This report was referred to a programme admin, who decides it. Nothing "
                    "was changed."
                )
            try:
                return service(report, user, reason)
            except report_services.WrongKind as refusal:
                raise Conflict(str(refusal)) from None

        return self.decide(request, apply, required=True, title=title)

    @decision(
        "Dismiss a report: no action needed (staff)",
        "Closes the open reports on the same listing or organisation, with the reason (kept "
        "with them, not sent).",
        ReportQueueSerializer,
        required=True,
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, *args, **kwargs):
        return self._report_decision(request, "dismiss")

    @decision(
        "Take the reported listing down (staff)",
        "Takes the listing down (its organisation is emailed the reason) and closes its open "
        "reports. 409 for a report of an organisation.",
        ReportQueueSerializer,
        required=True,
    )
    @action(detail=True, methods=["post"], url_path="take-down")
    def take_down(self, request, *args, **kwargs):
        return self._report_decision(request, "take_down")

    @decision(
        "Refer reports of an organisation to a programme admin (staff)",
        "They stay in the queue as referred, with the note. 409 for a report of a listing, "
        "or one referred already.",
        ReportQueueSerializer,
        required=True,
    )
    @action(detail=True, methods=["post"])
    def refer(self, request, *args, **kwargs):
        return self._report_decision(request, "refer")

    @decision(
        "Resolve a report: dealt with (staff, programme admins)",
        "Closes the open reports on the same listing or organisation, saying what was done.",
        ReportQueueSerializer,
        required=True,
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, *args, **kwargs):
        return self._report_decision(request, "resolve")
