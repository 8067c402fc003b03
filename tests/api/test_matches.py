"""The API of an organisation's matches: what the list shows, its filters, and answering."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from clusters.models import Listing
from matching.models import Match, MatchingWork
from tests.api.conftest import bearer
from tests.factories import ListingFactory, MatchFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ours(member, organisation):
    """`member`'s published need, matched with two offers of another organisation."""
    need = ListingFactory(organisation=organisation, kind="need", title="Heat for drying")
    other = OrganisationFactory(name="Gamma Heat Ltd")
    best = MatchFactory(
        source_listing=need,
        target=ListingFactory(organisation=other, title="Heat pumps"),
        score=0.9,
        rank=1,
        reasons=["both about heat pumps", "both in Humber"],
    )
    second = MatchFactory(
        source_listing=need, target=ListingFactory(organisation=other), score=0.1, rank=2
    )
    return need, best, second


def matches_url(organisation) -> str:
    return f"/api/v1/organisations/{organisation.ref}/matches/"


def answer_url(organisation, match) -> str:
    return f"{matches_url(organisation)}{match.pk}/answer/"


def test_the_list_shows_each_match_as_the_page_does(api, member, organisation, ours, token_for):
    need, best, second = ours
    bearer(api, token_for(member, "read"))
    response = api.get(matches_url(organisation))
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert set(rows) == {best.pk, second.pk}
    row = rows[best.pk]
    assert row["source_listing"] == {"ref": need.ref, "title": "Heat for drying", "kind": "need"}
    assert row["target"]["title"] == "Heat pumps"
    assert row["target"]["organisation"] == {
        "ref": best.target.organisation.ref,
        "name": "Gamma Heat Ltd",
        "kind": "business",
    }
    assert row["strength"] == "strong"
    assert rows[second.pk]["strength"] == "possible"
    assert row["score"] == 0.9
    assert row["reasons"] == ["both about heat pumps", "both in Humber"]
    assert row["status"] == "new"


def test_the_list_leaves_out_what_the_page_leaves_out(api, member, organisation, ours, token_for):
    need, best, second = ours
    hidden = [
        # Answered "not relevant".
        MatchFactory(source_listing=need, status=Match.Status.DISMISSED, rank=3),
        # Its target is no longer published.
        MatchFactory(source_listing=need, target=ListingFactory(status="withdrawn"), rank=4),
        # Dropped out of the top list (kept only for its answer).
        MatchFactory(source_listing=need, rank=None),
        # Of a draft of ours.
        MatchFactory(source_listing=ListingFactory(organisation=organisation, status="draft")),
        # Another organisation's.
        MatchFactory(),
    ]
    bearer(api, token_for(member))
    ids = {row["id"] for row in api.get(matches_url(organisation)).json()["results"]}
    assert ids == {best.pk, second.pk}
    assert not ids & {match.pk for match in hidden}


def test_the_list_filters_by_status_and_by_listing(api, member, organisation, ours, token_for):
    need, best, second = ours
    other_need = ListingFactory(organisation=organisation, kind="need")
    elsewhere = MatchFactory(source_listing=other_need)
    best.status = Match.Status.INTERESTED
    best.save()
    bearer(api, token_for(member))
    url = matches_url(organisation)
    interested = api.get(url, {"status": "interested"}).json()["results"]
    assert [row["id"] for row in interested] == [best.pk]
    of_need = api.get(url, {"source_listing": need.ref}).json()["results"]
    assert {row["id"] for row in of_need} == {best.pk, second.pk}
    assert elsewhere.pk not in {row["id"] for row in of_need}
    wrong = api.get(url, {"status": "dismissed"})
    assert wrong.status_code == 400
    assert "status" in wrong.json()["errors"]


