"""A full rebuild in process (the rebuild_matches command): one ranking over every source,
and only the matches that changed are written."""

import gc
import itertools
import re
from datetime import timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clusters.models import Listing
from matching import services
from matching.models import Match, MatchingRun, MatchModel, RebuildChunk
from tests.factories import ListingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

TOPICS = [
    ("Amine carbon capture", "Solvent capture of CO2 from kiln and furnace flue gas."),
    ("Green hydrogen supply", "Electrolyser hydrogen for burners, boilers and furnaces."),
    ("Industrial heat pumps", "Heat pumps recover waste heat for steam and drying."),
    ("CO2 transport", "Pipeline and shipping of captured CO2 to offshore storage."),
    ("Kiln electrification", "Electric kilns and furnaces replace gas firing."),
    ("Biomass boilers", "Biomass and waste fuels raise steam for process heat."),
]


def make_corpus(organisations: int = 4, per_topic: int = 2) -> list[Listing]:
    """Needs and offers from several organisations on overlapping topics: many matches."""
    orgs = [OrganisationFactory() for _ in range(organisations)]
    listings = []
    cycle = itertools.cycle(orgs)
    for (title, text), (other_title, other_text) in zip(
        TOPICS, TOPICS[1:] + TOPICS[:1], strict=True
    ):
        for n in range(per_topic):
            for kind in ("need", "offer"):
                listings.append(
                    ListingFactory(
                        organisation=next(cycle),
                        kind=kind,
                        title=f"{title} {kind} {n}",
                        description=f"{text} Also: {other_title.lower()}. {other_text}",
                        themes=["ccus"] if n % 2 else ["hydrogen"],
                    )
                )
    return listings


def snapshot() -> dict[tuple[str, int], tuple]:
    """Every stored match: (source, target) -> (pk, score, rank, reasons, version, first seen,
    computed at, status)."""
    return {
        (m.source_key, m.target_id): (
            m.pk,
            m.score,
            m.rank,
            m.reasons,
            m.engine_version,
            m.first_seen_at,
            m.computed_at,
            m.status,
        )
        for m in Match.objects.all()
    }


def writes_to_matches(queries) -> list[str]:
    table = re.compile(rf"\b{Match._meta.db_table}\b")
    return [
        q["sql"]
        for q in queries
        if table.search(q["sql"])
        and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
    ]


def rebuild_and_report() -> tuple[MatchingRun, list[str]]:
    steps: list[str] = []
    run = services.rebuild(in_process=True, progress=lambda step, seconds: steps.append(step))
    return run, steps


def test_the_cycle_collector_is_off_while_a_rebuild_runs_and_as_it_was_after():
    make_corpus()
    seen: list[bool] = []
    services.rebuild(in_process=True, progress=lambda step, seconds: seen.append(gc.isenabled()))
    assert seen and not any(seen)  # off at every step (docs/benchmarks.md: why)
    assert gc.isenabled()

    def fail(step, seconds):
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        services.rebuild(in_process=True, progress=fail)
    assert gc.isenabled()  # back on although the rebuild failed

    gc.disable()
    try:
        services.rebuild(in_process=True)
        assert not gc.isenabled()  # a process that had it off keeps it off
    finally:
        gc.enable()


def test_a_second_rebuild_with_nothing_changed_writes_no_match_rows():
    make_corpus()
    first, steps = rebuild_and_report()
    before = snapshot()
    assert first.matches_written == len(before) > 40
    assert f"Stored the changes: {len(before)} new, 0 changed" in steps[-1]

    with CaptureQueriesContext(connection) as queries:
        second, steps = rebuild_and_report()

    assert writes_to_matches(queries.captured_queries) == []
    assert second.matches_written == 0
    assert steps[-1].startswith("Stored the changes: 0 new, 0 changed, 0 removed, 0 unranked")
    assert snapshot() == before  # the same rows, ids and computed_at included


