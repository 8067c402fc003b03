"""Email preferences: how often to hear about new matches, and listings to stay quiet about."""

from django import forms

from .models import EmailPreference


class PreferencesForm(forms.Form):
    cadence = forms.ChoiceField(
        label="How often do you want to hear about new matches?",
        choices=EmailPreference.Cadence.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how often you want to hear about new matches"},
    )
    muted = forms.MultipleChoiceField(
        label="Do not email me about these listings",
        help_text="Select any that you do not want match emails about",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select a listing from the list"},
    )

    def __init__(self, *args, listings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muted"].choices = [(str(x.pk), x.title) for x in listings]
        if not listings:
            del self.fields["muted"]
