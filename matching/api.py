"""API for an organisation's matches: the list "Your matches" shows, and answering one.

Members of the organisation only (token or signed-in session): anyone else gets 404, as
on the page. Answers go through `services.set_match_status`, as the page's do.
"""

import django_filters
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.shortcuts import get_object_or_404
from django.urls import re_path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import FilterBackend, UpdatedSinceFilter
from api.models import Removal
from api.pagination import SyncCursorPagination
from api.schema import errors
from clusters.api import REF, REMOVALS_PARAMETERS, MemberScope, RemovalPage, Removals
from clusters.models import Listing

from . import services
from .models import Match
from .serializers import ANSWERS, AnswerSerializer, MatchSerializer

ORGANISATION_REF = OpenApiParameter(
    "ref", str, OpenApiParameter.PATH, description="Your organisation's reference."
)


class MatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(Match.Status.NEW, "New"), (Match.Status.INTERESTED, "Interested")],
        help_text="Only new (not answered) or only interested matches.",
    )
    source_listing = django_filters.CharFilter(
        field_name="source_listing__ref",
        help_text="Only the matches of one of your listings, by its reference.",
    )

    class Meta:
        model = Match
        fields = ["status", "source_listing"]


# When a match last changed, in or out of the list: the latest of when it was computed (a
# rank given, or taken away: matching.services._write_matches), answered, and when its
# listing or its target last changed (published, withdrawn...). A match moves between the
# list and its removals only when one of these moves, so a partner reading both with
# `updated_since` sees every move, and a match that comes back is in the list again with a
# later `changed_at` than its removal's.
CHANGED_AT = Greatest(
    F("computed_at"),
    Coalesce(F("status_changed_at"), "computed_at"),
    F("source_listing__updated_at"),
    F("target__updated_at"),
)

# What shows a match: ranked (in its listing's top list), not answered "not relevant", its
# listing and its target published.
SHOWN = (
    Q(rank__isnull=False)
    & ~Q(status=Match.Status.DISMISSED)
    & Q(source_listing__status=Listing.Status.PUBLISHED)
    & Q(target__status=Listing.Status.PUBLISHED)
)


def shown_matches(organisation):
    """The organisation's matches as its "Your matches" page shows them: suggestions still in
    the top list of one of its published listings, whose target is published and that were
    not answered "not relevant"; with `changed_at` (CHANGED_AT)."""
    return (
        Match.objects.visible()
        .filter(
            rank__isnull=False,
            source_listing__organisation=organisation,
            source_listing__status=Listing.Status.PUBLISHED,
        )
        .select_related("source_listing", "target__organisation")
        .annotate(changed_at=CHANGED_AT)
    )


def left_matches(organisation):
    """The organisation's matches still stored but not shown (answered "not relevant", out
    of the top list, or a listing of the pair not published), with `ref` (the id, as text),
    `removed_at` (CHANGED_AT: when it left, or later) and `reason`."""
    return (
        Match.objects.filter(source_listing__organisation=organisation)
        .exclude(SHOWN)
        .annotate(
            ref=Cast("pk", CharField(max_length=64)),
            removed_at=CHANGED_AT,
            reason=Case(
                When(status=Match.Status.DISMISSED, then=Value("not_relevant")),
                When(
                    ~Q(source_listing__status=Listing.Status.PUBLISHED)
                    | ~Q(target__status=Listing.Status.PUBLISHED),
                    then=Value("unpublished"),
                ),
                default=Value("not_suggested"),
            ),
        )
    )


def deleted_matches(organisation):
    """Tombstones of the organisation's deleted matches (matching.services.
    record_match_removals), with `ref` (the match's id). A match id is never used again;
    one whose match still exists (answered in the instant it was being deleted, so kept)
    is left out."""
    kept = Match.objects.filter(pk=Cast(OuterRef("key"), BigIntegerField()))
    return (
        Removal.objects.filter(resource="match", organisation_id=organisation.pk)
        .exclude(Exists(kept))
        .annotate(ref=F("key"))
    )


