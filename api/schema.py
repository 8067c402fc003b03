"""The API's error answers for drf-spectacular, so the schema lists every answer it gives."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong and what to do next.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each field or query parameter to fix, with what to change. Empty when no "
        "one field is at fault.",
    )

    class Meta:
        ref_name = "Error"


DESCRIPTIONS = {
    400: "What you sent is not valid: `errors` names each field to fix",
    401: "No token, or a token that is not valid or was revoked",
    403: "You are signed in but may not do this (or the token can only read)",
    404: "No such record, or you cannot see it",
    409: "The record is not in a state that allows this: `message` says why",
    429: "Too many requests: wait for the seconds in `Retry-After`, then try again",
}
EXAMPLES = {
    400: OpenApiExample(
        "A field to fix",
        value={
            "message": "Some of what you sent needs changing: see errors, by field.",
            "errors": {"title": ["This field is required."]},
        },
        response_only=True,
        status_codes=["400"],
    ),
}


def errors(*codes: int) -> dict:
    """`{code: OpenApiResponse}` for `extend_schema(responses={200: X, **errors(400, 404)})`."""
    return {
        code: OpenApiResponse(
            ErrorSerializer,
            description=DESCRIPTIONS[code],
            examples=[EXAMPLES[code]] if code in EXAMPLES else [],
        )
        for code in codes
    }


READ = (401, 403, 404, 429)
WRITE = (400, 401, 403, 404, 409, 429)


class TokenScheme(OpenApiAuthenticationExtension):
    """The personal token in the schema: `Authorization: Bearer cx_...`."""

    target_class = "api.authentication.TokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on your account page (API tokens).",
        }
