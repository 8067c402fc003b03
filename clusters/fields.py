"""Form fields that take database ids: anything that is not one is "not a valid choice".

Django's model choice fields pass what was typed to the database: an id beyond the
integer range is an OverflowError on SQLite (a 500), and Python's `int()` accepts "٣" as 3
and "²" passes `str.isdigit()`. Every form field, filter and parameter that takes an id
uses `parse_id` or these fields instead.
"""

import re

from django import forms

# Ids are 64-bit signed integers (BigAutoField) on every database we support.
ID_MAX = 2**63 - 1
_ID = re.compile(r"[1-9][0-9]{0,18}")


def parse_id(value) -> int | None:
    """The id `value` stands for, or None: only ASCII digits from 1 to the 64-bit maximum."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= ID_MAX else None
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= ID_MAX else None


def _invalid(field, value) -> forms.ValidationError:
    return forms.ValidationError(
        field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
    )


class IdChoiceField(forms.ModelChoiceField):
    """A model choice by id; a value that is not an id is an invalid choice."""

    def __init__(self, queryset, **kwargs):
        if kwargs.get("to_field_name"):
            raise TypeError("IdChoiceField chooses by id: use ModelChoiceField for other keys")
        super().__init__(queryset, **kwargs)

    def to_python(self, value):
        if value in self.empty_values or isinstance(value, self.queryset.model):
            return super().to_python(value)
        if parse_id(value) is None:
            raise _invalid(self, value)
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several model choices by id; one value that is not an id is an invalid choice."""

    def __init__(self, queryset, **kwargs):
        if kwargs.get("to_field_name"):
            raise TypeError("IdMultipleChoiceField chooses by id: use the model field otherwise")
        super().__init__(queryset, **kwargs)

    def _check_values(self, value):
        for item in value:
            if not isinstance(item, self.queryset.model) and parse_id(item) is None:
                raise _invalid(self, item)
        return super()._check_values(value)
