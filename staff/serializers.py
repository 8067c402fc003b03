"""What the staff API shows and accepts: the enquiries and the moderation queues.

Only what the staff area shows to the same people: no message ids, no file paths, no token
of any kind. People are shown by their email address, as the admin shows them.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import ChoiceField
from clusters.models import Cluster, ListingReview, Organisation, OrganisationChange
from enquiries.models import MESSAGE_MAX, Attachment, Enquiry, EnquiryEvent, Message
from enquiries.services import triagers
from reports.models import Report
from teams.models import ClusterTeamMember

REASON_MAX = 2000  # as the admin's reason form (clusters.forms.ReasonForm)


def _email(user) -> str | None:
    return user.email if user is not None else None


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class PersonField(serializers.Field):
    """A member of staff or a user, shown by email address, or null."""

    def to_representation(self, value):
        return _email(value)


# Enquiries ------------------------------------------------------------------------------------


class EnquirySerializer(serializers.ModelSerializer):
    """One enquiry as the staff list shows it (the sender's details, the triage fields)."""

    title = serializers.CharField(read_only=True, help_text="Its subject, or else its topic.")
    cluster = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    assignee = serializers.SerializerMethodField(
        help_text="The email address of the member of staff it is assigned to, or null."
    )

    class Meta:
        model = Enquiry
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "priority",
            "assignee",
            "topic",
            "subject",
            "cluster",
            "source",
            "name",
            "email",
            "organisation",
            "organisation_kind",
            "consent_to_contact",
            "created_at",
            "updated_at",
            "first_replied_at",
        ]
        read_only_fields = fields

    def get_assignee(self, enquiry) -> str | None:
        return _email(enquiry.assignee)


class EnquiryAttachmentSerializer(serializers.ModelSerializer):
    """A file that came with an email. Staff download it in the staff area (not by token)."""

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size"]
        read_only_fields = fields


class EnquiryMessageSerializer(serializers.ModelSerializer):
    """One entry of the thread: from the sender, a reply to them, or an internal note."""

    author = serializers.SerializerMethodField(
        help_text="The member of staff who wrote a reply or a note (email), else null."
    )
    attachments = EnquiryAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "sender",
            "author",
            "subject",
            "body",
            "import_notes",
            "attachments",
            "created_at",
        ]
        read_only_fields = fields

    def get_author(self, message) -> str | None:
        return _email(message.author)


class EnquiryEventSerializer(serializers.ModelSerializer):
    """One change of status, priority or assignee: who (null: automatic), from what, to what."""

    actor = serializers.SerializerMethodField()

    class Meta:
        model = EnquiryEvent
        fields = ["field", "old", "new", "actor", "created_at"]
        read_only_fields = fields

    def get_actor(self, event) -> str | None:
        return _email(event.actor)


class EnquiryDetailSerializer(EnquirySerializer):
    """An enquiry with its whole thread (notes included) and its history."""

    messages = EnquiryMessageSerializer(many=True, read_only=True)
    events = EnquiryEventSerializer(many=True, read_only=True)

    class Meta(EnquirySerializer.Meta):
        fields = [*EnquirySerializer.Meta.fields, "messages", "events"]
        read_only_fields = fields


class EnquiryChangeSerializer(serializers.Serializer):
    """The triage fields a member of staff may change: the admin form's (its reply and note
    are not fields here: a note is added with its own POST)."""

    status = ChoiceField(choices=Enquiry.Status.choices, required=False)
    priority = ChoiceField(choices=Enquiry.Priority.choices, required=False)
    assignee = serializers.EmailField(
        required=False,
        allow_null=True,
        help_text="The email address of a member of staff who triages enquiries, or null "
        'for nobody. Giving a new or triaged enquiry to someone makes it "assigned".',
    )

    topic = ChoiceField(choices=Enquiry.Topic.choices, required=False)
    cluster = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Cluster.objects.all(),
        required=False,
        allow_null=True,
        help_text="The slug of the cluster it is about, or null.",
    )

    def validate_assignee(self, email):
        if email is None:
            return None
        user = triagers().filter(email__iexact=email).first()
        if user is None:
            raise serializers.ValidationError(
                "No member of staff who triages enquiries has this email address. Give the "
                "address of a triager or a programme admin."
            )
        return user

    def validate(self, data):
        if not data:
            raise serializers.ValidationError(
                "Send at least one of status, priority, assignee, topic, cluster."
            )
        return data


class EnquiryNoteSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=MESSAGE_MAX,
        help_text="The note. Only staff see notes; they are never emailed.",
    )


# The moderation queues ------------------------------------------------------------------------


