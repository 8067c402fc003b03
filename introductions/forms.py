"""Forms for introductions: the request message and the choice made when declining."""

from django import forms

from .models import MESSAGE_MAX


class PlainTextField(forms.CharField):
    """Text kept as plain text: line endings made "\\n" before the length is checked.

    Browsers send "\\r\\n"; normalising first means 1,000 characters is what the person sees.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")


class RequestForm(forms.Form):
    message = PlainTextField(
        label="Your message",
        help_text=(
            "Say who you are and what you would like to talk about. They will see your "
            "organisation’s name and this message, but not your name or email address until "
            "they accept."
        ),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Enter a message to the organisation",
            "max_length": "Your message must be 1,000 characters or fewer",
        },
    )


class DeclineForm(forms.Form):
    TELL_NOW = "now"
    TELL_LATER = "later"

    tell = forms.ChoiceField(
        label="When should we tell them it is not taken forward?",
        choices=[
            (TELL_NOW, "Tell them now"),
            (TELL_LATER, "Tell them after 14 days"),
        ],
        widget=forms.RadioSelect,
        help_text="We do not email them either way: they see it on their introductions page.",
        error_messages={"required": "Choose when to tell them"},
    )

    @property
    def tell_now(self) -> bool:
        return self.cleaned_data["tell"] == self.TELL_NOW
