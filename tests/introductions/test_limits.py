"""Limits that stop spam: a daily number per organisation, and one open request per pair."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from introductions import services
from introductions.models import Introduction
from tests.factories import ListingFactory, MembershipFactory

from .conftest import make_match

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def matched_offers(listing, count):
    """`count` offers of different organisations, each matched with `listing`."""
    offers = []
    for _ in range(count):
        other = MembershipFactory().organisation
        offer = ListingFactory(organisation=other)
        make_match(listing, offer)
        offers.append(offer)
    return offers


def test_an_organisation_can_ask_for_only_the_daily_number_of_introductions(
    client, sides, settings
):
    settings.INTRODUCTIONS_PER_ORGANISATION_PER_DAY = 3
    offers = matched_offers(sides.listing, 4)
    start = datetime(2027, 6, 1, 9, tzinfo=LONDON)
    with time_machine.travel(start, tick=False):
        client.force_login(sides.asker)
        for offer in offers[:3]:
            url = reverse("introductions:request", args=[sides.listing.ref, offer.ref])
            assert client.post(url, {"message": "Hello"}).status_code == 302
        url = reverse("introductions:request", args=[sides.listing.ref, offers[3].ref])
        html = client.post(url, {"message": "Hello"}).content.decode()
        assert "asked for 3 introductions today" in html
        assert "You can ask for more tomorrow" in html
        assert Introduction.objects.count() == 3

    with time_machine.travel(start + timedelta(days=1), tick=False):
        client.force_login(sides.asker)
        assert client.post(url, {"message": "Hello"}).status_code == 302
    assert Introduction.objects.count() == 4


def test_the_daily_number_is_ten_unless_set(sides, settings):
    del settings.INTRODUCTIONS_PER_ORGANISATION_PER_DAY
    offers = matched_offers(sides.listing, 11)
    for offer in offers[:10]:
        services.request_introduction(
            sides.asker,
            organisation=sides.listing.organisation,
            target=offer,
            message="Hello",
            about_listing=sides.listing,
        )
    with pytest.raises(services.NotAllowed, match="10 introductions today"):
        services.request_introduction(
            sides.asker,
            organisation=sides.listing.organisation,
            target=offers[10],
            message="Hello",
            about_listing=sides.listing,
        )


def test_a_second_request_for_the_same_pair_is_refused_while_one_is_open(client, sides):
    services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=sides.target,
        message="Hello",
        about_listing=sides.listing,
    )
    client.force_login(sides.asker)
    url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    html = client.get(url).content.decode()
    assert "already asked for this introduction" in html
    assert 'name="message"' not in html
    client.post(url, {"message": "Hello again"})
    assert Introduction.objects.count() == 1


def test_the_database_refuses_a_second_open_request_for_a_pair_either_way_round(sides):
    first = services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=sides.target,
        message="Hello",
        about_listing=sides.listing,
    )
    fields = {
        "from_organisation": sides.asked,
        "to_organisation": sides.asking,
        "source_listing": sides.target,
        "target_listing": sides.listing,
        "message": "Us too",
        "expires_at": timezone.now(),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Introduction.objects.create(**fields)  # B asks A about the same two listings
    first.status = Introduction.Status.DECLINED
    first.save(update_fields=["status"])
    Introduction.objects.create(**fields)  # allowed once the first is no longer open


def test_the_pair_can_be_asked_again_once_the_decline_is_shown(sides):
    first = services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=sides.target,
        message="Hello",
        about_listing=sides.listing,
    )
    services.decline_introduction(first, sides.contact, tell_now=True)
    second = services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=sides.target,
        message="Again",
        about_listing=sides.listing,
    )
    assert second.status == "open"
