"""Forms for cluster teams: they validate, services write."""

from django import forms

from clusters.forms import themes_field
from clusters.models import DESCRIPTION_MAX, TITLE_MAX, Challenge
from config.text import has_words, one_line
from introductions.forms import AskingOrganisationForm


class TeamRequestForm(forms.Form):
    body = forms.CharField(
        label="Which cluster body do you work for?",
        help_text="For example, Humber Industrial Cluster Plan. Challenges you post show "
        "this name as who set them.",
        max_length=200,
        error_messages={"required": "Enter the name of the cluster body you work for"},
    )
    message = forms.CharField(
        label="Message to our team (optional)",
        help_text="For example, your role, so we can check you work for the cluster body",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Write 1000 characters or fewer"},
    )

    def clean_body(self):
        return " ".join(self.cleaned_data["body"].split())


class ChallengeForm(forms.ModelForm):
    themes = themes_field()

    class Meta:
        model = Challenge
        fields = ["title", "description", "themes"]
        labels = {"title": "Title", "description": "Description"}
        help_texts = {
            "title": "A short summary, for example “Capture CO2 from refinery heaters”",
            "description": "What the cluster needs solved, where, and by when. Plain text: "
            "leave a blank line between paragraphs.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 10})}
        error_messages = {"title": {"required": "Enter a title"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].max_length = TITLE_MAX
        self.fields["description"].required = True
        self.fields["description"].max_length = DESCRIPTION_MAX
        self.fields["description"].error_messages["required"] = "Enter a description"

    def clean_title(self):
        title = one_line(self.cleaned_data["title"])
        if not has_words(title):
            raise forms.ValidationError("Enter a title")
        return title


class ChallengeReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        help_text="Kept in the challenge’s history, for your team and ours",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter the reason",
            "max_length": "Write 2000 characters or fewer",
        },
    )


class IntroductionForm(AskingOrganisationForm):
    """Ask for an introduction to a shortlisted offer's organisation, from a challenge.

    Introductions are between organisations, so the team member asks for one of their own
    approved organisations (chosen already, as a hidden field, when they have one).
    """

    message = forms.CharField(
        label="Your message",
        help_text="Say who you are, which challenge this is about and what you would like to "
        "talk about. They see your organisation’s name, the challenge and this message.",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Enter a message to the organisation",
            "max_length": "Your message must be 1,000 characters or fewer",
        },
    )
    field_order = ["organisation", "message"]

    def clean_message(self):
        return self.cleaned_data["message"].replace("\r\n", "\n").strip()
