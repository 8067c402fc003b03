"""API for a cluster team's challenges: list, post, change, close and reopen.

Only approved members of that cluster's team; anyone else (another cluster's team, a person
still waiting, an organisation's member, staff without a place) gets 404, as on the team
pages. Checked by the pages' forms and written by `teams.services`, as the pages do.
"""

from django.shortcuts import get_object_or_404
from django.urls import re_path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import UpdatedSinceFilter
from api.pagination import SyncCursorPagination
from api.permissions import TokenScope
from api.schema import errors
from clusters.api import REF, SLUG
from clusters.models import Challenge, Theme

from . import services
from .forms import ChallengeForm, ChallengeReasonForm
from .models import ClusterTeamMember
from .serializers import ChallengeBodySerializer, ReasonSerializer, TeamChallengeSerializer

CLUSTER_SLUG = OpenApiParameter(
    "slug", str, OpenApiParameter.PATH, description="The cluster whose team you are in."
)
CHALLENGE_REF = OpenApiParameter(
    "ref", str, OpenApiParameter.PATH, description="The challenge's reference."
)
NEW_CHALLENGE = OpenApiExample(
    "A new challenge",
    value={
        "title": "Capture CO2 from refinery heaters",
        "description": "Two fired heaters at our refinery emit 400 kt of CO2 a year.",
        "themes": ["ccus"],
    },
    request_only=True,
)
CLOSE = OpenApiExample(
    "Solved", value={"reason": "A partner was found through the exchange."}, request_only=True
)


def _form_data(body: dict, challenge: Challenge | None = None) -> dict:
    """The team page's form data: the challenge as it is, with what was sent on top; theme
    slugs as the form's ids (an unknown slug is passed on for the form to refuse)."""
    data = {}
    if challenge is not None:
        data = {
            "title": challenge.title,
            "description": challenge.description,
            "themes": [str(theme.pk) for theme in challenge.themes.all()],
        }
    data.update({key: body[key] for key in ("title", "description") if key in body})
    if "themes" in body:
        ids = dict(Theme.objects.filter(slug__in=body["themes"]).values_list("slug", "pk"))
        data["themes"] = [str(ids.get(slug, slug)) for slug in body["themes"]]
    return data


def _refused(form) -> exceptions.ValidationError:
    return exceptions.ValidationError(form.errors)