def test_a_refit_identical_to_the_current_model_is_not_stored_again():
    from matching.models import MatchModelPart

    listings = make_corpus()
    services.rebuild(in_process=True)
    record = MatchModel.objects.get(is_current=True)
    parts = list(MatchModelPart.objects.values_list("pk", flat=True))
    assert record.digest and parts

    with CaptureQueriesContext(connection) as queries:
        services.rebuild(in_process=True)
    same = MatchModel.objects.get(is_current=True)
    assert same.pk == record.pk and same.fitted_at > record.fitted_at
    assert list(MatchModelPart.objects.values_list("pk", flat=True)) == parts
    assert not [q for q in queries.captured_queries if "matchmodelpart" in q["sql"].lower()]

    # A change that matching reads makes a new model, stored as before.
    offer = next(x for x in listings if x.kind == "offer")
    offer.description = "Hydrogen electrolyser stacks, hydrogen storage and hydrogen burners."
    offer.save()
    services.rebuild(in_process=True)
    new = MatchModel.objects.get(is_current=True)
    assert new.digest != record.digest
    assert set(MatchModelPart.objects.values_list("pk", flat=True)).isdisjoint(parts)
    loaded = services.load_model(new)
    services._loaded.clear()
    assert services.load_model(new).digest() == loaded.digest() == new.digest


def test_after_an_edit_exactly_the_rows_whose_score_rank_or_reasons_changed_are_written(
    monkeypatch,
):
    monkeypatch.setattr(services, "SCORE_TOLERANCE", 0.0)  # every move counts, however small
    listings = make_corpus()
    services.rebuild(in_process=True)
    before = snapshot()
    offer = next(x for x in listings if x.kind == "offer")
    offer.description = "Hydrogen electrolyser stacks, hydrogen storage and hydrogen burners."
    offer.save()

    run = services.rebuild(in_process=True)

    after = snapshot()
    kept = before.keys() & after.keys()
    differ = {k for k in kept if before[k][1:4] != after[k][1:4]}
    rewritten = {k for k in kept if before[k][6] != after[k][6]}
    assert differ  # a refit moves many scores a little (idf, topics): not all need be
    assert rewritten == differ  # every changed row was written, and no other
    assert all(before[k][0] == after[k][0] for k in kept)  # updated in place
    assert all(before[k][5] == after[k][5] for k in kept)  # first seen: kept
    assert run.matches_written == len(differ) + len(after.keys() - before.keys())


def test_a_score_that_moved_by_no_more_than_the_tolerance_is_not_rewritten():
    make_corpus()
    services.rebuild(in_process=True)
    rows = list(Match.objects.order_by("pk"))
    nudged, moved = rows[0], rows[1]
    # As if the last fit had given these scores: one within the tolerance, one beyond it.
    Match.objects.filter(pk=nudged.pk).update(score=nudged.score + services.SCORE_TOLERANCE / 2)
    Match.objects.filter(pk=moved.pk).update(score=moved.score + services.SCORE_TOLERANCE * 3)
    before = snapshot()

    run, steps = rebuild_and_report()

    after = snapshot()
    nudged_key, moved_key = (
        (nudged.source_key, nudged.target_id),
        (moved.source_key, moved.target_id),
    )
    assert after[nudged_key] == before[nudged_key]  # left as it was, computed_at included
    assert after[moved_key][1] == moved.score  # put back to the fit's score ...
    assert after[moved_key][6] > before[moved_key][6]  # ... and marked as changed
    assert run.matches_written == 1
    assert steps[-1].startswith("Stored the changes: 0 new, 1 changed")


