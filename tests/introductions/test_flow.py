"""The double opt-in: a request, an email to the other side, then accept or a quiet decline."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from introductions.models import Introduction
from matching.models import Match

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MESSAGE = "We dry 4 t/h of pulp and would like to hear about your heat pumps."


def ask(client, sides, message=MESSAGE):
    """The asking member sends a request from "Your matches" and the emails are sent."""
    client.force_login(sides.asker)
    return client.post(
        reverse("introductions:request", args=[sides.listing.ref, sides.target.ref]),
        {"message": message},
    )


def test_your_matches_offers_a_request_introduction_link_for_each_match(client, sides):
    client.force_login(sides.asker)
    html = client.get(reverse("matching:organisation", args=[sides.asking.ref])).content.decode()
    url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    assert f'href="{url}"' in html
    assert "Request introduction" in html


def test_full_flow_shares_contact_details_only_after_acceptance(
    client, sides, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, sides)
    assert response.status_code == 302
    assert response["Location"] == reverse("introductions:list", args=[sides.asking.ref])
    introduction = Introduction.objects.get()
    assert introduction.status == "open"
    assert introduction.from_organisation == sides.asking
    assert introduction.to_organisation == sides.asked

    # The asked organisation's verified members are emailed, the unverified one is not.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [sides.contact.email, sides.colleague.email]
    )
    email = mail.outbox[0]
    assert sides.asking.name in email.subject
    assert MESSAGE in email.body
    assert f"http://testserver{introduction.get_absolute_url()}" in email.body
    assert sides.asker.email not in email.body  # not before acceptance

    # Before acceptance neither side sees the other's name or email address.
    sent_list = client.get(reverse("introductions:list", args=[sides.asking.ref])).content.decode()
    assert "Waiting for a reply" in sent_list
    assert sides.contact.email not in sent_list
    client.force_login(sides.contact)
    page = client.get(introduction.get_absolute_url()).content.decode()
    assert "Accept and share contact details" in page
    assert "In 14 days" in page and "Not taken forward" in page
    assert sides.asker.email not in page and sides.asker.name not in page
    received = client.get(reverse("introductions:list", args=[sides.asked.ref])).content.decode()
    assert "Waiting for your reply" in received and sides.asker.email not in received

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("introductions:accept", args=[introduction.public_id]))
    assert response.status_code == 302
    introduction.refresh_from_db()
    assert introduction.status == "accepted"
    assert introduction.decided_by == sides.contact

    # Both people get the introduction email, with both sets of contact details.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([sides.asker.email, sides.contact.email])
    for email in mail.outbox:
        for text in (sides.asker.name, sides.asker.email, sides.contact.email, sides.asked.name):
            assert text in email.body
    # "Reply to each other directly": Reply goes to the other person, not to the site.
    reply_to = {m.to[0]: m.message()["Reply-To"] for m in mail.outbox}
    assert reply_to == {
        sides.asker.email: sides.contact.email,
        sides.contact.email: sides.asker.email,
    }

    # Both sides now see each other's contact details, on the page and in the list.
    received = client.get(reverse("introductions:list", args=[sides.asked.ref])).content.decode()
    assert sides.asker.email in received and "Accepted" in received
    client.force_login(sides.asker)
    for url in (
        introduction.get_absolute_url(),
        reverse("introductions:list", args=[sides.asking.ref]),
    ):
        html = client.get(url).content.decode()
        assert sides.contact.name in html and sides.contact.email in html
        assert sides.asked.name in html
        assert "Accepted" in html


def test_a_colleague_of_the_asked_organisation_sees_only_one_request_after_the_other_side_asks(
    client, sides, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, sides)
    client.force_login(sides.contact)
    url = reverse("introductions:request", args=[sides.target.ref, sides.listing.ref])
    html = client.get(url).content.decode()
    assert "has already asked to be introduced to you" in html
    assert 'name="message"' not in html
    client.post(url, {"message": "Us too"})
    assert Introduction.objects.count() == 1


def test_decline_told_now_shows_not_taken_forward_at_once_and_sends_no_email(
    client, sides, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, sides)
    introduction = Introduction.objects.get()
    mail.outbox.clear()
    client.force_login(sides.contact)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("introductions:decline", args=[introduction.public_id]), {"tell": "now"}
        )
    assert response.status_code == 302
    assert mail.outbox == []
    introduction.refresh_from_db()
    assert introduction.status == "declined"
    client.force_login(sides.asker)
    html = client.get(reverse("introductions:list", args=[sides.asking.ref])).content.decode()
    assert "Not taken forward" in html
    assert sides.contact.email not in html


def ask_then_decline_later(client, sides, start, capture) -> Introduction:
    """At `start`, the asker asks and the contact declines, to be told after 14 days."""
    with time_machine.travel(start, tick=False):
        with capture(execute=True):
            ask(client, sides)
        introduction = Introduction.objects.get()
        client.force_login(sides.contact)
        client.post(
            reverse("introductions:decline", args=[introduction.public_id]), {"tell": "later"}
        )
    return introduction


def test_decline_told_later_stays_waiting_for_14_days_then_shows_not_taken_forward(
    client, sides, django_capture_on_commit_callbacks
):
    start = datetime(2027, 5, 3, 10, tzinfo=LONDON)
    introduction = ask_then_decline_later(client, sides, start, django_capture_on_commit_callbacks)
    introduction.refresh_from_db()
    assert introduction.status == "declined"
    list_url = reverse("introductions:list", args=[sides.asking.ref])
    request_url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])

    with time_machine.travel(start + timedelta(days=13), tick=False):
        client.force_login(sides.asker)  # inside: a session from the start would have expired
        html = client.get(list_url).content.decode()
        assert "Waiting for a reply" in html and "Not taken forward" not in html
        assert "Not accepted" not in html  # screen readers heard it beside "Waiting" (probe)
        detail = client.get(introduction.get_absolute_url()).content.decode()
        assert "Waiting for a reply" in detail
        # As for an open request: the expiry row going away gave the decline away (probe).
        assert "Expires on" in detail and "if not answered" in detail
        # Asking again would give the decline away: it reads as already asked.
        assert "already asked for this introduction" in client.get(request_url).content.decode()
        # The asked side sees its own decision.
        client.force_login(sides.contact)
        received = client.get(reverse("introductions:list", args=[sides.asked.ref]))
        assert "Declined" in received.content.decode()

    with time_machine.travel(start + timedelta(days=14, minutes=1), tick=False):
        client.force_login(sides.asker)
        html = client.get(list_url).content.decode()
        assert "Not taken forward" in html and "Waiting for a reply" not in html


def test_a_quiet_decline_is_shown_once_the_decliner_asks_the_other_side_themselves(
    client, sides, django_capture_on_commit_callbacks
):
    start = datetime(2027, 5, 3, 10, tzinfo=LONDON)
    first = ask_then_decline_later(client, sides, start, django_capture_on_commit_callbacks)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        client.force_login(sides.contact)
        # Their own list says the contact details were not shared, not "if you accept".
        received = client.get(reverse("introductions:list", args=[sides.asked.ref]))
        assert "Shared if you accept" not in received.content.decode()
        assert "Not shared" in received.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("introductions:request", args=[sides.target.ref, sides.listing.ref]),
                {"message": "We would like to talk about your drying line after all."},
            )
        assert Introduction.objects.filter(from_organisation=sides.asked).exists()
        first.refresh_from_db()
        client.force_login(sides.asker)
        detail = client.get(first.get_absolute_url()).content.decode()
        assert "Not taken forward" in detail and "Waiting for a reply" not in detail
        # Their list says so beside it, not "Shared if they accept" (re-probe, stop 31).
        sent = client.get(reverse("introductions:list", args=[sides.asking.ref]))
        rows = re.findall(r"<tr[^>]*>(?:(?!</tr>).)*</tr>", sent.content.decode(), re.S)
        (row,) = [r for r in rows if str(first.public_id) in r]
        assert "Not shared" in row and "Shared if they accept" not in row


def test_decline_without_a_choice_shows_an_error_that_says_what_to_do(client, sides):
    ask(client, sides)
    introduction = Introduction.objects.get()
    client.force_login(sides.contact)
    response = client.post(reverse("introductions:decline", args=[introduction.public_id]), {})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert 'href="#id_tell_0"' in html and "Choose when they should see “Not taken forward”" in html
    assert "<title>Error: " in html
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_an_answered_request_cannot_be_answered_again(client, sides):
    ask(client, sides)
    introduction = Introduction.objects.get()
    client.force_login(sides.contact)
    client.post(reverse("introductions:decline", args=[introduction.public_id]), {"tell": "now"})
    client.force_login(sides.colleague)
    response = client.post(
        reverse("introductions:accept", args=[introduction.public_id]), follow=True
    )
    assert "already been answered" in response.content.decode()
    introduction.refresh_from_db()
    assert introduction.status == "declined"


def test_request_page_for_a_dismissed_match_is_not_found(client, sides):
    Match.objects.filter(source_listing=sides.listing).update(status=Match.Status.DISMISSED)
    client.force_login(sides.asker)
    url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    assert client.get(url).status_code == 404


def test_a_pair_introduced_already_is_not_offered_a_second_request_either_way(
    client, sides, django_capture_on_commit_callbacks
):
    """After an accepted introduction, the other side's matches and the listing page still
    sent a second request for the same pair (newcomer probe, stop 26)."""
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, sides)
        client.force_login(sides.contact)
        client.post(reverse("introductions:accept", args=[Introduction.objects.get().public_id]))
    # The asked side, from its own matches: the same two listings the other way round.
    reverse_url = reverse("introductions:request", args=[sides.target.ref, sides.listing.ref])
    page = client.get(reverse_url).content.decode()
    assert "were introduced about this listing on" in page
    client.post(reverse_url, {"message": "Hi again"})
    # The asking side again, from the listing's page (about none of its listings).
    client.force_login(sides.asker)
    ask_url = reverse("introductions:ask", args=[sides.target.ref])
    asked = client.post(
        ask_url, {"organisation": sides.asking.ref, "about_listing": "none", "message": "Hi"}
    )
    assert "were introduced about this listing on" in asked.content.decode()
    again = client.post(
        reverse("introductions:request", args=[sides.listing.ref, sides.target.ref]),
        {"message": "Hi again"},
    )
    assert "were introduced about this listing on" in again.content.decode()
    assert Introduction.objects.count() == 1


def test_an_introduction_long_ago_or_from_another_challenge_does_not_block_a_new_request(
    sides,
):
    """The block is for recent introductions about the same listing, and a cluster team's
    request from one challenge does not block one from another (review)."""
    from datetime import timedelta

    from django.utils import timezone

    from introductions import services
    from tests.factories import ChallengeFactory

    old = Introduction.objects.create(
        from_organisation=sides.asking,
        to_organisation=sides.asked,
        target_listing=sides.target,
        message="Hello",
        status=Introduction.Status.ACCEPTED,
        decided_at=timezone.now() - timedelta(days=400),
        expires_at=timezone.now(),
    )
    services.check_can_request(sides.asker, organisation=sides.asking, target=sides.target)
    Introduction.objects.filter(pk=old.pk).update(decided_at=timezone.now())
    with pytest.raises(services.NotAllowed, match="were introduced about this listing"):
        services.check_can_request(sides.asker, organisation=sides.asking, target=sides.target)
    first, second = ChallengeFactory(), ChallengeFactory()
    Introduction.objects.filter(pk=old.pk).update(challenge=first)
    services.check_can_request(
        sides.asker, organisation=sides.asking, target=sides.target, about_challenge=second
    )
    with pytest.raises(services.NotAllowed, match="were introduced about this listing"):
        services.check_can_request(
            sides.asker, organisation=sides.asking, target=sides.target, about_challenge=first
        )


def matches_page(client, user, organisation) -> str:
    client.force_login(user)
    response = client.get(reverse("matching:organisation", args=[organisation.ref]))
    assert response.status_code == 200
    return response.content.decode()


def test_your_matches_shows_an_introduction_already_asked_for_instead_of_the_button_both_sides(
    client, sides, django_capture_on_commit_callbacks
):
    """Each card offered "Request introduction" while a request waited or after it was
    accepted; people learnt what they had already done only by pressing it (newcomer probe,
    stop 27)."""
    request_url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    reverse_url = reverse("introductions:request", args=[sides.target.ref, sides.listing.ref])
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, sides)
    introduction = Introduction.objects.get()
    detail = introduction.get_absolute_url()

    asker = matches_page(client, sides.asker, sides.asking)
    assert f'href="{request_url}"' not in asker
    assert "Waiting for a reply" in asker and f'href="{detail}"' in asker
    asked = matches_page(client, sides.contact, sides.asked)
    assert f'href="{reverse_url}"' not in asked
    assert "Waiting for your reply" in asked and "Accept or decline their request" in asked
    assert f'href="{detail}"' in asked

    client.force_login(sides.contact)
    client.post(reverse("introductions:accept", args=[introduction.public_id]))
    for user, organisation, url in (
        (sides.asker, sides.asking, request_url),
        (sides.contact, sides.asked, reverse_url),
    ):
        page = matches_page(client, user, organisation)
        assert f'href="{url}"' not in page
        assert "You were introduced to" in page and "See their contact details" in page


def test_a_quiet_decline_still_reads_as_waiting_on_the_askers_matches_until_it_is_told(
    client, sides, django_capture_on_commit_callbacks
):
    start = datetime(2027, 5, 3, 10, tzinfo=LONDON)
    request_url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    ask_then_decline_later(client, sides, start, django_capture_on_commit_callbacks)
    with time_machine.travel(start + timedelta(days=13), tick=False):
        page = matches_page(client, sides.asker, sides.asking)
        assert "Waiting for a reply" in page and f'href="{request_url}"' not in page
        # The side that declined may ask the other way round as for any match.
        reverse_url = reverse("introductions:request", args=[sides.target.ref, sides.listing.ref])
        assert f'href="{reverse_url}"' in matches_page(client, sides.contact, sides.asked)
    with time_machine.travel(start + timedelta(days=14, minutes=1), tick=False):
        page = matches_page(client, sides.asker, sides.asking)
        assert f'href="{request_url}"' in page and "Waiting for a reply" not in page


def test_a_request_waiting_for_our_answer_stands_only_on_the_card_of_the_listing_it_is_about(
    client, sides, django_capture_on_commit_callbacks
):
    """The other side asked from its offer about another of our listings: asking about that
    offer from this listing is still allowed, so its card keeps the button (review)."""
    from introductions import services
    from tests.factories import ListingFactory
    from tests.introductions.conftest import make_match

    other = ListingFactory(organisation=sides.asking, kind="need", title="Steam for a dryer")
    make_match(other, sides.target)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_introduction(
            sides.contact,
            organisation=sides.asked,
            target=other,
            message="About your steam need.",
            about_listing=sides.target,
        )
    page = matches_page(client, sides.asker, sides.asking)
    here = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    there = reverse("introductions:request", args=[other.ref, sides.target.ref])
    assert f'href="{here}"' in page  # this card: the button, and pressing it works
    assert f'href="{there}"' not in page and "Waiting for your reply" in page
    response = client.post(here, {"message": MESSAGE})
    assert response.status_code == 302
    assert Introduction.objects.filter(from_organisation=sides.asking).count() == 1


def test_the_card_says_what_pressing_request_would_when_a_request_and_an_introduction_stand(
    client, sides, django_capture_on_commit_callbacks
):
    """Ours still waiting, theirs from the same offer accepted: the card said "Introduced"
    while the request page said "already asked" (probe)."""
    from introductions import services
    from tests.factories import ListingFactory
    from tests.introductions.conftest import make_match

    other = ListingFactory(organisation=sides.asking, kind="need", title="Steam for a dryer")
    make_match(other, sides.target)
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, sides)
        theirs = services.request_introduction(
            sides.contact,
            organisation=sides.asked,
            target=other,
            message="About your steam need.",
            about_listing=sides.target,
        )
    client.force_login(sides.asker)
    client.post(reverse("introductions:accept", args=[theirs.public_id]))
    page = matches_page(client, sides.asker, sides.asking)
    for source in (sides.listing, other):
        url = reverse("introductions:request", args=[source.ref, sides.target.ref])
        assert f'href="{url}"' not in page
        assert "already asked for this introduction" in client.get(url).content.decode()
    assert "You were introduced to" not in page and "Waiting for a reply" in page


def test_a_listing_gone_since_is_named_on_the_introduction_not_linked(
    client, sides, django_capture_on_commit_callbacks
):
    """ "Their offer" linked to a page saying it was no longer on the site, with nothing on
    the introduction to say so (newcomer probe, stop 30)."""
    from clusters.models import Listing

    with django_capture_on_commit_callbacks(execute=True):
        ask(client, sides)
    introduction = Introduction.objects.get()
    link = f'href="{sides.target.get_absolute_url()}"'
    assert link in client.get(introduction.get_absolute_url()).content.decode()
    Listing.objects.filter(pk=sides.target.pk).update(status=Listing.Status.WITHDRAWN)
    html = client.get(introduction.get_absolute_url()).content.decode()
    assert link not in html
    assert f"{sides.target.title} (no longer on Cluster Exchange)" in html
