"""Words a newcomer reads instead of a developer's "None" (newcomer probe, stop 29)."""

import pytest
from django.urls import reverse

from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_a_listing_with_no_challenge_says_so_in_words(client, member, organisation):
    listing = ListingFactory(
        organisation=organisation, status="draft", challenge=None, themes=["ccus"]
    )
    client.force_login(member)
    preview = client.get(reverse("clusters:listing-preview", args=[listing.ref])).content.decode()
    assert "Not a particular challenge" in preview
    assert ">None<" not in preview
    form = client.get(reverse("clusters:listing-edit", args=[listing.ref])).content.decode()
    assert '<option value="" selected>Not a particular challenge</option>' in form


def test_a_withdrawn_listing_is_not_titled_check_your_listing(client, member, organisation):
    listing = ListingFactory(organisation=organisation, status="withdrawn", title="Grid studies")
    client.force_login(member)
    html = client.get(reverse("clusters:listing-preview", args=[listing.ref])).content.decode()
    assert "<title>Your listing (withdrawn): Grid studies" in html
