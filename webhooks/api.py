"""/api/v1/webhooks/: a person's own webhook endpoints and their deliveries.

The same checks as the account pages (EndpointForm, webhooks.services); another person's
endpoint is a 404, as on the pages.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.errors import Conflict
from api.filters import UpdatedSinceFilter
from api.pagination import SyncCursorPagination
from api.permissions import TokenScope
from api.schema import errors

from . import services
from .models import Endpoint
from .serializers import (
    CreatedEndpointSerializer,
    DeliverySerializer,
    EndpointSerializer,
    NewEndpointSerializer,
)

TAGS = ["Webhooks"]


class DeliveryPagination(SyncCursorPagination):
    ordering = ("-created_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="List your webhook endpoints",
        tags=TAGS,
        responses={200: EndpointSerializer(many=True), **errors(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="One of your webhook endpoints",
        tags=TAGS,
        responses={200: EndpointSerializer, **errors(401, 403, 404, 429)},
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint",
        description="Nothing more is sent to it; its deliveries are deleted with it.",
        tags=TAGS,
        responses={204: None, **errors(401, 403, 404, 429)},
    ),
)
class EndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [TokenScope, IsAuthenticated]
    serializer_class = EndpointSerializer
    pagination_class = SyncCursorPagination
    filter_backends = [UpdatedSinceFilter]
    ordering = ("updated_at", "id")
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        return Endpoint.objects.of_user(self.request.user)

    @extend_schema(
        summary="Add a webhook endpoint",
        description="The answer holds its signing secret, the only time it is shown. "
        "The address must be https:// on the public internet.",
        tags=TAGS,
        request=NewEndpointSerializer,
        responses={201: CreatedEndpointSerializer, **errors(400, 401, 403, 429)},
        examples=[
            OpenApiExample(
                "New matches and introductions",
                value={
                    "url": "https://crm.example.org/cluster-exchange/webhooks",
                    "events": ["match.created", "introduction.requested"],
                },
                request_only=True,
            )
        ],
    )
    def create(self, request):
        incoming = NewEndpointSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        try:
            endpoint, secret = services.create_endpoint(
                request.user, incoming.validated_data["url"], incoming.validated_data["events"]
            )
        except services.NotAllowed as exc:
            raise ValidationError(str(exc)) from exc
        answer = CreatedEndpointSerializer(endpoint, context={"secret": secret})
        return Response(answer.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.delete_endpoint(instance)

    @extend_schema(
        summary="The deliveries of a webhook endpoint, newest first",
        tags=TAGS,
        responses={200: DeliverySerializer(many=True), **errors(400, 401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"], pagination_class=DeliveryPagination)
    def deliveries(self, request, id=None):
        endpoint = get_object_or_404(self.get_queryset(), public_id=id)
        page = self.paginate_queryset(endpoint.deliveries.all())
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a test ping to a webhook endpoint",
        description="Queues a `ping` delivery, whatever events the endpoint chose.",
        tags=TAGS,
        request=None,
        responses={202: DeliverySerializer, **errors(401, 403, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, id=None):
        endpoint = get_object_or_404(self.get_queryset(), public_id=id)
        if not endpoint.active:
            raise Conflict("This endpoint was turned off by our team, so we cannot send to it.")
        delivery = services.send_ping(endpoint)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
