"""Pages that show matches: "Your matches", answers to suggestions, the challenge page,
and the "check for matches" step while writing a listing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clusters.importer import import_exchange
from clusters.models import Listing, Membership, Theme
from matching import services
from matching.models import Match
from tests.conftest import SMALL_DOCUMENT
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def matched():
    """The small document imported and matched; a user who is a member of org-2."""
    import_exchange(SMALL_DOCUMENT)
    services.rebuild(in_process=True)
    user = UserFactory()
    need = Listing.objects.get(ref="L-0002")
    Membership.objects.create(user=user, organisation=need.organisation, role="admin")
    return user, need


def test_your_matches_shows_each_listing_with_its_suggestions(client, matched):
    user, need = matched
    client.force_login(user)
    html = client.get(reverse("matching:organisation", args=[need.organisation.ref])).content
    html = html.decode()
    assert "Who can capture CO2 from our FCC regenerator?" in html
    assert "Modular amine capture units" in html
    assert "Amine Works Ltd" in html
    assert " match</strong>" in html  # strength in words: strong, good or possible
    assert "Why we suggest it:" in html


def test_not_relevant_is_stored_and_never_suggested_again(client, matched):
    user, need = matched
    client.force_login(user)
    client.post(reverse("matching:answer", args=[need.ref, "L-0001"]), {"answer": "not-relevant"})
    match = Match.objects.get(source_key=f"L{need.pk}", target__ref="L-0001")
    assert match.status == "dismissed" and match.status_changed_at is not None

    services.rebuild(in_process=True)
    services.match_listing(need.pk)
    html = client.get(reverse("matching:organisation", args=[need.organisation.ref])).content
    suggested = b'summary-card__title"><a class="govuk-link" href="/listings/L-0001/"'
    assert suggested not in html  # not a suggestion (only under "marked not relevant")
    assert "L-0001" not in [
        m["target"] for m in services.export_matches()["matches"] if m["source"] == "L-0002"
    ]
    feedback = services.export_feedback()["feedback"]
    assert feedback[0]["source"] == "L-0002" and feedback[0]["status"] == "dismissed"


def test_not_relevant_can_be_undone_from_the_matches_page(client, matched):
    user, need = matched
    client.force_login(user)
    url = reverse("matching:organisation", args=[need.organisation.ref])
    answer = reverse("matching:answer", args=[need.ref, "L-0001"])
    response = client.post(answer, {"answer": "not-relevant"}, follow=True)
    html = response.content.decode()
    assert "Suggestions you marked not relevant (1)" in html
    assert 'value="suggest-again"' in html and f'action="{answer}"' in html

    response = client.post(answer, {"answer": "suggest-again"}, follow=True)
    html = response.content.decode()
    assert "can be suggested to your organisation again" in html
    assert "Suggestions you marked not relevant" not in html
    match = Match.objects.get(source_key=f"L{need.pk}", target__ref="L-0001")
    assert match.status == "new"
    services.match_listing(need.pk)  # what the worker does with the request it made
    suggested = b'summary-card__title"><a class="govuk-link" href="/listings/L-0001/"'
    assert suggested in client.get(url).content


def test_interested_is_stored(client, matched):
    user, need = matched
    client.force_login(user)
    client.post(reverse("matching:answer", args=[need.ref, "L-0001"]), {"answer": "interested"})
    assert Match.objects.get(source_key=f"L{need.pk}").status == "interested"


def test_an_answers_message_shows_in_its_listings_section_where_the_page_opens(client, matched):
    """The message was at the top of the page while the page opened at the listing, out of
    sight (newcomer probe, stop 27)."""
    user, need = matched
    client.force_login(user)
    response = client.post(
        reverse("matching:answer", args=[need.ref, "L-0001"]), {"answer": "interested"}
    )
    url = reverse("matching:organisation", args=[need.organisation.ref])
    assert response["Location"] == f"{url}?answered={need.ref}#listing-{need.ref}"
    html = client.get(response["Location"]).content.decode()
    section = html.index(f'<section id="listing-{need.ref}"')
    banner = html.index("govuk-notification-banner--success")
    assert section < banner < html.index("<h2", section)  # first thing in the section
    assert html.count("govuk-notification-banner--success") == 1
    assert "Noted: you are interested in" in html

    # Any other value: the message stays at the top, as on every page (and is not lost).
    client.post(reverse("matching:answer", args=[need.ref, "L-0001"]), {"answer": "interested"})
    html = client.get(f"{url}?answered=L-9999").content.decode()
    banner = html.index("govuk-notification-banner--success")
    assert banner < html.index("<h1") and "Nothing to change" in html


def test_another_organisations_user_cannot_see_or_answer_matches(client, matched, outsider):
    user, need = matched
    client.force_login(outsider)
    url = reverse("matching:organisation", args=[need.organisation.ref])
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("matching:answer", args=[need.ref, "L-0001"]), {"answer": "not-relevant"}
    )
    assert response.status_code == 404
    assert Match.objects.get(source_key=f"L{need.pk}").status == "new"


def test_challenge_page_shows_the_offers_suggested_for_it(client, matched):
    html = client.get(reverse("clusters:challenge-detail", args=["ch-humber-capture"])).content
    assert b"Offers suggested for this challenge" in html
    assert b"Modular amine capture units" in html


def test_check_for_matches_works_without_javascript_and_saves_nothing(client, matched):
    user, need = matched
    client.force_login(user)
    response = client.post(
        reverse("clusters:listing-create", args=[need.organisation.ref]),
        {
            "kind": "need",
            "title": "Carbon capture for our refinery stacks",
            "description": "We want amine capture units on our heaters.",
            "check": "1",
            "themes": [Theme.objects.get(slug="ccus").pk],
            "partner_kind": "any",
        },
    )
    html = response.content.decode()
    assert "Listings that already fit yours" in html
    assert "Modular amine capture units" in html
    assert Listing.objects.count() == 3  # nothing saved


def test_check_for_matches_partial_for_htmx(client, matched):
    user, need = matched
    client.force_login(user)
    response = client.post(
        reverse("matching:check", args=[need.organisation.ref]),
        {"kind": "need", "title": "Carbon capture units", "description": "amine capture"},
        HTTP_HX_REQUEST="true",
    )
    assert b"Modular amine capture units" in response.content
    assert b"<html" not in response.content
    # Too little typed yet: said so, as the page without JavaScript says it (review).
    short = client.post(
        reverse("matching:check", args=[need.organisation.ref]),
        {"kind": "need", "title": "Heat", "description": ""},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "There is too little to check yet" in short and "Nothing fits yet" not in short


def test_your_matches_query_count_is_the_same_for_10_and_200_matches(client, matched):
    user, need = matched
    organisation = need.organisation
    client.force_login(user)
    url = reverse("matching:organisation", args=[organisation.ref])

    def grow(n):
        for i in range(n):
            ListingFactory(
                organisation=organisation,
                kind="need",
                themes=["ccus"],
                title=f"Capture need {i}",
                description="carbon capture amine",
            )
            ListingFactory(
                kind="offer",
                themes=["ccus"],
                clusters=["humber"],
                title=f"Capture offer {i}",
                description="amine carbon capture",
            )
        services.rebuild(in_process=True)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def dismiss(n):  # answered suggestions are listed too, in the same queries
        for match in Match.objects.filter(
            source_listing__organisation=organisation, status="new"
        ).order_by("pk")[:n]:
            services.set_match_status(match, Match.Status.DISMISSED)

    grow(1)
    dismiss(1)
    small = count()
    grow(20)
    dismiss(20)
    assert Match.objects.filter(source_listing__organisation=organisation).count() >= 200
    assert (
        Match.objects.filter(source_listing__organisation=organisation, status="dismissed").count()
        == 21
    )
    assert count() == small


def test_a_saved_model_that_cannot_be_read_is_retired_not_a_server_error(client, matched):
    from matching.models import MatchingWork, MatchModel, MatchModelPart

    user, need = matched
    MatchModelPart.objects.update(data=b"not a model")
    services._loaded.clear()
    client.force_login(user)
    response = client.post(
        reverse("matching:check", args=[need.organisation.ref]),
        {"kind": "need", "title": "Carbon capture units", "description": "amine capture"},
    )
    assert response.status_code == 200
    assert not MatchModel.objects.filter(is_current=True).exists()
    assert MatchingWork.objects.filter(kind="rebuild", state__in=["pending", "done"]).exists()


def test_a_listing_answering_a_challenge_tells_the_engine_which_one():
    from tests.factories import ChallengeFactory

    challenge = ChallengeFactory()
    answering = ListingFactory(kind="offer", challenge=challenge)
    other = ListingFactory(kind="offer")
    docs = {d.ref: d for d in services.all_docs()}
    assert docs[answering.ref].challenge == challenge.ref
    assert docs[other.ref].challenge == ""


@pytest.mark.parametrize("chosen", ["challenge", "not-a-number", "999999", ""])
def test_check_for_matches_passes_the_chosen_challenge_and_ignores_junk(
    client, matched, monkeypatch, chosen
):
    from clusters.models import Challenge

    user, need = matched
    challenge = Challenge.objects.get(ref="ch-humber-capture")
    seen = {}
    real = services.preview_matches

    def spy(doc, top=5):
        seen["challenge"] = doc.challenge
        return real(doc, top)

    monkeypatch.setattr(services, "preview_matches", spy)
    client.force_login(user)
    response = client.post(
        reverse("matching:check", args=[need.organisation.ref]),
        {
            "kind": "offer",
            "title": "Carbon capture units",
            "description": "amine capture",
            "challenge": str(challenge.pk) if chosen == "challenge" else chosen,
        },
    )
    assert response.status_code == 200
    assert seen["challenge"] == (challenge.ref if chosen == "challenge" else "")


def test_suggest_again_takes_back_the_organisations_other_not_relevant_for_that_offer(
    client, matched
):
    """Dismissed under two listings, the offer stayed blocked when one was undone: the
    block is the organisation's (review)."""
    user, need = matched
    second = ListingFactory(
        organisation=need.organisation,
        kind="need",
        themes=["ccus"],
        title="Capture for our heaters too",
        description="Amine capture units for our FCC regenerator and heaters.",
    )
    services.rebuild(in_process=True)
    offer = Listing.objects.get(ref="L-0001")
    for source in (need, second):
        match, _ = Match.objects.get_or_create(
            source_key=f"L{source.pk}",
            target=offer,
            defaults={"source_listing": source, "score": 0.5, "rank": 1, "engine_version": "x"},
        )
        services.set_match_status(match, Match.Status.DISMISSED)
    assert "L-0001" in services.blocked_pairs()[need.organisation.ref]
    client.force_login(user)
    response = client.post(
        reverse("matching:answer", args=[need.ref, "L-0001"]),
        {"answer": "suggest-again"},
        follow=True,
    )
    assert "can be suggested to your organisation again" in response.content.decode()
    assert not Match.objects.filter(target=offer, status="dismissed").exists()
    assert "L-0001" not in services.blocked_pairs().get(need.organisation.ref, set())
    services.match_listing(need.pk)
    services.match_listing(second.pk)
    url = reverse("matching:organisation", args=[need.organisation.ref])
    suggested = b'summary-card__title"><a class="govuk-link" href="/listings/L-0001/"'
    assert suggested in client.get(url).content


