"""The form to add a webhook endpoint (the API's serializer calls the same checks)."""

from django import forms

from .addresses import Refused, check_url
from .events import allowed_events, needs_second_step


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=2000,
        assume_scheme="https",
        help_text="The address on your system we send events to. It must start with "
        "https:// and be on the public internet.",
        error_messages={
            "required": "Enter the endpoint URL",
            "invalid": "Enter a full web address, like https://example.org/webhooks",
        },
    )
    events = forms.MultipleChoiceField(
        label="Events to send",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one event"},
    )

    def __init__(self, *args, user, second_step: bool | None = None, **kwargs):
        """`second_step`: whether this request passed the second step of signing in (see
        events.may_receive): staff-only events are offered only then."""
        super().__init__(*args, **kwargs)
        allowed = allowed_events(user, second_step=second_step)
        self.fields["events"].choices = [(e.name, e.label) for e in allowed]
        help_text = "We send only the events you choose. " + " ".join(
            f"{e.label}: {e.hint}" for e in allowed
        )
        waiting = needs_second_step(user) if not second_step else []
        if waiting:
            help_text += (
                f" {', '.join(e.label for e in waiting)}: sign in again with the code from "
                "your authenticator app to choose this."
            )
        self.fields["events"].help_text = help_text

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except Refused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url
