"""Match emails: who gets them, how often, what they say, and the one-click links in them."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clusters.importer import import_exchange
from clusters.models import Listing, Membership
from matching import services as matching
from matching.models import Match
from notifications import services, tokens
from notifications.models import Digest, EmailPreference, ListingMute, MatchNotice
from outbox.models import Email
from tests.conftest import SMALL_DOCUMENT
from tests.factories import IntroductionFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def need_owner():
    """A verified member of org-2, whose need L-0002 has a good match (offer L-0001)."""
    import_exchange(SMALL_DOCUMENT)
    matching.rebuild(in_process=True)
    need = Listing.objects.get(ref="L-0002")
    Match.objects.filter(source_listing=need).update(score=0.8)  # a strong match
    user = UserFactory(email="owner@example.org")
    Membership.objects.create(user=user, organisation=need.organisation)
    return user


def send(cadence="daily", capture=None):
    with capture(execute=True):
        return services.send_digests(cadence)


def test_daily_digest_groups_new_matches_by_listing_with_reasons_and_links(
    need_owner, django_capture_on_commit_callbacks
):
    assert send(capture=django_capture_on_commit_callbacks) == 1
    message = mail.outbox[-1]
    assert message.to == ["owner@example.org"]
    assert message.subject == "A new match for “Who can capture CO2 from our FCC regenerator?”"
    assert "Modular amine capture units" in message.body
    assert "Strong match" in message.body
    assert "Why:" in message.body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert "Modular amine capture units" in html and "<img" not in html
    headers = message.extra_headers
    assert headers["List-Unsubscribe"].startswith("<http://testserver/email/unsubscribe/")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_all_your_matches_opens_the_matches_of_the_organisation_the_email_is_about(
    client, need_owner, django_capture_on_commit_callbacks
):
    send(capture=django_capture_on_commit_callbacks)
    link = re.search(r"All your matches: http://testserver(\S+)", mail.outbox[-1].body).group(1)
    page = client.get(link)  # the click is counted, then the page
    organisation = need_owner.memberships.get().organisation
    assert page.status_code == 302
    assert page["Location"].endswith(reverse("matching:organisation", args=[organisation.ref]))


def test_a_match_is_emailed_once(need_owner, django_capture_on_commit_callbacks):
    send(capture=django_capture_on_commit_callbacks)
    send(capture=django_capture_on_commit_callbacks)  # same day: the same digest
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert send(capture=django_capture_on_commit_callbacks) == 0  # nothing new: no email
    assert len(mail.outbox) == 1
    assert MatchNotice.objects.count() == 1


def test_weak_matches_unverified_addresses_and_unapproved_organisations_get_no_email(
    need_owner, django_capture_on_commit_callbacks
):
    need = Listing.objects.get(ref="L-0002")
    Match.objects.filter(source_listing=need).update(score=0.05)
    assert send(capture=django_capture_on_commit_callbacks) == 0
    Match.objects.filter(source_listing=need).update(score=0.9)
    unverified = UserFactory(verified=False)
    Membership.objects.create(user=unverified, organisation=need.organisation)
    send(capture=django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]


def test_muted_listing_and_never_get_no_email(need_owner, django_capture_on_commit_callbacks):
    ListingMute.objects.create(user=need_owner, listing=Listing.objects.get(ref="L-0002"))
    assert send(capture=django_capture_on_commit_callbacks) == 0
    ListingMute.objects.all().delete()
    EmailPreference.objects.create(user=need_owner, cadence="never")
    assert send(capture=django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_weekly_people_are_not_in_the_daily_run(need_owner, django_capture_on_commit_callbacks):
    EmailPreference.objects.create(user=need_owner, cadence="weekly")
    assert send("daily", capture=django_capture_on_commit_callbacks) == 0
    assert send("weekly", capture=django_capture_on_commit_callbacks) == 1


def unsubscribe_url(message) -> str:
    return re.search(
        r"<http://testserver(/email/unsubscribe/[^>]+)>", message.extra_headers["List-Unsubscribe"]
    ).group(1)


def test_one_click_unsubscribe_works_without_signing_in(
    client, need_owner, django_capture_on_commit_callbacks
):
    send(capture=django_capture_on_commit_callbacks)
    url = unsubscribe_url(mail.outbox[-1])
    page = client.get(url)
    assert page.status_code == 200 and b"Stop match emails" in page.content
    assert EmailPreference.objects.filter(user=need_owner, cadence="never").count() == 0
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # as a mail client does
    assert response.status_code == 200
    assert EmailPreference.objects.get(user=need_owner).cadence == "never"


def test_a_forged_or_altered_token_changes_nothing(client, need_owner):
    other = UserFactory()
    forged = tokens.make("some.other.salt", u=other.pk)
    genuine = tokens.make(tokens.UNSUBSCRIBE, u=other.pk)
    for token in [forged, genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"), "x"]:
        assert client.post(reverse("notifications:unsubscribe", args=[token])).status_code == 404
    assert not EmailPreference.objects.filter(cadence="never").exists()


def test_feedback_links_store_the_answer_and_count_as_opening(
    client, need_owner, django_capture_on_commit_callbacks
):
    send(capture=django_capture_on_commit_callbacks)
    body = mail.outbox[-1].body
    not_relevant = re.search(r"Not relevant: http://testserver(\S+)", body).group(1)
    response = client.post(not_relevant)
    assert response.status_code == 200
    assert b"will not suggest" in response.content
    match = Match.objects.get(source_listing__ref="L-0002", target__ref="L-0001")
    assert match.status == "dismissed"
    assert Digest.objects.get().clicked_at is not None


def test_someone_who_left_the_organisation_is_not_sent_its_matches_nor_answers_for_it(
    client, need_owner, django_capture_on_commit_callbacks
):
    """A member removed after the notices were collected got the summary, and its "Not
    relevant" link still dismissed the organisation's match (re-probe, stop 31)."""
    services.collect_notices()
    Membership.objects.filter(user=need_owner).delete()
    assert send(capture=django_capture_on_commit_callbacks) == 0
    assert not MatchNotice.objects.filter(user=need_owner).exists()

    # A link in a summary sent before they left answers for nobody.
    Membership.objects.create(
        user=need_owner, organisation=Listing.objects.get(ref="L-0002").organisation
    )
    send(capture=django_capture_on_commit_callbacks)
    not_relevant = re.search(r"Not relevant: http://testserver(\S+)", mail.outbox[-1].body)[1]
    Membership.objects.filter(user=need_owner).delete()
    client.post(not_relevant)
    assert Match.objects.get(source_listing__ref="L-0002", target__ref="L-0001").status != (
        "dismissed"
    )


