"""API for a person's own data: the export "Download your data" gives, as JSON.

Decision (issue #15): a read-only token cannot export. The export holds everything the site
keeps about the person (their addresses, colleagues' addresses, introductions' contacts,
enquiries, second factors' dates...), far more than any list a read token reads, and a
read token is the one people hand to a dashboard or a sync job. So it needs a token that
can read and write (the owner's full power), or the person's own signed-in session.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.models import ApiToken
from api.permissions import TokenScope
from api.schema import errors
from config.confirmation import RecentlyConfirmedSession

from . import services

READ_TOKEN_REFUSED = (
    "A read-only token cannot download all your data. Use a token that can read and write "
    "(make one on your account page, API tokens), or download it from “Your data”."
)


class PersonalDataSerializer(serializers.Serializer):
    """The export's top level, for the schema (accounts/export.py says what each part holds)."""

    format = serializers.CharField(help_text="cluster-exchange-personal-data/1")
    account = serializers.DictField(help_text="Name, email addresses, consents, roles.")
    join_requests = serializers.ListField(child=serializers.DictField())
    join_requests_answered = serializers.ListField(child=serializers.DictField())
    organisations = serializers.ListField(
        child=serializers.DictField(), help_text="Each with its members, listings, answers."
    )
    invitations = serializers.DictField(help_text="`sent` and `received`.")
    listings_created = serializers.ListField(child=serializers.DictField())
    match_emails = serializers.DictField()
    introductions = serializers.ListField(
        child=serializers.DictField(), help_text="As you see them on the site."
    )
    reviews_requested = serializers.ListField(child=serializers.DictField())
    organisation_changes_requested = serializers.ListField(child=serializers.DictField())
    reports_made = serializers.ListField(child=serializers.DictField())
    enquiries = serializers.ListField(child=serializers.DictField())
    emails = serializers.ListField(child=serializers.DictField())
    cluster_teams = serializers.DictField()
    staff_work = serializers.DictField(help_text="For staff only; empty otherwise.")

    class Meta:
        ref_name = "PersonalData"


class FullTokenOrSession(permissions.BasePermission):
    """A read-and-write token, or a signed-in session; not a read-only token."""

    message = READ_TOKEN_REFUSED

    def has_permission(self, request, view):
        token = request.auth
        return not isinstance(token, ApiToken) or token.can_write


class AccountExportView(APIView):
    # With the site's session, a recent password too, as "Your data" asks (the session was a
    # way round it: outside probe, stop 28).
    permission_classes = [
        TokenScope,
        permissions.IsAuthenticated,
        FullTokenOrSession,
        RecentlyConfirmedSession,
    ]

    @extend_schema(
        operation_id="account_export",
        tags=["Your account"],
        summary="Download your data",
        description=(
            "Everything the site keeps about you, as “Your data” on the site gives it "
            "(format `cluster-exchange-personal-data/1`; keys are stable, new ones are only "
            "added). Needs a read-and-write token (a read-only token gets 403): the export "
            "holds far more than a read-only token reads anywhere else. Called with the "
            "site's signed-in session rather than a token, it needs the password given in "
            "the last 5 minutes (403 otherwise), as “Your data” does. Sent with "
            "`Cache-Control: no-store`."
        ),
        responses={200: PersonalDataSerializer, **errors(401, 403, 429)},
    )
    def get(self, request):
        response = Response(services.export_user_data(request.user))
        response["Cache-Control"] = "no-store, private"
        return response


# Wired under /api/v1/ by config/api.py.
v1_paths = [path("account/export/", AccountExportView.as_view(), name="account-export")]
