"""API representations, in the field names of the exchange format."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import ChoiceField, DateField, ModelSerializer

from .models import DESCRIPTION_MAX, TITLE_MAX, Challenge, Cluster, Listing, Organisation, Theme


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name", "description"]


class ClusterSerializer(serializers.ModelSerializer):
    emissions_mtco2 = serializers.FloatField(allow_null=True)

    class Meta:
        model = Cluster
        fields = ["slug", "name", "region", "emissions_mtco2", "emissions_source", "summary"]


class ChallengeSerializer(ModelSerializer):
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


class ListingSerializer(ModelSerializer):
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


# /api/v1/ ---------------------------------------------------------------------------------
# What an organisation's members read and write. Writes are validated by the pages' own
# forms (clusters.api), so these describe the fields; they do not validate them.


class RemovalSerializer(serializers.Serializer):
    """A record that left a public list: delete it from your copy."""

    ref = serializers.CharField(help_text="The reference of the record that left the list.")
    removed_at = serializers.DateTimeField(
        help_text="When it left the list (or last changed while off it)."
    )
    reason = serializers.CharField(
        help_text=(
            "Why: `withdrawn` (by its organisation), `expired` (it reached its expiry date), "
            "`taken_down` (by our team), `not_approved` (its organisation is no longer "
            "approved), `unpublished` (back to a draft) or `deleted`."
        )
    )


class PendingChangeSerializer(serializers.Serializer):
    name = serializers.CharField()
    website = serializers.CharField(allow_blank=True)
    requested_at = serializers.DateTimeField(source="created_at")


class OrganisationSerializer(ModelSerializer):
    """An organisation as its members see it (on /your-organisation/<ref>/)."""

    clusters = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    logo_url = serializers.CharField(read_only=True)
    pending_change = serializers.SerializerMethodField(
        help_text=(
            "A new name or website waiting for our team's approval (null if none): until "
            "they approve it, `name` and `website` are the ones shown publicly."
        )
    )

    class Meta:
        model = Organisation
        fields = [
            "ref",
            "name",
            "kind",
            "description",
            "website",
            "clusters",
            "size",
            "location",
            "status",
            "status_reason",
            "logo_url",
            "pending_change",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(PendingChangeSerializer(allow_null=True))
    def get_pending_change(self, organisation):
        waiting = getattr(organisation, "waiting_changes", None)
        if waiting is None:
            waiting = list(organisation.changes.open())
        return PendingChangeSerializer(waiting[0]).data if waiting else None


class OrganisationUpdateSerializer(serializers.Serializer):
    """The fields a member may change (each optional in a PATCH). A new name or website of
    an approved organisation waits for our team's approval (`pending_change`)."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=TITLE_MAX)
    kind = ChoiceField(choices=Organisation.Kind.choices, required=False)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX
    )
    website = serializers.URLField(required=False, allow_blank=True)
    clusters = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Cluster slugs."
    )
    size = ChoiceField(choices=Organisation.Size.choices, required=False, allow_blank=True)
    location = serializers.CharField(required=False, allow_blank=True, max_length=100)


class MemberListingSerializer(ListingSerializer):
    """A listing as its organisation's members see it: any status, with its dates and why
    it is not published."""

    class Meta(ListingSerializer.Meta):
        fields = [
            *ListingSerializer.Meta.fields,
            "partner_kind",
            "expires_on",
            "published_at",
            "status_reason",
            "taken_down_at",
        ]


class ListingWriteSerializer(serializers.Serializer):
    """The fields of an offer or need. Required to create one; each optional in a PATCH.

    Here only for their types (and the schema): the page's form (ListingForm) checks them,
    with the page's messages ("Enter a title"), so blanks and empty lists pass this one.
    """

    kind = ChoiceField(choices=Listing.Kind.choices)
    title = serializers.CharField(allow_blank=True, max_length=TITLE_MAX)
    description = serializers.CharField(allow_blank=True, max_length=DESCRIPTION_MAX)
    themes = serializers.ListField(
        child=serializers.SlugField(), help_text="Theme slugs: at least one."
    )
    clusters = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        help_text="Cluster slugs where it applies: none if it applies anywhere.",
    )
    challenge = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="The reference of the open challenge it answers, or null.",
    )
    partner_kind = ChoiceField(choices=Listing.PartnerKind.choices, required=False)
    expires_on = DateField(
        required=False,
        allow_null=True,
        help_text="A date in the future, at most 12 months away; 12 months from now if not "
        "given for a new listing; null or absent on a change keeps the date it has.",
    )
