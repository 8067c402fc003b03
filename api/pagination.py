"""Cursor pages: stable under inserts, no count query, cheap at any depth."""

import re

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import DateTimeField
from django.utils import timezone
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from .errors import bad_parameter

BAD_CURSOR = "This cursor is not valid: copy it exactly from the `next` or `previous` link."


class SyncCursorPagination(CursorPagination):
    """`?cursor=` (from `next`/`previous`) and `?page_size=` (1 to 500, 50 by default).

    Ordered by the view's `ordering` (default: oldest change first, then id), so a partner who
    mirrors with `updated_since` reads changes in the order they happened. The first ordering
    field is the cursor's position: it must be indexed, and ties are broken by an offset.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("updated_at", "id")
    cursor_query_description = "The page to read: copy it from `next` or `previous`."
    page_size_query_description = "How many records a page holds: 1 to 500 (50 if not given)."

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def get_page_size(self, request):
        # A page size that is not a whole number from 1 to 500 is an error, not a silent 50.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # ASCII digits only: "²".isdigit() is true, and int("²") fails.
        if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise bad_parameter(
                self.page_size_query_param,
                f"Give a whole number from 1 to {self.max_page_size}.",
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        # A forged cursor's position ("p") is compared with the ordering field: a position
        # that is not such a value (or a date out of range) is the caller's mistake, a 400.
        self._queryset = queryset  # decode_cursor checks the position against its field
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, OverflowError, TypeError):
            raise bad_parameter(self.cursor_query_param, BAD_CURSOR) from None

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise bad_parameter(self.cursor_query_param, BAD_CURSOR) from None
        # A damaged cursor ("AAAA", a NUL) can decode to no offset, direction or position: the
        # first page. The site's links never carry such a cursor (the first page has none),
        # so it is the caller's mistake, not a silent start from the beginning.
        raw = request.query_params.get(self.cursor_query_param)
        if raw and cursor == (0, False, None):
            raise bad_parameter(self.cursor_query_param, BAD_CURSOR)
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        """A position is written as str() of the ordering field's value (DRF's
        _get_position_from_instance): one that does not read back the same was cut short or
        edited (a cursor cut at "p=2026-12-03" would silently re-read from midnight)."""
        name = self.ordering[0].lstrip("-")
        queryset = getattr(self, "_queryset", None)
        if queryset is None:
            return
        annotation = queryset.query.annotations.get(name)
        try:
            field = (
                annotation.output_field
                if annotation is not None
                else queryset.model._meta.get_field(name)
            )
        except FieldDoesNotExist:
            return  # not a field the site knows how to read back: the database compares it
        try:
            value = field.to_python(position)
            same = str(value) == position
            if same and isinstance(field, DateTimeField) and settings.USE_TZ:
                # Cut just before its offset, a position still reads back the same, naive:
                # the database would read it in local time, an hour off in summer.
                same = timezone.is_aware(value)
        except (DjangoValidationError, ValueError, OverflowError, TypeError):
            same = False
        if not same:
            raise bad_parameter(self.cursor_query_param, BAD_CURSOR)
