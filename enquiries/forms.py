"""The "Get in touch" form: it validates, services write."""

import secrets
import time

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError

from clusters.fields import IdChoiceField
from clusters.models import Cluster
from config.forms import HoneypotForm

from .models import FORM_MAX_AGE_SECONDS, MESSAGE_MAX, NAME_MAX, Enquiry

# People take longer than this to fill in the form; scripts usually do not.
MIN_FILL_SECONDS = 3
# A form left open longer than this is refused. Each token is also spent by the enquiry it
# sends (services.spend_form_token): one copy of the form sends one enquiry.
MAX_FILL_SECONDS = FORM_MAX_AGE_SECONDS
TIMESTAMP_SALT = "enquiries.form-started"


def one_line_only(value: str) -> None:
    """Refuse line breaks and other control characters: these values may reach email headers."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError("line break", code="line_break")


def started_token(now: float | None = None) -> str:
    """The signed time the form was shown, with a random part: each copy of the form is unique."""
    return signing.dumps(
        {"t": time.time() if now is None else now, "n": secrets.token_urlsafe(12)},
        salt=TIMESTAMP_SALT,
    )


class EnquiryForm(HoneypotForm):
    name = forms.CharField(
        label="Full name",
        max_length=NAME_MAX,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your full name",
            "max_length": f"Full name must be {NAME_MAX} characters or fewer",
            "line_break": "Enter your full name on one line",
        },
    )
    email = forms.EmailField(
        label="Email address",
        help_text="We’ll only use this to reply to your enquiry",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Email address must be 254 characters or fewer",
            "line_break": "Enter an email address in the correct format, like name@example.com",
        },
    )
    organisation = forms.CharField(
        label="Organisation (optional)",
        max_length=NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        error_messages={
            "max_length": f"Organisation must be {NAME_MAX} characters or fewer",
            "line_break": "Enter your organisation’s name on one line",
        },
    )
    organisation_kind = forms.ChoiceField(
        label="What kind of organisation are you from?",
        choices=Enquiry.OrganisationKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what kind of organisation you are from",
            "invalid_choice": "Select what kind of organisation you are from",
        },
    )
    topic = forms.ChoiceField(
        label="What is your enquiry about?",
        choices=Enquiry.Topic.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what your enquiry is about",
            "invalid_choice": "Select what your enquiry is about",
        },
    )
    cluster = IdChoiceField(
        label="Which cluster is it about? (optional)",
        queryset=Cluster.objects.all(),  # by emissions, as everywhere on the site
        required=False,
        empty_label="Not about one cluster",
        error_messages={"invalid_choice": "Select a cluster from the list"},
    )
    message = forms.CharField(
        label="Your message",
        help_text="Tell us what you need and, if it applies, by when. Do not include "
        "bank details or passwords.",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": "Enter your message",
            "max_length": f"Your message must be {MESSAGE_MAX:,} characters or fewer",
        },
    )
    consent_to_contact = forms.BooleanField(
        label=(
            "The GrandChallenges programme team (who run Cluster Exchange) can also contact "
            "me about related projects and events"
        ),
        help_text="Optional. We will reply to this enquiry either way.",
        required=False,
    )
    # Spam defences: "Leave this blank", a field people never see (HoneypotForm), and the
    # time the form was first shown.
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    honeypot_what = "enquiry"

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or time.time
        for name in ("name", "email", "organisation"):
            self.fields[name].validators.append(one_line_only)
        if not self.is_bound:
            self.initial["started"] = started_token()

    def renew_start(self) -> None:
        """Show the form again with a fresh start token, so that sending it again works."""
        self.data = self.data.copy()
        self.data["started"] = started_token()

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        try:
            started = signing.loads(cleaned.get("started") or "", salt=TIMESTAMP_SALT)
            elapsed = self.now() - float(started["t"])
        except (signing.BadSignature, TypeError, ValueError, KeyError):
            elapsed = None
        if elapsed is None or elapsed > MAX_FILL_SECONDS:
            self.renew_start()
            raise ValidationError(
                "This form has expired. Check your answers, then send it again.", code="expired"
            )
        if elapsed < MIN_FILL_SECONDS and not self.errors:
            # Only for a form that is otherwise right: an empty form sent at once led with
            # this, above the fields it had to fill in (newcomer probe).
            raise ValidationError(
                "That was quicker than we expected. Check your answers, then send your "
                "enquiry again.",
                code="too_fast",
            )
        return cleaned
