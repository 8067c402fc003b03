"""Who may ask, see and answer: tested from outside, as other organisations' users."""

import pytest
from django.urls import reverse

from clusters.models import Membership
from introductions import services
from introductions.models import Introduction
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def introduction(sides):
    return services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=sides.target,
        message="Hello",
        about_listing=sides.listing,
    )


def test_a_third_organisations_user_gets_404_on_accept_decline_and_view(
    client, introduction, outsider
):
    client.force_login(outsider)
    public_id = introduction.public_id
    assert client.post(reverse("introductions:accept", args=[public_id])).status_code == 404
    response = client.post(reverse("introductions:decline", args=[public_id]), {"tell": "now"})
    assert response.status_code == 404
    assert client.get(introduction.get_absolute_url()).status_code == 404
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_the_requester_cannot_accept_or_decline_their_own_request(client, sides, introduction):
    client.force_login(sides.asker)
    public_id = introduction.public_id
    assert client.post(reverse("introductions:accept", args=[public_id])).status_code == 404
    response = client.post(reverse("introductions:decline", args=[public_id]), {"tell": "now"})
    assert response.status_code == 404
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_a_requester_who_is_also_in_the_asked_organisation_still_cannot_accept(
    client, sides, introduction
):
    Membership.objects.create(user=sides.asker, organisation=sides.asked)
    client.force_login(sides.asker)
    response = client.post(
        reverse("introductions:accept", args=[introduction.public_id]), follow=True
    )
    assert "someone else must answer it" in response.content.decode()
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_only_members_of_the_listings_organisation_may_request(client, sides, outsider):
    url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"message": "Hello"}).status_code == 404
    # Nor may the asked side use the asking side's listing.
    client.force_login(sides.contact)
    assert client.post(url, {"message": "Hello"}).status_code == 404
    assert not Introduction.objects.exists()


def test_a_listing_pair_that_was_never_matched_cannot_be_requested(client, sides, outsider):
    from tests.factories import ListingFactory

    stranger = ListingFactory(organisation=outsider.memberships.get().organisation)
    client.force_login(sides.asker)
    url = reverse("introductions:request", args=[sides.listing.ref, stranger.ref])
    assert client.post(url, {"message": "Hello"}).status_code == 404


def test_another_organisations_introductions_list_is_not_found(client, sides, outsider):
    client.force_login(outsider)
    url = reverse("introductions:list", args=[sides.asking.ref])
    assert client.get(url).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, introduction):
    response = client.get(introduction.get_absolute_url())
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_state_changes_need_a_post(client, sides, introduction):
    client.force_login(sides.contact)
    assert (
        client.get(reverse("introductions:accept", args=[introduction.public_id])).status_code
        == 405
    )
    assert (
        client.get(reverse("introductions:decline", args=[introduction.public_id])).status_code
        == 405
    )


def test_state_changes_need_the_csrf_token(sides, introduction):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sides.contact)
    response = client.post(reverse("introductions:accept", args=[introduction.public_id]))
    assert response.status_code == 403
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_an_unverified_member_cannot_ask_or_accept(client, sides, introduction):
    client.force_login(sides.unverified)
    response = client.post(
        reverse("introductions:accept", args=[introduction.public_id]), follow=True
    )
    assert "Confirm your email address" in response.content.decode()
    introduction.refresh_from_db()
    assert introduction.status == "open"

    newcomer = UserFactory(verified=False)
    Membership.objects.create(user=newcomer, organisation=sides.asking)
    client.force_login(newcomer)
    url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    Introduction.objects.all().delete()
    response = client.post(url, {"message": "Hello"})
    assert "Confirm your email address" in response.content.decode()
    assert not Introduction.objects.exists()
