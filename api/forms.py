from django import forms

from .models import ApiToken


class NewTokenForm(forms.Form):
    name = forms.CharField(
        label="Name the token",
        help_text="Say what will use it, for example “Deal-flow spreadsheet” or “Our CRM”.",
        max_length=80,
        error_messages={
            "required": "Enter a name for the token, so that you can tell it apart later",
            "max_length": "The name must be 80 characters or fewer",
        },
    )
    scope = forms.ChoiceField(
        label="What can it do?",
        choices=[
            (
                ApiToken.Scope.READ,
                "Read only: see your organisation’s listings, matches and introductions",
            ),
            (
                ApiToken.Scope.WRITE,
                "Read and write: also post and change listings, answer matches and introductions",
            ),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the token can only read, or read and write"},
    )