def test_kept_scores_stay_in_rank_order_and_in_their_band():
    """A score within the tolerance is kept only if the list's scores still go down with its
    ranks and the score's strength band (possible, good, strong) is the new one's."""
    from matching import engine

    make_corpus(per_topic=3)
    services.rebuild(in_process=True)
    listing = next(
        x
        for x in Listing.objects.all()
        if Match.objects.filter(source_listing=x, rank__isnull=False).count() >= 4
    )
    rows = list(Match.objects.filter(source_listing=listing, rank__isnull=False).order_by("rank"))
    good = engine.GOOD
    # The new fit's scores (best first) and what was stored: each within the tolerance.
    fresh = [good + 0.0500, good + 0.0495, good + 0.0003, good - 0.0100]
    stored = [
        good + 0.0492,  # kept, it would stand below ...
        good + 0.0499,  # ... the next one: both are rewritten
        good - 0.0002,  # "possible" where the new fit says "good": rewritten
        good - 0.0103,  # kept
    ]
    for row, score in zip(rows[:4], stored, strict=True):
        Match.objects.filter(pk=row.pk).update(score=score)
    before = snapshot()
    suggestions = [  # the new list: these four (the rest dropped out)
        engine.Suggestion(listing.ref, row.target.ref, score, tuple(row.reasons))
        for row, score in zip(rows[:4], fresh, strict=True)
    ]

    written = services.store_suggestions(suggestions, [listing.ref], rows[0].engine_version)

    after = snapshot()
    keys = [(row.source_key, row.target_id) for row in rows[:4]]
    assert [after[k][1] for k in keys] == pytest.approx([fresh[0], fresh[1], fresh[2], stored[3]])
    assert after[keys[3]] == before[keys[3]]  # the kept row is untouched
    assert written == 3
    listed = Match.objects.filter(source_listing=listing, rank__isnull=False).order_by("rank")
    scores = list(listed.values_list("score", flat=True))
    assert len(scores) == 4 and scores == sorted(scores, reverse=True)


def test_the_rank_order_rule_undoes_whichever_row_was_kept():
    keys = np.array([(7 << 32) | t for t in (1, 2, 3)] + [(9 << 32) | 1], dtype=np.int64)
    ranks = np.array([1, 2, 3, 1])
    scores = np.array([0.5000, 0.4996, 0.4992, 0.9000])  # the new fit's, by rank
    at = np.array([0, 1, 2, 3])  # one stored row for each
    old = np.array([0.4993, 0.4999, 0.4998, 0.8995])  # all within 0.001 of the new
    same = np.ones(4, dtype=bool)

    services._keep_scores_in_rank_order(same, at, old, keys, ranks, scores)

    # 0.4993 < 0.4999: both rewritten (0.5000, 0.4996); then 0.4998 > 0.4996: rewritten too.
    # The other list (source 9) is left alone.
    assert same.tolist() == [False, False, False, True]


def test_a_listing_moved_to_another_organisation_rewrites_only_the_lists_it_is_in():
    listings = make_corpus(organisations=6)
    services.rebuild(in_process=True)
    before = snapshot()
    offer = next(x for x in listings if x.kind == "offer")
    need = Listing.objects.get(
        pk=Match.objects.filter(target=offer, rank=1, source_listing__isnull=False)
        .values_list("source_listing", flat=True)
        .first()
    )
    offer.organisation = need.organisation  # now one organisation's own pair: never suggested
    offer.save()

    run = services.rebuild(in_process=True)

    after = snapshot()
    assert (f"L{need.pk}", offer.pk) in before.keys() - after.keys()
    moved = {x.pk for x in Listing.objects.filter(organisation=need.organisation)}
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed
    # Scores do not move (the texts did not change): only the lists of the moved offer and of
    # its new organisation's listings change, and only their rows are written.
    assert {int(key[1:]) for key, _ in changed} <= moved
    assert all(before[k][1] == after[k][1] for k in before.keys() & after.keys())
    assert run.matches_written == len(changed & after.keys())


