"""Staff API: the enquiries (list, filter, read with the thread, triage, add a note).

The same permissions and services as the staff area's enquiry pages (enquiries/admin.py):
reading needs "view enquiry" (or "change"), every change needs "change enquiry"; a change is
saved by enquiries.services with its history row.
"""

import django_filters
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.filters import PARAMETER, FilterBackend, UpdatedSinceFilter, parse_moment
from api.pagination import SyncCursorPagination
from api.permissions import IsStaffToken, TokenScope
from api.schema import errors
from enquiries import services
from enquiries.models import Attachment, Enquiry, EnquiryEvent, Message
from staff.serializers import (
    EnquiryChangeSerializer,
    EnquiryDetailSerializer,
    EnquiryMessageSerializer,
    EnquiryNoteSerializer,
    EnquirySerializer,
)

from .permissions import StaffRole

TAGS = ["Staff: enquiries"]
CHANGE = ("enquiries.change_enquiry",)


class EnquiryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Enquiry.Status.choices,
        help_text="Only enquiries with this status; repeat it for several "
        "(status=new&status=triaged).",
    )
    priority = django_filters.ChoiceFilter(choices=Enquiry.Priority.choices)
    topic = django_filters.ChoiceFilter(choices=Enquiry.Topic.choices)
    source = django_filters.ChoiceFilter(
        choices=Enquiry.Source.choices, help_text="How it came in: the web form or email."
    )
    cluster = django_filters.CharFilter(field_name="cluster__slug", help_text="A cluster's slug.")
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        help_text='The email address of the member of staff it is assigned to; "me" for '
        'yourself, "none" for enquiries nobody has.',
    )
    open = django_filters.BooleanFilter(
        method="filter_open", help_text="true: neither closed nor spam; false: closed or spam."
    )

    class Meta:
        model = Enquiry
        fields = ["status", "priority", "topic", "source", "cluster", "assignee", "open"]

    def filter_assignee(self, queryset, name, value):
        value = value.strip()
        if value.lower() == "me":
            return queryset.assigned_to(self.request.user)
        if value.lower() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__email__iexact=value)

    def filter_open(self, queryset, name, value):
        opened = queryset.open()
        return opened if value else queryset.exclude(pk__in=opened.values("pk"))


class UpdatedOrWrittenSince(UpdatedSinceFilter):
    """An enquiry changed since the time: triaged, or a message added to its thread (a new
    message leaves the enquiry's own `updated_at` as it was)."""

    def filter_queryset(self, request, queryset, view):
        moment = parse_moment(request.query_params.get(PARAMETER) or "")
        if moment is None:
            # No filter, or one that is not a date-time: the parent answers as for any list.
            return super().filter_queryset(request, queryset, view)
        written = Message.objects.filter(created_at__gte=moment).values("enquiry_id")
        return queryset.filter(Q(updated_at__gte=moment) | Q(pk__in=written))


ENQUIRY_EXAMPLE = OpenApiExample(
    "Assign and mark as waiting",
    value={"assignee": "triager@example.org", "status": "waiting"},
    request_only=True,
)
NOTE_EXAMPLE = OpenApiExample(
    "A note", value={"body": "Called them: they will send the site plan."}, request_only=True
)