class StaffReasonSerializer(serializers.Serializer):
    """A decision that needs a reason (as the admin's action asks for one)."""

    reason = serializers.CharField(
        max_length=REASON_MAX,
        help_text="Why. Sent to the organisation or person the decision is about (for "
        "reports: kept with them).",
    )


class StaffOptionalReasonSerializer(serializers.Serializer):
    """A decision whose reason may be left out (approving, restoring)."""

    reason = serializers.CharField(
        max_length=REASON_MAX,
        required=False,
        allow_blank=True,
        help_text="Optional. Sent with the decision to the organisation or person.",
    )


class OrganisationQueueSerializer(serializers.ModelSerializer):
    """An organisation and where it stands (the queue holds those awaiting approval)."""

    clusters = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    # Declared: a read-only field made from the model would not say that "" (not given) is
    # a possible value.
    size = ChoiceField(choices=Organisation.Size.choices, allow_blank=True, read_only=True)
    reviewed_by = PersonField(read_only=True)
    members = serializers.SerializerMethodField(
        help_text="The email addresses of its members, for staff who see members in the staff "
        'area (the "view membership" permission: moderators, programme admins); else null.'
    )

    class Meta:
        model = Organisation
        fields = [
            "ref",
            "name",
            "kind",
            "description",
            "website",
            "size",
            "location",
            "clusters",
            "members",
            "status",
            "status_reason",
            "reviewed_at",
            "reviewed_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {"type": "array", "items": {"type": "string", "format": "email"}, "nullable": True}
    )
    def get_members(self, organisation):
        request = self.context.get("request")
        if request is None or not request.user.has_perm("clusters.view_membership"):
            return None
        return [m.user.email for m in organisation.memberships.all()]


class OrganisationChangeQueueSerializer(serializers.ModelSerializer):
    """A new name and website an approved organisation asked for."""

    organisation = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    current_name = serializers.CharField(source="organisation.name", read_only=True)
    current_website = serializers.CharField(source="organisation.website", read_only=True)
    requested_by = PersonField(read_only=True)
    decided_by = PersonField(read_only=True)

    class Meta:
        model = OrganisationChange
        fields = [
            "id",
            "organisation",
            "current_name",
            "current_website",
            "name",
            "website",
            "requested_by",
            "status",
            "reason",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ListingReviewQueueSerializer(serializers.ModelSerializer):
    """An organisation's request that staff look again at a listing they took down."""

    listing = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    listing_title = serializers.CharField(source="listing.title", read_only=True)
    listing_status = serializers.CharField(source="listing.status", read_only=True)
    organisation = serializers.CharField(source="listing.organisation.ref", read_only=True)
    taken_down_because = serializers.CharField(source="listing.status_reason", read_only=True)
    requested_by = PersonField(read_only=True)
    decided_by = PersonField(read_only=True)

    class Meta:
        model = ListingReview
        fields = [
            "id",
            "listing",
            "listing_title",
            "listing_status",
            "organisation",
            "taken_down_because",
            "message",
            "requested_by",
            "status",
            "reason",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TeamRequestQueueSerializer(serializers.ModelSerializer):
    """A person's request to join a cluster's team (who post its challenges)."""

    person = serializers.CharField(source="user.email", read_only=True)
    person_name = serializers.CharField(source="user.name", read_only=True)
    cluster = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    decided_by = PersonField(read_only=True)

    class Meta:
        model = ClusterTeamMember
        fields = [
            "id",
            "person",
            "person_name",
            "cluster",
            "body",
            "message",
            "status",
            "reason",
            "decided_by",
            "decided_at",
            "requested_at",
        ]
        read_only_fields = fields


class ReportQueueSerializer(serializers.ModelSerializer):
    """A visitor's report of a listing or an organisation, and the decision on it."""

    listing = serializers.SlugRelatedField(slug_field="ref", read_only=True, allow_null=True)
    organisation = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    reported_by = serializers.SerializerMethodField(
        help_text="The reporter's email address (signed in, or given on the form), or null."
    )
    referred_by = PersonField(read_only=True)
    decided_by = PersonField(read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "listing",
            "organisation",
            "reason",
            "details",
            "reported_by",
            "status",
            "referred_at",
            "referred_by",
            "referral_reason",
            "decided_at",
            "decided_by",
            "decision_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_reported_by(self, report) -> str | None:
        if report.reporter_id:
            return report.reporter.email
        return report.email or None


class StaffRemovedSerializer(serializers.Serializer):
    """A record that left a moderation queue (it was decided)."""

    key = serializers.CharField(
        help_text="The record's key in the queue: an organisation's ref, else its id."
    )
    removed_at = serializers.DateTimeField(help_text="When it was decided.")
    reason = serializers.CharField(help_text="The decision: the record's new status.")
