"""The API of introductions: each side's list, asking (with the page's checks and limits),
accepting and declining, and what the asking side may not learn."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from introductions.models import Introduction, Outcome
from outbox.models import Email
from tests.api.conftest import bearer
from tests.factories import IntroductionFactory, ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def asker(db):
    return MembershipFactory(user__name="Asa Asker").user


@pytest.fixture
def asked(db):
    return MembershipFactory(user__name="Ada Answer").user


def org(user):
    return user.memberships.get().organisation


def list_url(user) -> str:
    return f"/api/v1/organisations/{org(user).ref}/introductions/"


def request_between(asker, asked, **fields) -> Introduction:
    return IntroductionFactory(
        source_listing=ListingFactory(organisation=org(asker), kind="need"),
        target_listing=ListingFactory(organisation=org(asked), title="Heat pumps"),
        requested_by=asker,
        **fields,
    )


def rows(api, user, **params) -> dict:
    response = api.get(list_url(user), params)
    assert response.status_code == 200, response.content
    return {row["public_id"]: row for row in response.json()["results"]}


def test_each_side_sees_its_direction_status_and_no_contacts_until_accepted(
    api, asker, asked, token_for
):
    introduction = request_between(asker, asked, message="Can we talk?")
    key = str(introduction.public_id)
    bearer(api, token_for(asker, "read"))
    sent = rows(api, asker)[key]
    assert sent["direction"] == "sent"
    assert sent["status"] == "open"
    assert sent["status_label"] == "Waiting for a reply"
    assert sent["other_organisation"]["ref"] == org(asked).ref
    assert sent["target_listing"]["title"] == "Heat pumps"
    assert sent["message"] == "Can we talk?"
    assert sent["contacts"] is None
    assert sent["can_answer"] is False
    assert sent["expires_at"] is not None
    bearer(api, token_for(asked, "read"))
    received = rows(api, asked)[key]
    assert received["direction"] == "received"
    assert received["status_label"] == "Waiting for your reply"
    assert received["can_answer"] is True
    assert received["contacts"] is None
    assert "asa" not in str(received).lower()


def test_contacts_appear_once_accepted(api, asker, asked, token_for):
    introduction = request_between(asker, asked)
    bearer(api, token_for(asked))
    response = api.post(f"/api/v1/introductions/{introduction.public_id}/accept/")
    assert response.status_code == 200, response.content
    answered = response.json()
    assert answered["status"] == "accepted"
    assert answered["contacts"]["asked_by"]["email"] == asker.email
    assert answered["contacts"]["accepted_by"]["email"] == asked.email
    # The page's side effects: both people are emailed.
    assert set(Email.objects.values_list("to", flat=True)) >= {asker.email, asked.email}
    bearer(api, token_for(asker))
    sent = rows(api, asker)[str(introduction.public_id)]
    assert sent["status"] == "accepted"
    assert sent["contacts"]["accepted_by"] == {
        "name": "Ada Answer",
        "email": asked.email,
        "organisation": {"ref": org(asked).ref, "name": org(asked).name},
    }


def test_a_quiet_decline_stays_hidden_from_the_asker_until_it_is_shown(
    api, asker, asked, token_for
):
    introduction = request_between(asker, asked)
    asked_at = introduction.created_at
    bearer(api, token_for(asked))
    declined = api.post(
        f"/api/v1/introductions/{introduction.public_id}/decline/", {"tell": "later"}, format="json"
    )
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    bearer(api, token_for(asker))
    sent = rows(api, asker)[str(introduction.public_id)]
    assert sent["status"] == "open"
    assert sent["status_label"] == "Waiting for a reply"
    # Nothing moved for the asker: a mirror polling with updated_since sees no change.
    assert parse_datetime(sent["updated_at"]) == asked_at
    assert rows(api, asker, updated_since=(asked_at + timedelta(seconds=1)).isoformat()) == {}
    # Fourteen days on, the page shows it: so does the API, as a change at that moment.
    shown = timezone.now() - timedelta(minutes=1)
    Introduction.objects.filter(pk=introduction.pk).update(decline_shown_at=shown)
    changed = rows(api, asker, updated_since=(shown - timedelta(seconds=1)).isoformat())
    assert changed[str(introduction.public_id)]["status"] == "not_taken_forward"
    assert changed[str(introduction.public_id)]["status_label"] == "Not taken forward"


def test_a_decline_with_an_unknown_when_says_which_values_to_use(api, asker, asked, token_for):
    introduction = request_between(asker, asked)
    bearer(api, token_for(asked))
    response = api.post(
        f"/api/v1/introductions/{introduction.public_id}/decline/",
        {"tell": "sometime"},
        format="json",
    )
    assert response.status_code == 400
    assert "(“now”) or in 14 days (“later”)" in str(response.json())
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_an_expired_request_reads_the_same_as_a_decline_to_the_asker(api, asker, asked, token_for):
    introduction = request_between(asker, asked)
    Introduction.objects.filter(pk=introduction.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    bearer(api, token_for(asker))
    assert rows(api, asker)[str(introduction.public_id)]["status"] == "not_taken_forward"
    bearer(api, token_for(asked))
    received = rows(api, asked)[str(introduction.public_id)]
    assert received["status"] == "expired"
    assert received["can_answer"] is False


def test_the_list_filters_by_direction_and_shows_our_outcome(api, asker, asked, token_for):
    sent = request_between(asker, asked, status="accepted", decided_by=asked)
    Introduction.objects.filter(pk=sent.pk).update(decided_at=timezone.now())
    received = request_between(asked, asker)
    Outcome.objects.create(introduction=sent, organisation=org(asker), result="talking")
    bearer(api, token_for(asker))
    only_sent = rows(api, asker, direction="sent")
    assert list(only_sent) == [str(sent.public_id)]
    assert only_sent[str(sent.public_id)]["our_outcome"] == "talking"
    assert list(rows(api, asker, direction="received")) == [str(received.public_id)]
    assert api.get(list_url(asker), {"direction": "both"}).status_code == 400


def test_the_cursor_walks_every_introduction_once(api, asker, asked, token_for):
    made = {str(request_between(asker, asked).public_id) for _ in range(5)}
    bearer(api, token_for(asker))
    seen, url = [], list_url(asker) + "?page_size=2"
    while url:
        page = api.get(url).json()
        seen += [row["public_id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(made)


# Asking ---------------------------------------------------------------------------------


def ask(api, user, body):
    return api.post(list_url(user), body, format="json")


def test_asking_makes_the_request_and_emails_the_other_side(api, asker, asked, token_for):
    target = ListingFactory(organisation=org(asked))
    mine = ListingFactory(organisation=org(asker), kind="need")
    bearer(api, token_for(asker))
    response = ask(
        api,
        asker,
        {"target_listing": target.ref, "about_listing": mine.ref, "message": "Hello\r\nthere"},
    )
    assert response.status_code == 201, response.content
    made = Introduction.objects.get(public_id=response.json()["public_id"])
    assert made.requested_by == asker
    assert made.source_listing == mine
    assert made.message == "Hello\nthere"  # as the page's form keeps it
    assert response.json()["direction"] == "sent"
    assert Email.objects.filter(to=asked.email).exists()


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"target_listing": "L-none"}, "target_listing", "no published listing"),
        ({"message": ""}, "message", "Enter a message to the organisation"),
        ({"message": "x" * 1001}, "message", "1,000 characters or fewer"),
        ({"target_listing": "bad\x00ref"}, "target_listing", "Null characters"),
        ({"about_listing": "L-not-ours"}, "about_listing", "own listings"),
    ],
)
def test_asking_with_bad_input_is_a_400_naming_the_field(
    api, asker, asked, token_for, body, field, message
):
    target = ListingFactory(organisation=org(asked))
    bearer(api, token_for(asker))
    response = ask(api, asker, {"target_listing": target.ref, "message": "Hi", **body})
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert not Introduction.objects.exists()


def test_the_services_checks_refuse_with_what_to_do(api, asker, asked, token_for):
    target = ListingFactory(organisation=org(asked))
    bearer(api, token_for(asker))
    assert ask(api, asker, {"target_listing": target.ref, "message": "Hi"}).status_code == 201
    again = ask(api, asker, {"target_listing": target.ref, "message": "Hi again"})
    assert again.status_code == 409  # allowed, but not while the first one is open
    assert "already asked" in again.json()["message"]
    own = ask(
        api, asker, {"target_listing": ListingFactory(organisation=org(asker)).ref, "message": "Hi"}
    )
    assert own.status_code == 403
    assert Introduction.objects.count() == 1


def test_an_unconfirmed_email_address_cannot_ask(api, asker, asked, token_for):
    EmailAddress.objects.filter(user=asker).update(verified=False)
    bearer(api, token_for(asker))
    response = ask(
        api, asker, {"target_listing": ListingFactory(organisation=org(asked)).ref, "message": "Hi"}
    )
    assert response.status_code == 403
    assert "Confirm your email address" in response.json()["message"]


def answered_offer():
    """Another organisation's offer, with a verified member who could answer a request."""
    return ListingFactory(organisation=MembershipFactory().organisation)