@extend_schema_view(
    list=extend_schema(
        summary="Enquiries, a page at a time (staff)",
        description="Every enquiry, oldest change first. Filter by status, assignee, source, "
        "priority, topic, cluster; `updated_since` also finds enquiries whose thread got a "
        "new message. Needs a staff role that can see enquiries (Triager, Programme admin).",
        tags=TAGS,
        responses={200: EnquirySerializer, **errors(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="One enquiry with its thread and history (staff)",
        description="By its reference (GC-2026-00123) or its id. The thread holds the "
        "sender's messages, the replies and the internal notes; attachments are listed, and "
        "downloaded in the staff area.",
        tags=TAGS,
        responses={200: EnquiryDetailSerializer, **errors(401, 403, 404, 429)},
    ),
    partial_update=extend_schema(
        summary="Triage an enquiry: status, priority, assignee, topic, cluster (staff)",
        description="As saving the enquiry's page in the staff area: a change of status, "
        "priority or assignee is kept in its history. Send only what changes. Needs a token "
        "that can write and the Triager or Programme admin role.",
        tags=TAGS,
        request=EnquiryChangeSerializer,
        examples=[ENQUIRY_EXAMPLE],
        responses={200: EnquiryDetailSerializer, **errors(400, 401, 403, 404, 429)},
    ),
)
class StaffEnquiryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [TokenScope, IsStaffToken, StaffRole]
    read_perms = ("enquiries.view_enquiry", "enquiries.change_enquiry")
    action_perms = {"partial_update": CHANGE, "notes": CHANGE}
    pagination_class = SyncCursorPagination
    ordering = ("updated_at", "id")
    filter_backends = [FilterBackend, UpdatedOrWrittenSince]
    filterset_class = EnquiryFilter
    lookup_field = "reference"
    lookup_url_kwarg = "key"
    lookup_value_regex = r"[^/]+"
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        enquiries = Enquiry.objects.select_related("cluster", "assignee")
        if self.action == "list":
            return enquiries
        return enquiries.prefetch_related(
            Prefetch(
                "messages",
                Message.objects.select_related("author").prefetch_related(
                    Prefetch("attachments", Attachment.objects.order_by("pk"))
                ),
            ),
            Prefetch("events", EnquiryEvent.objects.select_related("actor")),
        )

    def get_serializer_class(self):
        return EnquirySerializer if self.action == "list" else EnquiryDetailSerializer

    def get_object(self):
        key = self.kwargs["key"]
        # ASCII digits only ("²".isdigit() is true), and no more than a database id holds.
        if key.isascii() and key.isdigit():
            if len(key) > 18:
                raise Http404
            lookup = {"pk": int(key)}
        else:
            lookup = {"reference__iexact": key}
        enquiry = get_object_or_404(self.get_queryset(), **lookup)
        self.check_object_permissions(self.request, enquiry)
        return enquiry

    def _answer(self, enquiry):
        return EnquiryDetailSerializer(self.get_queryset().get(pk=enquiry.pk)).data

    def partial_update(self, request, *args, **kwargs):
        enquiry = self.get_object()
        change = EnquiryChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        data = dict(change.validated_data)
        assignee = data.pop("assignee", enquiry.assignee)
        # One rule with the admin's form (services.status_with_assignee): giving it to
        # someone makes it "assigned", taking it from them makes it "triaged".
        # "Chosen" as on the admin's form: a status sent as it already is was not chosen
        # (review: a client sending the whole record was refused what the admin accepts).
        status = data.pop("status", enquiry.status)
        try:
            settled = services.status_with_assignee(
                status, assignee, status_chosen=status != enquiry.status
            )
        except services.EnquiryAssigned as refused:
            raise ValidationError({"status": [str(refused)]}) from None
        # The rule has settled the status: one save, with a history row per field changed.
        with transaction.atomic():
            services.change_enquiry(
                enquiry, request.user, assignee=assignee, status=settled, **data
            )
        return Response(self._answer(enquiry))

    @extend_schema(
        summary="Add an internal note to an enquiry (staff)",
        description="Only staff see notes; they are never emailed. Answers with the note.",
        tags=TAGS,
        request=EnquiryNoteSerializer,
        examples=[NOTE_EXAMPLE],
        responses={201: EnquiryMessageSerializer, **errors(400, 401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, *args, **kwargs):
        enquiry = self.get_object()
        note = EnquiryNoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        message = services.add_note(enquiry, request.user, note.validated_data["body"].strip())
        return Response(EnquiryMessageSerializer(message).data, status=status.HTTP_201_CREATED)
