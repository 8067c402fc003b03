"""Forms for introductions: the request message and the choice made when declining."""

from django import forms

from clusters.models import Listing
from config.forms import HintedRadioSelect

from .models import MESSAGE_MAX, Outcome


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
            "Say what your organisation does and what you would like to talk about. They will "
            "see your organisation’s name and this message; your name and email address only "
            "if they accept, so leave them out."
        ),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Enter a message to the organisation",
            "max_length": "Your message must be 1,000 characters or fewer",
        },
    )


class AskingOrganisationForm(forms.Form):
    """A request made for one of the user's organisations (`organisations`): radios, or a
    hidden field already chosen when there is only one. Cleans to the Organisation."""

    organisation = forms.ChoiceField(
        label="Which organisation are you asking for?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the organisation you are asking for",
            "invalid_choice": "Choose one of your organisations from the list",
        },
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = list(organisations)
        self._organisations = {o.ref: o for o in self.organisations}
        field = self.fields["organisation"]
        field.choices = [(o.ref, o.name) for o in self.organisations]
        if len(self.organisations) == 1:
            field.widget = forms.HiddenInput()
            field.initial = self.organisations[0].ref

    def clean_organisation(self):
        return self._organisations[self.cleaned_data["organisation"]]


class AskForm(AskingOrganisationForm, RequestForm):
    """Ask from a listing's page: for which of the user's organisations, about which listing.

    `organisations` are those the user may ask for (approved, not the listing's owner). With
    one, it is chosen already and sent as a hidden field. The listing the request is about
    may only be one of the chosen organisation's own published listings, or none.
    """

    NONE = "none"

    about_listing = forms.ChoiceField(
        label="Is it about one of your listings?",
        help_text="They will see the listing you choose. It is optional.",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose one of your listings, or “No, not about one of our listings”",
            "invalid_choice": "Choose one of your own published listings from the list, or none",
        },
    )
    field_order = ["organisation", "about_listing", "message"]

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, organisations=organisations, **kwargs)
        listings = (
            Listing.objects.published()
            .filter(organisation__in=[o.pk for o in self.organisations])
            .order_by("title", "pk")
        )
        self._listings = {x.ref: x for x in listings}
        several = len(self.organisations) > 1
        names = {o.pk: o.name for o in self.organisations}
        self.fields["about_listing"].choices = [
            (self.NONE, "No, not about one of our listings"),
            *(
                (
                    x.ref,
                    f"{x.title} (your {x.get_kind_display().lower()}"
                    + (f", {names[x.organisation_id]})" if several else ")"),
                )
                for x in self._listings.values()
            ),
        ]
        self.fields["about_listing"].initial = self.NONE

    def clean_about_listing(self):
        ref = self.cleaned_data["about_listing"]
        return None if ref == self.NONE else self._listings[ref]

    def clean(self):
        data = super().clean()
        organisation, listing = data.get("organisation"), data.get("about_listing")
        if organisation and listing and listing.organisation_id != organisation.pk:
            self.add_error(
                "about_listing",
                f"Choose one of {organisation.name}’s own listings, or “No, not about one of "
                "our listings”",
            )
        return data


class DeclineForm(forms.Form):
    TELL_NOW = "now"
    TELL_LATER = "later"

    # "Tell them now / after 14 days … We do not email them either way" left people unsure
    # who is told what, and how (usability probe, stop 30).
    tell = forms.ChoiceField(
        label="When should they see “Not taken forward”?",
        choices=[(TELL_NOW, "Now"), (TELL_LATER, "In 14 days")],
        widget=HintedRadioSelect(
            hints={
                TELL_NOW: "Their list shows “Not taken forward” as soon as you decline.",
                TELL_LATER: "Their list goes on showing “Waiting for a reply” for 14 days, "
                "then “Not taken forward”.",
            }
        ),
        help_text="Nobody is emailed, whichever you choose.",
        error_messages={
            "required": "Choose when they should see “Not taken forward”: now or in 14 days",
            # Also the API's message, where the values are "now" and "later".
            "invalid_choice": "Choose when they should see “Not taken forward”: now (“now”) or "
            "in 14 days (“later”)",
        },
    )

    def __init__(self, *args, asking: str = "", **kwargs):
        """`asking`: the name of the organisation that asked, for the question."""
        super().__init__(*args, **kwargs)
        if asking:
            self.fields["tell"].label = f"When should {asking} see “Not taken forward”?"

    @property
    def tell_now(self) -> bool:
        return self.cleaned_data["tell"] == self.TELL_NOW


class OutcomeForm(forms.Form):
    result = forms.ChoiceField(
        label="What came of the introduction?",
        choices=Outcome.Result.choices,
        widget=forms.RadioSelect,
        help_text="Choose the furthest it has got so far. You can change your answer later.",
        error_messages={
            "required": "Choose what came of the introduction",
            "invalid_choice": "Choose what came of the introduction from the list",
        },
    )