@extend_schema(tags=["Cluster team"], parameters=[CLUSTER_SLUG])
class TeamChallengeViewSet(viewsets.GenericViewSet):
    serializer_class = TeamChallengeSerializer
    permission_classes = [TokenScope, permissions.IsAuthenticated]
    pagination_class = SyncCursorPagination
    filter_backends = [UpdatedSinceFilter]
    ordering = ("updated_at", "id")
    lookup_field = "ref"
    lookup_value_regex = REF

    def member(self) -> ClusterTeamMember:
        if not hasattr(self, "_member"):
            self._member = get_object_or_404(
                ClusterTeamMember.objects.of_user(self.request.user)
                .approved()
                .select_related("cluster", "user"),
                cluster__slug=self.kwargs["slug"],
            )
        return self._member

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Challenge.objects.none()
        return (
            Challenge.objects.for_cluster(self.member().cluster)
            .select_related("cluster")
            .prefetch_related("themes")
        )

    def get_object(self):
        return get_object_or_404(self.get_queryset(), ref=self.kwargs["ref"])

    def _answer(self, challenge, code=status.HTTP_200_OK):
        return Response(TeamChallengeSerializer(self.get_object()).data, status=code)

    @extend_schema(
        operation_id="team_challenges_list",
        summary="Your cluster's challenges, open and closed",
        description="Oldest change first; pass `updated_since` to read only what changed.",
        responses={200: TeamChallengeSerializer(many=True), **errors(400, 401, 403, 404, 429)},
    )
    def list(self, request, slug):
        self.member()
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TeamChallengeSerializer(page, many=True).data)

    @extend_schema(
        operation_id="team_challenges_create",
        summary="Post a challenge",
        description=(
            "Posted for your cluster at once, open, with your cluster body as who set it; "
            "checked as the team page's form checks it (title, description, at least one "
            "theme)."
        ),
        request=ChallengeBodySerializer,
        examples=[NEW_CHALLENGE],
        responses={201: TeamChallengeSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def create(self, request, slug):
        member = self.member()
        body = ChallengeBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = ChallengeForm(data=_form_data(body.validated_data))
        if not form.is_valid():
            raise _refused(form)
        challenge = services.save_challenge(
            form.save(commit=False), member, form.cleaned_data["themes"]
        )
        self.kwargs["ref"] = challenge.ref
        return self._answer(challenge, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="team_challenges_retrieve",
        summary="One of your cluster's challenges",
        parameters=[CHALLENGE_REF],
        responses={200: TeamChallengeSerializer, **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, slug, ref):
        self.member()
        return Response(TeamChallengeSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="team_challenges_update",
        summary="Change a challenge",
        description=(
            "Send only what changes (title, description, themes); checked as the team page's "
            "form checks the whole. Saving counts as a review. Its status changes only by "
            "closing or reopening."
        ),
        parameters=[CHALLENGE_REF],
        request=ChallengeBodySerializer,
        examples=[
            OpenApiExample(
                "A clearer title", value={"title": "Capture CO2 from heaters"}, request_only=True
            )
        ],
        responses={200: TeamChallengeSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def partial_update(self, request, slug, ref):
        member = self.member()
        challenge = self.get_object()
        body = ChallengeBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = ChallengeForm(data=_form_data(body.validated_data, challenge), instance=challenge)
        if not form.is_valid():
            raise _refused(form)
        services.save_challenge(form.save(commit=False), member, form.cleaned_data["themes"])
        return self._answer(challenge)

    def _change_status(self, request, service):
        member = self.member()
        challenge = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = ChallengeReasonForm(data={"reason": body.validated_data["reason"]})
        if not form.is_valid():
            raise _refused(form)
        service(challenge, member, form.cleaned_data["reason"])
        return self._answer(challenge)

    @extend_schema(
        operation_id="team_challenges_close",
        summary="Close a challenge, with a reason",
        description=(
            "No longer looking for offers. Closing a closed challenge changes nothing and "
            "answers it as it is (so a retry is harmless)."
        ),
        parameters=[CHALLENGE_REF],
        request=ReasonSerializer,
        examples=[CLOSE],
        responses={200: TeamChallengeSerializer, **errors(400, 401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, slug, ref):
        return self._change_status(request, services.close_challenge)

    @extend_schema(
        operation_id="team_challenges_reopen",
        summary="Reopen a closed challenge, with a reason",
        description="Reopening an open challenge changes nothing and answers it as it is.",
        parameters=[CHALLENGE_REF],
        request=ReasonSerializer,
        examples=[
            OpenApiExample("Still open", value={"reason": "Still looking."}, request_only=True)
        ],
        responses={200: TeamChallengeSerializer, **errors(400, 401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, slug, ref):
        return self._change_status(request, services.reopen_challenge)


# Wired under /api/v1/ by config/api.py.
_CLUSTER = rf"^clusters/(?P<slug>{SLUG})/challenges/"
v1_paths = [
    re_path(
        _CLUSTER + "$",
        TeamChallengeViewSet.as_view({"get": "list", "post": "create"}),
        name="team-challenges",
    ),
    re_path(
        _CLUSTER + rf"(?P<ref>{REF})/$",
        TeamChallengeViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="team-challenge",
    ),
    re_path(
        _CLUSTER + rf"(?P<ref>{REF})/close/$",
        TeamChallengeViewSet.as_view({"post": "close"}),
        name="team-challenge-close",
    ),
    re_path(
        _CLUSTER + rf"(?P<ref>{REF})/reopen/$",
        TeamChallengeViewSet.as_view({"post": "reopen"}),
        name="team-challenge-reopen",
    ),
]