def test_a_pair_that_goes_away_is_deleted_but_a_pair_someone_answered_stays_unranked():
    listings = make_corpus()
    services.rebuild(in_process=True)
    offer = next(x for x in listings if x.kind == "offer")
    rows = list(Match.objects.filter(target=offer).order_by("pk"))
    assert len(rows) >= 3
    assert Match.objects.filter(source_listing=offer).exists()
    interested, dismissed, untouched = rows[:3]
    services.set_match_status(interested, Match.Status.INTERESTED)
    services.set_match_status(dismissed, Match.Status.DISMISSED)
    offer.status = Listing.Status.DRAFT  # withdrawn: no longer a target
    offer.save()

    run, steps = rebuild_and_report()

    assert not Match.objects.filter(pk=untouched.pk).exists()
    assert not Match.objects.filter(target=offer, status=Match.Status.NEW).exists()
    assert not Match.objects.filter(source_listing=offer).exists()  # its own list: gone too
    kept = Match.objects.get(pk=interested.pk)
    assert (kept.status, kept.rank, kept.first_seen_at) == (
        "interested",
        None,
        interested.first_seen_at,
    )
    assert Match.objects.get(pk=dismissed.pk).rank is None
    # The other offers move up in the lists the withdrawn offer left.
    assert run.matches_written > 0
    assert " 2 unranked" in steps[-1]


def test_a_new_engine_version_rewrites_every_row_but_keeps_first_seen_and_answers():
    make_corpus()
    services.rebuild(in_process=True)
    before = snapshot()
    Match.objects.update(engine_version="tfidf-0:old")
    answered = Match.objects.order_by("pk").first()
    services.set_match_status(answered, Match.Status.INTERESTED)

    run = services.rebuild(in_process=True)

    after = snapshot()
    assert after.keys() == before.keys()
    assert run.matches_written == len(after)
    assert {row[4] for row in after.values()} == {run.model_version}
    assert all(after[k][5] == before[k][5] for k in after)  # first seen: kept
    assert Match.objects.get(pk=answered.pk).status == "interested"


def test_a_rebuild_makes_as_many_queries_for_many_listings_as_for_few():
    def queries_of_two_rebuilds() -> tuple[int, int]:
        MatchModel.objects.all().delete()
        Match.objects.all().delete()
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                services.rebuild(in_process=True)
            counts.append(len(queries.captured_queries))
        return counts[0], counts[1]

    make_corpus(per_topic=1)
    few = queries_of_two_rebuilds()
    make_corpus(organisations=6, per_topic=6)
    assert Listing.objects.count() > 3 * 24
    many = queries_of_two_rebuilds()
    assert many == few
    assert many[1] < 40


def test_rebuild_matches_reports_each_step_and_what_it_wrote(capsys):
    make_corpus()
    call_command("rebuild_matches")
    call_command("rebuild_matches")
    out = capsys.readouterr().out
    for step in ("Read ", "Fitted the vocabulary", "Saved the model", "Ranked ", "Stored "):
        assert step in out
    assert "0 new, 0 changed, 0 removed, 0 unranked" in out  # the second run
    assert out.count("Done: ") == 2


# --- The same shared by workers: a map-reduce (the tasks themselves: test_tasks.py) ---------


def stored() -> list[tuple]:
    return sorted(
        Match.objects.values_list("source_key", "target_id", "rank", "score", "reasons", "status")
    )


def start_map_reduce(settings, chunks: int = 3) -> MatchingRun:
    """A rebuild for workers, whose messages are never sent (as if the broker lost them)."""
    settings.MATCHING_CHUNKS = chunks
    settings.MATCHING_CHUNK_MIN_SOURCES = 2
    run = services.rebuild()
    assert run.chunks_total == chunks and run.status == "running"
    return run


def test_map_reduce_steps_store_what_one_ranking_stores(settings):
    make_corpus()
    services.rebuild(in_process=True)
    expected = stored()
    Match.objects.all().delete()
    run = start_map_reduce(settings)

    for index in range(run.chunks_total):
        services.run_chunk(run.pk, index)
    merged = services.merge_rebuild(run.pk)

    run.refresh_from_db()
    assert (run.status, run.chunks_done) == ("done", 3)
    assert merged > 0 and run.matches_written == len(expected)
    assert stored() == expected


