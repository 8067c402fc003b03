"""Search goes through an index the database keeps in step (clusters.fulltext): FTS5 on
SQLite, a stored, GIN-indexed tsvector on PostgreSQL. Whoever writes a listing (a service,
the import's bulk writes, a bulk update, a delete), the next search sees it; a withdrawn or
deleted listing is not found; counts on the list pages are right the moment after a change.
"""

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusters import services
from clusters.fulltext import TABLES, repair_sqlite_indexes
from clusters.importer import import_exchange
from clusters.models import Challenge, Listing
from clusters.search import search_document, stems
from tests.factories import ChallengeFactory, ListingFactory

pytestmark = pytest.mark.django_db


def found(query: str, model=Listing) -> list[str]:
    return sorted(model.objects.search(query).values_list("ref", flat=True))


def offers_page(client, **params) -> str:
    return client.get(reverse("clusters:offer-list"), params).content.decode()


def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 index (PostgreSQL has its own tests here)")


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (run again with DATABASE_URL=postgres://...)")


# --- the index follows every kind of write ------------------------------------------------


def test_a_listing_saved_by_the_service_is_found_and_an_edit_moves_it(member, organisation):
    listing = Listing(organisation=organisation, kind="offer", title="Amine scrubbers")
    services.save_listing(listing, member, themes=[], clusters=[])
    assert found("scrubber") == [listing.ref]

    listing.title = "Electrolyser stacks"
    services.save_listing(listing, member, themes=[], clusters=[])
    assert found("scrubber") == []
    assert found("electrolysers") == [listing.ref]


def test_a_withdrawn_listing_is_not_found_on_the_list_page_and_the_count_drops(client):
    kept = ListingFactory(kind="offer", title="Hydrogen storage caverns")
    gone = ListingFactory(kind="offer", title="Hydrogen compressors")
    assert "2 offers matching" in offers_page(client, q="hydrogen")

    services.withdraw_listing(gone)

    html = offers_page(client, q="hydrogen")
    assert "1 offer matching" in html
    assert kept.title in html and gone.title not in html


def test_a_deleted_listing_leaves_the_index(client):
    listing = ListingFactory(kind="offer", title="Biomass dryers")
    Listing.objects.filter(pk=listing.pk).delete()
    assert found("biomass") == []
    assert "0 offers matching" in offers_page(client, q="biomass")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM clusters_listing_fts WHERE clusters_listing_fts MATCH ?",
                ['"biomass"'],
            )
            assert cursor.fetchone()[0] == 0


def test_the_import_bulk_writes_keep_the_index_in_step(client, exchange_doc):
    import_exchange(exchange_doc)
    assert found("modular") == ["L-0001"]

    exchange_doc["listings"][0]["title"] = "Oxyfuel burners for kilns"
    exchange_doc["listings"][0]["description"] = ""
    result = import_exchange(exchange_doc)  # bulk_update

    assert result.updated["listings"] == 1
    assert found("modular") == []
    assert found("kiln") == ["L-0001"]
    assert "1 offer matching" in offers_page(client, q="oxyfuel")


def test_a_bulk_update_of_the_stems_is_indexed():
    listing = ListingFactory(title="Old words")
    listing.search_document = search_document("Fresh words")
    Listing.objects.bulk_update([listing], ["search_document"])
    if connection.vendor == "sqlite":  # SQLite searches the stored stems
        assert found("fresh") == [listing.ref]
        assert found("old") == []


def test_challenges_are_searched_through_their_index_too():
    challenge = ChallengeFactory(ref="c1", title="Process heat at paper mills")
    assert found("mill", Challenge) == ["c1"]
    Challenge.objects.filter(pk=challenge.pk).delete()
    assert found("mill", Challenge) == []


# --- the same answers as before ----------------------------------------------------------

WORD = st.sampled_from(
    ["capture", "capturing", "kiln", "kilns", "hydrogen", "heat", "pump", "café", "ŵyr", "氢能"]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.lists(WORD, min_size=0, max_size=4), min_size=1, max_size=5),
    query=st.lists(WORD, min_size=1, max_size=3),
)
def test_sqlite_finds_exactly_the_rows_holding_every_stem_of_the_query(texts, query):
    """FTS5 matches whole stems: the rows found are those whose stored stems include every
    stem of the query, as `search_document LIKE '% stem %'` found before."""
    sqlite_only()
    Challenge.objects.all().delete()
    for i, words in enumerate(texts):
        ChallengeFactory(ref=f"c{i}", title=" ".join(words) or "-", description="")
    query_text = " ".join(query)
    wanted = set(stems(query_text))
    expected = sorted(
        f"c{i}" for i, words in enumerate(texts) if wanted <= set(stems(" ".join(words)))
    )
    assert found(query_text, Challenge) == expected


