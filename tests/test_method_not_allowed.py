"""An address that only takes a form, opened as a page, gets a page that says what to do
(newcomer probe: after signing in again a person lands on the button's address, and the
empty 405 showed as "This page isn't working")."""

import re

import pytest
from django.urls import reverse

from clusters.models import Listing
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_a_buttons_address_opened_after_signing_in_links_back_to_its_page(
    client, member, organisation
):
    listing = ListingFactory(organisation=organisation, themes=["ccus"])
    client.force_login(member)
    response = client.get(reverse("clusters:listing-withdraw", args=[listing.ref]))
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    html = response.content.decode()
    assert "<title>Press the button again – Cluster Exchange</title>" in html
    assert re.search(rf'<a class="govuk-link" href="/listings/{listing.ref}/">Go back', html)
    assert Listing.objects.get(pk=listing.pk).status == listing.status  # nothing was done


def test_the_sign_in_return_path_lands_on_that_page_not_an_empty_answer(client, member):
    """The whole journey: a session that ran out, signing in, back to the button's address."""
    listing = ListingFactory(organisation=member.memberships.get().organisation)
    address = reverse("clusters:listing-withdraw", args=[listing.ref])
    to_sign_in = client.post(address)
    assert to_sign_in.status_code == 302 and "next=" in to_sign_in["Location"]
    client.force_login(member)
    landed = client.get(address)
    assert landed.status_code == 405 and b"Press the button again" in landed.content


def test_without_a_page_above_it_says_to_go_back(client, member):
    client.force_login(member)
    response = client.get(reverse("account-download-data"))  # /account/your-data/download/
    assert response.status_code == 405
    html = response.content.decode()
    assert "Press the button again" in html


def test_the_api_keeps_its_json_answer(client):
    response = client.delete("/api/v1/clusters/")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
