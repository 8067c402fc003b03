"""Errors under /api/v1/ as one JSON shape: `{"message": "...", "errors": {"field": [...]}}`.

`message` says what went wrong and what to do next, in plain English; `errors` names each
field (or query parameter) to fix, and is `{}` when no one field is at fault. The read-only
paths under /api/ that came before v1 keep DRF's shape (`{"detail": ...}`), which partners
already parse.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

V1 = "/api/v1/"
CHECK_FIELDS = "Some of what you sent needs changing: see errors, by field."
NOT_JSON = (
    "The body is not valid JSON: check its quotes, commas and brackets, and send it with "
    "'Content-Type: application/json'."
)
NOT_AN_OBJECT = "Send one JSON object ({...}) holding the fields, not a list or a single value."
# DRF's words for a body that is not an object (serializers.Serializer.to_internal_value),
# or that is JSON null (serializers.Serializer.validate_empty_values).
_DRF_NOT_AN_OBJECT = ("Invalid data. Expected a dictionary", "No data provided")


class Conflict(exceptions.APIException):
    """The record is not in a state that allows this (e.g. renewing a withdrawn listing)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "That cannot be done to this record as it is now."
    default_code = "conflict"


def bad_parameter(name: str, message: str) -> exceptions.ValidationError:
    """A 400 naming one query parameter (a filter, a cursor, a page size)."""
    return exceptions.ValidationError({name: [message]})


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "parent.child": [...]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out.update(_flatten(value, f"{prefix}.{name}".strip(".") if name else prefix))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]} if detail else {}
        out = {}
        for index, item in enumerate(detail):
            out.update(_flatten(item, f"{prefix}.{index}".strip(".")))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def _message(exc, errors: dict) -> str:
    if isinstance(exc, exceptions.ValidationError):
        general = errors.get("non_field_errors")
        if general and len(errors) == 1:
            return general[0]
        return CHECK_FIELDS
    if isinstance(exc, exceptions.Throttled):
        wait = exc.wait
        if wait is not None:
            seconds = max(1, round(wait))
            return (
                f"Too many requests. Wait {seconds} second{'s' if seconds != 1 else ''}, "
                "then try again (see the Retry-After header)."
            )
        return "Too many requests. Wait a minute, then try again."
    if isinstance(exc, exceptions.APIException):
        return str(exc.detail) if not isinstance(exc.detail, (dict, list)) else CHECK_FIELDS
    return str(exc)


def exception_handler(exc, context):
    request = context.get("request")
    in_v1 = request is not None and request.path.startswith(V1)
    if isinstance(exc, DjangoValidationError):
        # A service refused the input (model validation): the caller's mistake, never a 500.
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is None or not in_v1:
        return response
    if isinstance(exc, (Http404, DjangoPermissionDenied)):
        exc = exceptions.NotFound() if isinstance(exc, Http404) else exceptions.PermissionDenied()
    errors = _flatten(exc.detail) if isinstance(exc, exceptions.ValidationError) else {}
    general = errors.get("non_field_errors")
    if general and any(text.startswith(_DRF_NOT_AN_OBJECT) for text in general):
        errors["non_field_errors"] = [
            NOT_AN_OBJECT if text.startswith(_DRF_NOT_AN_OBJECT) else text for text in general
        ]
    if isinstance(exc, exceptions.ParseError) and str(exc.detail).startswith("JSON parse"):
        # DRF's "JSON parse error - Expecting ..." is kept after the advice: it says where.
        message = f"{NOT_JSON} ({exc.detail})"
    elif isinstance(exc, exceptions.NotFound) and exc.detail == exceptions.NotFound.default_detail:
        message = "Not found: there is no such record, or you cannot see it."
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        sent = (request.content_type or "none given")[:80] if request is not None else "?"
        message = (
            f"The API does not read bodies of type “{sent}”: send JSON, with "
            "'Content-Type: application/json'."
        )
    elif isinstance(exc, exceptions.NotAcceptable):
        message = (
            "The API cannot answer in the format your Accept header asks for: send "
            "'Accept: application/json', or no Accept header."
        )
    elif isinstance(exc, exceptions.MethodNotAllowed):
        message = (
            f"This address does not take {request.method if request else 'that'} requests: "
            "the Allow header lists those it does."
        )
    elif isinstance(exc, exceptions.NotAuthenticated):
        message = (
            "Sign in first: send a personal API token as 'Authorization: Bearer <token>'. "
            "Make one on your account page (API tokens)."
        )
    else:
        message = _message(exc, errors)
    response.data = {"message": message, "errors": errors}
    return response