def test_search_words_that_are_fts5_syntax_are_searched_as_words():
    ChallengeFactory(ref="a", title="Not AND or NEAR: capture")
    assert found('capture" OR "x', Challenge) == []
    assert found("not and near", Challenge) == ["a"]
    assert found("NEAR(capture", Challenge) == ["a"]


# --- SQLite: the index survives a table rebuild --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_triggers_a_table_rebuild_dropped_are_put_back_after_migrate():
    """Django rebuilds a SQLite table to alter some columns, which drops its triggers; the
    post-migrate step puts them back and re-reads the rows written meanwhile."""
    sqlite_only()
    with connection.cursor() as cursor:
        for table in TABLES:
            for trigger in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER {table}_fts_{trigger}")
    try:
        written_meanwhile = ListingFactory(title="Geothermal brine")
        assert found("geothermal") == []  # what a missing trigger means
    finally:
        assert repair_sqlite_indexes(connection) == list(TABLES)

    assert found("geothermal") == [written_meanwhile.ref]
    later = ListingFactory(title="Geothermal wells")
    assert found("geothermal") == sorted([written_meanwhile.ref, later.ref])
    assert repair_sqlite_indexes(connection) == []  # whole again: nothing to do


# --- PostgreSQL: the GIN index on the stored vector ----------------------------------------


@pytest.mark.parametrize("model", [Challenge, Listing])
def test_postgresql_counts_and_pages_through_the_gin_index(model):
    postgresql_only()
    for query in [
        model.objects.search("capturing kilns"),
        model.objects.search("capturing kilns").order_by("-search_rank")[:20],
    ]:
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"{model._meta.db_table}_search_vector" in plan, plan
        assert "to_tsvector" not in plan  # nothing is parsed again per row


def test_postgresql_ranks_a_title_match_above_a_description_match():
    postgresql_only()
    ChallengeFactory(ref="described", title="Kilns", description="Hydrogen burners")
    ChallengeFactory(ref="titled", title="Hydrogen burners", description="For kilns")
    ranked = Challenge.objects.search("hydrogen").order_by("-search_rank")
    assert list(ranked.values_list("ref", flat=True)) == ["titled", "described"]


def test_postgresql_vector_follows_an_update_that_bypasses_the_services():
    postgresql_only()
    listing = ListingFactory(title="Old words")
    Listing.objects.filter(pk=listing.pk).update(title="Ammonia cracking")
    assert found("ammonia") == [listing.ref]
    assert found("old") == []


def test_after_every_kind_of_write_the_index_holds_exactly_the_rows(exchange_doc, member):
    """SQLite: FTS5's own check that the index is the content table's; PostgreSQL: every
    stored vector is the one the title and description give now."""
    import_exchange(exchange_doc)
    exchange_doc["listings"][0]["title"] = "Changed by a second import"
    import_exchange(exchange_doc)
    listing = ListingFactory(title="Made by the factory")
    listing.title = "Edited by the service"
    services.save_listing(listing, member, themes=[], clusters=[])
    Listing.objects.filter(pk=listing.pk).update(description="Updated in bulk")
    Listing.objects.filter(ref="L-0003").delete()
    Challenge.objects.filter(ref="ch-teesside-heat").update(title="Waste heat networks")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in TABLES:
                # Raises "database disk image is malformed" if the index and rows differ.
                cursor.execute(
                    f"INSERT INTO {table}_fts({table}_fts, rank) VALUES ('integrity-check', 1)"
                )
        else:
            for table in TABLES:
                cursor.execute(
                    f"SELECT count(*) FROM {table} WHERE search_vector IS DISTINCT FROM "
                    "setweight(to_tsvector('english', COALESCE(title, '')), 'A') || "
                    "setweight(to_tsvector('english', COALESCE(description, '')), 'B')"
                )
                assert cursor.fetchone()[0] == 0, table
