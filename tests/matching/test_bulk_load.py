"""A first rebuild into a (nearly) empty Match table loads its rows in bulk: the plain
indexes are dropped, the rows go in, and they are put back exactly as they were, in the same
transaction (issue #11). Unique indexes and the foreign keys stay."""

import json
import logging

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matching import engine, services
from matching.models import Match, MatchingRun
from tests.matching.test_rebuild import make_corpus, rebuild_and_report, snapshot

pytestmark = pytest.mark.django_db


def schema() -> list[tuple]:
    """The Match table's indexes and foreign keys, as the database itself spells them."""
    table = Match._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s ORDER BY name",
                [table],
            )
            found = cursor.fetchall()
            cursor.execute(f"PRAGMA foreign_key_list({table})")
            return found + sorted(tuple(row) for row in cursor.fetchall())
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
        )
        found = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass ORDER BY 1",
            [table],
        )
        return found + cursor.fetchall()


def dropped(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("DROP INDEX")]


def without_ids(rows: dict) -> dict:
    """A snapshot without what differs between two identical loads (ids and times)."""
    return {pair: (row[1], row[2], row[3], row[7]) for pair, row in rows.items()}


@pytest.fixture
def bulk_from_ten_rows(monkeypatch):
    monkeypatch.setattr(services, "BULK_LOAD_MIN_ROWS", 10)


def test_a_first_rebuild_loads_in_bulk_and_puts_every_index_and_key_back(
    bulk_from_ten_rows, monkeypatch
):
    make_corpus()
    before = schema()
    assert any("match_source_rank" in str(row) for row in before)

    with CaptureQueriesContext(connection) as queries:
        run, steps = rebuild_and_report()

    assert dropped(queries.captured_queries), "the bulk load did not run"
    assert schema() == before
    assert run.status == MatchingRun.Status.DONE
    assert run.matches_written == Match.objects.count() > 40
    loaded = without_ids(snapshot())

    # The same rows as the ordinary way (bulk loading off).
    Match.objects.all().delete()
    monkeypatch.setattr(services, "BULK_LOAD_MIN_ROWS", 10**9)
    with CaptureQueriesContext(connection) as queries:
        rebuild_and_report()
    assert not dropped(queries.captured_queries)
    assert without_ids(snapshot()) == loaded


def test_a_rebuild_into_a_table_that_holds_its_matches_does_not_load_in_bulk(
    bulk_from_ten_rows,
):
    make_corpus()
    rebuild_and_report()
    Match.objects.filter(pk__in=list(Match.objects.values_list("pk", flat=True)[:20])).delete()

    with CaptureQueriesContext(connection) as queries:
        run, steps = rebuild_and_report()

    assert not dropped(queries.captured_queries)  # 20 new rows among many stored ones
    assert steps[-1].startswith("Stored the changes: 20 new, 0 changed")


def test_a_bulk_load_that_fails_leaves_the_table_and_its_indexes_as_they_were(
    bulk_from_ten_rows, monkeypatch
):
    make_corpus()
    before = schema()
    insert = services._insert

    def insert_then_fail(rows):
        insert(rows)
        assert Match.objects.count() == len(rows)  # the rows were in, without indexes
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "_insert", insert_then_fail)
    with (
        pytest.raises(RuntimeError, match="the disk is full"),
        CaptureQueriesContext(connection) as queries,
    ):
        services.rebuild(in_process=True)

    assert dropped(queries.captured_queries), "the bulk load did not run"
    assert Match.objects.count() == 0
    assert schema() == before
    assert MatchingRun.objects.get().status == MatchingRun.Status.FAILED


def test_a_ranking_that_fails_fails_the_run_and_writes_nothing(monkeypatch):
    make_corpus()

    def broken(*args, **kwargs):
        raise MemoryError("out of memory while ranking")

    monkeypatch.setattr(engine, "suggest_columns", broken)  # what a rebuild in process calls
    with pytest.raises(MemoryError):
        services.rebuild(in_process=True)

    run = MatchingRun.objects.get()
    assert run.status == MatchingRun.Status.FAILED
    assert "out of memory while ranking" in run.error
    assert Match.objects.count() == 0