def test_updated_since_reads_the_latest_of_computed_and_answered(
    api, member, organisation, ours, token_for
):
    need, best, second = ours
    long_ago = timezone.now() - timedelta(days=30)
    Match.objects.filter(pk__in=[best.pk, second.pk]).update(computed_at=long_ago)
    Listing.objects.update(updated_at=long_ago)  # the listings count too: see the next test
    Match.objects.filter(pk=best.pk).update(status_changed_at=timezone.now())
    bearer(api, token_for(member))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    response = api.get(matches_url(organisation), {"updated_since": since})
    assert [row["id"] for row in response.json()["results"]] == [best.pk]
    assert parse_datetime(response.json()["results"][0]["updated_at"]) > parse_datetime(since)
    bad = api.get(matches_url(organisation), {"updated_since": "yesterday"})
    assert bad.status_code == 400
    assert "updated_since" in bad.json()["errors"]


def test_the_cursor_walks_every_match_once_oldest_change_first(
    api, member, organisation, token_for
):
    need = ListingFactory(organisation=organisation, kind="need")
    start = timezone.now() - timedelta(hours=10)
    made = [
        MatchFactory(source_listing=need, computed_at=start + timedelta(minutes=n)).pk
        for n in range(7)
    ]
    bearer(api, token_for(member))
    seen, url = [], matches_url(organisation) + "?page_size=3"
    while url:
        page = api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == made