def test_the_pages_hourly_limit_holds_for_the_api(api, asker, settings, token_for):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "introduction": "2/h/user"}
    bearer(api, token_for(asker))
    answers = [
        ask(api, asker, {"target_listing": answered_offer().ref, "message": "Hi"}) for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert answers[2]["Retry-After"] == "3600"
    assert answers[2].json()["message"].startswith("You have asked for many introductions")
    assert Introduction.objects.count() == 2


def test_the_daily_limit_per_organisation_is_a_429_until_midnight(api, asker, settings, token_for):
    settings.INTRODUCTIONS_PER_ORGANISATION_PER_DAY = 1
    bearer(api, token_for(asker))
    first = ask(api, asker, {"target_listing": answered_offer().ref, "message": "Hi"})
    second = ask(api, asker, {"target_listing": answered_offer().ref, "message": "Hi"})
    assert (first.status_code, second.status_code) == (201, 429)
    assert 0 < int(second["Retry-After"]) <= 24 * 3600
    assert "tomorrow" in second.json()["message"]
    assert Introduction.objects.count() == 1


def test_asking_about_a_listing_that_is_no_longer_published_is_a_409(api, asker, asked, token_for):
    target = ListingFactory(organisation=org(asked))
    mine = ListingFactory(organisation=org(asker), status="draft")
    bearer(api, token_for(asker))
    body = {"target_listing": target.ref, "about_listing": mine.ref, "message": "Hi"}
    response = ask(api, asker, body)
    assert response.status_code == 409
    assert "Publish your listing" in response.json()["message"]


def test_a_read_token_cannot_ask(api, asker, asked, token_for):
    bearer(api, token_for(asker, "read"))
    response = ask(
        api, asker, {"target_listing": ListingFactory(organisation=org(asked)).ref, "message": "Hi"}
    )
    assert response.status_code == 403
    assert not Introduction.objects.exists()


# Answering ------------------------------------------------------------------------------


def test_an_answered_request_cannot_be_answered_again(api, asker, asked, token_for):
    introduction = request_between(asker, asked)
    bearer(api, token_for(asked))
    url = f"/api/v1/introductions/{introduction.public_id}/"
    assert api.post(url + "accept/").status_code == 200
    again = api.post(url + "decline/", {"tell": "now"}, format="json")
    assert again.status_code == 409
    assert "already been answered" in again.json()["message"]


def test_the_person_who_asked_cannot_answer_for_the_other_side(api, asker, asked, token_for):
    """Someone in both organisations asked: a colleague must answer, as on the page."""
    introduction = request_between(asker, asked)
    MembershipFactory(user=asker, organisation=org(asked))
    bearer(api, token_for(asker))
    response = api.post(f"/api/v1/introductions/{introduction.public_id}/accept/")
    assert response.status_code == 403
    introduction.refresh_from_db()
    assert introduction.status == "open"


@pytest.mark.parametrize("verb", ["accept", "decline"])
def test_the_asking_side_is_told_it_cannot_answer_and_a_stranger_sees_nothing(
    api, asker, asked, token_for, verb
):
    """Found by an outside probe: the asker got 404 "no such record" for a record it reads."""
    introduction = request_between(asker, asked)
    url = f"/api/v1/introductions/{introduction.public_id}/{verb}/"
    bearer(api, token_for(asker))
    response = api.post(url, {"tell": "now"}, format="json")
    assert response.status_code == 403
    assert response.json()["message"].startswith("Only the organisation that was asked")
    bearer(api, token_for(MembershipFactory().user))
    assert api.post(url, {"tell": "now"}, format="json").status_code == 404
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_declining_needs_when_to_tell_them(api, asker, asked, token_for):
    introduction = request_between(asker, asked)
    bearer(api, token_for(asked))
    url = f"/api/v1/introductions/{introduction.public_id}/decline/"
    response = api.post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "tell": ["Choose when they should see “Not taken forward”: now or in 14 days"]
    }
    assert api.post(url, {"tell": "never"}, format="json").status_code == 400
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_an_unconfirmed_email_address_cannot_accept(api, asker, asked, token_for):
    introduction = request_between(asker, asked)
    EmailAddress.objects.filter(user=asked).update(verified=False)
    bearer(api, token_for(asked))
    response = api.post(f"/api/v1/introductions/{introduction.public_id}/accept/")
    assert response.status_code == 403
    introduction.refresh_from_db()
    assert introduction.status == "open"