def test_reasons_are_encoded_exactly_as_json_dumps_spells_them():
    text_of = services._reasons_encoder()
    cases = [
        (),
        ("carbon capture",),
        ("theme: hydrogen", "carbon capture", "theme: hydrogen"),
        ('a "quoted" word', "back\\slash", "CO₂ and café", "line\u2028separator", "nul\x00"),
        ("\ud800 lone surrogate",),
    ]
    for reasons in cases + cases:  # the second time from the encoder's caches
        assert text_of(reasons) == json.dumps(list(reasons))


def test_unique_indexes_stay_through_a_bulk_load(bulk_from_ten_rows):
    """The upserts need the unique pair; only plain indexes are dropped and rebuilt."""
    make_corpus()
    with CaptureQueriesContext(connection) as queries:
        rebuild_and_report()
    drops = " ".join(dropped(queries.captured_queries))
    assert "match_source_rank" in drops
    assert "match_once_per_pair" not in drops and "autoindex" not in drops
    altered = [q["sql"] for q in queries.captured_queries if "CONSTRAINT" in q["sql"].upper()]
    assert not [sql for sql in altered if sql.lstrip().upper().startswith("ALTER")]  # FKs stay


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only (CI runs both)")
def test_when_another_session_holds_the_match_table_the_rows_load_with_indexes_in_place(
    bulk_from_ten_rows, monkeypatch, caplog
):
    make_corpus()
    monkeypatch.setattr(services, "BULK_LOAD_LOCK_TIMEOUT_MS", 200)
    other = psycopg.connect(**connection.get_connection_params())
    try:
        other.execute(f"LOCK TABLE {Match._meta.db_table} IN ACCESS SHARE MODE")  # a reader
        with (
            caplog.at_level(logging.INFO, logger="matching.services"),
            CaptureQueriesContext(connection) as queries,
        ):
            run, _ = rebuild_and_report()
    finally:
        other.rollback()
        other.close()

    assert not dropped(queries.captured_queries)
    assert "with the indexes in place" in caplog.text
    assert run.matches_written == Match.objects.count() > 40


def test_answered_matches_are_read_through_the_small_partial_status_index():
    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL proves the same from the index")
    # The queries every job and rebuild runs (SQLite uses a partial index only when the
    # query repeats its condition).
    with CaptureQueriesContext(connection) as queries:
        services.blocked_pairs()
        services.dismissed_by_source()
    answered = Match.objects.exclude(status=Match.Status.NEW).order_by()
    with connection.cursor() as cursor:
        sql, params = answered.query.sql_with_params()
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plans = [" ".join(str(row) for row in cursor.fetchall())]
        for query in queries.captured_queries:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plans.append(" ".join(str(row) for row in cursor.fetchall()))
    assert len(plans) == 3
    for plan in plans:
        assert "match_status" in plan, plan


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only (CI runs both)")
def test_after_a_bulk_load_the_foreign_key_checks_wait_for_the_commit_again(bulk_from_ten_rows):
    """The load runs the Match table's queued checks before building its indexes (PostgreSQL
    builds none while checks are pending), then defers them again, as Django declared them."""
    from django.db import IntegrityError, transaction

    make_corpus()
    with CaptureQueriesContext(connection) as queries:
        rebuild_and_report()
    assert dropped(queries.captured_queries), "the bulk load did not run"
    row = Match.objects.first()
    with transaction.atomic():  # a savepoint
        Match.objects.filter(pk=row.pk).update(target_id=10**9)  # no such listing: not yet
        with pytest.raises(IntegrityError), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the check, when it runs
        transaction.set_rollback(True)