def test_an_expired_feedback_link_is_refused(
    client, need_owner, django_capture_on_commit_callbacks
):
    send(capture=django_capture_on_commit_callbacks)
    interested = re.search(r"Interested: http://testserver(\S+)", mail.outbox[-1].body).group(1)
    with time_machine.travel(timezone.now() + timedelta(days=120)):
        assert client.get(interested).status_code == 404
    assert Match.objects.get(source_listing__ref="L-0002").status == "new"


def introduce(need, offer, **fields):
    return IntroductionFactory(source_listing=need, target_listing=offer, **fields)


@pytest.mark.parametrize(
    "state",
    [
        {"status": "accepted", "decided_at": timezone.now()},  # introduced
        {},  # we asked, waiting for their reply
        {"reverse": True},  # they asked us, from their offer about our need, waiting for us
    ],
    ids=["accepted", "asked", "asked-of"],
)
def test_a_pair_already_introduced_or_waiting_is_not_announced_as_a_new_match(
    need_owner, django_capture_on_commit_callbacks, state
):
    need = Listing.objects.get(ref="L-0002")
    offer = Listing.objects.get(ref="L-0001")
    if state.pop("reverse", False):
        introduce(offer, need, **state)
    else:
        introduce(need, offer, **state)
    assert services.collect_notices() == 0
    assert send(capture=django_capture_on_commit_callbacks) == 0
    assert mail.outbox == [] and not MatchNotice.objects.exists()


def test_an_introduction_asked_for_after_the_match_was_noticed_keeps_it_out_of_the_summary(
    need_owner, django_capture_on_commit_callbacks
):
    # Noticed by an earlier run (the "at once" run every two minutes collects for everyone),
    # then the two organisations were introduced before the daily summary went.
    services.collect_notices()
    assert MatchNotice.objects.count() == 1
    need = Listing.objects.get(ref="L-0002")
    offer = Listing.objects.get(ref="L-0001")
    introduce(need, offer, status="accepted", decided_at=timezone.now())
    assert send(capture=django_capture_on_commit_callbacks) == 0
    assert mail.outbox == [] and not MatchNotice.objects.exists()


@pytest.mark.parametrize("organisations", [2, 8])
def test_finding_the_pairs_already_introduced_costs_one_query_however_many_organisations(
    organisations, django_assert_num_queries
):
    """Review, stop 29: it was a query per organisation with any introduction, every two
    minutes."""
    pairs = []
    for _ in range(organisations):
        need = ListingFactory(kind="need")
        offer = ListingFactory(kind="offer")
        introduce(need, offer, status="accepted", decided_at=timezone.now())
        pairs.append((need.organisation_id, need.pk, offer.pk))
        pairs.append((need.organisation_id, need.pk, ListingFactory(kind="offer").pk))
    with django_assert_num_queries(1):
        standing = services.standing_pairs(pairs)
    assert standing == {(source, target) for _, source, target in pairs[::2]}


