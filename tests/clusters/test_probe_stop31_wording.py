"""The same thing has the same words on every page (newcomer probe, stop 31)."""

import re

import pytest
from django.urls import reverse

from tests.factories import ClusterFactory, ListingFactory

pytestmark = pytest.mark.django_db


def title_of(html: str) -> str:
    return re.search(r"<title>\s*(.*?)\s*</title>", html, re.S).group(1)


def test_the_preview_says_looking_for_and_open_until_as_the_public_page_does(
    client, member, organisation
):
    listing = ListingFactory(organisation=organisation, status="draft", partner_kind="investor")
    client.force_login(member)
    preview = client.get(reverse("clusters:listing-preview", args=[listing.ref])).content.decode()
    assert ">Looking for</dt>" in preview and ">Open until</dt>" in preview
    assert "Partner sought" not in preview and ">Expires</dt>" not in preview
    assert title_of(preview).startswith("Check your listing:")


def test_a_listing_awaiting_approval_is_not_titled_check_your_listing(client, member, organisation):
    listing = ListingFactory(organisation=organisation, status="pending")
    client.force_login(member)
    preview = client.get(reverse("clusters:listing-preview", args=[listing.ref])).content.decode()
    assert title_of(preview).startswith("Your listing (awaiting approval):")


def test_the_cluster_page_asks_about_the_cluster_not_a_body_running_a_region(client):
    cluster = ClusterFactory(slug="south-wales", name="South Wales")
    page = client.get(cluster.get_absolute_url()).content.decode()
    assert "partnership that runs the South Wales cluster" in page
    assert "body that runs" not in page


def test_with_search_words_the_sort_menu_shows_the_order_the_results_are_in(client):
    html = client.get(reverse("clusters:offer-list"), {"q": "heat"}).content.decode()
    assert re.search(r'<option value="relevance"\s+selected>', html)
    html = client.get(reverse("clusters:offer-list")).content.decode()
    assert not re.search(r'<option value="relevance"\s+selected>', html)
    chosen = client.get(reverse("clusters:offer-list"), {"q": "heat", "sort": "title"})
    assert re.search(r'<option value="title"\s+selected>', chosen.content.decode())
