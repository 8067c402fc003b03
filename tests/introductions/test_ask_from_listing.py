""" "Ask for an introduction" on any published listing's page, tested from the outside."""

import pytest
from django.core import mail
from django.urls import reverse

from clusters.models import Organisation
from introductions.models import Introduction
from tests.factories import ListingFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "We run a paper mill near Hull and would like to hear about your heat pumps."


def ask_url(listing):
    return reverse("introductions:ask", args=[listing.ref])


def post(client, sides, **data):
    """Send the form as a browser would: with the hidden organisation field of one."""
    client.force_login(sides.asker)
    return client.post(
        ask_url(sides.target),
        {"organisation": sides.asking.ref, "about_listing": "none", "message": MESSAGE, **data},
    )


def answered_offers(count: int) -> list:
    """Offers of other organisations, each with a verified member who could answer."""
    return [
        ListingFactory(kind="offer", organisation=MembershipFactory().organisation)
        for _ in range(count)
    ]


def page(client, listing):
    return client.get(listing.get_absolute_url()).content.decode()


# The listing page -------------------------------------------------------------------


def test_signed_out_the_listing_page_leads_to_sign_in_and_back(client, sides):
    html = page(client, sides.target)
    assert "Sign in to ask for an introduction" in html
    login = reverse("account_login")
    assert f'href="{login}?next=/listings/{sides.target.ref}/introduction/"' in html
    # And the ask page itself sends a visitor to sign in, then back to it.
    response = client.get(ask_url(sides.target))
    assert response.status_code == 302
    assert response["Location"] == f"{login}?next=/listings/{sides.target.ref}/introduction/"


def test_another_organisations_member_sees_the_button(client, sides):
    client.force_login(sides.asker)
    html = page(client, sides.target)
    assert f'href="{ask_url(sides.target)}"' in html
    assert "Ask for an introduction" in html


def test_the_owner_sees_a_plain_explanation_and_no_button(client, sides):
    client.force_login(sides.contact)
    html = page(client, sides.target)
    assert f'href="{ask_url(sides.target)}"' not in html
    assert f"This is {sides.asked.name}’s own offer" in html.replace("&#x27;", "'")


def test_the_listing_page_query_count_for_a_signed_in_member(
    client, sides, django_assert_max_num_queries
):
    url = sides.target.get_absolute_url()
    client.force_login(sides.asker)
    # Session, user, listing, its themes and clusters, its organisation's clusters, one
    # for the introduction action (the user's organisations), whatever else they have, and
    # one for the funding suggestions (is the user in the listing's organisation? no).
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert f'href="{ask_url(sides.target)}"' in response.content.decode()
    for _ in range(5):
        MembershipFactory(user=sides.asker)
    with django_assert_max_num_queries(8):
        client.get(url)


# The ask page: who may ask --------------------------------------------------------------


def test_the_owner_cannot_ask_about_their_own_listing(client, sides):
    client.force_login(sides.contact)
    response = client.get(ask_url(sides.target))
    assert response.status_code == 200
    assert "own offer, so you cannot ask" in response.content.decode()
    assert b'name="message"' not in response.content
    response = client.post(ask_url(sides.target), {"about_listing": "none", "message": MESSAGE})
    assert response.status_code == 200
    assert not Introduction.objects.exists()


def test_a_member_of_an_unapproved_organisation_is_told_why_and_cannot_ask(client, sides):
    Organisation.objects.filter(pk=sides.asking.pk).update(status="pending")
    client.force_login(sides.asker)
    assert "waiting for our team to approve" in page(client, sides.target)
    response = client.get(ask_url(sides.target))
    assert "waiting for our team to approve" in response.content.decode()
    assert b'name="message"' not in response.content
    post(client, sides)
    assert not Introduction.objects.exists()
    assert not mail.outbox