def test_an_introduction_about_other_listings_does_not_hide_a_new_match(
    need_owner, django_capture_on_commit_callbacks
):
    need = Listing.objects.get(ref="L-0002")
    offer = Listing.objects.get(ref="L-0001")
    introduce(
        ListingFactory(organisation=need.organisation, kind="need"),
        ListingFactory(organisation=offer.organisation, kind="offer"),
        status="accepted",
        decided_at=timezone.now(),
    )
    assert send(capture=django_capture_on_commit_callbacks) == 1


def test_tracked_links_redirect_only_inside_the_site(client):
    token = tokens.make(tokens.DIGEST, d=1)
    url = reverse("notifications:click", args=[token])
    for outside in ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]:
        assert client.get(url, {"to": outside}).status_code == 404
    assert client.get(url, {"to": "/offers/"})["Location"] == "/offers/"


def test_a_feedback_link_cannot_answer_for_another_digest(
    client, need_owner, django_capture_on_commit_callbacks
):
    send(capture=django_capture_on_commit_callbacks)
    notice = MatchNotice.objects.get()
    other_digest = Digest.objects.create(user=UserFactory(), cadence="daily", period="other")
    token = tokens.make(tokens.DIGEST, d=other_digest.pk)
    client.post(reverse("notifications:feedback", args=[token, notice.pk, "not-relevant"]))
    assert Match.objects.get(source_listing__ref="L-0002", target__ref="L-0001").status == "new"


def test_four_unopened_summaries_move_a_person_to_a_slower_cadence_and_they_are_told(
    need_owner, django_capture_on_commit_callbacks
):
    need = Listing.objects.get(ref="L-0002")
    start = timezone.now()
    for day in range(5):
        with time_machine.travel(start + timedelta(days=day)):
            # Each day one more new match arrives for the need.
            offer = ListingFactory(kind="offer", title=f"Capture kit {day}")
            Match.objects.create(
                source_key=f"L{need.pk}",
                source_listing=need,
                target=offer,
                score=0.9,
                rank=2,
                reasons=[],
                engine_version="t",
                computed_at=timezone.now(),
                first_seen_at=timezone.now(),
            )
            send(capture=django_capture_on_commit_callbacks)
    preference = EmailPreference.objects.get(user=need_owner)
    assert preference.cadence == "weekly" and preference.slowed_at is not None
    told = [m for m in mail.outbox if "less often" in m.subject]
    assert len(told) == 1 and "/account/email-settings/" in told[0].body


def test_an_opened_summary_keeps_the_cadence(need_owner, django_capture_on_commit_callbacks):
    for _ in range(5):
        Digest.objects.create(
            user=need_owner, cadence="daily", period=f"x{_}", clicked_at=timezone.now()
        )
    send(capture=django_capture_on_commit_callbacks)
    assert EmailPreference.objects.filter(user=need_owner, cadence="weekly").count() == 0


def test_preferences_page_saves_cadence_and_mutes(client, need_owner):
    need = Listing.objects.get(ref="L-0002")
    client.force_login(need_owner)
    response = client.post(
        reverse("notifications:preferences"), {"cadence": "weekly", "muted": [str(need.pk)]}
    )
    assert response.status_code == 302
    assert EmailPreference.objects.get(user=need_owner).cadence == "weekly"
    assert ListingMute.objects.filter(user=need_owner, listing=need).exists()
    bad = client.post(reverse("notifications:preferences"), {"cadence": "hourly"})
    assert bad.status_code == 200 and b"There is a problem" in bad.content


def test_muting_another_organisations_listing_is_refused(client, need_owner):
    other = Listing.objects.get(ref="L-0001")  # org-1's offer
    client.force_login(need_owner)
    client.post(
        reverse("notifications:preferences"), {"cadence": "daily", "muted": [str(other.pk)]}
    )
    assert not ListingMute.objects.exists()


def test_the_outbox_row_records_the_digest_kind(need_owner, django_capture_on_commit_callbacks):
    send(capture=django_capture_on_commit_callbacks)
    email = Email.objects.get(kind="digest")
    assert email.status == "sent" and email.to == "owner@example.org"


def test_email_settings_without_an_organisation_say_there_is_nothing_to_match(client):
    """Newcomer probe, stop 29: the page spoke of "your organisation's listings" to someone
    in no organisation."""
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert "You are not in an organisation yet" in html
    assert f'href="{reverse("clusters:dashboard")}"' in html


def test_email_settings_of_a_member_do_not_say_so(client, need_owner):
    client.force_login(need_owner)
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert "You are not in an organisation yet" not in html
