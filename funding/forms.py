"""The admin's form for a funding call: the eligible kinds as tick boxes."""

from django import forms

from clusters.fields import IdMultipleChoiceField
from clusters.models import Organisation

from .models import FundingCall, join_kinds


class FundingCallAdminForm(forms.ModelForm):
    eligible_kinds = forms.MultipleChoiceField(
        label="Kinds of organisation that may bid",
        choices=Organisation.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick none if any kind of organisation may bid",
    )

    class Meta:
        model = FundingCall
        fields = [
            "ref",
            "name",
            "funder",
            "link",
            "value",
            "value_pounds",
            "deadline",
            "eligible_kinds",
            "themes",
            "clusters",
            "needs_consortium",
            "description",
        ]
        # Ids typed into the form: a bad one is "not a valid choice", never a server error.
        field_classes = {"themes": IdMultipleChoiceField, "clusters": IdMultipleChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["eligible_kinds"] = self.instance.kinds

    def clean_eligible_kinds(self):
        return join_kinds(self.cleaned_data["eligible_kinds"])
