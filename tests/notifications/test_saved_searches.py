"""New results of saved searches in the match emails: through the real digest path, with the
same cadence, mute and unsubscribe rules as matches."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clusters.models import Listing
from notifications import services
from notifications.models import Digest, EmailPreference, ListingMute, SearchNotice
from searches.services import save_search
from tests.factories import (
    ChallengeFactory,
    ListingFactory,
    MatchFactory,
    MatchNoticeFactory,
    MembershipFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

SAVED = timezone.make_aware(timezone.datetime(2027, 5, 3, 9, 0))
PUBLISHED = SAVED + timedelta(hours=1)
LATER = SAVED + timedelta(hours=3)
NEXT_DAY = SAVED + timedelta(days=1)


@pytest.fixture(autouse=True)
def _saved_morning():
    with time_machine.travel(SAVED, tick=False):
        yield


@pytest.fixture
def searcher(member):
    """A verified member who saved "hydrogen" on the offers page at SAVED."""
    from django.http import QueryDict

    save_search(member, "offers", QueryDict("q=hydrogen"), "Hydrogen offers")
    return member


@pytest.fixture
def partner():
    return OrganisationFactory(name="Partner Gases Ltd")


def publish(organisation, title, when=PUBLISHED, kind=Listing.Kind.OFFER, **fields):
    return ListingFactory(
        organisation=organisation, title=title, kind=kind, published_at=when, **fields
    )


def send(capture, cadence="daily", when=LATER):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return services.send_digests(cadence)


def test_a_new_listing_that_fits_is_in_the_email_with_links(
    searcher, partner, client, django_capture_on_commit_callbacks
):
    found = publish(partner, "Hydrogen electrolyser for hire")
    assert send(django_capture_on_commit_callbacks) == 1
    message = mail.outbox[-1]
    assert message.to == [searcher.email]
    assert message.subject == "New for your saved search “Hydrogen offers”"
    assert "New for your saved search “Hydrogen offers”" in message.body
    assert "Hydrogen electrolyser for hire" in message.body
    assert "Offer from Partner Gases Ltd." in message.body
    html = message.alternatives[0][0]
    assert "New for your saved search “Hydrogen offers”" in html
    assert "Rename or delete your saved searches" in html
    # Each link is tracked, and takes the reader to the listing or to their saved searches.
    link = re.search(r"See it: (\S+)", message.body).group(1)
    response = client.get(link.removeprefix("http://testserver"))
    assert response["Location"] == found.get_absolute_url()
    assert Digest.objects.get().clicked_at is not None
    manage = re.search(r"Rename or delete your saved searches: (\S+)", message.body).group(1)
    response = client.get(manage.removeprefix("http://testserver"))
    assert response["Location"] == reverse("searches:list")


def test_only_new_fitting_listings_of_other_organisations_are_sent(
    searcher, organisation, partner, django_capture_on_commit_callbacks
):
    publish(partner, "Hydrogen storage before the search", when=SAVED - timedelta(days=2))
    publish(partner, "Heat pumps for drying")  # does not fit
    publish(organisation, "Our own hydrogen offer")  # the person's own organisation
    publish(partner, "Hydrogen network need", kind=Listing.Kind.NEED)  # a need, not an offer
    publish(partner, "Hydrogen draft", status=Listing.Status.DRAFT)
    publish(partner, "Hydrogen compressors")
    send(django_capture_on_commit_callbacks)
    body = mail.outbox[-1].body
    assert "Hydrogen compressors" in body
    for absent in [
        "before the search",
        "Heat pumps",
        "Our own hydrogen",
        "network need",
        "Hydrogen draft",
    ]:
        assert absent not in body
    assert SearchNotice.objects.count() == 1


def test_nothing_new_no_email(searcher, partner, django_capture_on_commit_callbacks):
    publish(partner, "Heat pumps for drying")
    assert send(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_each_listing_is_sent_once_and_later_ones_in_a_later_email(
    searcher, partner, django_capture_on_commit_callbacks
):
    publish(partner, "Hydrogen electrolyser")
    send(django_capture_on_commit_callbacks)
    send(django_capture_on_commit_callbacks, when=LATER + timedelta(minutes=5))  # same day
    assert send(django_capture_on_commit_callbacks, when=NEXT_DAY) == 0
    publish(partner, "Hydrogen fuel cells", when=NEXT_DAY + timedelta(hours=1))
    assert send(django_capture_on_commit_callbacks, when=NEXT_DAY + timedelta(hours=2)) == 1
    assert len(mail.outbox) == 2
    assert "Hydrogen fuel cells" in mail.outbox[1].body
    assert "Hydrogen electrolyser" not in mail.outbox[1].body


def test_a_listing_two_searches_find_is_sent_once(
    searcher, partner, django_capture_on_commit_callbacks
):
    from django.http import QueryDict

    save_search(searcher, "offers", QueryDict("q=electrolyser"), "Electrolysers")
    publish(partner, "Hydrogen electrolyser")
    send(django_capture_on_commit_callbacks)
    assert mail.outbox[-1].body.count("Hydrogen electrolyser") == 1


def test_a_listing_already_in_a_match_email_is_not_sent_again(
    searcher, organisation, partner, django_capture_on_commit_callbacks
):
    offer = publish(partner, "Hydrogen electrolyser")
    mine = publish(organisation, "We need hydrogen", kind=Listing.Kind.NEED)
    MatchNoticeFactory(user=searcher, match=MatchFactory(source_listing=mine, target=offer))
    assert send(django_capture_on_commit_callbacks) == 0
    assert not SearchNotice.objects.exists()


def test_a_muted_listing_is_not_sent(searcher, partner, django_capture_on_commit_callbacks):
    offer = publish(partner, "Hydrogen electrolyser")
    ListingMute.objects.create(user=searcher, listing=offer)
    assert send(django_capture_on_commit_callbacks) == 0


def test_unsubscribed_person_gets_nothing_and_no_backlog_on_return(
    searcher, partner, django_capture_on_commit_callbacks
):
    services.unsubscribe(searcher.pk)
    publish(partner, "Hydrogen electrolyser")
    assert send(django_capture_on_commit_callbacks) == 0
    EmailPreference.objects.filter(user=searcher).update(cadence="daily")
    publish(partner, "Hydrogen fuel cells", when=NEXT_DAY)
    send(django_capture_on_commit_callbacks, when=NEXT_DAY + timedelta(hours=1))
    body = mail.outbox[-1].body
    assert "Hydrogen fuel cells" in body
    assert "Hydrogen electrolyser" not in body  # published while they had unsubscribed


def test_an_unverified_address_gets_nothing(partner, django_capture_on_commit_callbacks):
    from django.http import QueryDict

    unverified = MembershipFactory(user__verified=False).user
    save_search(unverified, "offers", QueryDict("q=hydrogen"))
    publish(partner, "Hydrogen electrolyser")
    assert send(django_capture_on_commit_callbacks) == 0


def test_weekly_people_hear_in_the_weekly_email_only(
    searcher, partner, django_capture_on_commit_callbacks
):
    EmailPreference.objects.create(user=searcher, cadence="weekly")
    publish(partner, "Hydrogen electrolyser")
    assert send(django_capture_on_commit_callbacks) == 0
    assert not SearchNotice.objects.exists()  # the daily run leaves weekly people's searches
    assert send(django_capture_on_commit_callbacks, cadence="weekly") == 1
    assert "Hydrogen electrolyser" in mail.outbox[-1].body


def test_matches_and_saved_search_results_share_one_email(
    searcher, organisation, partner, django_capture_on_commit_callbacks
):
    mine = publish(organisation, "We need heat", kind=Listing.Kind.NEED)
    heat = publish(partner, "Heat pumps")
    MatchNoticeFactory(
        user=searcher, match=MatchFactory(source_listing=mine, target=heat), digest=None
    )
    publish(partner, "Hydrogen electrolyser")
    assert send(django_capture_on_commit_callbacks) == 1
    message = mail.outbox[-1]
    assert message.subject == "A new match for “We need heat”"
    assert "Heat pumps" in message.body
    assert "New for your saved search “Hydrogen offers”" in message.body
    assert "All your matches:" in message.body


def test_many_results_show_ten_and_link_to_the_rest(
    searcher, partner, django_capture_on_commit_callbacks
):
    for n in range(13):
        publish(partner, f"Hydrogen offer {n}", when=PUBLISHED - timedelta(minutes=n))
    send(django_capture_on_commit_callbacks)
    body = mail.outbox[-1].body
    assert "And 3 more: http://testserver/email/link/" in body
    assert "Hydrogen offer 0" in body and "Hydrogen offer 12" not in body  # newest first


def test_a_new_open_challenge_fits_a_saved_challenge_search(
    member, django_capture_on_commit_callbacks
):
    from django.http import QueryDict

    save_search(member, "challenges", QueryDict("cluster=humber"), "Humber challenges")
    with time_machine.travel(LATER - timedelta(hours=1), tick=False):
        ChallengeFactory(title="Capture CO2 at the refinery")
        ChallengeFactory(title="A closed one", status="closed")
    send(django_capture_on_commit_callbacks)
    body = mail.outbox[-1].body
    assert "Capture CO2 at the refinery" in body
    assert "Challenge in Humber." in body
    assert "A closed one" not in body


def test_a_listing_published_just_before_a_look_is_found_by_the_next(
    searcher, partner, django_capture_on_commit_callbacks
):
    """Its transaction committed after the look, with a time just before it: a look stops a
    few minutes before now, and the next one starts there."""
    send(django_capture_on_commit_callbacks)
    publish(partner, "Hydrogen late commit", when=LATER - timedelta(minutes=1))
    send(django_capture_on_commit_callbacks, when=NEXT_DAY)
    assert "Hydrogen late commit" in mail.outbox[-1].body


def test_an_organisation_newly_in_the_directory_fits_a_saved_directory_search(
    member, organisation, client, django_capture_on_commit_callbacks
):
    from django.http import QueryDict

    save_search(member, "organisations", QueryDict("q=hydrogen"), "Hydrogen organisations")
    approved_at = LATER - timedelta(hours=1)
    found = OrganisationFactory(
        name="Hydrogen Valves Ltd", description="Hydrogen valves", reviewed_at=approved_at
    )
    OrganisationFactory(name="Hydrogen Waiting Ltd", status="pending", reviewed_at=None)
    OrganisationFactory(name="Heat Pumps Ltd", description="Heat", reviewed_at=approved_at)
    OrganisationFactory(
        name="Hydrogen Old Ltd", description="Hydrogen", reviewed_at=SAVED - timedelta(days=3)
    )
    organisation.name, organisation.reviewed_at = "Our Hydrogen Co", approved_at
    organisation.save()  # the person's own organisation is left out
    send(django_capture_on_commit_callbacks)
    body = mail.outbox[-1].body
    assert "Hydrogen Valves Ltd" in body
    assert "in the directory." in body
    for absent in ["Hydrogen Waiting", "Heat Pumps", "Hydrogen Old", "Our Hydrogen"]:
        assert absent not in body
    link = re.search(r"See it: (\S+)", body).group(1)
    response = client.get(link.removeprefix("http://testserver"))
    assert response["Location"] == found.get_public_url()
