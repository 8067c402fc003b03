""" "Still looking: keep it open for 12 more months": one button, from the reminder email and
from the listing's own page."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clusters.models import Listing, Organisation
from clusters.services import NotAllowed, expire_listings, renew_listing
from tests.factories import ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 20)
A_YEAR_ON = TODAY + timedelta(days=365)
SOON = date(2027, 3, 31)


@pytest.fixture(autouse=True)
def _today():
    """Every test runs on TODAY (signing in too: a session from the real today would have
    expired by then)."""
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def listing(organisation):
    return ListingFactory(organisation=organisation, expires_on=SOON)


def renew_url(listing):
    return reverse("clusters:listing-renew", args=[listing.ref])


def test_the_reminder_email_links_to_the_keep_open_page(
    member, listing, client, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(TODAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        expire_listings()
    body = mail.outbox[-1].body
    assert "Keep it open for 12 more months" in body
    link = re.search(r"http://testserver(/listings/\S+/keep-open/)", body).group(1)
    assert link == renew_url(listing)


def test_get_shows_the_button_and_changes_nothing(client, member, listing):
    client.force_login(member)
    with time_machine.travel(TODAY, tick=False):
        response = client.get(renew_url(listing))
    assert response.status_code == 200
    assert b"Still looking: keep it open for 12 more months" in response.content
    assert b"19 March 2028" in response.content  # 365 days from today, said before choosing
    listing.refresh_from_db()
    assert listing.expires_on == SOON


def test_post_keeps_it_open_for_12_months_from_today(client, member, listing):
    listing.expiry_reminder_sent_at = "2027-03-17T09:00Z"
    listing.save()
    client.force_login(member)
    with time_machine.travel(TODAY, tick=False):
        response = client.post(renew_url(listing), follow=True)
    assert response.redirect_chain[-1][0] == reverse("clusters:listing-preview", args=[listing.ref])
    assert "stay open until 19 March 2028" in response.content.decode()
    listing.refresh_from_db()
    assert listing.expires_on == A_YEAR_ON
    assert listing.expiry_reminder_sent_at is None  # a reminder again before the new date
    assert listing.status == Listing.Status.PUBLISHED


def test_twice_in_a_row_never_goes_beyond_12_months_from_today(client, member, listing):
    client.force_login(member)
    with time_machine.travel(TODAY, tick=False):
        client.post(renew_url(listing))
        client.post(renew_url(listing))
    listing.refresh_from_db()
    assert listing.expires_on == A_YEAR_ON


def test_a_later_date_already_chosen_is_kept(listing):
    listing.expires_on = A_YEAR_ON + timedelta(days=100)
    listing.save()
    with time_machine.travel(TODAY, tick=False):
        renew_listing(listing)
    listing.refresh_from_db()
    assert listing.expires_on == A_YEAR_ON + timedelta(days=100)


def test_another_organisations_member_gets_404_and_nothing_changes(client, outsider, listing):
    client.force_login(outsider)
    assert client.get(renew_url(listing)).status_code == 404
    assert client.post(renew_url(listing)).status_code == 404
    listing.refresh_from_db()
    assert listing.expires_on == SOON


def test_signed_out_visitor_is_sent_to_sign_in_and_back(client, listing):
    for response in (client.get(renew_url(listing)), client.post(renew_url(listing))):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={renew_url(listing)}"
    listing.refresh_from_db()
    assert listing.expires_on == SOON


def test_member_of_an_unapproved_organisation_can_keep_a_pending_listing_open(client):
    membership = MembershipFactory(organisation__status=Organisation.Status.PENDING)
    pending = ListingFactory(
        organisation=membership.organisation, status=Listing.Status.PENDING, expires_on=SOON
    )
    client.force_login(membership.user)
    with time_machine.travel(TODAY, tick=False):
        client.post(renew_url(pending))
    pending.refresh_from_db()
    assert pending.expires_on == A_YEAR_ON
    assert pending.status == Listing.Status.PENDING  # keeping it open never publishes it


@pytest.mark.parametrize(
    ("status", "next_step"),
    [
        (Listing.Status.WITHDRAWN, "re-open it from its page"),
        (Listing.Status.TAKEN_DOWN, "ask for a review"),
        (Listing.Status.DRAFT, "Publish it from its page"),
    ],
)
def test_expired_withdrawn_taken_down_or_draft_listing_says_what_to_do_instead(
    client, member, listing, status, next_step
):
    listing.status = status
    if status == Listing.Status.TAKEN_DOWN:
        listing.taken_down_at = timezone.now()
    listing.save()
    client.force_login(member)
    page = client.get(renew_url(listing)).content.decode()
    assert next_step in page
    assert "Still looking: keep it open" not in page
    response = client.post(renew_url(listing), follow=True)
    assert next_step in response.content.decode()
    listing.refresh_from_db()
    assert listing.expires_on == SOON
    assert listing.status == status
    with pytest.raises(NotAllowed):
        renew_listing(listing)


def test_expired_listing_cannot_be_kept_open_by_the_email_link(client, member, listing):
    with time_machine.travel(SOON, tick=False):
        expire_listings()  # it reached its date: withdrawn
        client.force_login(member)
        response = client.post(renew_url(listing), follow=True)
    assert "no longer open" in response.content.decode()
    listing.refresh_from_db()
    assert listing.status == Listing.Status.WITHDRAWN


def test_the_listings_own_page_shows_the_button_only_while_it_is_open(client, member, listing):
    client.force_login(member)
    preview = reverse("clusters:listing-preview", args=[listing.ref])
    page = client.get(preview).content.decode()
    assert "Still looking: keep it open for 12 more months" in page
    assert f'action="{renew_url(listing)}"' in page
    listing.status = Listing.Status.WITHDRAWN
    listing.save()
    assert "Still looking" not in client.get(preview).content.decode()


def test_the_button_is_not_offered_when_it_would_change_nothing(client, member, organisation):
    """Right after publishing a listing ends 12 months from today: keeping it open for 12
    more months from today would do nothing (newcomer probe). A month in, it shows again."""
    from clusters.services import LISTING_LIFETIME

    fresh = ListingFactory(
        organisation=organisation, expires_on=timezone.localdate() + LISTING_LIFETIME
    )
    client.force_login(member)
    preview = reverse("clusters:listing-preview", args=[fresh.ref])
    assert "Still looking" not in client.get(preview).content.decode()
    fresh.expires_on = timezone.localdate() + LISTING_LIFETIME - timedelta(days=30)
    fresh.save()
    assert "Still looking" in client.get(preview).content.decode()