def test_a_user_with_no_organisation_is_shown_how_to_start_or_join_one(client, sides):
    client.force_login(UserFactory())
    response = client.get(ask_url(sides.target))
    assert reverse("clusters:organisation-start") in response.content.decode()
    assert b'name="message"' not in response.content
    response = client.post(ask_url(sides.target), {"about_listing": "none", "message": MESSAGE})
    assert not Introduction.objects.exists()


def test_an_unverified_member_is_asked_to_confirm_their_email_first(client, sides):
    stranger = UserFactory(verified=False)
    MembershipFactory(user=stranger, organisation=sides.asking)
    client.force_login(stranger)
    response = client.get(ask_url(sides.target))
    assert "Confirm your email address" in response.content.decode()
    client.post(
        ask_url(sides.target),
        {"organisation": sides.asking.ref, "about_listing": "none", "message": MESSAGE},
    )
    assert not Introduction.objects.exists()


@pytest.mark.parametrize("status", ["draft", "pending", "withdrawn"])
def test_a_listing_that_is_not_published_cannot_be_asked_about(client, sides, status):
    sides.target.status = status
    sides.target.save(update_fields=["status"])
    client.force_login(sides.asker)
    assert client.get(ask_url(sides.target)).status_code == 404
    assert post(client, sides).status_code == 404
    assert not Introduction.objects.exists()


def test_a_get_creates_nothing_and_only_post_sends(client, sides):
    client.force_login(sides.asker)
    response = client.get(ask_url(sides.target) + "?message=x&about_listing=none")
    assert response.status_code == 200
    assert not Introduction.objects.exists()


def test_the_form_needs_a_csrf_token(sides):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sides.asker)
    response = client.post(ask_url(sides.target), {"about_listing": "none", "message": MESSAGE})
    assert response.status_code == 403
    assert not Introduction.objects.exists()


# The ask page: it works ----------------------------------------------------------------


def test_another_organisations_member_asks_about_no_listing_of_theirs(
    client, sides, django_capture_on_commit_callbacks
):
    client.force_login(sides.asker)
    form = client.get(ask_url(sides.target)).content.decode()
    # One organisation: chosen already, and said in words.
    assert f'type="hidden" name="organisation" value="{sides.asking.ref}"' in form
    assert f"You are asking for <strong>{sides.asking.name}</strong>" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sides)
    assert response.status_code == 302
    assert response["Location"] == reverse("introductions:list", args=[sides.asking.ref])
    introduction = Introduction.objects.get()
    assert introduction.source_listing is None
    assert introduction.target_listing == sides.target
    assert introduction.from_organisation == sides.asking
    assert introduction.to_organisation == sides.asked
    assert introduction.requested_by == sides.asker
    assert introduction.status == "open"

    # The target's verified contacts are emailed; the email reads well with no listing of theirs.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [sides.contact.email, sides.colleague.email]
    )
    body = mail.outbox[0].body
    assert f"- your offer: {sides.target.title}" in body
    assert "- their" not in body
    assert MESSAGE in body
    assert sides.asker.email not in body and sides.asker.name not in body

    # The asked side sees the request, without the asker's contact details.
    client.force_login(sides.contact)
    html = client.get(introduction.get_absolute_url()).content.decode()
    assert "Not about one of their listings" in html
    assert sides.asker.email not in html
    listing_html = client.get(reverse("introductions:list", args=[sides.asked.ref])).content
    assert f"Your offer: {sides.target.title}".encode() in listing_html
    assert sides.asker.email.encode() not in listing_html

    # After they accept, both sides see each other's details.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("introductions:accept", args=[introduction.public_id]))
    html = client.get(introduction.get_absolute_url()).content.decode()
    assert sides.asker.email in html
    client.force_login(sides.asker)
    html = client.get(introduction.get_absolute_url()).content.decode()
    assert sides.contact.email in html
    assert "Not about one of your listings" in html
    accepted = {m.to[0]: m.body for m in mail.outbox}
    assert set(accepted) == {sides.asker.email, sides.contact.email}
    assert sides.contact.email in accepted[sides.asker.email]
    assert "None" not in accepted[sides.asker.email]


