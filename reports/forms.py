"""The "Report this listing / organisation" form: it validates, services write."""

from django import forms

from config.forms import HoneypotForm

from .models import DETAILS_MAX, Report


class ReportForm(HoneypotForm):
    reason = forms.ChoiceField(
        label="What is wrong with it?",
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what is wrong with it",
            "invalid_choice": "Select what is wrong with it",
        },
    )
    details = forms.CharField(
        label="Tell us more",
        help_text="Optional, unless you chose “Something else”. Say what is wrong and where. "
        "Do not include bank details or passwords.",
        required=False,
        max_length=DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": f"Details must be {DETAILS_MAX:,} characters or fewer"},
    )
    email = forms.EmailField(
        label="Your email address (optional)",
        help_text="Only if you want us to be able to ask you about your report",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Email address must be 254 characters or fewer",
        },
    )
    # Spam defence: "Leave this blank", a field people never see (HoneypotForm).
    honeypot_what = "report"

    def __init__(self, *args, signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            # We know who they are: the report names their account.
            del self.fields["email"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Report.Reason.OTHER and not cleaned.get("details", "").strip():
            self.add_error("details", "Tell us what is wrong, as you chose “Something else”")
        return cleaned
