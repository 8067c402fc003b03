"""Editing a listing keeps its expiry date (outside probe: the date box stayed empty on an
edit, because the site wrote the date in its UK format, which a date box cannot show, and
the listing was saved with no expiry at all)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Listing
from tests.clusters.test_moderation_takedown import edit_data
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(organisation):
    return ListingFactory(
        organisation=organisation,
        themes=["ccus"],
        expires_on=timezone.localdate() + timedelta(days=200),
    )


def test_the_edit_page_fills_the_date_box_in_the_form_a_date_box_reads(client, member, listing):
    client.force_login(member)
    page = client.get(reverse("clusters:listing-edit", args=[listing.ref])).content.decode()
    box = re.search(r'<input[^>]*name="expires_on"[^>]*>', page).group(0)
    assert 'type="date"' in box
    assert f'value="{listing.expires_on.isoformat()}"' in box


def test_an_edit_that_sends_the_date_back_keeps_it(client, member, listing):
    client.force_login(member)
    response = client.post(
        reverse("clusters:listing-edit", args=[listing.ref]),
        edit_data(listing, title="Amine capture, new title", expires_on=listing.expires_on),
    )
    assert response.status_code == 302
    stored = Listing.objects.get(pk=listing.pk)
    assert stored.title == "Amine capture, new title"
    assert stored.expires_on == listing.expires_on


def test_an_edit_with_the_date_box_left_empty_keeps_the_date_it_had(client, member, listing):
    client.force_login(member)
    response = client.post(
        reverse("clusters:listing-edit", args=[listing.ref]),
        edit_data(listing, title="Amine capture, retitled", expires_on=""),
    )
    assert response.status_code == 302
    stored = Listing.objects.get(pk=listing.pk)
    assert stored.title == "Amine capture, retitled"
    assert stored.expires_on == listing.expires_on


def test_a_listing_without_a_date_gets_12_months_when_edited(client, member, organisation):
    """A listing with no date (imported, or edited before this fix) gets one when edited."""
    from clusters.services import LISTING_LIFETIME

    undated = ListingFactory(organisation=organisation, themes=["ccus"], expires_on=None)
    client.force_login(member)
    client.post(
        reverse("clusters:listing-edit", args=[undated.ref]),
        edit_data(undated, title="Still no date given", expires_on=""),
    )
    stored = Listing.objects.get(pk=undated.pk)
    assert stored.expires_on == timezone.localdate() + LISTING_LIFETIME
