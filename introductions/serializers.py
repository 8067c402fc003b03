"""API representations of introductions, as each side reads them on "Your introductions".

The organisation that asked never sees a quiet decline before the page shows it: its status
reads "Waiting for a reply" until then, and its `updated_at` does not move either. Names and
email addresses appear only once the request is accepted, as on the page.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clusters.api import REF

from .models import CLOSED_EARLY, Introduction

# The status for each side, as a code (the words are in `status_label`). The asking side
# cannot tell a decline from an expiry: both read "not_taken_forward".
SENT_STATUSES = {
    "Waiting for a reply": "open",
    "Accepted": "accepted",
    "Not taken forward": "not_taken_forward",
}
RECEIVED_STATUSES = {
    "Waiting for your reply": "open",
    "Accepted": "accepted",
    "Declined": "declined",
    "Expired: no reply within 30 days": "expired",
    CLOSED_EARLY: "expired",
}

STATUS_CODES = sorted({*SENT_STATUSES.values(), *RECEIVED_STATUSES.values()})


def is_received(introduction, organisation) -> bool:
    return introduction.to_organisation_id == organisation.pk


def status_label(introduction, organisation) -> str:
    if is_received(introduction, organisation):
        return introduction.status_for_recipient
    return introduction.status_for_requester


class BriefOrganisationSerializer(serializers.Serializer):
    ref = serializers.CharField()
    name = serializers.CharField()


class BriefListingSerializer(serializers.Serializer):
    ref = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text="offer or need")


class BriefChallengeSerializer(serializers.Serializer):
    ref = serializers.CharField()
    title = serializers.CharField()


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(allow_null=True, help_text="Empty if they have left the site.")
    email = serializers.EmailField(allow_null=True)
    organisation = BriefOrganisationSerializer()


class ContactsSerializer(serializers.Serializer):
    asked_by = ContactSerializer()
    accepted_by = ContactSerializer()


def _contact(person, organisation) -> dict:
    return {
        "name": person.name if person else None,
        "email": person.email if person else None,
        "organisation": {"ref": organisation.ref, "name": organisation.name},
    }


class IntroductionSerializer(serializers.ModelSerializer):
    """One introduction as `context["organisation"]` (one of its two sides) sees it."""

    direction = serializers.SerializerMethodField(
        help_text="received (asked of your organisation) or sent (your organisation asked)."
    )
    status = serializers.SerializerMethodField(
        help_text="For a request you received: open, accepted, declined or expired. For one "
        "you sent: open, accepted or not_taken_forward (a decline and an expiry read the same)."
    )
    status_label = serializers.SerializerMethodField(help_text="The status in words, as the page.")
    other_organisation = serializers.SerializerMethodField()
    target_listing = BriefListingSerializer(help_text="The listing the request is about.")
    source_listing = BriefListingSerializer(
        allow_null=True, help_text="The asking organisation's own listing it is about, if any."
    )
    challenge = BriefChallengeSerializer(allow_null=True, help_text="The challenge, if any.")
    asked_at = serializers.DateTimeField(source="created_at")
    expires_at = serializers.SerializerMethodField(
        help_text="When it expires if nobody answers; empty once it is not open."
    )
    can_answer = serializers.SerializerMethodField(
        help_text="Whether you may accept or decline it now."
    )
    contacts = serializers.SerializerMethodField(
        help_text="Both people's names and email addresses: only once accepted."
    )
    our_outcome = serializers.SerializerMethodField(
        help_text="What your organisation said came of it (nothing, talking, trial, contract, "
        "bid_submitted, bid_won), once accepted and answered."
    )
    updated_at = serializers.SerializerMethodField(
        help_text="When this side's view of it last changed: what `updated_since` compares."
    )

    class Meta:
        model = Introduction
        fields = [
            "public_id",
            "direction",
            "status",
            "status_label",
            "other_organisation",
            "target_listing",
            "source_listing",
            "challenge",
            "message",
            "asked_at",
            "expires_at",
            "can_answer",
            "contacts",
            "our_outcome",
            "updated_at",
        ]

    @property
    def _organisation(self):
        return self.context["organisation"]

    @extend_schema_field(serializers.ChoiceField(choices=["received", "sent"]))
    def get_direction(self, introduction):
        return "received" if is_received(introduction, self._organisation) else "sent"

    @extend_schema_field(serializers.ChoiceField(choices=STATUS_CODES))
    def get_status(self, introduction):
        words = status_label(introduction, self._organisation)
        codes = (
            RECEIVED_STATUSES if is_received(introduction, self._organisation) else SENT_STATUSES
        )
        return codes[words]

    def get_status_label(self, introduction) -> str:
        return status_label(introduction, self._organisation)

    @extend_schema_field(BriefOrganisationSerializer)
    def get_other_organisation(self, introduction):
        other = (
            introduction.from_organisation
            if is_received(introduction, self._organisation)
            else introduction.to_organisation
        )
        return {"ref": other.ref, "name": other.name}

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_expires_at(self, introduction):
        if self.get_status(introduction) != "open":
            return None
        return serializers.DateTimeField().to_representation(introduction.expires_at)

    def get_can_answer(self, introduction) -> bool:
        user = self.context["request"].user
        return (
            is_received(introduction, self._organisation)
            and introduction.is_awaiting_reply
            and introduction.requested_by_id != user.pk
        )

    @extend_schema_field(ContactsSerializer(allow_null=True))
    def get_contacts(self, introduction):
        if not introduction.is_accepted:
            return None
        return {
            "asked_by": _contact(introduction.requested_by, introduction.from_organisation),
            "accepted_by": _contact(introduction.decided_by, introduction.to_organisation),
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_our_outcome(self, introduction):
        if not introduction.is_accepted:
            return None
        return getattr(introduction, "our_outcome", None)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_updated_at(self, introduction):
        return serializers.DateTimeField().to_representation(introduction.changed_at)


class AskSerializer(serializers.Serializer):
    """The body of a request for an introduction (the message is checked by the page's form)."""

    target_listing = serializers.RegexField(
        REF, max_length=64, help_text="The reference of the published listing you ask about."
    )
    about_listing = serializers.RegexField(
        REF,
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="One of your organisation's own published listings it is about (optional).",
    )
    message = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        help_text="Who you are and what you would like to talk about (1,000 characters at most).",
    )


class DeclineSerializer(serializers.Serializer):
    tell = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="now: they see it is not taken forward now; later: after 14 days. We do not "
        "email them either way.",
    )