def test_the_merge_waits_for_every_chunk_and_runs_once(settings):
    make_corpus()
    run = start_map_reduce(settings)
    services.run_chunk(run.pk, 0)
    services.run_chunk(run.pk, 1)
    assert services.merge_rebuild(run.pk) == 0  # chunk 2 is not in yet
    need_side = Match.objects.count()
    assert need_side > 0
    assert not Match.objects.filter(source_listing__kind="offer").exists()

    services.run_chunk(run.pk, 2)
    assert services.run_chunk(run.pk, 2) == 0  # done already: nothing again
    assert services.merge_rebuild(run.pk) > 0
    with CaptureQueriesContext(connection) as queries:
        assert services.merge_rebuild(run.pk) == 0
    assert writes_to_matches(queries.captured_queries) == []
    run.refresh_from_db()
    assert run.status == "done"
    assert Match.objects.filter(source_listing__kind="offer").exists()


def test_a_chunk_held_by_a_live_worker_is_retried_and_taken_over_once_its_lease_runs_out(
    settings,
):
    make_corpus()
    run = start_map_reduce(settings)
    now = timezone.now()
    RebuildChunk.objects.filter(run=run, index=1).update(claimed_at=now)  # another worker
    with pytest.raises(services.ChunkBusy):
        services.run_chunk(run.pk, 1)

    RebuildChunk.objects.filter(run=run, index=1).update(
        claimed_at=now - services.LEASE - timedelta(seconds=1)  # ... which died
    )
    assert services.run_chunk(run.pk, 1) > 0
    assert RebuildChunk.objects.get(run=run, index=1).done


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_works_longer_than_its_lease_keeps_it_until_it_is_done(settings, monkeypatch):
    """A worker busy with a chunk for longer than the lease renews it, so no second worker
    takes the chunk over and does it again (the sweeper's re-send finds it held)."""
    import threading
    import time

    import config.celery
    from matching import engine

    monkeypatch.setattr(config.celery, "enqueue", lambda *args: None)  # no worker here
    monkeypatch.setattr(services, "LEASE", timedelta(seconds=1.5))
    make_corpus()
    run = start_map_reduce(settings)
    slow = engine.suggest_need_chunk

    def slow_chunk(*args, **kwargs):
        time.sleep(3.5)  # more than twice the lease
        return slow(*args, **kwargs)

    monkeypatch.setattr(engine, "suggest_need_chunk", slow_chunk)
    done: dict = {}

    def first_worker():
        try:
            done["rows"] = services.run_chunk(run.pk, 0, worker="first")
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        time.sleep(2.5)  # the first claim's lease has run out by now
        with pytest.raises(services.ChunkBusy):
            services.run_chunk(run.pk, 0, worker="second")
    finally:
        worker.join()

    chunk = RebuildChunk.objects.get(run=run, index=0)
    assert done["rows"] > 0
    assert chunk.done and chunk.worker == "first"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only (CI runs both)")
@pytest.mark.django_db(transaction=True)
def test_the_lease_is_still_renewed_after_the_database_dropped_the_renewing_connection(
    monkeypatch,
):
    import time

    monkeypatch.setattr(services, "LEASE", timedelta(seconds=0.6))  # renewed every 0.2 s
    run = MatchingRun.objects.create(kind=MatchingRun.Kind.REBUILD)
    RebuildChunk.objects.create(run=run, index=0)
    claimed = services._claim_chunk(run.pk, 0)
    with services._renewing_lease(run.pk, 0, claimed):
        time.sleep(0.7)
        assert RebuildChunk.objects.get(run=run, index=0).claimed_at > claimed
        with connection.cursor() as cursor:  # as a restart or an idle timeout would
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        time.sleep(0.5)
        before = RebuildChunk.objects.get(run=run, index=0).claimed_at
        time.sleep(1.0)
        after = RebuildChunk.objects.get(run=run, index=0).claimed_at
    assert after > before


