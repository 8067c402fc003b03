"""The API of clusters, themes, challenges, organisations and their listings.

Under /api/ (before v1, read-only and unchanged): the public data. Under /api/v1/: the same
public data for partners who mirror it (cursor pages, `updated_since`, removals lists), and
an organisation's own details and listings for its members.
"""

import base64
import binascii
import heapq
import json
import re
from functools import cached_property
from types import SimpleNamespace

from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.db.models.functions import Collate
from django.shortcuts import get_object_or_404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.caching import CachedPublicReads
from api.errors import Conflict, bad_parameter
from api.filters import FilterBackend, UpdatedSinceFilter, parse_moment
from api.models import Removal
from api.pagination import SyncCursorPagination
from api.permissions import TokenScope
from api.schema import errors

from . import services
from .filters import ChallengeFilter, ListingApiFilter
from .forms import ListingForm, OrganisationForm
from .models import (
    REF_PATTERN,
    Challenge,
    Cluster,
    Listing,
    Organisation,
    OrganisationChange,
    Theme,
)
from .serializers import (
    ChallengeSerializer,
    ClusterSerializer,
    ListingSerializer,
    ListingWriteSerializer,
    MemberListingSerializer,
    OrganisationSerializer,
    OrganisationUpdateSerializer,
    RemovalSerializer,
    ThemeSerializer,
)

# What a reference or a slug may be, so that the schema says so (and "." is part of a ref,
# not the start of a format suffix).
REF = REF_PATTERN.removeprefix("^").removesuffix("\\Z")
SLUG = r"[-a-zA-Z0-9_]+"

# The answers besides 200 that the API gives, so that its schema describes every answer.
_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
NOT_FOUND = OpenApiResponse(_DETAIL, description="No such record, or no such page of results")
TOO_MANY = OpenApiResponse(_DETAIL, description="Too many requests: wait, then try again")
BAD_FILTER = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="A filter value is not valid: each such parameter, with what to change",
)


def answers(serializer, *, filtered: bool, many: str, one: str):
    """Document every answer of a read-only viewset: 200, and the errors it can give.

    `many` and `one` are the summaries of its list and of its single record, in plain
    English: the API reference page (/api/docs/) shows them under each address.
    """
    errors = {404: NOT_FOUND, 429: TOO_MANY}
    if filtered:
        listed = {200: serializer, 400: BAD_FILTER, **errors}
    else:
        listed = {200: serializer, 429: TOO_MANY}
    return extend_schema_view(
        list=extend_schema(summary=many, responses=listed),
        retrieve=extend_schema(summary=one, responses={200: serializer, **errors}),
    )


@answers(ThemeSerializer, filtered=False, many="All themes", one="One theme, by its slug")
class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Theme.objects.all()
    serializer_class = ThemeSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG
    pagination_class = None


@answers(ClusterSerializer, filtered=False, many="All clusters", one="One cluster, by its slug")
class ClusterViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Cluster.objects.all()
    serializer_class = ClusterSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG
    pagination_class = None


@answers(
    ChallengeSerializer,
    filtered=True,
    many="Challenges, a page at a time",
    one="One challenge, by its reference",
)
class ChallengeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Challenge.objects.select_related("cluster").prefetch_related("themes")
    serializer_class = ChallengeSerializer
    filterset_class = ChallengeFilter
    lookup_field = "ref"
    lookup_value_regex = REF


@answers(
    ListingSerializer,
    filtered=True,
    many="Published offers and needs, a page at a time",
    one="One published offer or need, by its reference",
)
class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    """Published offers and needs; filter with `kind=offer` or `kind=need`."""

    queryset = (
        Listing.objects.published()
        .select_related("organisation", "challenge")
        .prefetch_related("themes", "clusters")
    )
    serializer_class = ListingSerializer
    lookup_field = "ref"
    lookup_value_regex = REF

    filterset_class = ListingApiFilter


# /api/v1/ ---------------------------------------------------------------------------------
# The same public reads, a cursor page at a time and filtered by `updated_since`, so a
# partner can mirror them; removals lists; and, for an organisation's members, the
# organisation and its listings, written through the pages' own forms and services.

