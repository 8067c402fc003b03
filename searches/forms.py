"""Naming a saved search."""

from django import forms

from .services import NAME_LENGTH


class SaveSearchForm(forms.Form):
    name = forms.CharField(
        label="Name this search (optional)",
        max_length=NAME_LENGTH,
        required=False,
        error_messages={"max_length": f"Name must be {NAME_LENGTH} characters or fewer"},
    )


class RenameSearchForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_LENGTH,
        error_messages={
            "required": "Enter a name for this search",
            "max_length": f"Name must be {NAME_LENGTH} characters or fewer",
        },
    )
