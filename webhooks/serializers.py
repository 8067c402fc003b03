"""The webhook endpoints and deliveries in the API (/api/v1/webhooks/)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import ChoiceField
from api.permissions import passed_second_step

from .events import EVENTS
from .forms import EndpointForm
from .models import Delivery, Endpoint

EVENT_HELP = "; ".join(f"`{e.name}`: {e.hint}" for e in EVENTS.values())


class EndpointSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    events = serializers.ListField(
        child=ChoiceField(choices=sorted(EVENTS)),
        help_text=f"The events sent to it. {EVENT_HELP}",
    )
    secret_hint = serializers.CharField(
        read_only=True, help_text="The last 4 characters of its signing secret."
    )

    class Meta:
        model = Endpoint
        fields = ["id", "url", "events", "active", "secret_hint", "created_at", "updated_at"]
        read_only_fields = ["active", "created_at", "updated_at"]


class NewEndpointSerializer(serializers.Serializer):
    """Validated by the page's own form (EndpointForm): the same address and event checks."""

    url = serializers.CharField(
        max_length=2000, help_text="An https:// address on the public internet."
    )
    events = serializers.ListField(child=serializers.CharField(), allow_empty=False)

    def validate(self, attrs):
        request = self.context["request"]
        form = EndpointForm(
            {"url": attrs["url"], "events": attrs["events"]},
            user=request.user,
            second_step=passed_second_step(request),
        )
        if not form.is_valid():
            raise serializers.ValidationError(
                {name: list(errors) for name, errors in form.errors.items()}
            )
        return form.cleaned_data


class CreatedEndpointSerializer(EndpointSerializer):
    secret = serializers.SerializerMethodField(
        help_text="The signing secret: shown in this answer only, never again."
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]

    @extend_schema_field(serializers.CharField())
    def get_secret(self, endpoint) -> str:
        return self.context["secret"]


class DeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(
        source="public_id",
        read_only=True,
        help_text="Sent as X-Cluster-Exchange-Delivery, and as `id` in the body.",
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "payload",
        ]
        read_only_fields = fields