V1_TAGS = ["Public data"]
MEMBER_TAGS = ["Your organisation"]


class ChallengeSyncFilter(ChallengeFilter):
    """The pages' filters, less `sort`: a cursor page is in order of last change."""

    sort = None

    class Meta(ChallengeFilter.Meta):
        fields = [name for name in ChallengeFilter.Meta.fields if name != "sort"]


class ListingSyncFilter(ListingApiFilter):
    sort = None

    class Meta(ListingApiFilter.Meta):
        fields = [name for name in ListingApiFilter.Meta.fields if name != "sort"]


class Removals:
    """A removals list: what left a public list since a moment, a cursor page at a time.

    It reads several sources (listings still in the database that left the list, tombstones
    of deleted ones), each a queryset with `ref`, `removed_at` and `reason` and an index
    on its time, and merges them in order of (removed_at, ref). The cursor is the last
    (removed_at, ref) read, so each page is one indexed query per source at any depth.
    """

    def __init__(self, *sources):
        self.sources = sources

    @staticmethod
    def _position(request):
        raw = request.query_params.get("cursor")
        if not raw:
            return None
        try:
            moment, ref = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
            when = parse_moment(moment)
        except (ValueError, TypeError, AttributeError, UnicodeError, binascii.Error):
            when = ref = None
        # A ref as refs are (ASCII, no NUL: PostgreSQL refuses a NUL in text with a 500).
        if when is None or not isinstance(ref, str) or not re.fullmatch(REF_PATTERN, ref):
            raise bad_parameter(
                "cursor",
                "This cursor is not valid: copy it exactly from the `next` link.",
            )
        return when, ref

    def page(self, request):
        since = UpdatedSinceFilter()
        view = SimpleNamespace(updated_field="removed_at")
        size = SyncCursorPagination().get_page_size(request)
        position = self._position(request)
        pages = []
        for source in self.sources:
            rows = since.filter_queryset(request, source, view).annotate(key_order=_bytewise("ref"))
            if position is not None:
                when, ref = position
                rows = rows.filter(Q(removed_at__gt=when) | Q(removed_at=when, key_order__gt=ref))
            pages.append(
                rows.order_by("removed_at", "key_order").values("ref", "removed_at", "reason")[
                    : size + 1
                ]
            )
        merged = list(heapq.merge(*pages, key=lambda row: (row["removed_at"], row["ref"])))
        results, more = merged[:size], len(merged) > size
        next_link = None
        if more:
            last = results[-1]
            cursor = base64.urlsafe_b64encode(
                json.dumps([last["removed_at"].isoformat(), last["ref"]]).encode()
            ).decode()
            next_link = replace_query_param(request.build_absolute_uri(), "cursor", cursor)
        return Response(
            {
                "next": next_link,
                "previous": None,
                "results": RemovalSerializer(results, many=True).data,
            }
        )


def _bytewise(field: str) -> Collate:
    """`field` compared as Python compares str (code point by code point), as the merge of
    Removals does, not in the database's collation (on PostgreSQL, "a" < "B" < "b"): rows
    removed in the same instant (an organisation's listings, when it is rejected) are then
    paged without one skipped or read twice. References are ASCII (REF_PATTERN)."""
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY")


def _tombstones(model, *resources: str):
    """Tombstones of deleted records, less any whose reference is in use again (imported
    anew): that record is in its list, or in the removals the database shows."""
    again = model.objects.filter(ref=OuterRef("key"))
    return (
        Removal.objects.filter(resource__in=resources).exclude(Exists(again)).annotate(ref=F("key"))
    )


