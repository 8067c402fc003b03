"""Ids typed into forms: out of range, not ASCII digits or not numbers are "not a valid
choice", with a message that says what to fix, never a server error."""

import pytest
from django.urls import reverse

from clusters.fields import parse_id
from clusters.models import Challenge, Cluster, Listing, Organisation, Theme
from tests.factories import ChallengeFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
BAD_IDS = [HUGE, "9223372036854775808", "-1", "0", "²", "٣", "1.0", " 1", "+1", "1e3", "\x00"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", 1),
        ("42", 42),
        (7, 7),
        ("9223372036854775807", 9223372036854775807),
        (HUGE, None),
        ("9223372036854775808", None),
        ("²", None),
        ("٣", None),  # int("٣") is 3 in Python; a person typing it did not mean the third row
        ("-1", None),
        ("0", None),
        ("", None),
        (None, None),
        ("1.0", None),
        (True, None),
    ],
)
def test_parse_id_accepts_only_ascii_digits_within_the_databases_range(value, expected):
    assert parse_id(value) == expected


def listing_data(**overrides):
    data = {
        "kind": "need",
        "title": "Low-carbon steam for a paper mill",
        "description": "We raise 20 t/h of steam from gas. Looking for heat pumps.",
        "themes": [str(Theme.objects.get(slug="ccus").pk)],
        "partner_kind": "business",
        "expires_on": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "field, message",
    [
        ("themes", "Select a theme from the list"),
        ("clusters", "Select a cluster from the list"),
        ("challenge", "Select a challenge from the list"),
    ],
)
def test_a_bad_id_on_the_listing_form_is_a_form_error_and_saves_nothing(
    client, member, organisation, field, message, bad
):
    client.force_login(member)
    url = reverse("clusters:listing-create", args=[organisation.ref])
    response = client.post(url, listing_data(**{field: bad}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Listing.objects.exists()


def test_a_bad_id_among_good_ones_is_still_an_error(client, member, organisation):
    client.force_login(member)
    ccus = str(Theme.objects.get(slug="ccus").pk)
    response = client.post(
        reverse("clusters:listing-create", args=[organisation.ref]),
        listing_data(themes=[ccus, HUGE]),
    )
    assert "Select a theme from the list" in response.content.decode()
    assert not Listing.objects.exists()


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_cluster_id_on_the_organisation_forms_is_a_form_error(
    client, member, organisation, bad
):
    client.force_login(member)
    data = {"name": "Renamed Ltd", "kind": "business", "clusters": [bad]}
    for url in (
        reverse("clusters:organisation-create"),
        reverse("clusters:organisation-edit", args=[organisation.ref]),
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert "Select a cluster from the list" in response.content.decode()
    assert not Organisation.objects.filter(name="Renamed Ltd").exists()


@pytest.mark.parametrize("bad", ["²", "٣", HUGE, "-1", "1.0"])
def test_check_for_matches_ignores_a_challenge_id_that_is_not_one(
    client, member, organisation, bad
):
    ChallengeFactory(ref="ch-3")
    client.force_login(member)
    data = listing_data(challenge=bad, check="1")
    url = reverse("clusters:listing-create", args=[organisation.ref])
    no_script = client.post(url, data)
    assert no_script.status_code == 200
    # A check is not a save: it shows no errors (stop 30); saving says what to fix.
    assert "Select a challenge from the list" not in no_script.content.decode()
    saved = client.post(url, listing_data(challenge=bad))
    assert saved.status_code == 200
    assert "Select a challenge from the list" in saved.content.decode()
    htmx = client.post(reverse("matching:check", args=[organisation.ref]), data)
    assert htmx.status_code == 200


def test_check_for_matches_still_uses_a_real_challenge(client, member, organisation):
    challenge = ChallengeFactory(ref="ch-real")
    client.force_login(member)
    data = listing_data(challenge=str(challenge.pk), check="1")
    response = client.post(reverse("clusters:listing-create", args=[organisation.ref]), data)
    assert response.status_code == 200
    assert "Select a challenge from the list" not in response.content.decode()


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_cluster_id_on_get_in_touch_is_a_form_error(client, bad):
    response = client.post(
        reverse("enquiries:create"),
        {"name": "Ada", "email": "ada@example.org", "cluster": bad, "message": "Hello"},
    )
    assert response.status_code == 200
    assert "Select a cluster from the list" in response.content.decode()


def test_the_forms_still_accept_real_ids(client, member, organisation):
    client.force_login(member)
    humber = Cluster.objects.get(slug="humber")
    challenge = ChallengeFactory(ref="ch-ok")
    response = client.post(
        reverse("clusters:listing-create", args=[organisation.ref]),
        listing_data(clusters=[str(humber.pk)], challenge=str(challenge.pk)),
    )
    assert response.status_code == 302
    listing = Listing.objects.get()
    assert list(listing.clusters.all()) == [humber]
    assert listing.challenge == Challenge.objects.get(ref="ch-ok")


def _forms_and_filtersets():
    import importlib
    import inspect
    from pathlib import Path

    from django import forms
    from django.apps import apps
    from django.conf import settings
    from django_filters import FilterSet

    for config in apps.get_app_configs():
        if Path(config.path).parent != Path(settings.BASE_DIR):
            continue  # only the project's own apps
        for module_name in ("forms", "filters"):
            try:
                module = importlib.import_module(f"{config.name}.{module_name}")
            except ModuleNotFoundError:
                continue
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module.__name__ and issubclass(
                    cls, (forms.BaseForm, FilterSet)
                ):
                    yield cls


def test_every_form_field_and_filter_that_takes_an_id_parses_it_with_parse_id():
    from django import forms
    from django_filters import FilterSet

    from clusters.fields import IdChoiceField, IdMultipleChoiceField

    checked = 0
    for cls in _forms_and_filtersets():
        if issubclass(cls, FilterSet):
            fields = {name: f.field for name, f in cls.base_filters.items()}
        else:
            fields = cls.base_fields
        for name, field in fields.items():
            if isinstance(field, forms.ModelChoiceField) and not field.to_field_name:
                checked += 1
                assert isinstance(field, IdChoiceField | IdMultipleChoiceField), (
                    f"{cls.__module__}.{cls.__name__}.{name} takes an id: use clusters.fields"
                )
    assert checked >= 5  # organisation clusters; listing themes, clusters, challenge; enquiry
