"""Stemming for keyword search without PostgreSQL."""

import pytest
from django.db import connection

from clusters.models import Challenge, Listing
from clusters.search import search_document, stems
from tests.factories import ChallengeFactory


def test_inflections_share_a_stem():
    assert stems("capturing")[0] == stems("capture")[0] == stems("captured")[0]
    assert stems("Electrolysers")[0] == stems("electrolyser")[0]


def test_search_document_is_padded_so_whole_stems_match():
    doc = search_document("Carbon capture", "CO2 capture at kilns")
    assert " captur " in doc and " co2 " in doc and " kiln " in doc
    assert doc.startswith(" ") and doc.endswith(" ")
    assert search_document("", "") == ""


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Challenge, Listing])
def test_postgresql_search_filters_through_the_gin_index(model):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (CI runs the suite again with DATABASE_URL=postgres://...)")
    sql, params = model.objects.search("capturing kilns").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"{model._meta.db_table}_fts" in plan, plan


@pytest.mark.django_db
def test_search_finds_stems_and_needs_every_word():
    ChallengeFactory(ref="a", title="Capturing CO2 at cement kilns")
    ChallengeFactory(ref="b", title="Capture at refineries")
    found = sorted(Challenge.objects.search("capture kiln").values_list("ref", flat=True))
    assert found == ["a"]
    assert sorted(Challenge.objects.search("captured").values_list("ref", flat=True)) == ["a", "b"]
    assert not Challenge.objects.search("nuclear").exists()
