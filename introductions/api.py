"""API for introductions: an organisation's list (asked and received), asking, and answering.

The same checks as the pages: members of the organisation only (anyone else gets 404),
`services.check_can_request` and the page's hourly limit (`views.within_hourly_limit`)
before `services.request_introduction`; accept and decline through the services, by members
of the organisation that was asked.
"""

from datetime import timedelta

import django_filters
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.urls import re_path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from api.errors import Conflict
from api.filters import FilterBackend, UpdatedSinceFilter
from api.pagination import SyncCursorPagination
from api.permissions import TokenScope
from api.schema import errors
from clusters.api import REF, MemberScope
from clusters.models import Listing, Organisation

from . import services
from .forms import DeclineForm, RequestForm
from .models import Introduction, Outcome
from .serializers import AskSerializer, DeclineSerializer, IntroductionSerializer
from .views import UNVERIFIED, _verified, within_hourly_limit

ORGANISATION_REF = OpenApiParameter(
    "ref", str, OpenApiParameter.PATH, description="Your organisation's reference."
)
HOUR = 3600


class HourlyLimit(exceptions.APIException):
    """The page's hourly limit on requests for introductions: a 429 with the page's words
    (not the generic throttle message) and `Retry-After` (DRF sends it for `wait`)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"
    wait = HOUR


class DailyLimit(exceptions.APIException):
    """The organisation's daily limit on requests for introductions: a 429 with the page's
    words, and `Retry-After` until midnight (when the count starts again)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"

    def __init__(self, detail, wait: int):
        super().__init__(detail)
        self.wait = wait


def seconds_to_tomorrow(now=None) -> int:
    now = timezone.localtime(now)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()))


def _seen_changed_at(organisation, now):
    """When the organisation's view of each introduction last changed, in SQL.

    Not `updated_at`: that moves on a quiet decline, a reminder or an outcome ask, which the
    asking side must not be able to see. Each side's status changes at a known moment:
    asked (created_at), answered (decided_at), a decline shown (decline_shown_at, once
    past) and expiry (expires_at, once past, whether or not the daily sweep has run).
    """
    sent = Case(
        When(status=Introduction.Status.ACCEPTED, then=F("decided_at")),
        When(
            status=Introduction.Status.DECLINED,
            decline_shown_at__lte=now,
            then=F("decline_shown_at"),
        ),
        When(status=Introduction.Status.DECLINED, then=F("created_at")),
        When(status=Introduction.Status.EXPIRED, then=F("expires_at")),
        When(expires_at__lte=now, then=F("expires_at")),
        default=F("created_at"),
    )
    received = Case(
        When(
            status__in=[Introduction.Status.ACCEPTED, Introduction.Status.DECLINED],
            then=F("decided_at"),
        ),
        When(status=Introduction.Status.EXPIRED, then=F("expires_at")),
        When(expires_at__lte=now, then=F("expires_at")),
        default=F("created_at"),
    )
    return Case(When(from_organisation=organisation, then=sent), default=received)


def introductions_of(organisation):
    """The introductions the organisation asked for or was asked, as its page lists them, with
    its own answer on what came of each (`our_outcome`) and `changed_at` (see above)."""
    ours = Outcome.objects.filter(introduction=OuterRef("pk"), organisation=organisation)
    seen = _seen_changed_at(organisation, timezone.now())
    return (
        Introduction.objects.filter(
            Q(from_organisation=organisation) | Q(to_organisation=organisation)
        )
        .with_details()
        .annotate(
            direction=Case(
                When(to_organisation=organisation, then=Value("received")),
                default=Value("sent"),
            ),
            our_outcome=Subquery(ours.values("result")[:1]),
            outcome_at=Subquery(ours.values("updated_at")[:1]),
        )
        .annotate(changed_at=Greatest(seen, Coalesce(F("outcome_at"), seen)))
    )


class IntroductionFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(
        choices=[("received", "Received"), ("sent", "Sent")],
        help_text="Only requests to your organisation (received) or from it (sent).",
    )

    class Meta:
        model = Introduction
        fields = ["direction"]


@extend_schema(tags=["Introductions"], parameters=[ORGANISATION_REF])
class OrganisationIntroductionViewSet(MemberScope, viewsets.GenericViewSet):
    """An organisation's introductions: the list, and asking for a new one."""

    serializer_class = IntroductionSerializer
    organisation_kwarg = "ref"
    pagination_class = SyncCursorPagination
    filter_backends = [FilterBackend, UpdatedSinceFilter]
    filterset_class = IntroductionFilter
    ordering = ("changed_at", "id")
    updated_field = "changed_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Introduction.objects.none()
        return introductions_of(self.organisation)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["organisation"] = self.organisation
        return context

    @extend_schema(
        operation_id="organisation_introductions_list",
        summary="Your organisation's introductions, asked and received",
        description=(
            "As “Your introductions” shows them. Contact details appear only once a request "
            "is accepted. A request you sent that was declined quietly reads “Waiting for a "
            "reply” until the page shows it, and its `updated_at` does not move until then. "
            "Oldest change first; pass `updated_since` to read only what changed."
        ),
        responses={200: IntroductionSerializer(many=True), **errors(400, 401, 403, 404, 429)},
    )
    def list(self, request, *args, **kwargs):
        _ = self.organisation  # 404 before the filters are read
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="organisation_introductions_create",
        summary="Ask for an introduction",
        description=(
            "Ask, for your organisation, to be introduced to the organisation behind a "
            "published listing, optionally about one of your own published listings. The same "
            "checks as the site: your email address confirmed, your organisation approved, "
            "one open request per pair of listings, a daily number per organisation and an "
            "hourly number per person (429 past it). Needs a read-and-write token."
        ),
        request=AskSerializer,
        examples=[
            OpenApiExample(
                "About one of your listings",
                value={
                    "target_listing": "L-2026-00042",
                    "about_listing": "L-2026-00007",
                    "message": "We make heat pumps for drying and would like to talk.",
                },
                request_only=True,
            )
        ],
        responses={201: IntroductionSerializer, **errors(400, 401, 403, 404, 409, 429)},
    )
    def create(self, request, *args, **kwargs):
        organisation = self.organisation
        body = AskSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = RequestForm(data={"message": body.validated_data["message"]})
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        target = Listing.objects.filter(ref=body.validated_data["target_listing"]).first()
        if target is None or target.status != Listing.Status.PUBLISHED:
            raise exceptions.ValidationError(
                {"target_listing": ["There is no published listing with this reference."]}
            )
        about = None
        if body.validated_data.get("about_listing"):
            about = organisation.listings.filter(ref=body.validated_data["about_listing"]).first()
            if about is None:
                raise exceptions.ValidationError(
                    {"about_listing": [f"Choose one of {organisation.name}’s own listings."]}
                )
        asked = {"organisation": organisation, "target": target, "about_listing": about}
        try:
            services.check_can_request(request.user, **asked)
        except services.DailyLimitReached as exc:
            raise DailyLimit(str(exc), wait=seconds_to_tomorrow()) from None
        except services.NotNow as exc:
            raise Conflict(str(exc)) from None
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        # Counted only once the request could be sent, as on the listing's page.
        if not within_hourly_limit(request._request, form):
            raise HourlyLimit(form.non_field_errors()[0])
        try:
            introduction = services.request_introduction(
                request.user, message=form.cleaned_data["message"], **asked
            )
        except services.NotAllowed as exc:
            raise Conflict(str(exc)) from None
        shown = introductions_of(organisation).get(pk=introduction.pk)
        return Response(self.get_serializer(shown).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["Introductions"],
    parameters=[
        OpenApiParameter(
            "public_id", str, OpenApiParameter.PATH, description="The introduction's id."
        )
    ],
)
class IntroductionViewSet(viewsets.GenericViewSet):
    """One introduction: read it, or accept or decline a request sent to your organisation."""

    serializer_class = IntroductionSerializer
    permission_classes = [TokenScope, permissions.IsAuthenticated]
    lookup_field = "public_id"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self):
        if self.action == "retrieve":
            return Introduction.objects.visible_to(self.request.user).with_details()
        return Introduction.objects.answerable_by(self.request.user).with_details()

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            if self.action in ("accept", "decline"):
                # One the person can read, but not answer (their organisation asked): say so,
                # rather than "no such record" for a record they have just read (a probe).
                visible = Introduction.objects.visible_to(self.request.user)
                get_object_or_404(visible, public_id=self.kwargs["public_id"])
                raise exceptions.PermissionDenied(
                    "Only the organisation that was asked can answer this request, and yours "
                    "asked for it."
                ) from None
            raise

    @extend_schema(
        operation_id="introductions_retrieve",
        summary="One introduction, as your side sees it",
        description=(
            "The same record as in your organisation's list (the side that was asked, if you "
            "are in both organisations), e.g. to follow a link from a webhook."
        ),
        responses={200: IntroductionSerializer, **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, public_id):
        introduction = self.get_object()
        mine = Organisation.objects.of_member(request.user)
        received = mine.filter(pk=introduction.to_organisation_id).exists()
        organisation = introduction.to_organisation if received else introduction.from_organisation
        return self._as_seen_by(organisation, introduction)

    def _answered(self, introduction):
        return self._as_seen_by(introduction.to_organisation, introduction)

    def _as_seen_by(self, organisation, introduction):
        shown = introductions_of(organisation).get(pk=introduction.pk)
        context = {**self.get_serializer_context(), "organisation": organisation}
        return Response(IntroductionSerializer(shown, context=context).data)

    def _check_may_answer(self, introduction):
        if introduction.requested_by_id == self.request.user.pk:
            raise exceptions.PermissionDenied(
                "You asked for this introduction, so someone else must answer it."
            )

    @extend_schema(
        operation_id="introductions_accept",
        summary="Accept a request for an introduction",
        description=(
            "Shares both sides' names and email addresses and emails both people, as the "
            "page's button does. Only a request still waiting for a reply (409 otherwise), by "
            "someone other than the person who asked, whose email address is confirmed."
        ),
        request=None,
        responses={200: IntroductionSerializer, **errors(401, 403, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, public_id):
        introduction = self.get_object()
        if not _verified(request.user):
            raise exceptions.PermissionDenied(UNVERIFIED.format(what="accept an introduction"))
        self._check_may_answer(introduction)
        try:
            services.accept_introduction(introduction, request.user)
        except services.NotAllowed as exc:
            raise Conflict(str(exc)) from None
        return self._answered(introduction)

    @extend_schema(
        operation_id="introductions_decline",
        summary="Decline a request for an introduction",
        description=(
            "Quietly: nobody is emailed. `tell` says when the asking organisation sees that it "
            "was not taken forward: `now`, or `later` (after 14 days)."
        ),
        request=DeclineSerializer,
        examples=[OpenApiExample("Tell them later", value={"tell": "later"}, request_only=True)],
        responses={200: IntroductionSerializer, **errors(400, 401, 403, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, public_id):
        introduction = self.get_object()
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = DeclineForm(data={"tell": body.validated_data["tell"]})
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        self._check_may_answer(introduction)
        try:
            services.decline_introduction(introduction, request.user, tell_now=form.tell_now)
        except services.NotAllowed as exc:
            raise Conflict(str(exc)) from None
        return self._answered(introduction)


# Wired under /api/v1/ by config/api.py (the answers by its router, as "introductions").
v1_paths = [
    re_path(
        rf"^organisations/(?P<ref>{REF})/introductions/$",
        OrganisationIntroductionViewSet.as_view({"get": "list", "post": "create"}),
        name="organisation-introductions",
    ),
]
