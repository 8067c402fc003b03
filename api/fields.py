"""Serializer fields shared by the API's apps."""

import calendar
import re

from rest_framework import serializers


class ChoiceField(serializers.ChoiceField):
    """DRF's ChoiceField, whose errors say which values it takes.

    DRF's own words were `"['offer']" is not a valid choice.`: right, but no help to the
    person who has to fix the request. A field's own `error_messages` still win.
    """

    default_error_messages = {
        "invalid_choice": '"{input}" is not one of the choices. Use one of: {choices}.',
        "not_text": "Send one of the choices as a string. Use one of: {choices}.",
    }

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if isinstance(data, (list, dict)):
            self.fail("not_text", choices=self._names())
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            self.fail("invalid_choice", input=data, choices=self._names())

    def _names(self) -> str:
        return ", ".join(str(value) for value in self.choices)


class DateField(serializers.DateField):
    """DRF's DateField (YYYY-MM-DD), which tells an impossible date from a wrong format.

    DRF said "Date has wrong format. Use one of these formats instead: YYYY-MM-DD." for
    "2026-02-30" too, which is in that format: the person fixing it looked for the wrong
    mistake (outside probe).
    """

    default_error_messages = {
        "invalid": "Send the date as YYYY-MM-DD, for example 2027-03-31.",
        "not_a_date": '"{input}" is not a real date: {reason}. Send a date that exists, '
        "as YYYY-MM-DD.",
    }

    def to_internal_value(self, value):
        found = isinstance(value, str) and re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
        if found:
            year, month, day = (int(part) for part in found.groups())
            reason = None
            if year < 1:
                reason = "there is no year 0"
            elif not 1 <= month <= 12:
                reason = f"there is no month {month}"
            elif day < 1:
                reason = "there is no day 0"
            elif day > calendar.monthrange(year, month)[1]:
                days = calendar.monthrange(year, month)[1]
                reason = f"{calendar.month_name[month]} {year} has {days} days"
            if reason:
                self.fail("not_a_date", input=value.strip(), reason=reason)
        return super().to_internal_value(value)


# DRF's ModelSerializer whose fields made from a model's choices are ChoiceField above. (No
# docstring: drf-spectacular would give it to every serializer made from this one.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_choice_field = ChoiceField
