"""The listing form's challenge list and expiry date (tester: every cluster's challenges in
one list with no cluster names, and an expiry hint that did not say what an empty box does)."""

import re

import pytest
from django.urls import reverse

from clusters.models import Challenge, Cluster
from tests.factories import ChallengeFactory, ListingFactory

pytestmark = pytest.mark.django_db


def challenge_select(page: str) -> str:
    return re.search(r'<select[^>]*name="challenge".*?</select>', page, re.S).group(0)


def test_challenges_are_grouped_under_their_cluster_largest_emitter_first(client, member):
    for slug, title in [
        ("teesside", "Hydrogen pipeline"),
        ("humber", "Capture at the refinery"),
        ("grangemouth", "Heat from the chemical plant"),
        ("humber", "Apprentices for welding"),
    ]:
        ChallengeFactory(cluster=Cluster.objects.get(slug=slug), title=title)
    ChallengeFactory(title="Closed one", status=Challenge.Status.CLOSED)
    client.force_login(member)
    organisation = member.memberships.get().organisation
    page = client.get(reverse("clusters:listing-create", args=[organisation.ref]))
    select = challenge_select(page.content.decode())

    empty = r'<option value=""[^>]*>Not a particular challenge</option>'
    assert re.search(r"<select[^>]*>\s*" + empty + r"\s*<optgroup", select)
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    assert [label for label, _ in groups] == ["Humber", "Grangemouth", "Teesside"]
    assert re.findall(r">([^<]+)</option>", groups[0][1]) == [
        "Apprentices for welding",
        "Capture at the refinery",
    ]
    assert "Closed one" not in select


def test_the_edit_page_still_shows_the_listings_challenge_as_chosen(client, member):
    challenge = ChallengeFactory(title="Capture at the refinery")
    organisation = member.memberships.get().organisation
    listing = ListingFactory(organisation=organisation, challenge=challenge)
    client.force_login(member)
    page = client.get(reverse("clusters:listing-edit", args=[listing.ref])).content.decode()
    assert f'<option value="{challenge.pk}" selected>Capture at the refinery</option>' in (
        challenge_select(page)
    )


def test_the_expiry_date_says_it_is_optional_and_what_an_empty_box_does(client, member):
    client.force_login(member)
    organisation = member.memberships.get().organisation
    page = client.get(reverse("clusters:listing-create", args=[organisation.ref]))
    html = page.content.decode()
    assert re.search(r'<label[^>]*for="id_expires_on"[^>]*>\s*Expiry date \(optional\)', html)
    hint = re.search(r'<div id="id_expires_on_helptext" class="govuk-hint">(.*?)</div>', html)
    assert "Leave empty to keep it for 12 months." in hint.group(1)
    assert "It cannot be more than 12 months away." in hint.group(1)


def test_on_an_edit_the_hint_says_an_empty_box_keeps_the_date(client, member):
    organisation = member.memberships.get().organisation
    listing = ListingFactory(organisation=organisation)
    client.force_login(member)
    page = client.get(reverse("clusters:listing-edit", args=[listing.ref])).content.decode()
    hint = re.search(r'<div id="id_expires_on_helptext" class="govuk-hint">(.*?)</div>', page)
    assert "Leave empty to keep the date it has now." in hint.group(1)
    assert "It cannot be more than 12 months away." in hint.group(1)


def test_a_closed_challenge_already_chosen_stays_chosen_and_is_kept_on_saving(client, member):
    """Left out of the list once closed, the edit page showed "None" and saving dropped the
    link to the challenge (review)."""
    from tests.clusters.test_moderation_takedown import edit_data

    challenge = ChallengeFactory(title="Capture at the refinery", status="closed")
    other = ChallengeFactory(title="Another closed one", status="closed")
    organisation = member.memberships.get().organisation
    listing = ListingFactory(organisation=organisation, challenge=challenge, themes=["ccus"])
    client.force_login(member)
    url = reverse("clusters:listing-edit", args=[listing.ref])
    select = challenge_select(client.get(url).content.decode())
    assert f'<option value="{challenge.pk}" selected>Capture at the refinery (closed)' in select
    assert "Another closed one" not in select
    client.post(url, edit_data(listing, challenge=challenge.pk, title="Capture, changed"))
    listing.refresh_from_db()
    assert listing.title == "Capture, changed" and listing.challenge == challenge
    response = client.post(url, edit_data(listing, challenge=other.pk))
    assert response.status_code == 200  # another closed challenge is refused
    listing.refresh_from_db()
    assert listing.challenge == challenge
