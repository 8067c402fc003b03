"""API for a person's own saved searches: list, save, rename and delete.

A short list (at most `services.MAX_SAVED`), so it has no pages; `updated_since` and a
removals list (`removed/`, of deleted searches) let a partner mirror it as the other lists.
Anyone else's saved search is a 404, as on the page.
"""

from django.db.models import F
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.errors import Conflict
from api.filters import UpdatedSinceFilter
from api.models import Removal
from api.permissions import TokenScope
from api.schema import errors
from clusters.api import REMOVALS_PARAMETERS, RemovalPage, Removals

from . import services
from .forms import RenameSearchForm, SaveSearchForm
from .models import SavedSearch
from .pages import PAGES, InvalidSearch
from .serializers import NewSavedSearchSerializer, RenameSerializer, SavedSearchSerializer

REF = r"[-_A-Za-z0-9]+"


# The class's `ref` is a path parameter of one search's operations only: not of the list's.
NO_REF = OpenApiParameter("ref", str, OpenApiParameter.PATH, exclude=True)


def _form_errors(form) -> exceptions.ValidationError:
    return exceptions.ValidationError(form.errors)


@extend_schema(
    tags=["Saved searches"],
    parameters=[
        OpenApiParameter("ref", str, OpenApiParameter.PATH, description="The search's ref.")
    ],
)
class SavedSearchViewSet(viewsets.GenericViewSet):
    serializer_class = SavedSearchSerializer
    permission_classes = [TokenScope, permissions.IsAuthenticated]
    pagination_class = None
    filter_backends = [UpdatedSinceFilter]
    lookup_field = "ref"
    lookup_value_regex = REF

    def get_queryset(self):
        return SavedSearch.objects.of_user(self.request.user).filter(page__in=list(PAGES))

    def get_object(self):
        return get_object_or_404(self.get_queryset(), ref=self.kwargs["ref"])

    @extend_schema(
        operation_id="saved_searches_list",
        summary="Your saved searches",
        description=(
            f"All of them (at most {services.MAX_SAVED}, so on one page), by name. With "
            "`updated_since`, only those saved or renamed at or after that time; deleted "
            "ones are in `saved-searches/removed/`."
        ),
        parameters=[NO_REF],
        filters=True,
        responses={200: SavedSearchSerializer(many=True), **errors(400, 401, 403, 429)},
    )
    def list(self, request):
        searches = self.filter_queryset(self.get_queryset())
        return Response(SavedSearchSerializer(searches, many=True).data)

    @extend_schema(
        operation_id="saved_searches_removed",
        summary="Your saved searches that were deleted",
        description=(
            "Your saved searches deleted (here or on the site), oldest first: delete each "
            "`ref` from your copy. `reason` is always `deleted`. With `updated_since`, only "
            "those deleted at or after that time. Follow `next` until it is null. A deleted "
            "search never comes back: saving the same search again gives a new `ref`."
        ),
        parameters=[*REMOVALS_PARAMETERS, NO_REF],
        filters=True,
        responses={200: RemovalPage, **errors(400, 401, 403, 429)},
    )
    @action(detail=False, filter_backends=[UpdatedSinceFilter], pagination_class=None)
    def removed(self, request):
        tombstones = Removal.objects.filter(
            resource=services.removals_resource(request.user.pk)
        ).annotate(ref=F("key"))
        return Removals(tombstones).page(request)

    @extend_schema(
        operation_id="saved_searches_create",
        summary="Save a search",
        description=(
            "Save a list page's search to hear of new results by email, as the “Save this "
            "search” button does: only the page's known filters are kept, checked as the page "
            f"checks them. 409 if you saved it already or keep {services.MAX_SAVED} already."
        ),
        parameters=[NO_REF],
        request=NewSavedSearchSerializer,
        examples=[
            OpenApiExample(
                "New hydrogen offers",
                value={"page": "offers", "query": "q=hydrogen", "name": "Hydrogen offers"},
                request_only=True,
            )
        ],
        responses={201: SavedSearchSerializer, **errors(400, 401, 403, 409, 429)},
    )
    def create(self, request):
        body = NewSavedSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = SaveSearchForm(data={"name": body.validated_data["name"]})
        if not form.is_valid():
            raise _form_errors(form)
        page, query = body.validated_data["page"], QueryDict(body.validated_data["query"])
        try:
            PAGES[page].normalise(query)
        except InvalidSearch as exc:
            raise exceptions.ValidationError({"query": [str(exc)]}) from None
        try:
            search = services.save_search(request.user, page, query, form.cleaned_data["name"])
        except services.SearchNotSaved as exc:
            raise Conflict(str(exc)) from None
        return Response(SavedSearchSerializer(search).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="saved_searches_retrieve",
        summary="One of your saved searches",
        responses={200: SavedSearchSerializer, **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, ref):
        return Response(SavedSearchSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="saved_searches_rename",
        summary="Rename a saved search",
        request=RenameSerializer,
        examples=[OpenApiExample("A new name", value={"name": "Heat pumps"}, request_only=True)],
        responses={200: SavedSearchSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def partial_update(self, request, ref):
        search = self.get_object()
        body = RenameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = RenameSearchForm(data={"name": body.validated_data["name"]})
        if not form.is_valid():
            raise _form_errors(form)
        services.rename_search(search, form.cleaned_data["name"])
        return Response(SavedSearchSerializer(search).data)

    @extend_schema(
        operation_id="saved_searches_delete",
        summary="Delete a saved search",
        description="No more emails about it.",
        request=None,
        responses={204: None, **errors(401, 403, 404, 429)},
    )
    def destroy(self, request, ref):
        services.delete_search(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
