"""Listings expire after their date, with one reminder by email two weeks before."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail

from clusters.services import expire_listings
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_reminder_is_sent_once_two_weeks_before_and_the_listing_expires_on_its_date(
    member, organisation, django_capture_on_commit_callbacks
):
    listing = ListingFactory(organisation=organisation, expires_on=date(2027, 3, 31))
    with (
        time_machine.travel(date(2027, 3, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert expire_listings() == (0, 0)  # 21 days to go: too early
    with (
        time_machine.travel(date(2027, 3, 20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert expire_listings() == (1, 0)
        assert expire_listings() == (0, 0)  # never twice
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "31 March 2027" in mail.outbox[0].subject
    listing.refresh_from_db()
    assert listing.status == "published"
    with time_machine.travel(date(2027, 3, 31), tick=False):
        assert expire_listings() == (0, 1)
    listing.refresh_from_db()
    assert listing.status == "withdrawn"
    assert "expiry date" in listing.status_reason


def test_new_listings_expire_in_twelve_months_by_default(client, member, organisation):
    from django.urls import reverse

    from clusters.models import Listing, Theme

    with time_machine.travel(date(2027, 1, 15), tick=False):
        client.force_login(member)  # inside: a session from today would have expired by then
        client.post(
            reverse("clusters:listing-create", args=[organisation.ref]),
            {
                "kind": "offer",
                "title": "Heat pumps",
                "description": "Industrial heat pumps.",
                "themes": [Theme.objects.first().pk],
                "partner_kind": "any",
            },
        )
    assert Listing.objects.get().expires_on == date(2027, 1, 15) + timedelta(days=365)
