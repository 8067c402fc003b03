"""The v1 API's filters: `?updated_since=` (only what changed since a moment, for partners who
mirror the data), and django-filter's query-string filters with errors that say what to use."""

from datetime import UTC

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import exceptions
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


def plain_filter_errors(form) -> dict[str, list[str]]:
    """A filter form's errors by parameter, a wrong choice (`?kind=gift`) naming the values to
    use instead of Django's "Select a valid choice. gift is not one of the available
    choices." (found by review); a choice read from the database names the API's list of them."""
    out: dict[str, list[str]] = {}
    for name, errors in form.errors.as_data().items():
        field = form.fields.get(name)
        listed = isinstance(field, forms.ChoiceField) and not isinstance(
            field, forms.ModelChoiceField
        )
        messages = []
        for error in errors:
            sent = (error.params or {}).get("value", "")
            if error.code == "invalid_choice" and listed:
                values = ", ".join(str(value) for value, _ in field.choices if value != "")
                messages.append(f'"{sent}" is not one of the choices. Use one of: {values}.')
            elif error.code == "invalid_choice" and isinstance(field, forms.ModelChoiceField):
                # Read from the database: name the API's own list instead of the page's
                # "Select a cluster from the list" (a caller has no list in front of it).
                model = field.queryset.model._meta.model_name
                key = field.to_field_name or "id"
                messages.append(
                    f'"{sent}" is no {model}\'s {key}: the list is at /api/v1/{model}s/.'
                )
            else:
                messages.extend(error.messages)
        out[name] = messages
    return out


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend, whose 400 for a wrong filter value says which values it takes
    (under /api/v1/; the paths from before v1 keep their answers). The default backend."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            if not request.path.startswith("/api/v1/"):  # the paths from before v1: as they were
                raise translate_validation(filterset.errors)
            raise exceptions.ValidationError(plain_filter_errors(filterset.form))
        return filterset.qs
