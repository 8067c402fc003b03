"""Editing a listing says what saving does (newcomer probe, stop 26: the edit page of a
published listing said "You can check your listing before it is published" and "Save and
check", yet the change went public at once; with an error, the heading named the listing
by its unsaved new title)."""

import pytest
from django.urls import reverse

from tests.clusters.test_moderation_takedown import edit_data
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_a_published_listing_says_changes_are_public_when_saved(client, member, organisation):
    listing = ListingFactory(organisation=organisation, themes=["ccus"], title="Grid studies")
    client.force_login(member)
    url = reverse("clusters:listing-edit", args=[listing.ref])
    page = client.get(url).content.decode()
    assert "your changes show on it as soon as you save them" in page
    assert ">Save changes</button>" in page and "Save and check" not in page
    response = client.post(url, edit_data(listing, title="Grid studies 2026"), follow=True)
    html = response.content.decode()
    assert "Your changes have been saved. They are public now." in html
    assert "<title>Your listing: Grid studies 2026" in html


def test_a_draft_still_offers_to_check_before_publishing(client, member, organisation):
    draft = ListingFactory(organisation=organisation, themes=["ccus"], status="draft")
    client.force_login(member)
    page = client.get(reverse("clusters:listing-edit", args=[draft.ref])).content.decode()
    assert "You can check your listing before it is published." in page
    assert ">Save and check</button>" in page


def test_an_edit_with_an_error_names_the_listing_by_its_saved_title(client, member, organisation):
    listing = ListingFactory(organisation=organisation, themes=["ccus"], title="Grid studies")
    client.force_login(member)
    data = edit_data(listing, title="Grid studies UPDATED", description="")
    html = client.post(reverse("clusters:listing-edit", args=[listing.ref]), data).content
    html = html.decode()
    assert "Change “Grid studies”" in html and "Change “Grid studies UPDATED”" not in html
    assert 'value="Grid studies UPDATED"' in html  # what was typed is kept
    listing.refresh_from_db()
    assert listing.title == "Grid studies"