def test_interested_on_a_dismissed_offer_takes_back_the_others_without_answering_for_them(
    matched,
):
    """The other listings' "not relevant" became "interested" though nobody said so (review)."""
    user, need = matched
    second = ListingFactory(organisation=need.organisation, kind="need", themes=["ccus"])
    offer = Listing.objects.get(ref="L-0001")
    rows = []
    for source in (need, second):
        match, _ = Match.objects.get_or_create(
            source_key=f"L{source.pk}",
            target=offer,
            defaults={
                "source_listing": source,
                "score": 0.5,
                "rank": 1,
                "engine_version": "x",
                "computed_at": timezone.now(),
            },
        )
        rows.append(services.set_match_status(match, Match.Status.DISMISSED))
    services.set_match_status(rows[0], Match.Status.INTERESTED)
    statuses = {m.source_listing_id: m.status for m in Match.objects.filter(target=offer)}
    assert statuses[need.pk] == "interested" and statuses[second.pk] == "new"


def test_a_match_of_another_kind_than_the_partner_sought_says_so(client, matched):
    """A need asking for an investor had a burner supplier as its "Strong match", and
    nothing said it was not an investor (newcomer probe, stop 30)."""
    user, need = matched
    client.force_login(user)
    url = reverse("matching:organisation", args=[need.organisation.ref])
    note = "Not the kind of partner this need asks for (an investor)"
    assert note not in client.get(url).content.decode()  # open to any kind
    Listing.objects.filter(pk=need.pk).update(partner_kind="investor")
    html = client.get(url).content.decode()
    # Worded for offers and needs alike: an offer may ask for a kind too (review).
    assert f"{note}, but it may still be worth a look." in html
