"""The form to add a webhook endpoint (the API's serializer calls the same checks)."""

from django import forms

from .addresses import Refused, check_url
from .events import EVENTS, has_authenticator, may_have_role_events, may_receive


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

    def __init__(self, *args, user, second_step: bool = False, **kwargs):
        """`second_step`: whether this request passed the second step of signing in (see
        events.may_receive). Staff see their role's events either way; choosing one without
        the second step says what to do."""
        super().__init__(*args, **kwargs)
        self.user, self.second_step = user, second_step
        offered = [e for e in EVENTS.values() if not e.permission or may_have_role_events(user, e)]
        self.fields["events"].choices = [(e.name, e.label) for e in offered]
        self.fields["events"].help_text = "We send only the events you choose. " + " ".join(
            f"{e.label}: {e.hint}" for e in offered
        )

    def clean_events(self):
        events = self.cleaned_data["events"]
        for name in events:
            if may_receive(self.user, name, second_step=self.second_step):
                continue
            label = EVENTS[name].label
            if not has_authenticator(self.user):
                raise forms.ValidationError(
                    f"“{label}” needs the second step of signing in. Set up an authenticator "
                    "app on your account page (2-step verification), sign in again with its "
                    "code, then add this webhook."
                )
            raise forms.ValidationError(
                f"“{label}” needs the second step of signing in. Sign in again with the code "
                "from your authenticator app (or, through the API, use a token made after "
                "doing so), then add this webhook."
            )
        return events

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except Refused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url