def test_the_sweeper_finds_chunks_and_then_the_merge_whose_messages_were_lost(settings):
    make_corpus()
    run = start_map_reduce(settings)
    assert services.unfinished_chunks() == []  # just sent: not lost yet
    MatchingRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - services.LEASE - timedelta(seconds=1)
    )
    assert services.unfinished_chunks() == [
        (run.pk, 0, False),
        (run.pk, 1, False),
        (run.pk, 2, False),
    ]
    for index in range(3):
        services.run_chunk(run.pk, index)
    assert services.unfinished_chunks() == [(run.pk, 3, True)]
    services.merge_rebuild(run.pk)
    assert services.unfinished_chunks() == []


def test_a_pair_stored_by_another_job_while_a_rebuild_writes_is_updated_not_an_error(
    monkeypatch,
):
    """No table lock: a listing's own job may store a pair that the rebuild, from what it read
    a moment before, is about to insert (on PostgreSQL the COPY fails and the upsert runs)."""
    listings = make_corpus()
    services.rebuild(in_process=True)
    row = Match.objects.order_by("pk").first()
    sources, targets = services._ids()
    model = services.current_model()[1]
    suggestions = services.engine.suggest(model, top=services.TOP)
    Match.objects.exclude(pk=row.pk).delete()
    Match.objects.filter(pk=row.pk).update(score=0.99, rank=1)
    monkeypatch.setattr(services, "_stored", lambda keys, scope: [])  # the read came first

    written = services._write_matches(suggestions, sources, targets, model.version, scope=Q())

    again = Match.objects.get(source_key=row.source_key, target=row.target_id)
    assert (again.pk, again.first_seen_at) == (row.pk, row.first_seen_at)  # updated in place
    assert again.score != 0.99
    assert written.new == Match.objects.count() > len(listings)


def test_untouched_matches_are_deleted_in_one_statement_that_checks_the_status():
    """An answer committed while a rebuild deletes (after its SELECT, before its DELETE) must
    survive: the DELETE itself says status = 'new', so a row answered meanwhile is kept."""
    from tests.factories import MatchFactory, MatchNoticeFactory

    new = MatchFactory()
    answered = MatchFactory(status=Match.Status.INTERESTED)
    notice_new, notice_answered = MatchNoticeFactory(match=new), MatchNoticeFactory(match=answered)
    with CaptureQueriesContext(connection) as queries:
        removed = services.delete_untouched(Match.objects.filter(pk__in=[new.pk, answered.pk]))
    assert removed == 1
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 1 and "matching_match" in deletes[0] and "status" in deletes[0]
    assert list(Match.objects.values_list("pk", flat=True)) == [answered.pk]
    notice_new.refresh_from_db()
    notice_answered.refresh_from_db()
    assert notice_new.match is None  # the notice stays, unlinked, as SET_NULL does
    assert notice_answered.match_id == answered.pk


def test_a_chunk_or_merge_of_a_run_a_newer_rebuild_replaced_writes_nothing(settings):
    """A chunk retried late (its message lost, its worker dead) after a newer rebuild ran:
    its older model must not overwrite the newer rows, and the sweeper must stop sending it."""
    make_corpus()
    old = start_map_reduce(settings)
    services.run_chunk(old.pk, 0)
    services.rebuild(in_process=True)  # a newer rebuild, done
    before = stored()
    with CaptureQueriesContext(connection) as queries:
        assert services.run_chunk(old.pk, 1) == 0
        assert services.merge_rebuild(old.pk) == 0
    assert writes_to_matches(queries.captured_queries) == []
    assert stored() == before
    old.refresh_from_db()
    assert old.status == "failed" and "newer rebuild" in old.error
    MatchingRun.objects.filter(pk=old.pk).update(
        started_at=timezone.now() - services.LEASE - timedelta(seconds=1)
    )
    assert all(run_id != old.pk for run_id, _, _ in services.unfinished_chunks())


