"""A listing that was public and is no longer says so, and shows nothing of itself; one that
never was public answers the same 404 as a listing that does not exist (newcomer probe,
stop 29: links in match emails led to "Page not found, check the address")."""

import pytest
from django.utils import timezone

from clusters.models import Listing
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_withdrawn_listing_says_it_is_no_longer_here_and_nothing_of_it(client, signed_in):
    listing = ListingFactory(
        kind="need",
        title="Secret <b>title</b>",
        status=Listing.Status.WITHDRAWN,
        published_at=timezone.now(),
    )
    if signed_in:
        client.force_login(UserFactory())
    response = client.get(listing.get_absolute_url())
    assert response.status_code == 410
    html = response.content.decode()
    assert "This need is no longer on Cluster Exchange" in html
    assert "Secret" not in html and listing.organisation.name not in html
    assert 'href="/needs/"' in html


def test_a_listing_taken_down_says_the_same(client, moderator):
    from clusters import services

    listing = ListingFactory(kind="offer")
    services.unpublish_listing(listing, moderator, "Spam")
    response = client.get(listing.get_absolute_url())
    assert response.status_code == 410
    assert "This offer is no longer on Cluster Exchange" in response.content.decode()


@pytest.mark.usefixtures("mfa_off")
def test_the_ways_on_from_a_listing_gone_lead_somewhere_for_each_reader(client, moderator, member):
    """ "Go to your organisation's page" was offered to someone in none, and staff who
    pressed "View on site" were left on this page (newcomer probe, stop 30)."""
    from clusters import services

    listing = ListingFactory(kind="offer")
    services.unpublish_listing(listing, moderator, "Spam")
    organisation_link = "go to your organisation’s page"
    staff_link = f'href="/admin/clusters/listing/{listing.pk}/change/"'

    client.force_login(UserFactory())  # signed in, in no organisation
    html = client.get(listing.get_absolute_url()).content.decode()
    assert organisation_link not in html and staff_link not in html
    client.force_login(member)
    html = client.get(listing.get_absolute_url()).content.decode()
    assert organisation_link in html and staff_link not in html
    client.force_login(moderator)
    response = client.get(listing.get_absolute_url())
    assert response.status_code == 410 and staff_link in response.content.decode()
    assert client.get(f"/admin/clusters/listing/{listing.pk}/change/").status_code == 200


@pytest.mark.parametrize("status", [Listing.Status.DRAFT, Listing.Status.PENDING])
def test_a_listing_never_public_is_not_found_like_one_that_does_not_exist(client, status):
    listing = ListingFactory(status=status, published_at=None)
    response = client.get(listing.get_absolute_url())
    assert response.status_code == 404
    assert "no longer on Cluster Exchange" not in response.content.decode()
    assert client.get("/listings/L-nothing/").status_code == 404


def test_a_refused_organisation_is_told_how_to_ask_again(client, member, organisation, moderator):
    """ "Contact the programme team" was not a link, and changing its details did nothing
    (newcomer probe, stop 29)."""
    from clusters import services

    services.reject_organisation(organisation, moderator, "We could not find your company.")
    client.force_login(member)
    html = client.get(f"/your-organisation/{organisation.ref}/").content.decode()
    assert "Your organisation was not approved: We could not find your company." in html
    assert 'href="/get-in-touch/">get in touch with our programme team</a>' in html
    assert f"give its reference, {organisation.ref}" in html


def test_once_public_and_was_public_agree_for_every_status_with_and_without_a_date():
    """The rule lives in one place (Listing.PUBLIC_ONCE): the queryset the API's removals
    read and the property the listing page reads cannot drift apart (review, stop 29)."""
    made = {}
    for status in Listing.Status.values:
        for dated in (False, True):
            made[(status, dated)] = ListingFactory(
                status=status,
                published_at=timezone.now() if dated else None,
                taken_down_at=timezone.now() if status == "taken_down" else None,
            )
    once = set(Listing.objects.once_public().values_list("pk", flat=True))
    for (status, dated), listing in made.items():
        listing.refresh_from_db()
        assert listing.was_public == (listing.pk in once), (status, dated)
    # And the rule itself: a date, or a status only a public listing reaches.
    assert {key for key, listing in made.items() if listing.pk in once} == {
        (status, dated)
        for status in Listing.Status.values
        for dated in (False, True)
        if dated or status in ("published", "withdrawn")
    }