def test_asking_about_one_of_their_own_published_listings(
    client, sides, django_capture_on_commit_callbacks
):
    client.force_login(sides.asker)
    form = client.get(ask_url(sides.target)).content.decode()
    assert f'value="{sides.listing.ref}"' in form
    assert f"{sides.listing.title} (your need)" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sides, about_listing=sides.listing.ref)
    assert response.status_code == 302
    introduction = Introduction.objects.get()
    assert introduction.source_listing == sides.listing
    assert f"- their need: {sides.listing.title}" in mail.outbox[0].body


def test_someone_elses_listing_cannot_be_given_as_the_asker_s_own(client, sides):
    others = ListingFactory(kind="need", title="Someone else's need")
    draft = ListingFactory(organisation=sides.asking, kind="offer", status="draft")
    client.force_login(sides.asker)
    for ref in (others.ref, draft.ref, sides.target.ref, "not-a-ref"):
        response = post(client, sides, about_listing=ref)
        assert response.status_code == 200
        assert "Choose one of your own published listings" in response.content.decode()
    assert not Introduction.objects.exists()
    assert not mail.outbox


def test_bad_input_shows_the_form_again_with_errors_and_creates_nothing(client, sides):
    response = post(client, sides, message="")
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert "Enter a message to the organisation" in html
    assert html.count("<title>Error: ") == 1
    response = post(client, sides, message="x" * 1001)
    assert "1,000 characters or fewer" in response.content.decode()
    assert not Introduction.objects.exists()


def test_a_user_in_several_organisations_chooses_which_one_asks(client, sides):
    second = MembershipFactory(user=sides.asker).organisation
    theirs = ListingFactory(organisation=second, kind="need", title="Second org need")
    client.force_login(sides.asker)
    form = client.get(ask_url(sides.target)).content.decode()
    assert f'name="organisation" type="radio" value="{sides.asking.ref}"' in form
    assert f'name="organisation" type="radio" value="{second.ref}"' in form
    assert f"Second org need (your need, {second.name})" in form

    response = post(client, sides, organisation="")  # no organisation chosen
    assert "Choose the organisation you are asking for" in response.content.decode()
    # A listing of the other organisation than the one asking.
    response = post(client, sides, organisation=sides.asking.ref, about_listing=theirs.ref)
    assert f"Choose one of {sides.asking.name}’s own listings" in response.content.decode()
    assert not Introduction.objects.exists()

    response = post(client, sides, organisation=second.ref, about_listing=theirs.ref)
    assert response.status_code == 302
    introduction = Introduction.objects.get()
    assert introduction.from_organisation == second
    assert introduction.source_listing == theirs


def test_an_organisation_the_user_is_not_in_cannot_be_chosen(client, sides):
    elsewhere = OrganisationFactory()
    response = post(client, sides, organisation=elsewhere.ref)
    assert response.status_code == 200
    assert not Introduction.objects.exists()
    response = post(client, sides, organisation=sides.asked.ref)  # the listing's owner
    assert not Introduction.objects.exists()


# Limits --------------------------------------------------------------------------------


def test_a_second_open_request_about_the_same_listing_is_refused(client, sides):
    assert post(client, sides).status_code == 302
    client.force_login(sides.asker)
    response = client.get(ask_url(sides.target))
    assert "already asked for this introduction" in response.content.decode()
    response = post(client, sides)
    assert response.status_code == 200
    assert "already asked for this introduction" in response.content.decode()
    # A colleague of the same organisation, about one of their listings this time: refused.
    colleague = MembershipFactory(organisation=sides.asking).user
    client.force_login(colleague)
    response = client.post(
        ask_url(sides.target),
        {"organisation": sides.asking.ref, "about_listing": sides.listing.ref, "message": MESSAGE},
    )
    assert "already asked for this introduction" in response.content.decode()
    assert Introduction.objects.count() == 1


