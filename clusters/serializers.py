"""Read-only API representations, in the field names of the exchange format."""

from rest_framework import serializers

from .models import Challenge, Cluster, Listing, Theme


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name", "description"]


class ClusterSerializer(serializers.ModelSerializer):
    emissions_mtco2 = serializers.FloatField(allow_null=True)

    class Meta:
        model = Cluster
        fields = ["slug", "name", "region", "emissions_mtco2", "emissions_source", "summary"]


class ChallengeSerializer(serializers.ModelSerializer):
    cluster = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Challenge
        fields = [
            "ref",
            "cluster",
            "title",
            "description",
            "themes",
            "status",
            "set_by",
            "last_reviewed_at",
            "created_at",
            "updated_at",
        ]


class ListingSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    clusters = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    challenge = serializers.SlugRelatedField(slug_field="ref", read_only=True, allow_null=True)

    class Meta:
        model = Listing
        fields = [
            "ref",
            "organisation",
            "organisation_name",
            "kind",
            "title",
            "description",
            "themes",
            "clusters",
            "challenge",
            "status",
            "created_at",
            "updated_at",
        ]