@extend_schema(tags=["Matches"], parameters=[ORGANISATION_REF])
class OrganisationMatchViewSet(MemberScope, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The organisation's suggested matches, and the answer to one."""

    serializer_class = MatchSerializer
    organisation_kwarg = "ref"
    pagination_class = SyncCursorPagination
    filter_backends = [FilterBackend, UpdatedSinceFilter]
    filterset_class = MatchFilter
    ordering = ("changed_at", "id")
    updated_field = "changed_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Match.objects.none()
        return shown_matches(self.organisation)

    @extend_schema(
        operation_id="organisation_matches_list",
        summary="Your organisation's matches",
        description=(
            "The suggestions shown on your organisation's “Your matches” page: for each of its "
            "published offers and needs, the listings that fit it best. A match leaves the "
            "list when answered “not relevant”, when either listing is no longer published, "
            "or when it drops out of its listing's top ten: it is then in "
            "`.../matches/removed/`. Oldest change first; pass `updated_since` to read only "
            "what changed."
        ),
        responses={200: MatchSerializer(many=True), **errors(400, 401, 403, 404, 429)},
    )
    def list(self, request, *args, **kwargs):
        _ = self.organisation  # 404 before the filters are read
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="organisation_matches_removed",
        summary="Your organisation's matches that left the list",
        description=(
            "Matches that were (or may have been) in your list and no longer are, oldest "
            "first: delete each `ref` (the match's `id`, as text) from your copy. `reason` is "
            "`not_relevant` (answered so), `not_suggested` (no longer in its listing's top "
            "ten), `unpublished` (your listing or the suggested one is no longer published) "
            "or `deleted` (gone for good, also when either listing was deleted). With "
            "`updated_since`, only those that left (or changed while off the list) at or "
            "after that time. Follow `next` until it is null.\n\n"
            "A match that comes back (the answer changed, suggested again, published "
            "again) keeps its `id`: it is in the list again, with a later `updated_at` than "
            "its removal, and no longer here. A deleted match never comes back: the same "
            "pair suggested again is a new match, with a new `id`."
        ),
        parameters=REMOVALS_PARAMETERS,
        filters=True,
        responses={200: RemovalPage, **errors(400, 401, 403, 404, 429)},
    )
    @action(detail=False, filter_backends=[UpdatedSinceFilter], pagination_class=None)
    def removed(self, request, ref):
        organisation = self.organisation
        return Removals(left_matches(organisation), deleted_matches(organisation)).page(request)

    @extend_schema(
        operation_id="organisation_matches_answer",
        summary="Answer a match: interested, not relevant, or suggest it again",
        description=(
            "The same as the buttons on the page. “not-relevant” is never suggested again "
            "to your organisation (and offers like it move down your list); “interested” is "
            "noted; “suggest-again” takes either answer back. You may change your answer. "
            "Answers the match as it now is. Needs a read-and-write token."
        ),
        request=AnswerSerializer,
        examples=[OpenApiExample("Interested", value={"answer": "interested"}, request_only=True)],
        responses={200: MatchSerializer, **errors(400, 401, 403, 404, 429)},
    )
    # Its own serializer, so that OPTIONS describes the body it takes ({"answer"}), not a
    # whole match (outside probe, stop 28).
    @action(detail=True, methods=["post"], serializer_class=AnswerSerializer)
    def answer(self, request, ref, pk):
        organisation = self.organisation
        # As the page: any match of one of the organisation's listings, shown or not.
        match = get_object_or_404(
            Match.objects.select_related("source_listing", "target__organisation"),
            pk=pk,
            source_listing__organisation=organisation,
        )
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.set_match_status(match, ANSWERS[body.validated_data["answer"]])
        return Response(MatchSerializer(match).data)


# Wired under /api/v1/ by config/api.py.
v1_paths = [
    re_path(
        rf"^organisations/(?P<ref>{REF})/matches/$",
        OrganisationMatchViewSet.as_view({"get": "list"}),
        name="organisation-matches",
    ),
    re_path(
        rf"^organisations/(?P<ref>{REF})/matches/removed/$",
        # With the action's own options (no filters but updated_since, no page class).
        OrganisationMatchViewSet.as_view(
            {"get": "removed"}, **OrganisationMatchViewSet.removed.kwargs
        ),
        name="organisation-matches-removed",
    ),
    re_path(
        rf"^organisations/(?P<ref>{REF})/matches/(?P<pk>[0-9]{{1,18}})/answer/$",
        OrganisationMatchViewSet.as_view(
            {"post": "answer"}, **OrganisationMatchViewSet.answer.kwargs
        ),
        name="organisation-match-answer",
    ),
]