def test_a_listing_published_while_a_rebuild_runs_is_matched_again_when_it_ends(settings):
    """Its own job put it into other lists; the run's chunks, fitted before it existed, may
    have dropped it again: the end of the run sends its job once more."""
    from matching.models import MatchingWork
    from tests.factories import ListingFactory

    make_corpus()
    run = start_map_reduce(settings)
    late = ListingFactory(kind="offer", title="Amine capture skid", description="Carbon capture")
    MatchingWork.objects.all().delete()
    for index in range(run.chunks_total):
        services.run_chunk(run.pk, index)
    services.merge_rebuild(run.pk)
    run.refresh_from_db()
    assert run.status == "done"
    assert MatchingWork.objects.filter(kind="listing", object_id=late.pk, state="pending").exists()
    services.run_work(
        MatchingWork.objects.get(kind="listing", object_id=late.pk).pk, in_process=True
    )
    assert Match.objects.filter(target=late).exists()


def test_a_worker_that_holds_the_last_fit_ranks_a_new_rebuild_with_the_new_fit(settings):
    """The model's version names the engine and its settings, not the listings: a refit over
    new listings has the same version. A worker process still holding the previous fit must
    not rank the new rebuild's chunks with it (the worker-kill drill found every listing new
    since the last fit left without suggestions)."""
    make_corpus()
    first = services.rebuild(in_process=True)
    services._loaded.clear()
    services.load_model(MatchModel.objects.get(is_current=True))
    held = dict(services._loaded)  # what a worker process holds after the last rebuild
    fresh = ListingFactory(
        kind="need",
        title="Amine carbon capture need, new",
        description="Solvent capture of CO2 from kiln flue gas, for a new site.",
        themes=["ccus"],
    )
    run = start_map_reduce(settings)
    assert run.model_version == first.model_version  # the same version, new listings
    current = MatchModel.objects.get(is_current=True)
    # Another worker process: it still holds the previous fit under the same version.
    services._loaded.clear()
    services._loaded.update(held)

    for index in range(run.chunks_total):
        services.run_chunk(run.pk, index)
    services.merge_rebuild(run.pk)

    assert fresh.ref in services.load_model(current).refs
    assert Match.objects.filter(source_listing=fresh).count() > 0


def test_the_nightly_rebuild_sent_twice_seconds_apart_starts_one_rebuild():
    """Two beat schedulers by mistake send the nightly rebuild twice: the second finds the
    first's rebuild waiting, claimed, or running, and adds nothing (the two-beats drill)."""
    from datetime import timedelta

    from matching.models import MatchingWork
    from matching.tasks import nightly_rebuild_task

    first = nightly_rebuild_task()
    assert nightly_rebuild_task() == first  # still waiting: the same row
    assert services.claim(first)  # a worker takes it
    assert nightly_rebuild_task() == first
    MatchingWork.objects.filter(pk=first).update(state="done")
    run = MatchingRun.objects.create(kind="rebuild")  # its chunks under way
    assert nightly_rebuild_task() == 0
    assert MatchingWork.objects.filter(kind="rebuild").count() == 1
    # A run left "running" by a worker that died long ago does not stop tonight's rebuild.
    MatchingRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert nightly_rebuild_task() not in (0, first)


def test_two_rebuilds_asked_for_at_the_same_moment_cannot_both_wait():
    """The one-pending-row unique index must hold for rebuilds too (object_id 0, not NULL,
    which never collides): the second insert fails, and get_or_create returns the first."""
    from django.db import IntegrityError, transaction

    from matching.models import MatchingWork

    first = services.request_rebuild()
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingWork.objects.create(kind="rebuild", object_id=first.object_id, state="pending")
    assert services.request_rebuild() == first
