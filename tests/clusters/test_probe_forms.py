"""Form rules an outside probe found missing: invisible characters in names and titles, the
kind of organisation offered as a blank radio button, and expiry dates past 12 months."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.forms import SignupForm
from clusters.forms import ListingForm, OrganisationForm
from clusters.models import Organisation, Theme
from config.text import one_line
from tests.factories import ListingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_one_line_removes_invisible_formatting_but_keeps_joiners():
    assert one_line(" Bobco\u200b Ltd\u202e \ufeff ") == "Bobco Ltd"
    assert one_line("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian keeps its non-joiner
    )


def organisation_form(name):
    return OrganisationForm({"name": name, "kind": "business", "size": "", "website": ""})


def test_a_name_of_invisible_characters_is_refused():
    form = organisation_form("\u200b\u200b")
    assert not form.is_valid()
    assert form.errors["name"] == ["Enter your organisation’s name"]


@pytest.mark.parametrize(
    "copy",
    [
        "Bobco Ltd\u200b",
        "Bobco Ltd\u200d",
        "Bob\u200cco Ltd",
        "Bobco Ltd\u3164",
        "Bobco\u2800 Ltd",
        "Bobco Ltd\ufe0f",
        "Bob\u034fco Ltd",
    ],
)
def test_an_invisible_character_does_not_make_a_second_organisation_of_the_same_name(copy):
    OrganisationFactory(name="Bobco Ltd")
    form = organisation_form(copy)
    assert not form.is_valid()
    assert "already registered" in form.errors["name"][0]


@pytest.mark.parametrize("blank", ["\u3164", "\u2800\u2800", "\u115f\u1160", "\u200d"])
def test_a_name_that_shows_nothing_is_refused(blank):
    assert organisation_form(blank).errors["name"] == ["Enter your organisation’s name"]


def test_a_persons_name_loses_direction_overrides():
    form = SignupForm(
        {
            "name": "Eve\u202e lanoisseforP",
            "email": "eve@example.org",
            "password1": "slag heap sunrise 77",
            "password2": "slag heap sunrise 77",
            "privacy": "on",
        }
    )
    form.is_valid()
    assert form.cleaned_data.get("name") == "Eve lanoisseforP"
    blank = SignupForm({"name": "\u200b", "email": "x@example.org"})
    blank.is_valid()
    assert blank.errors["name"] == ["Enter your full name"]


@pytest.mark.parametrize(
    "field, message",
    [
        ("kind", "Select what kind of organisation it is"),
        ("size", "Select the size of the organisation from the list"),
    ],
)
def test_a_crafted_organisation_choice_gets_plain_words(field, message):
    form = OrganisationForm({"name": "Acme", "kind": "business", "size": "", field: "alien"})
    assert form.errors[field] == [message]


def test_the_kind_of_organisation_has_no_blank_choice():
    choices = [value for value, _ in OrganisationForm().fields["kind"].choices]
    assert "" not in choices and choices == [c for c, _ in Organisation.Kind.choices]


def listing_form(expires_on, instance=None):
    theme = Theme.objects.first()
    data = {
        "kind": "need",
        "title": "Steam for a paper mill",
        "description": "We raise steam from gas.",
        "themes": [str(theme.pk)],
        "partner_kind": "business",
        "expires_on": expires_on,
    }
    return ListingForm(data, instance=instance)


def test_an_expiry_date_is_at_most_12_months_away():
    today = timezone.localdate()
    far = listing_form("9999-12-31")
    assert not far.is_valid()
    assert far.errors["expires_on"][0].startswith("The expiry date must be within 12 months")
    assert listing_form((today + timedelta(days=365)).isoformat()).is_valid()
    assert not listing_form((today + timedelta(days=366)).isoformat()).is_valid()


def test_an_impossible_expiry_date_says_what_a_real_one_looks_like():
    form = listing_form("2026-02-30")
    assert not form.is_valid()
    assert form.errors["expires_on"] == [
        "Enter the expiry date as a real date, for example 31/03/2027"
    ]


def test_an_expiry_date_typed_in_a_plain_text_box_is_read_the_uk_way():
    """Where the browser shows no date picker: day first, ISO, or the month in words."""
    day = timezone.localdate() + timedelta(days=40)
    for typed in (
        f"{day:%d/%m/%Y}",
        day.isoformat(),
        f"{day.day} {day:%B %Y}",
        f"{day.day} {day:%b %Y}",
    ):
        form = listing_form(typed)
        assert form.is_valid(), (typed, form.errors)
        assert form.cleaned_data["expires_on"] == day


def test_listings_saved_open_longer_are_brought_back_to_12_months():
    from importlib import import_module

    from django.apps import apps

    far = ListingFactory(expires_on=timezone.localdate() + timedelta(days=3000))
    near = ListingFactory(expires_on=timezone.localdate() + timedelta(days=30))
    import_module("clusters.migrations.0015_cap_listing_expiry").cap_expiry(apps, None)
    far.refresh_from_db()
    near.refresh_from_db()
    assert far.expires_on == timezone.localdate() + timedelta(days=365)
    assert near.expires_on == timezone.localdate() + timedelta(days=30)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "x" * 201, "Enter a title of 200 characters or fewer"),
        ("partner_kind", "alien", "Select the kind of partner from the list"),
        ("kind", "gift", "Select whether this is an offer or a need"),
    ],
)
def test_a_crafted_listing_value_gets_words_a_person_can_act_on(field, value, message):
    form = listing_form("")
    form.data = {**form.data, field: value}
    assert not form.is_valid()
    assert form.errors[field] == [message]
