""" "Your matches" with nothing published yet says what waits for approval, instead of asking
to post what was just posted (newcomer probe, stop 29)."""

import pytest
from django.urls import reverse

from tests.factories import ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def page(client, organisation) -> str:
    return client.get(reverse("matching:organisation", args=[organisation.ref])).content.decode()


def test_an_organisation_waiting_for_approval_is_told_its_listings_wait_too(client):
    membership = MembershipFactory(organisation__status="pending")
    organisation = membership.organisation
    ListingFactory(organisation=organisation, status="pending", title="Furnace <heat> recovery")
    client.force_login(membership.user)
    html = page(client, organisation)
    assert "Furnace &lt;heat&gt; recovery" in html
    assert f"will be published when our team approves {organisation.name}" in html
    assert "You have no published offers or needs yet" not in html


def test_with_nothing_at_all_it_links_to_posting_one(client, member, organisation):
    ListingFactory(organisation=organisation, status="draft")
    client.force_login(member)
    html = page(client, organisation)
    assert "You have no published offers or needs yet" in html
    assert f'href="{reverse("clusters:listing-create", args=[organisation.ref])}"' in html