def test_interested_is_recorded_as_the_page_records_it(api, member, organisation, ours, token_for):
    need, best, second = ours
    bearer(api, token_for(member))
    response = api.post(answer_url(organisation, best), {"answer": "interested"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "interested"
    best.refresh_from_db()
    assert best.status == Match.Status.INTERESTED
    assert best.status_changed_at is not None
    # "Interested" does not ask for the list to be worked out again; the page's doesn't either.
    assert not MatchingWork.objects.filter(kind="listing", object_id=need.pk).exists()


def test_not_relevant_leaves_the_list_and_asks_for_matching_again(
    api, member, organisation, ours, token_for
):
    need, best, second = ours
    bearer(api, token_for(member))
    response = api.post(answer_url(organisation, best), {"answer": "not-relevant"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    best.refresh_from_db()
    assert best.status == Match.Status.DISMISSED
    assert MatchingWork.objects.filter(kind="listing", object_id=need.pk, state="pending").exists()
    ids = {row["id"] for row in api.get(matches_url(organisation)).json()["results"]}
    assert ids == {second.pk}


def test_suggest_again_undoes_not_relevant_through_the_api(
    api, member, organisation, ours, token_for
):
    need, best, second = ours
    bearer(api, token_for(member))
    api.post(answer_url(organisation, best), {"answer": "not-relevant"}, format="json")
    MatchingWork.objects.all().delete()
    response = api.post(answer_url(organisation, best), {"answer": "suggest-again"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "new"
    best.refresh_from_db()
    assert best.status == Match.Status.NEW
    assert MatchingWork.objects.filter(kind="listing", object_id=need.pk, state="pending").exists()
    assert removals(api, organisation) == {}


def test_the_page_and_the_api_give_the_same_answer(
    api, client, member, organisation, ours, token_for
):
    need, best, second = ours
    client.force_login(member)
    client.post(f"/listings/{need.ref}/matches/{best.target.ref}/", {"answer": "not-relevant"})
    bearer(api, token_for(member))
    api.post(answer_url(organisation, second), {"answer": "not-relevant"}, format="json")
    best.refresh_from_db()
    second.refresh_from_db()
    assert best.status == second.status == Match.Status.DISMISSED


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "This field is required."),
        ({"answer": "maybe"}, "Choose “interested”, “not-relevant” or “suggest-again”."),
    ],
)
def test_an_answer_that_is_not_one_of_the_two_is_a_400(
    api, member, organisation, ours, token_for, body, message
):
    need, best, second = ours
    bearer(api, token_for(member))
    response = api.post(answer_url(organisation, best), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"answer": [message]}
    best.refresh_from_db()
    assert best.status == Match.Status.NEW


def test_a_read_token_cannot_answer(api, member, organisation, ours, token_for):
    need, best, second = ours
    bearer(api, token_for(member, "read"))
    response = api.post(answer_url(organisation, best), {"answer": "interested"}, format="json")
    assert response.status_code == 403
    best.refresh_from_db()
    assert best.status == Match.Status.NEW


def test_a_colleague_in_another_organisation_cannot_answer_through_their_own(
    api, organisation, ours, token_for
):
    """A match is found only under its own organisation's address."""
    need, best, second = ours
    stranger = MembershipFactory().user
    theirs = stranger.memberships.get().organisation
    bearer(api, token_for(stranger))
    response = api.post(answer_url(theirs, best), {"answer": "interested"}, format="json")
    assert response.status_code == 404
    best.refresh_from_db()
    assert best.status == Match.Status.NEW


def test_a_signed_in_session_reads_the_list(client, member, organisation, ours):
    client.force_login(member)
    response = client.get(matches_url(organisation))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


@pytest.mark.parametrize("count", [10, 500])
def test_the_list_makes_the_same_few_queries_at_10_and_500(
    api, member, organisation, token_for, django_assert_max_num_queries, count
):
    need = ListingFactory(organisation=organisation, kind="need")
    targets = ListingFactory.create_batch(count)
    Match.objects.bulk_create(
        MatchFactory.build(source_listing=need, target=target, rank=n + 1)
        for n, target in enumerate(targets)
    )
    bearer(api, token_for(member))
    with django_assert_max_num_queries(5):
        response = api.get(matches_url(organisation), {"page_size": 500})
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("match_id", ["9" * 18, "9" * 40, "abc"])
def test_an_id_that_is_no_match_is_a_404(api, member, organisation, token_for, match_id):
    bearer(api, token_for(member))
    url = f"{matches_url(organisation)}{match_id}/answer/"
    assert api.post(url, {"answer": "interested"}, format="json").status_code == 404


def test_the_list_and_the_page_show_the_same_suggestions(
    api, client, member, organisation, ours, token_for
):
    need, best, second = ours
    hidden = MatchFactory(
        source_listing=need, status=Match.Status.DISMISSED, target__title="Dismissed offer"
    )
    MatchFactory(source_listing=need, rank=None, target__title="Dropped offer")
    client.force_login(member)
    page = client.get(f"/your-organisation/{organisation.ref}/matches/").content.decode()
    # The suggestions; what was marked not relevant is listed after them, to be undone.
    page, answered = page.split("Suggestions you marked not relevant (1)")
    assert hidden.target.title in answered
    bearer(api, token_for(member))
    listed = {
        row["target"]["title"] for row in api.get(matches_url(organisation)).json()["results"]
    }
    shown = {
        m.target.title for m in Match.objects.select_related("target") if m.target.title in page
    }
    assert listed == shown == {best.target.title, second.target.title}
    assert hidden.target.title not in page


# The removals list: every way a match leaves the list, and coming back ---------------------


def removed_url(organisation) -> str:
    return f"{matches_url(organisation)}removed/"


def removals(api, organisation, **params) -> dict[str, dict]:
    """{ref: row} of every page of the organisation's removals."""
    rows, url = {}, removed_url(organisation)
    while url:
        response = api.get(url, params)
        assert response.status_code == 200, response.content
        rows.update({row["ref"]: row for row in response.json()["results"]})
        url, params = response.json()["next"], {}
    return rows


def listed(api, organisation) -> set[int]:
    return {row["id"] for row in api.get(matches_url(organisation)).json()["results"]}


def test_not_relevant_moves_a_match_to_removed_and_back_when_the_answer_changes(
    api, member, organisation, ours, token_for
):
    need, best, second = ours
    bearer(api, token_for(member))
    before = timezone.now()
    assert removals(api, organisation) == {}
    api.post(answer_url(organisation, best), {"answer": "not-relevant"}, format="json")
    gone = removals(api, organisation)
    assert set(gone) == {str(best.pk)}
    assert gone[str(best.pk)]["reason"] == "not_relevant"
    assert parse_datetime(gone[str(best.pk)]["removed_at"]) >= before
    assert best.pk not in listed(api, organisation)
    # Changed their mind: back in the list (later than its removal), out of removed.
    api.post(answer_url(organisation, best), {"answer": "interested"}, format="json")
    assert removals(api, organisation) == {}
    rows = {row["id"]: row for row in api.get(matches_url(organisation)).json()["results"]}
    assert parse_datetime(rows[best.pk]["updated_at"]) >= parse_datetime(
        gone[str(best.pk)]["removed_at"]
    )


def test_a_rebuild_that_drops_a_pair_unranks_the_answered_and_tombstones_the_rest(
    api, member, organisation, ours, token_for
):
    from matching import engine, services

    need, best, second = ours
    Match.objects.filter(pk=best.pk).update(
        status=Match.Status.INTERESTED, status_changed_at=timezone.now() - timedelta(days=2)
    )
    Match.objects.filter(pk__in=[best.pk, second.pk]).update(
        computed_at=timezone.now() - timedelta(days=2)
    )
    third = ListingFactory(title="Another heat pump")
    since = timezone.now()
    services.store_suggestions(
        [engine.Suggestion(need.ref, third.ref, 0.7, ("heat",))], [need.ref], "v2"
    )
    assert not Match.objects.filter(pk=second.pk).exists()
    bearer(api, token_for(member))
    gone = removals(api, organisation, updated_since=since.isoformat())
    assert {ref: row["reason"] for ref, row in gone.items()} == {
        str(best.pk): "not_suggested",  # answered: kept, without a rank (computed_at moved)
        str(second.pk): "deleted",  # untouched: deleted, with a tombstone
    }
    new = Match.objects.get(source_listing=need, target=third)
    assert listed(api, organisation) == {new.pk}
    # Both suggested again: the answered one comes back with its id; the deleted pair is a
    # new match (a new id), and its old id stays removed.
    services.store_suggestions(
        [
            engine.Suggestion(need.ref, best.target.ref, 0.9, ("heat",)),
            engine.Suggestion(need.ref, second.target.ref, 0.8, ("heat",)),
        ],
        [need.ref],
        "v3",
    )
    again = Match.objects.get(source_listing=need, target=second.target)
    assert again.pk != second.pk
    assert listed(api, organisation) == {best.pk, again.pk}
    gone = removals(api, organisation)
    assert str(best.pk) not in gone
    assert {str(second.pk), str(new.pk)} <= set(gone)


def test_a_match_whose_target_or_listing_is_withdrawn_is_removed_until_published_again(
    api, member, organisation, ours, token_for
):
    need, best, second = ours
    target = best.target
    target.status = "withdrawn"
    target.save()
    bearer(api, token_for(member))
    gone = removals(api, organisation)
    assert {ref: row["reason"] for ref, row in gone.items()} == {str(best.pk): "unpublished"}
    assert parse_datetime(gone[str(best.pk)]["removed_at"]) == target.updated_at
    need.status = "withdrawn"
    need.save()
    assert set(removals(api, organisation)) == {str(best.pk), str(second.pk)}
    assert listed(api, organisation) == set()
    need.status = target.status = "published"
    need.save()
    target.save()
    assert removals(api, organisation) == {}
    since = (need.updated_at - timedelta(microseconds=1)).isoformat()
    back = api.get(matches_url(organisation), {"updated_since": since}).json()["results"]
    assert {row["id"] for row in back} == {best.pk, second.pk}


def test_deleting_a_listing_tombstones_its_matches_both_ways(
    api, member, organisation, ours, token_for
):
    need, best, second = ours
    other_need = ListingFactory(organisation=organisation, kind="need")
    as_target = MatchFactory(source_listing=other_need, target=best.target)
    interested = MatchFactory(source_listing=other_need, status=Match.Status.INTERESTED)
    best.target.delete()  # a target: the matches of our other listings to it go too
    bearer(api, token_for(member))
    assert {ref: row["reason"] for ref, row in removals(api, organisation).items()} == {
        str(best.pk): "deleted",
        str(as_target.pk): "deleted",
    }
    other_need.delete()  # a source of ours
    assert set(removals(api, organisation)) == {str(best.pk), str(as_target.pk), str(interested.pk)}
    assert listed(api, organisation) == {second.pk}


def test_removals_are_the_organisations_own(api, member, organisation, ours, token_for):
    from clusters.models import Challenge  # noqa: F401  (a challenge's match: no organisation)
    from matching.services import delete_untouched

    need, best, second = ours
    theirs = MatchFactory(status=Match.Status.DISMISSED)
    gone_theirs = MatchFactory(source_listing=theirs.source_listing)
    delete_untouched(Match.objects.filter(pk=gone_theirs.pk))
    bearer(api, token_for(member))
    assert removals(api, organisation) == {}
    stranger = theirs.source_listing.organisation
    bearer(api, token_for(MembershipFactory(organisation=stranger).user))
    assert set(removals(api, stranger)) == {str(theirs.pk), str(gone_theirs.pk)}
    # Our address, as another organisation's member: 404, as for the list.
    response = api.get(removed_url(organisation))
    assert response.status_code == 404


def test_a_tombstone_whose_match_was_answered_in_the_instant_is_not_listed(
    api, member, organisation, ours, token_for
):
    """delete_untouched writes the tombstones, then deletes the rows still new: one answered
    in between keeps its row, and its tombstone is left out of the list."""
    from matching.services import record_match_removals

    need, best, second = ours
    record_match_removals(Match.objects.filter(pk=best.pk), reason="deleted")
    bearer(api, token_for(member))
    assert removals(api, organisation) == {}
    assert best.pk in listed(api, organisation)


def test_removed_pages_and_filters_by_updated_since(api, member, organisation, token_for):
    need = ListingFactory(organisation=organisation, kind="need")
    long_ago = timezone.now() - timedelta(days=10)
    old = MatchFactory(source_listing=need, rank=None, computed_at=long_ago)
    Listing.objects.update(updated_at=long_ago)
    recent = [MatchFactory(source_listing=need, rank=None) for _ in range(4)]
    from matching.services import delete_untouched

    deleted = MatchFactory(source_listing=need)
    delete_untouched(Match.objects.filter(pk=deleted.pk))
    bearer(api, token_for(member))
    assert set(removals(api, organisation, page_size=2)) == {
        str(m.pk) for m in [old, *recent, deleted]
    }
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert set(removals(api, organisation, updated_since=since, page_size=2)) == {
        str(m.pk) for m in [*recent, deleted]
    }
    bad = api.get(removed_url(organisation), {"updated_since": "soon"})
    assert bad.status_code == 400
    assert "updated_since" in bad.json()["errors"]


def test_a_match_of_a_challenge_leaves_a_tombstone_of_no_organisation(organisation):
    from api.models import Removal
    from matching.services import delete_untouched
    from tests.factories import ChallengeFactory

    challenge = ChallengeFactory()
    match = MatchFactory(
        source_listing=None, source_challenge=challenge, source_key=f"C{challenge.pk}"
    )
    delete_untouched(Match.objects.filter(pk=match.pk))
    tombstone = Removal.objects.get(resource="match", key=str(match.pk))
    assert tombstone.organisation_id is None


@pytest.mark.parametrize("count", [10, 500])
def test_removed_makes_the_same_few_queries_at_10_and_500(
    api, member, organisation, token_for, django_assert_max_num_queries, count
):
    from matching.services import delete_untouched

    need = ListingFactory(organisation=organisation, kind="need")
    other_need = ListingFactory(organisation=organisation, kind="need")
    targets = ListingFactory.create_batch(count)
    Match.objects.bulk_create(
        MatchFactory.build(
            source_listing=need, target=target, rank=n + 1, status=Match.Status.DISMISSED
        )
        for n, target in enumerate(targets)
    )
    more = Match.objects.bulk_create(
        MatchFactory.build(source_listing=other_need, target=target) for target in targets
    )
    delete_untouched(Match.objects.filter(pk__in=[m.pk for m in more]))
    bearer(api, token_for(member))
    with django_assert_max_num_queries(5):
        response = api.get(removed_url(organisation), {"page_size": 500})
    assert len(response.json()["results"]) == min(2 * count, 500)


def test_options_on_an_answer_describes_the_answer_it_takes(
    api, member, organisation, ours, token_for
):
    """OPTIONS described the body as a whole match, with `source_listing` and `target`
    required (outside probe, stop 28)."""
    _, best, _ = ours
    bearer(api, token_for(member))
    described = api.options(answer_url(organisation, best)).json()
    body = described["actions"]["POST"]
    assert set(body) == {"answer"}
    assert body["answer"]["required"] is True
