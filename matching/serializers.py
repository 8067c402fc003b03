"""API representations of an organisation's suggested matches, as "Your matches" shows them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import ChoiceField

from . import services
from .models import Match
from .views import ANSWERS  # the page's answers, and the status each one stores


class MatchOrganisationSerializer(serializers.Serializer):
    ref = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="business, investor, university, public_body or other")


class MatchListingSerializer(serializers.Serializer):
    ref = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text="offer or need")


class MatchTargetSerializer(MatchListingSerializer):
    organisation = MatchOrganisationSerializer()


class MatchSerializer(serializers.ModelSerializer):
    source_listing = MatchListingSerializer(
        help_text="Your organisation's published listing this is suggested for."
    )
    target = MatchTargetSerializer(help_text="The suggested listing and its organisation.")
    strength = serializers.SerializerMethodField(
        help_text="The score in words, as the page shows it: strong, good or possible."
    )
    status = ChoiceField(
        choices=Match.Status.choices,
        help_text="new (not answered yet) or interested (you said you are interested). "
        "Matches answered “not relevant” leave the list.",
    )
    # Declared, not taken from the model: a model's PositiveSmallIntegerField gets its maximum
    # from the database (32,767 on PostgreSQL, 2^63-1 on SQLite), and the committed schema
    # (docs/openapi.yaml) must be the same whichever database made it.
    rank = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="1 for the best suggestion for this listing; empty once it left the top list.",
    )
    updated_at = serializers.SerializerMethodField(
        help_text="The latest of when it was last computed, last answered, and when its "
        "listing or the suggested listing last changed: what `updated_since` compares."
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "source_listing",
            "target",
            "strength",
            "score",
            "rank",
            "reasons",
            "status",
            "first_seen_at",
            "status_changed_at",
            "updated_at",
        ]
        extra_kwargs = {
            "score": {"help_text": "From 0 to 1: higher fits better."},
            "reasons": {"help_text": "Why it is suggested, in words a person reads."},
        }

    def get_strength(self, match) -> str:
        return services.strength(match.score)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_updated_at(self, match):
        # As matching.api.CHANGED_AT (the listings are read with the match: no query).
        moment = max(
            filter(
                None,
                (
                    match.computed_at,
                    match.status_changed_at,
                    match.source_listing.updated_at,
                    match.target.updated_at,
                ),
            )
        )
        return serializers.DateTimeField().to_representation(moment)


class AnswerSerializer(serializers.Serializer):
    answer = ChoiceField(
        choices=list(ANSWERS),
        help_text="interested; not-relevant (the offer or need will not be suggested to your "
        "organisation again); or suggest-again (takes back either answer; after "
        "not-relevant, every such answer of your organisation for it, and the lists are "
        "worked out again).",
        error_messages={
            "invalid_choice": "Choose “interested”, “not-relevant” or “suggest-again”."
        },
    )
