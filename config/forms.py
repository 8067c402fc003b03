"""Form pieces shared by the public forms of several apps."""

from django import forms
from django.core.exceptions import ValidationError


class HoneypotForm(forms.Form):
    """A form with a field people never see, "Leave this blank": scripts fill every field in,
    and the form then refuses to send. The template writes it, hidden (`form.honeypot`).

    `honeypot_what` names what is sent, for the message ("your enquiry", "your report").
    """

    website = forms.CharField(
        label="Leave this blank",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    HONEYPOT = "website"
    honeypot_what = "form"

    def visible_fields(self):
        """Everything but the honeypot, which the template writes itself, hidden."""
        return [f for f in super().visible_fields() if f.name != self.HONEYPOT]

    @property
    def honeypot(self):
        return self[self.HONEYPOT]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(self.HONEYPOT):
            raise ValidationError(
                f"We could not send your {self.honeypot_what}. Leave the field labelled "
                "“Leave this blank” empty, then send it again.",
                code="honeypot",
            )
        return cleaned


class HintedRadioSelect(forms.RadioSelect):
    """Radios with a hint under each choice (GOV.UK "radio items with hints"):
    `hints` maps a choice's value to its hint. includes/form_field.html writes each hint and
    ties it to its radio (aria-describedby)."""

    def __init__(self, attrs=None, choices=(), hints: dict | None = None):
        super().__init__(attrs, choices)
        self.hints = dict(hints or {})

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["hint"] = self.hints.get(value, "")
        return option
