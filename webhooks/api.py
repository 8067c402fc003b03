"""/api/v1/webhooks/: a person's own webhook endpoints and their deliveries.

The same checks as the account pages (EndpointForm, webhooks.services); another person's
endpoint is a 404, as on the pages.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.errors import Conflict
from api.filters import UpdatedSinceFilter
from api.pagination import SyncCursorPagination
from api.permissions import TokenScope, passed_second_step
from api.schema import errors
from config.confirmation import RecentlyConfirmedSession

from . import services
from .models import Endpoint
from .serializers import (
    CreatedEndpointSerializer,
    DeliverySerializer,
    EndpointSerializer,
    NewEndpointSerializer,
)

TAGS = ["Webhooks"]


# A UUID and nothing else: anything else in the path is a 404 (not a 400 from the lookup).
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class PingTooSoon(APIException):
    """A ping to an endpoint pinged less than a minute ago: a 429 with Retry-After (DRF sends
    it for `wait`) and the page's words."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"

    def __init__(self, wait: int):
        super().__init__(
            f"You sent a test ping to this endpoint less than a minute ago. Wait {wait} "
            f"second{'s' if wait != 1 else ''}, then try again."
        )
        self.wait = wait


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
    lookup_value_regex = UUID_PATTERN

    def get_permissions(self):
        # Adding one with the site's session needs a recent password, as the page does (the
        # session was a way round it: outside probe, stop 28); a token made it already.
        if self.action == "create":
            return [*super().get_permissions(), RecentlyConfirmedSession()]
        return super().get_permissions()

    def get_queryset(self):
        return Endpoint.objects.of_user(self.request.user)

    @extend_schema(
        summary="Add a webhook endpoint",
        description="The answer holds its signing secret, the only time it is shown. "
        "The address must be https:// on the public internet. 409 if you keep "
        f"{services.MAX_ENDPOINTS} webhooks already (delete one first). Called with the "
        "site's signed-in session rather than a token, it needs the password given in the "
        "last 5 minutes (403 otherwise), as the page does.",
        tags=TAGS,
        request=NewEndpointSerializer,
        responses={201: CreatedEndpointSerializer, **errors(400, 401, 403, 409, 429)},
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
                request.user,
                incoming.validated_data["url"],
                incoming.validated_data["events"],
                second_step=passed_second_step(request),
            )
        except services.Refused as exc:
            # create_endpoint checks the address again: what the name resolves to may have
            # changed since the serializer's check (as the page answers it, on the URL).
            raise ValidationError({"url": [str(exc)]}) from exc
        except services.LimitReached as exc:
            raise Conflict(str(exc)) from exc
        except services.NotAllowed as exc:
            raise ValidationError(str(exc)) from exc
        answer = CreatedEndpointSerializer(endpoint, context={"secret": secret})
        # The one answer that shows the secret: no cache (browser, proxy) may keep it.
        return Response(
            answer.data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"}
        )

    def perform_destroy(self, instance):
        services.delete_endpoint(instance)

    @extend_schema(
        summary="The deliveries of a webhook endpoint, newest first",
        tags=TAGS,
        responses={200: DeliverySerializer(many=True), **errors(400, 401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, id=None):
        # The view's ordering is the cursor's (SyncCursorPagination), as in staff moderation's
        # `removed`: deliveries newest first, where endpoints are listed oldest change first.
        self.ordering = ("-created_at", "-id")
        endpoint = get_object_or_404(self.get_queryset(), public_id=id)
        page = self.paginate_queryset(endpoint.deliveries.all())
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a test ping to a webhook endpoint",
        description="Queues a `ping` delivery, whatever events the endpoint chose. At most "
        "one a minute for each endpoint: sooner is a 429 with `Retry-After`.",
        tags=TAGS,
        request=None,
        responses={202: DeliverySerializer, **errors(401, 403, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, id=None):
        endpoint = get_object_or_404(self.get_queryset(), public_id=id)
        if not endpoint.active:
            raise Conflict("This endpoint was turned off by our team, so we cannot send to it.")
        wait = services.reserve_ping(endpoint)
        if wait:
            raise PingTooSoon(wait)
        delivery = services.send_ping(endpoint)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