def test_an_unknown_id_is_a_404(api, asked, token_for):
    bearer(api, token_for(asked))
    assert api.post("/api/v1/introductions/not-a-uuid/accept/").status_code == 404


@pytest.mark.parametrize("count", [10, 500])
def test_the_list_makes_the_same_few_queries_at_10_and_500(
    api, asker, asked, token_for, django_assert_max_num_queries, count
):
    mine = ListingFactory(organisation=org(asker), kind="need")
    theirs = ListingFactory.create_batch(count, organisation=org(asked))
    now = timezone.now()
    Introduction.objects.bulk_create(
        IntroductionFactory.build(
            source_listing=mine,
            target_listing=target,
            requested_by=asker,
            status="accepted",
            decided_by=asked,
            decided_at=now,
        )
        for target in theirs
    )
    bearer(api, token_for(asker))
    # The token and its last use, the organisation, the page (savepoints on some databases).
    with django_assert_max_num_queries(6):
        response = api.get(list_url(asker), {"page_size": 500})
    assert len(response.json()["results"]) == count
    assert response.json()["results"][0]["contacts"]["accepted_by"]["email"] == asked.email


def test_one_introduction_reads_as_each_side_sees_it(api, asker, asked, token_for):
    introduction = request_between(asker, asked)
    bearer(api, token_for(asked))
    url = f"/api/v1/introductions/{introduction.public_id}/"
    api.post(url + "decline/", {"tell": "later"}, format="json")
    assert api.get(url).json()["status"] == "declined"
    bearer(api, token_for(asker, "read"))
    seen = api.get(url).json()
    assert seen["direction"] == "sent"
    assert seen["status"] == "open"
    assert seen == rows(api, asker)[str(introduction.public_id)]
    bearer(api, token_for(MembershipFactory().user))
    assert api.get(url).status_code == 404


def test_a_reminder_to_the_asked_side_moves_nothing_for_either_side(api, asker, asked, token_for):
    """The daily sweep's reminder changes the row (updated_at), not what either side sees."""
    from introductions.services import expire_introductions

    introduction = request_between(asker, asked)
    week_ago = timezone.now() - timedelta(days=8)
    Introduction.objects.filter(pk=introduction.pk).update(created_at=week_ago)
    assert expire_introductions() == (1, 0)
    since = (week_ago + timedelta(seconds=1)).isoformat()
    for user in (asker, asked):
        bearer(api, token_for(user))
        assert rows(api, user, updated_since=since) == {}
    # Accepting it is a change both sides see.
    bearer(api, token_for(asked))
    api.post(f"/api/v1/introductions/{introduction.public_id}/accept/")
    for user in (asker, asked):
        bearer(api, token_for(user))
        assert list(rows(api, user, updated_since=since)) == [str(introduction.public_id)]