class RemovalPage(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null at the end.")
    previous = serializers.URLField(allow_null=True, help_text="Always null: read forward.")
    results = RemovalSerializer(many=True)


REMOVALS_PARAMETERS = [
    OpenApiParameter("cursor", str, description="The page to read: copy it from `next`."),
    OpenApiParameter(
        "page_size", int, description="How many a page holds: 1 to 500 (50 if not given)."
    ),
]


def removals_schema(what: str):
    return extend_schema(
        summary=f"{what} that left the public list",
        description=(
            f"{what} that were in the public list and no longer are, oldest first: delete "
            "each `ref` from your copy. With `updated_since`, only those removed at or after "
            "that time. Follow `next` until it is null. A record that came back is listed "
            "again by the list itself (and no longer here)."
        ),
        parameters=REMOVALS_PARAMETERS,
        filters=True,
        responses={200: RemovalPage, **errors(400, 429)},
        tags=V1_TAGS,
    )


class CursorPageSchema(AutoSchema):
    """A cursor page is its own component (`ListingCursorPage`): the same serializer paged
    by number under /api/ is `PaginatedListingList`, with a `count` a cursor page lacks."""

    def get_paginated_name(self, serializer_name: str) -> str:
        return f"{serializer_name}CursorPage"


class SyncMixin:
    """A public v1 list: cursor pages in order of last change, filtered by `updated_since`."""

    schema = CursorPageSchema()

    pagination_class = SyncCursorPagination
    filter_backends = [FilterBackend, UpdatedSinceFilter]
    ordering = ("updated_at", "id")


def _public(serializer, what: str, one: str):
    return extend_schema_view(
        list=extend_schema(
            summary=f"{what}, in order of last change",
            description=(
                "A cursor page at a time (follow `next`), oldest change first. Pass "
                "`updated_since` to read only what changed since your last copy."
            ),
            responses={200: serializer(many=True), **errors(400, 429)},
            tags=V1_TAGS,
        ),
        retrieve=extend_schema(
            summary=one, responses={200: serializer, **errors(404, 429)}, tags=V1_TAGS
        ),
    )


@extend_schema_view(
    list=extend_schema(
        summary="All themes",
        responses={200: ThemeSerializer(many=True), **errors(429)},
        tags=V1_TAGS,
    ),
    retrieve=extend_schema(
        summary="One theme, by its slug",
        responses={200: ThemeSerializer, **errors(404, 429)},
        tags=V1_TAGS,
    ),
)
class ThemeV1ViewSet(CachedPublicReads, ThemeViewSet):
    """The themes: a short fixed list, on one page."""


@extend_schema_view(
    list=extend_schema(
        summary="All clusters",
        responses={200: ClusterSerializer(many=True), **errors(429)},
        tags=V1_TAGS,
    ),
    retrieve=extend_schema(
        summary="One cluster, by its slug",
        responses={200: ClusterSerializer, **errors(404, 429)},
        tags=V1_TAGS,
    ),
)
class ClusterV1ViewSet(CachedPublicReads, ClusterViewSet):
    """The clusters: a short fixed list, on one page."""


@_public(ChallengeSerializer, "Challenges, open and closed", "One challenge, by its reference")
class ChallengeV1ViewSet(CachedPublicReads, SyncMixin, ChallengeViewSet):
    """Every challenge, open or closed (a closed one stays listed, with `status` "closed");
    only a deleted one leaves the list (see `removed`)."""

    filterset_class = ChallengeSyncFilter

    @removals_schema("Challenges")
    @action(detail=False, filter_backends=[UpdatedSinceFilter], pagination_class=None)
    def removed(self, request):
        return Removals(_tombstones(Challenge, "challenge")).page(request)


@_public(
    ListingSerializer, "Published offers and needs", "One published offer or need, by reference"
)
class ListingV1ViewSet(CachedPublicReads, SyncMixin, ListingViewSet):
    """Published offers and needs; filter with `kind=offer` or `kind=need`."""

    filterset_class = ListingSyncFilter

    @removals_schema("Offers and needs")
    @action(detail=False, filter_backends=[UpdatedSinceFilter], pagination_class=None)
    def removed(self, request):
        return Removals(
            Listing.objects.removed_from_public(), _tombstones(Listing, "listing")
        ).page(request)


# Members: their organisation and its listings ----------------------------------------------
# Scoped before lookup, as the pages are (member_views._my_organisation): anyone who is not a
# member of the organisation (another organisation's member, a cluster team, staff) gets the
# same 404 as for an organisation that does not exist.

# What a form is given for a slug or a reference it does not know: never an id, so the form
# answers with its own "Select a ... from the list".
UNKNOWN = "unknown"


def _ids(model, key: str, values):
    """The ids the pages' forms take for the slugs (or refs) `values` given to the API."""
    if not isinstance(values, list):
        return values
    known = dict(model.objects.filter(**{f"{key}__in": values}).values_list(key, "pk"))
    return [known.get(value, UNKNOWN) for value in values]


def _checked(serializer_class, data) -> dict:
    """The fields sent, checked for their types only (a list, a date...): the page's form
    then checks them as the page does, with the page's messages."""
    serializer = serializer_class(data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _valid(form, payload: dict, *, partial: bool):
    """`form` checked as its page checks it; only the fields sent when `partial` (PATCH)."""
    if partial:
        for name in list(form.fields):
            if name not in payload:
                del form.fields[name]
    if not form.is_valid():
        raise serializers.ValidationError(
            {
                ("non_field_errors" if name == "__all__" else name): list(messages)
                for name, messages in form.errors.items()
            }
        )
    return form


class MemberScope:
    """Only the organisation's members. A read-only token is refused any write first
    (TokenScope), whoever holds it; then anyone not a member gets a 404."""

    permission_classes = [TokenScope, IsAuthenticated]

    @cached_property
    def organisation(self) -> Organisation:
        return get_object_or_404(
            Organisation.objects.of_member(self.request.user),
            ref=self.kwargs[self.organisation_kwarg],
        )

    organisation_kwarg = "organisation_ref"


ORGANISATION_EXAMPLE = OpenApiExample(
    "Change the description and the clusters",
    value={
        "description": "We design and build heat pumps for industrial drying.",
        "clusters": ["humber", "teesside"],
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="Your organisations",
        description="The organisations you are a member of (usually one).",
        responses={200: OrganisationSerializer(many=True), **errors(401, 403, 429)},
        tags=MEMBER_TAGS,
    ),
    retrieve=extend_schema(
        summary="One of your organisations",
        responses={200: OrganisationSerializer, **errors(401, 403, 404, 429)},
        tags=MEMBER_TAGS,
    ),
    partial_update=extend_schema(
        summary="Change your organisation's details",
        description=(
            "Send only the fields to change. They are checked as on the organisation's page. "
            "A new name or website of an approved organisation waits for our team's approval: "
            "until then the answer shows it under `pending_change`, and `name` and `website` "
            "keep the values shown publicly. Sending the current name and website again "
            "withdraws a change waiting for approval."
        ),
        request=OrganisationUpdateSerializer,
        examples=[ORGANISATION_EXAMPLE],
        responses={200: OrganisationSerializer, **errors(400, 401, 403, 404, 429)},
        tags=MEMBER_TAGS,
    ),
)
class OrganisationV1ViewSet(
    MemberScope, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = OrganisationSerializer
    lookup_field = "ref"
    lookup_value_regex = REF
    organisation_kwarg = "ref"
    pagination_class = None
    filter_backends: list = []
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return Organisation.objects.of_member(self.request.user).prefetch_related(
            "clusters",
            Prefetch(
                "changes",
                queryset=OrganisationChange.objects.open(),
                to_attr="waiting_changes",
            ),
        )

    def get_object(self):
        return self.organisation

    def partial_update(self, request, ref=None):
        organisation = self.organisation
        payload = _checked(OrganisationUpdateSerializer, request.data)
        if "clusters" in payload:
            payload["clusters"] = _ids(Cluster, "slug", payload["clusters"])
        form = _valid(OrganisationForm(payload, instance=organisation), payload, partial=True)
        data = {k: v for k, v in form.cleaned_data.items() if k != "clusters"}
        # A field not sent keeps its value; for the name and website, the value waiting for
        # approval if there is one (as the page's form shows), so that changing another field
        # does not withdraw it.
        organisation.refresh_from_db()
        waiting = organisation.changes.open().first()
        for name in services.REVIEWED_ORGANISATION_FIELDS:
            data.setdefault(name, getattr(waiting or organisation, name))
        clusters = form.cleaned_data.get("clusters", list(organisation.clusters.all()))
        services.update_organisation(organisation, request.user, data, clusters)
        return Response(self.get_serializer(self.get_queryset().get(pk=organisation.pk)).data)


LISTING_EXAMPLE = OpenApiExample(
    "A new offer",
    value={
        "kind": "offer",
        "title": "Heat pumps for food processing sites",
        "description": "High-temperature heat pumps for drying lines, up to 150 °C.",
        "themes": ["energy-efficiency"],
        "clusters": ["humber"],
        "challenge": None,
        "partner_kind": "business",
        "expires_on": "2027-06-30",
    },
    request_only=True,
)
LISTING_ACTIONS = {
    "publish": (
        "Publish a listing",
        "As the page's Publish (or Re-open) button: published at once if your organisation is "
        "approved, else `pending` until our team approves it; open for 12 months if it had "
        "expired. Refused (409) for a listing our team took down, and (403) until you have "
        "confirmed your email address. Publishing a published listing changes nothing.",
    ),
    "withdraw": (
        "Withdraw a listing",
        "Takes it off the site (it then appears in /api/v1/listings/removed/); publish it "
        "again at any time. One never yet public (`pending`, waiting for your organisation's "
        "approval) becomes a `draft` again and is not listed there. Refused (409) for a draft "
        "and for a listing our team took down.",
    ),
    "renew": (
        "Keep a listing open for 12 more months",
        "Its expiry date becomes 12 months from today (a later date is kept). Refused (409), "
        "with what to do instead, for a draft, a withdrawn (or expired) listing, or one our "
        "team took down.",
    ),
}


def _listing_action(name: str):
    summary, description = LISTING_ACTIONS[name]
    return extend_schema(
        summary=summary,
        description=description,
        request=None,
        responses={200: MemberListingSerializer, **errors(401, 403, 404, 409, 429)},
        tags=MEMBER_TAGS,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Your organisation's offers and needs, in order of last change",
        description=(
            "Every listing of the organisation, whatever its status (draft, pending, "
            "published, withdrawn, taken_down), a cursor page at a time (follow `next`). Pass "
            "`updated_since` to read only what changed since your last copy."
        ),
        responses={200: MemberListingSerializer(many=True), **errors(400, 401, 403, 404, 429)},
        tags=MEMBER_TAGS,
    ),
    create=extend_schema(
        summary="Write an offer or a need (a draft)",
        description=(
            "Checked as on the page. It is saved as a draft: publish it with `.../publish/`. "
            "Themes and clusters are slugs, the challenge a reference of an open challenge."
        ),
        request=ListingWriteSerializer,
        examples=[LISTING_EXAMPLE],
        responses={201: MemberListingSerializer, **errors(400, 401, 403, 404, 429)},
        tags=MEMBER_TAGS,
    ),
    retrieve=extend_schema(
        summary="One of your organisation's listings",
        responses={200: MemberListingSerializer, **errors(401, 403, 404, 429)},
        tags=MEMBER_TAGS,
    ),
    partial_update=extend_schema(
        summary="Change a listing",
        description=(
            "Send only the fields to change; they are checked as on the page. Its status "
            "stays as it is (a published listing stays published)."
        ),
        request=ListingWriteSerializer,
        examples=[
            OpenApiExample(
                "A new title", value={"title": "Heat pumps up to 150 °C"}, request_only=True
            )
        ],
        responses={200: MemberListingSerializer, **errors(400, 401, 403, 404, 429)},
        tags=MEMBER_TAGS,
    ),
)
@extend_schema(
    parameters=[
        OpenApiParameter(
            "organisation_ref",
            str,
            OpenApiParameter.PATH,
            description="The reference of your organisation (`ref` in /api/v1/organisations/).",
        )
    ]
)
class OrganisationListingViewSet(
    MemberScope,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    schema = CursorPageSchema()
    serializer_class = MemberListingSerializer
    lookup_field = "ref"
    lookup_url_kwarg = "listing_ref"
    lookup_value_regex = REF
    pagination_class = SyncCursorPagination
    filter_backends = [FilterBackend, UpdatedSinceFilter]
    filterset_fields = ["status", "kind"]
    ordering = ("updated_at", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, made with no request
            return Listing.objects.none()
        return (
            Listing.objects.filter(organisation=self.organisation)
            .select_related("organisation", "challenge")
            .prefetch_related("themes", "clusters")
        )

    def _answer(self, listing, status=200):
        fresh = self.get_queryset().get(pk=listing.pk)
        return Response(self.get_serializer(fresh).data, status=status)

    @staticmethod
    def _form_data(payload: dict) -> dict:
        if "themes" in payload:
            payload["themes"] = _ids(Theme, "slug", payload["themes"])
        if "clusters" in payload:
            payload["clusters"] = _ids(Cluster, "slug", payload["clusters"])
        if "challenge" in payload:
            ref = payload["challenge"]
            payload["challenge"] = _ids(Challenge, "ref", [ref])[0] if ref else ""
        if payload.get("expires_on", "") is None:
            payload["expires_on"] = ""
        return payload

    def create(self, request, **kwargs):
        self.organisation  # noqa: B018 (a 404 for a non-member comes before any 400)
        payload = self._form_data(_checked(ListingWriteSerializer, request.data))
        # The page's form starts with "any kind of partner" chosen.
        payload.setdefault("partner_kind", Listing.PartnerKind.ANY)
        form = _valid(ListingForm(payload), payload, partial=False)
        listing = form.save(commit=False)
        listing.organisation = self.organisation
        listing = services.save_listing(
            listing, request.user, form.cleaned_data["themes"], form.cleaned_data["clusters"]
        )
        return self._answer(listing, status=201)

    def partial_update(self, request, **kwargs):
        listing = self.get_object()
        themes, clusters = list(listing.themes.all()), list(listing.clusters.all())
        payload = self._form_data(_checked(ListingWriteSerializer, request.data))
        form = _valid(ListingForm(payload, instance=listing), payload, partial=True)
        listing = services.save_listing(
            form.save(commit=False),
            request.user,
            form.cleaned_data.get("themes", themes),
            form.cleaned_data.get("clusters", clusters),
        )
        return self._answer(listing)

    @extend_schema(
        summary="Your organisation's listings that were deleted",
        description=(
            "The listings of the organisation deleted (by our team) since `updated_since`, "
            "oldest first: delete each `ref` from your copy. A withdrawn listing is not "
            "here: it stays in the list, with its status."
        ),
        parameters=REMOVALS_PARAMETERS,
        filters=True,
        responses={200: RemovalPage, **errors(400, 401, 403, 404, 429)},
        tags=MEMBER_TAGS,
    )
    @action(detail=False, filter_backends=[UpdatedSinceFilter], pagination_class=None)
    def removed(self, request, **kwargs):
        deleted = _tombstones(Listing, "listing", "organisation_listing").filter(
            organisation_id=self.organisation.pk
        )
        return Removals(deleted).page(request)

    @_listing_action("publish")
    @action(detail=True, methods=["post"])
    def publish(self, request, **kwargs):
        listing = self.get_object()
        if not services.has_verified_email(request.user):
            raise PermissionDenied(services.UNVERIFIED_MESSAGE)
        return self._answer(self._or_conflict(services.submit_listing, listing))

    @_listing_action("withdraw")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, **kwargs):
        listing = self.get_object()
        return self._answer(
            self._or_conflict(
                services.withdraw_listing, listing, services.WITHDRAWN_BY_ORGANISATION
            )
        )

    @_listing_action("renew")
    @action(detail=True, methods=["post"])
    def renew(self, request, **kwargs):
        return self._answer(self._or_conflict(services.renew_listing, self.get_object()))

    @staticmethod
    def _or_conflict(service, *args):
        try:
            return service(*args)
        except services.NotAllowed as exc:
            raise Conflict(str(exc)) from None
