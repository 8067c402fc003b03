"""Match emails carry "Funding you could bid for": at most 3 open calls per listing in the
email, each call told to a person once, none after its deadline, and never an email of its
own."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from clusters.importer import import_exchange
from clusters.models import Listing, Membership
from matching import services as matching
from matching.models import Match
from notifications import services
from notifications.models import FundingNotice, MatchNotice
from tests.conftest import SMALL_DOCUMENT
from tests.factories import UserFactory
from tests.funding.factories import FundingCallFactory

pytestmark = pytest.mark.django_db
SECTION = "Funding you could bid for"


@pytest.fixture
def need_owner():
    """A verified member of org-2 (a business in Humber), whose need L-0002 (about carbon
    capture) has a strong match."""
    import_exchange(SMALL_DOCUMENT)
    matching.rebuild(in_process=True)
    need = Listing.objects.get(ref="L-0002")
    Match.objects.filter(source_listing=need).update(score=0.8)
    user = UserFactory(email="owner@example.org")
    Membership.objects.create(user=user, organisation=need.organisation)
    return user


def send(capture, cadence="daily"):
    with capture(execute=True):
        return services.send_digests(cadence)


def capture_calls(count, **fields):
    return [
        FundingCallFactory(
            name=f"Capture call {i}",
            description="Carbon capture on refinery regenerators.",
            themes=["ccus"],
            **fields,
        )
        for i in range(count)
    ]


def test_the_match_email_suggests_at_most_three_open_calls_for_the_listing(
    need_owner, django_capture_on_commit_callbacks
):
    capture_calls(4)
    FundingCallFactory(name="Hydrogen only", themes=["hydrogen"])
    FundingCallFactory(name="Closed capture call", themes=["ccus"], status="closed")
    assert send(django_capture_on_commit_callbacks) == 1
    body = mail.outbox[-1].body
    assert SECTION in body
    assert body.count("Capture call ") == 3
    assert "Hydrogen only" not in body and "Closed capture call" not in body
    assert "Who can capture CO2 from our FCC regenerator?" in body.split(SECTION)[1]
    html = mail.outbox[-1].alternatives[0][0]
    assert SECTION in html and "Capture call" in html
    assert FundingNotice.objects.filter(user=need_owner).count() == 3


def test_a_call_is_told_to_a_person_once(need_owner, django_capture_on_commit_callbacks):
    (call,) = capture_calls(1)
    send(django_capture_on_commit_callbacks)
    send(django_capture_on_commit_callbacks)  # the same day: the same digest, not re-sent
    assert len(mail.outbox) == 1
    # The next day a new match arrives: the email has no funding section, the call was told.
    Match.objects.update(status=Match.Status.NEW)
    MatchNotice.objects.all().delete()
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert send(django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2
    assert SECTION not in mail.outbox[-1].body
    assert FundingNotice.objects.filter(call=call).count() == 1


def test_no_call_is_suggested_after_its_deadline(need_owner, django_capture_on_commit_callbacks):
    capture_calls(1, deadline=timezone.localdate() + timedelta(days=1))
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert send(django_capture_on_commit_callbacks) == 1
    assert SECTION not in mail.outbox[-1].body
    assert not FundingNotice.objects.exists()


def test_calls_alone_send_no_email(need_owner, django_capture_on_commit_callbacks):
    Match.objects.all().delete()
    capture_calls(2)
    assert send(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_the_calls_told_to_a_person_are_in_their_data_export(
    need_owner, django_capture_on_commit_callbacks
):
    from accounts.export import export_user_data

    (call,) = capture_calls(1)
    send(django_capture_on_commit_callbacks)
    told = export_user_data(need_owner)["match_emails"]["funding_calls"]
    assert [(t["call_ref"], t["your_listing"]["ref"]) for t in told] == [(call.ref, "L-0002")]
