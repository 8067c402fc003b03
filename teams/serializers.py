"""API representations of a cluster team's challenges, as its team pages show them."""

from rest_framework import serializers

from api.fields import ModelSerializer
from clusters.models import Challenge


class TeamChallengeSerializer(ModelSerializer):
    cluster = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    url = serializers.CharField(
        source="get_absolute_url", read_only=True, help_text="Its public page (a path)."
    )

    class Meta:
        model = Challenge
        fields = [
            "ref",
            "cluster",
            "title",
            "description",
            "themes",
            "status",
            "status_reason",
            "set_by",
            "last_reviewed_at",
            "created_at",
            "updated_at",
            "url",
        ]
        extra_kwargs = {
            "status": {"help_text": "open or closed (closed: no longer looking for offers)."},
            "status_reason": {"help_text": "Why it was last closed or reopened."},
            "set_by": {"help_text": "The cluster body shown publicly as who set it."},
        }


class ChallengeBodySerializer(serializers.Serializer):
    """What a team writes; checked by the team page's own form (teams.forms.ChallengeForm)."""

    title = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    themes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Theme slugs (see /api/v1/themes/): at least one.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        help_text="Why: kept in the challenge's history, for your team and ours.",
    )
