"""`?updated_since=`: only what changed since a moment, for partners who mirror the data."""

from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.filters import BaseFilterBackend

from .errors import bad_parameter

PARAMETER = "updated_since"


def parse_moment(raw: str):
    """An aware datetime from ISO 8601 ("2026-12-01T09:00:00Z"); naive means UTC. None if bad."""
    try:
        moment = parse_datetime(raw.strip().replace(" ", "+"))
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    try:
        # In UTC, as the database compares it; a time at the edge of the calendar
        # (9999-12-31T23:59:59-12:00) does not exist there.
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


class UpdatedSinceFilter(BaseFilterBackend):
    """Keeps records whose `view.updated_field` (default `updated_at`) is at or after the time.

    "At or after", not "after": a partner passes the time of the last change it saw, and
    reads that change again rather than miss one made in the same instant.
    """

    def filter_queryset(self, request, queryset, view):
        raw = request.query_params.get(PARAMETER)
        if raw is None or raw == "":
            return queryset
        moment = parse_moment(raw)
        if moment is None:
            raise bad_parameter(
                PARAMETER,
                "Give a date and time in ISO 8601, for example 2026-12-01T09:00:00Z.",
            )
        field = getattr(view, "updated_field", "updated_at")
        return queryset.filter(**{f"{field}__gte": moment})

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": PARAMETER,
                "required": False,
                "in": "query",
                "description": (
                    "Only records changed at or after this time (ISO 8601, e.g. "
                    "2026-12-01T09:00:00Z). Pass the time of the last change you saw."
                ),
                "schema": {"type": "string", "format": "date-time"},
            }
        ]
