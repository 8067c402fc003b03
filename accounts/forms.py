"""Sign-up asks for a name and consent to the privacy notice, besides email and password."""

import re

from allauth.account import forms as allauth_forms
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction

from config.text import has_words, one_line

from .models import PRIVACY_NOTICE_VERSION, PrivacyConsent

# A full stop, question or exclamation mark followed by a space: a message of two sentences.
_SENTENCE_BREAK = re.compile(r"[.?!]\s")


def without_full_stop(message: str) -> str:
    """An error message of one sentence without the full stop at its end, as the site writes
    its own ("Enter your full name"); a message of several sentences keeps its full stops."""
    message = str(message)
    if message.endswith(".") and not _SENTENCE_BREAK.search(message):
        return message[:-1]
    return message


class _NoFullStops:
    """Django's, allauth's and the password checks' messages of one sentence end with a full
    stop ("You must type the same password each time."), the site's own do not: the sign-up
    form mixed both (usability probe, stop 30)."""

    def full_clean(self):
        super().full_clean()
        for errors in (self._errors or {}).values():
            for i, item in enumerate(errors.data):
                code = item.code if isinstance(item, ValidationError) else None
                errors.data[i] = ValidationError(without_full_stop(errors[i]), code=code)


class SignupForm(_NoFullStops, AllauthSignupForm):
    name = forms.CharField(
        label="Full name",
        max_length=150,
        error_messages={"max_length": "Enter a name of 150 characters or fewer"},
        help_text="Shown to organisations you choose to be introduced to.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    accept_privacy = forms.BooleanField(
        label="I have read the privacy notice and agree to my details being used as it says",
        error_messages={"required": "Confirm that you agree to the privacy notice"},
    )

    field_order = ["name", "email", "password1", "password2", "accept_privacy"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        messages = {
            "name": "Enter your full name",
            "email": "Enter your email address",
            "password1": "Enter a password",
            "password2": "Enter the password again",
        }
        for name, message in messages.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message
        if "email" in self.fields:
            self.fields["email"].error_messages["invalid"] = EMAIL_FORMAT

    def clean_name(self):
        name = one_line(self.cleaned_data["name"])
        if not has_words(name):
            raise forms.ValidationError("Enter your full name")
        return name

    def clean(self):
        cleaned = super().clean()
        # allauth checks the password against a user made of the email address alone; check
        # it against the name too (password1 is gone from cleaned data if it failed already).
        password, name = cleaned.get("password1"), cleaned.get("name")
        if password and name:
            user = get_user_model()(name=name, email=cleaned.get("email") or "")
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def try_save(self, request):
        if self.account_already_exists:
            # allauth then sends "you already have an account" and hashes nothing, so the
            # answer came in 20 ms against 250-400 ms for a new address (the password hash):
            # the time told who has an account (attacker probe). Hash it anyway, and drop it.
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)

    @transaction.atomic
    def save(self, request):
        user = super().save(request)
        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])
        PrivacyConsent.objects.get_or_create(user=user, version=PRIVACY_NOTICE_VERSION)
        return user


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that my account and personal details will be deleted",
        error_messages={"required": "Confirm that you want to delete your account"},
    )


# Plain words for the other account forms' empty and malformed fields, as on the sign-up form
# (newcomer probe: "This field is required." twice on an empty sign-in, which said neither
# which field nor what to do).
EMAIL_FORMAT = "Enter an email address in the right format, like name@example.com"
REQUIRED = {
    "login": "Enter your email address",
    "email": "Enter your email address",
    "password": "Enter your password",
    "oldpassword": "Enter your current password",
    "password1": "Enter a new password",
    "password2": "Enter the new password again",
}


class _PlainWords(_NoFullStops):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in REQUIRED:
                field.error_messages["required"] = REQUIRED[name]
            if name in ("login", "email"):
                field.error_messages["invalid"] = EMAIL_FORMAT


class LoginForm(_PlainWords, allauth_forms.LoginForm):
    pass


class ResetPasswordForm(_PlainWords, allauth_forms.ResetPasswordForm):
    pass


class ResetPasswordKeyForm(_PlainWords, allauth_forms.ResetPasswordKeyForm):
    pass


class ChangePasswordForm(_PlainWords, allauth_forms.ChangePasswordForm):
    pass


class SetPasswordForm(_PlainWords, allauth_forms.SetPasswordForm):
    pass


class AddEmailForm(_PlainWords, allauth_forms.AddEmailForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "email" in self.fields:
            self.fields["email"].error_messages["required"] = "Enter the new email address"
