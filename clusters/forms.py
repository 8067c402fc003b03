"""Forms for organisations, members and listings: they validate, services write."""

from itertools import groupby

from django import forms
from django.core.validators import URLValidator
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils import formats

from config.text import has_words, one_line

from .fields import IdChoiceField, IdMultipleChoiceField
from .logos import LogoError, clean_logo
from .models import DESCRIPTION_MAX, TITLE_MAX, Challenge, Cluster, Listing, Organisation, Theme


class OrganisationForm(forms.ModelForm):
    clusters = IdMultipleChoiceField(
        queryset=Cluster.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Clusters you work in or want to work in (optional)",
        help_text="Select all that apply",
        error_messages={"invalid_choice": "Select a cluster from the list"},
    )

    class Meta:
        model = Organisation
        fields = ["name", "kind", "description", "website", "clusters", "size", "location"]
        labels = {
            "name": "Organisation name",
            "kind": "What kind of organisation is it?",
            "description": "What does your organisation do?",
            "website": "Website (optional)",
            "size": "How many people work there? (optional)",
            "location": "Postcode or region (optional)",
        }
        help_texts = {
            "description": "A few sentences. This is shown publicly with your listings.",
            "website": "For example, https://www.example.co.uk",
        }
        widgets = {
            "kind": forms.RadioSelect,
            "size": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 5}),
        }
        error_messages = {
            "name": {"required": "Enter your organisation’s name"},
            "kind": {
                "required": "Select what kind of organisation it is",
                "invalid_choice": "Select what kind of organisation it is",
            },
            "size": {"invalid_choice": "Select the size of the organisation from the list"},
            "website": {
                "invalid": "Enter a web address in the right format, like https://example.com"
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["size"].choices = Organisation.Size.choices
        # Without the model's blank "---------" (a radio button, chosen by default: a probe).
        self.fields["kind"].choices = Organisation.Kind.choices
        self.fields["description"].max_length = DESCRIPTION_MAX
        # Staff read it before approving, and the public page shows it: it was accepted empty
        # although not marked optional (newcomer probe, stop 28).
        self.fields["description"].required = True
        self.fields["description"].error_messages["required"] = (
            "Say what your organisation does, in a few sentences"
        )
        self.fields["website"].validators = [URLValidator(schemes=["http", "https"])]

    def clean_name(self):
        name = one_line(self.cleaned_data["name"])
        if not has_words(name):
            raise forms.ValidationError("Enter your organisation’s name")
        duplicates = Organisation.objects.filter(name__iexact=name)
        if self.instance.pk:
            duplicates = duplicates.exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise forms.ValidationError(
                "An organisation with this name is already registered. If it is yours, ask to "
                "join it instead of creating it again."
            )
        return name


class OrganisationAdminForm(OrganisationForm):
    """The details form as an organisation's admins see it: with its logo."""

    logo = forms.FileField(
        label="Logo (optional)",
        required=False,
        help_text=(
            "A PNG, JPEG or WebP picture, smaller than 2 MB and at most 4000 by 4000 pixels. "
            "It is shown on your organisation’s public page as soon as you save."
        ),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        error_messages={"empty": "The file you chose is empty. Choose a picture of your logo."},
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        try:
            return clean_logo(upload)
        except LogoError as exc:
            raise forms.ValidationError(str(exc)) from None


class FindOrganisationForm(forms.Form):
    q = forms.CharField(
        label="Organisation name",
        max_length=200,
        error_messages={
            "required": "Enter the name of the organisation, or part of it",
            "max_length": "Enter a name of 200 characters or fewer",
        },
    )


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label="Message to the organisation’s admins (optional)",
        help_text="For example, your role, so they know who you are",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Colleague’s email address",
        error_messages={
            "required": "Enter your colleague’s email address",
            "invalid": "Enter an email address in the right format, like name@example.com",
        },
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        help_text="This is sent to the organisation",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the reason"},
    )


class ReviewRequestForm(forms.Form):
    message = forms.CharField(
        label="What have you changed? (optional)",
        help_text="Our team reads this when they look at the listing again",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Write 2000 characters or fewer"},
    )


def themes_field() -> IdMultipleChoiceField:
    """The themes of a listing or a challenge: ticked boxes, at least one."""
    return IdMultipleChoiceField(
        queryset=Theme.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label="Themes",
        help_text="Select all that apply",
        error_messages={
            "required": "Select at least one theme",
            "invalid_choice": "Select a theme from the list",
        },
    )


class ChallengesByCluster(ModelChoiceIterator):
    """The challenges in one group per cluster, named after it, for the select's <optgroup>s."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for cluster, challenges in groupby(self.queryset, key=lambda c: c.cluster):
            yield (cluster.name, [self.choice(c) for c in challenges])


class ChallengeChoiceField(IdChoiceField):
    iterator = ChallengesByCluster

    def label_from_instance(self, obj):
        return obj.title if obj.status == Challenge.Status.OPEN else f"{obj.title} (closed)"


class ListingForm(forms.ModelForm):
    themes = themes_field()
    clusters = IdMultipleChoiceField(
        queryset=Cluster.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label="Clusters",
        help_text="Where this applies. Leave all unticked if it applies anywhere.",
        required=False,
        error_messages={"invalid_choice": "Select a cluster from the list"},
    )
    # A title alone does not say which cluster set the challenge. "cluster" orders by the
    # clusters' own order, as everywhere on the site (largest emitters first); its id keeps
    # two clusters of the same name and emissions apart.
    challenge = ChallengeChoiceField(
        queryset=Challenge.objects.open()
        .select_related("cluster")
        .order_by("cluster", "cluster_id", "title"),
        required=False,
        label="Challenge this answers (optional)",
        empty_label="Not a particular challenge",
        error_messages={"invalid_choice": "Select a challenge from the list"},
    )

    class Meta:
        model = Listing
        fields = [
            "kind",
            "title",
            "description",
            "themes",
            "clusters",
            "challenge",
            "partner_kind",
            "expires_on",
        ]
        labels = {
            "kind": "Is this an offer or a need?",
            "title": "Title",
            "description": "Description",
            "partner_kind": "What kind of partner are you looking for?",
            "expires_on": "Expiry date (optional)",
        }
        help_texts = {
            "title": "A short summary, for example “Heat pumps for food processing sites”",
            "description": "What you offer or need, for whom, and by when. Plain text: leave "
            "a blank line between paragraphs.",
            "expires_on": "The listing is taken down on this date. We email you 2 weeks before. "
            "Leave empty to keep it for 12 months. It cannot be more than 12 months away.",
        }
        widgets = {
            "kind": forms.RadioSelect,
            "partner_kind": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 10}),
            # A date box shows and sends only YYYY-MM-DD: in the site's own (UK) format the
            # box stayed empty on an edit, and the listing lost its date (outside probe).
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "kind": {
                "required": "Select whether this is an offer or a need",
                "invalid_choice": "Select whether this is an offer or a need",
            },
            "title": {
                "required": "Enter a title",
                "max_length": f"Enter a title of {TITLE_MAX} characters or fewer",
            },
            "description": {
                "max_length": f"Enter a description of {DESCRIPTION_MAX:,} characters or fewer"
            },
            "partner_kind": {
                "required": "Select the kind of partner you are looking for, or “Any kind of "
                "organisation”",
                "invalid_choice": "Select the kind of partner from the list",
            },
            "expires_on": {
                "invalid": "Enter the expiry date as a real date, for example 31/03/2027"
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (
                "offer",
                "An offer: something we provide (technology, a service, funding, "
                "expertise or a test facility)",
            ),
            ("need", "A need: something we are looking for"),
        ]
        self.fields["title"].max_length = TITLE_MAX
        self.fields["description"].required = True
        self.fields["description"].max_length = DESCRIPTION_MAX
        self.fields["description"].error_messages["required"] = "Enter a description"
        self.fields["partner_kind"].choices = Listing.PartnerKind.choices
        self.fields["expires_on"].required = False
        if self.instance.challenge_id:
            # The challenge it answers stays offered once closed: left out, the edit page
            # showed "None" chosen, and saving dropped the link (review).
            field = self.fields["challenge"]
            field.queryset = (
                Challenge.objects.filter(
                    Q(status=Challenge.Status.OPEN) | Q(pk=self.instance.challenge_id)
                )
                .select_related("cluster")
                .order_by("cluster", "cluster_id", "title")
            )
        if self.instance.pk:
            # An edit with an empty box keeps the listing's date (services.save_listing).
            self.fields["expires_on"].help_text = (
                "The listing is taken down on this date. We email you 2 weeks before. Leave "
                "empty to keep the date it has now. It cannot be more than 12 months away."
            )
        # Where a browser shows a plain text box for the date: 31/03/2027 (the UK's order, from
        # the site's en-gb formats), 2027-03-31, or the date in words, 31 March 2027.
        self.fields["expires_on"].input_formats = [
            *formats.get_format("DATE_INPUT_FORMATS"),
            "%d %B %Y",
            "%d %b %Y",
        ]

    def clean_title(self):
        title = one_line(self.cleaned_data["title"])
        if not has_words(title):
            raise forms.ValidationError("Enter a title")
        return title

    def clean_expires_on(self):
        from django.utils import timezone

        from .services import LISTING_LIFETIME

        value = self.cleaned_data.get("expires_on")
        if value and value <= timezone.localdate():
            raise forms.ValidationError("The expiry date must be in the future")
        latest = timezone.localdate() + LISTING_LIFETIME
        if value and value > latest:
            # A listing is kept open a year at a time (with a reminder before it ends): 9999
            # went round that (found by an outside probe).
            raise forms.ValidationError(
                f"The expiry date must be within 12 months, by {latest:%-d %B %Y}. You can keep "
                "the listing open for longer when we remind you."
            )
        return value