def test_another_organisation_may_ask_about_the_same_listing(client, sides):
    assert post(client, sides).status_code == 302
    other = MembershipFactory()
    client.force_login(other.user)
    response = client.post(
        ask_url(sides.target),
        {"organisation": other.organisation.ref, "about_listing": "none", "message": MESSAGE},
    )
    assert response.status_code == 302
    assert Introduction.objects.filter(target_listing=sides.target).count() == 2


def test_a_quiet_decline_still_looks_open_and_blocks_a_new_request(client, sides):
    post(client, sides)
    introduction = Introduction.objects.get()
    client.force_login(sides.contact)
    client.post(reverse("introductions:decline", args=[introduction.public_id]), {"tell": "later"})
    assert Introduction.objects.get().status == "declined"
    response = post(client, sides)
    assert "already asked for this introduction" in response.content.decode()
    assert Introduction.objects.count() == 1


def test_the_daily_limit_per_organisation_holds_from_listing_pages(client, sides, settings):
    settings.INTRODUCTIONS_PER_ORGANISATION_PER_DAY = 2
    offers = answered_offers(3)
    client.force_login(sides.asker)
    for offer in offers[:2]:
        response = client.post(
            ask_url(offer),
            {"organisation": sides.asking.ref, "about_listing": "none", "message": MESSAGE},
        )
        assert response.status_code == 302
    response = client.get(ask_url(offers[2]))
    assert "the most allowed in one day" in response.content.decode()
    response = client.post(
        ask_url(offers[2]),
        {"organisation": sides.asking.ref, "about_listing": "none", "message": MESSAGE},
    )
    assert "the most allowed in one day" in response.content.decode()
    assert Introduction.objects.count() == 2


def test_posts_are_rate_limited_per_user(client, sides, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "introduction": "1/h/user"}
    offers = answered_offers(2)
    client.force_login(sides.asker)
    assert (
        client.post(
            ask_url(offers[0]),
            {"organisation": sides.asking.ref, "about_listing": "none", "message": MESSAGE},
        ).status_code
        == 302
    )
    response = client.post(
        ask_url(offers[1]),
        {"organisation": sides.asking.ref, "about_listing": "none", "message": MESSAGE},
    )
    assert "Wait an hour and try again" in response.content.decode()
    assert Introduction.objects.count() == 1


def test_asking_from_a_match_counts_in_the_same_hourly_limit(client, sides, settings):
    """The page behind "Request introduction" on Your matches skipped the limit (probe)."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "introduction": "1/h/user"}
    offer = answered_offers(1)[0]
    client.force_login(sides.asker)
    first = client.post(
        ask_url(offer),
        {"organisation": sides.asking.ref, "about_listing": "none", "message": MESSAGE},
    )
    assert first.status_code == 302
    response = client.post(
        reverse("introductions:request", args=[sides.listing.ref, sides.target.ref]),
        {"message": MESSAGE},
    )
    assert "Wait an hour and try again" in response.content.decode()
    assert Introduction.objects.count() == 1


def test_a_request_past_its_30_days_no_longer_blocks_a_new_one(client, sides):
    from datetime import timedelta

    from django.utils import timezone

    assert post(client, sides).status_code == 302
    first = Introduction.objects.get()
    assert abs(first.expires_at - first.created_at - timedelta(days=30)) < timedelta(seconds=1)
    Introduction.objects.update(expires_at=timezone.now() - timedelta(minutes=1))  # not swept
    assert post(client, sides).status_code == 302
    first.refresh_from_db()
    assert first.status == "expired"
    assert Introduction.objects.filter(status="open").count() == 1
    # To the asker, the expired one reads as "not taken forward", like a decline.
    assert first.status_for_requester == "Not taken forward"
