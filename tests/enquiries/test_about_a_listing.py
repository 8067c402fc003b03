"""The Get in touch form, opened about a listing nobody can answer for (`?listing=<ref>`),
starts with the listing named: people had to type it all again (newcomer probe, stop 29)."""

import pytest
from django.urls import reverse

from clusters.models import Cluster
from tests.factories import ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def form_of(client, **query):
    response = client.get(reverse("enquiries:create"), query)
    assert response.status_code == 200
    return response.context["form"]


def test_a_published_listing_is_named_in_the_message_with_its_topic_and_cluster(client):
    listing = ListingFactory(
        kind="offer", title="Waste heat recovery <audits>", clusters=["humber"]
    )
    form = form_of(client, listing=listing.ref)
    message = form.initial["message"]
    assert listing.organisation.name in message and listing.ref in message
    assert "offer “Waste heat recovery <audits>”" in message
    assert form.initial["topic"] == "partnering"
    assert form.initial["cluster"] == Cluster.objects.get(slug="humber").pk
    html = client.get(reverse("enquiries:create"), {"listing": listing.ref}).content.decode()
    assert "Waste heat recovery &lt;audits&gt;" in html  # escaped in the text box
    assert "<audits>" not in html


def test_signed_in_their_name_address_and_organisation_are_filled_in(client):
    membership = MembershipFactory()
    client.force_login(membership.user)
    form = form_of(client, listing=ListingFactory().ref)
    assert form.initial["name"] == membership.user.name
    assert form.initial["email"] == membership.user.email
    assert form.initial["organisation"] == membership.organisation.name
    # And its kind, which the form refused to send without (newcomer probe, stop 30).
    assert form.initial["organisation_kind"] == membership.organisation.kind
    assert "organisation_kind" not in form_of(client.__class__()).initial  # signed out


@pytest.mark.parametrize("status", ["draft", "pending", "withdrawn"])
def test_a_listing_that_is_not_public_is_not_named(client, status):
    listing = ListingFactory(status=status, title="Secret draft title")
    form = form_of(client, listing=listing.ref)
    assert "message" not in form.initial
    html = client.get(reverse("enquiries:create"), {"listing": listing.ref}).content.decode()
    assert "Secret draft title" not in html


def test_an_unknown_or_overlong_reference_just_opens_the_empty_form(client):
    assert "message" not in form_of(client, listing="L-nothing").initial
    assert "message" not in form_of(client, listing="x" * 5000).initial


def test_the_nobody_can_answer_link_names_the_listing(client):
    listing = ListingFactory()  # its organisation has no members: nobody can answer
    page = client.get(listing.get_absolute_url()).content.decode()
    assert f"{reverse('enquiries:create')}?listing={listing.ref}" in page  # signed out too
    member = MembershipFactory().user
    client.force_login(member)
    page = client.get(listing.get_absolute_url()).content.decode()
    assert f"{reverse('enquiries:create')}?listing={listing.ref}" in page
