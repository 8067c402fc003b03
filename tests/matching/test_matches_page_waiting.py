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


def test_a_refused_organisation_is_told_why_nothing_shows_and_what_to_do(client, moderator):
    """Review, stop 29: a refused organisation was told its listings waited for approval."""
    from clusters import services

    membership = MembershipFactory()
    organisation = membership.organisation
    ListingFactory(organisation=organisation, status="published", title="Steam audits")
    services.reject_organisation(organisation, moderator, "Not a real company")
    client.force_login(membership.user)
    html = page(client, organisation)
    assert f"because {organisation.name} was not approved" in html
    assert 'href="/get-in-touch/"' in html and organisation.ref in html
    assert "We will email you when it is approved" not in html


def test_more_than_five_waiting_says_there_are_others(client):
    membership = MembershipFactory(organisation__status="pending")
    for n in range(7):
        ListingFactory(organisation=membership.organisation, status="pending", title=f"Need {n}")
    client.force_login(membership.user)
    html = page(client, membership.organisation)
    assert "Need 4" in html and "Need 5" not in html and "And others" in html
