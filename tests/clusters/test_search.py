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
    assert f"{model._meta.db_table}_search_vector" in plan, plan  # clusters.fulltext


@pytest.mark.django_db
def test_search_finds_stems_and_needs_every_word():
    ChallengeFactory(ref="a", title="Capturing CO2 at cement kilns")
    ChallengeFactory(ref="b", title="Capture at refineries")
    found = sorted(Challenge.objects.search("capture kiln").values_list("ref", flat=True))
    assert found == ["a"]
    assert sorted(Challenge.objects.search("captured").values_list("ref", flat=True)) == ["a", "b"]
    assert not Challenge.objects.search("nuclear").exists()


WORDLESS = ["!", "%", "-", "😀", "?!", "--", "\u200b"]
NON_ASCII_WORDS = ["é", "氢能", "ŵyr", "Caffè"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/challenges/", "/offers/", "/needs/"])
@pytest.mark.parametrize("query", WORDLESS + NON_ASCII_WORDS)
def test_any_search_words_give_a_page_not_a_server_error(client, path, query):
    ChallengeFactory(title="Capture at kilns")
    response = client.get(path, {"q": query})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/challenges/", "/api/listings/"])
@pytest.mark.parametrize("query", WORDLESS + NON_ASCII_WORDS)
def test_any_search_words_give_an_api_answer_not_a_server_error(client, path, query):
    response = client.get(path, {"q": query})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("query", WORDLESS)
def test_a_search_with_no_letters_or_digits_finds_nothing_and_says_why(client, query):
    ChallengeFactory(title="Capture at kilns")
    html = client.get("/challenges/", {"q": query}).content.decode()
    assert "0 challenges" in html
    assert "Your search has no letters or numbers to look for" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, query",
    [
        ("Café heat recovery", "café"),
        ("Ynni gwyrdd o ŵyr y môr", "ŵyr"),
        ("氢能 项目 for a steelworks", "氢能"),
        ("Naïve heat pumps", "NAÏVE"),
        ("Café kilns", "cafe\u0301"),  # a decomposed accent is the same word as a composed one
    ],
)
def test_words_outside_ascii_are_searchable(text, query):
    ChallengeFactory(ref="found", title=text)
    ChallengeFactory(ref="other", title="Capture at kilns")
    assert list(Challenge.objects.search(query).values_list("ref", flat=True)) == ["found"]


@pytest.mark.django_db
def test_non_ascii_words_are_found_through_the_list_page(client):
    ChallengeFactory(ref="cymraeg", title="Ynni gwyrdd o ŵyr y môr")
    ChallengeFactory(ref="english", title="Capture at kilns")
    html = client.get("/challenges/", {"q": "ŵyr"}).content.decode()
    assert "1 challenge matching" in html and "Ynni gwyrdd" in html
    assert "Capture at kilns" not in html


@pytest.mark.django_db
def test_the_migration_restems_rows_stored_with_ascii_only_words():
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "clusters.migrations.0005_search_document_words_in_any_script"
    )
    welsh = ChallengeFactory(title="Ynni o ŵyr y môr", search_document=" m o r ynni yr ")
    plain = ChallengeFactory(title="Capture at kilns", search_document=" stale ")
    migration.restem(apps, None)
    welsh.refresh_from_db()
    plain.refresh_from_db()
    assert " ŵyr " in welsh.search_document and " môr " in welsh.search_document
    assert plain.search_document == " stale "  # plain ASCII stems the same as before
    assert list(Challenge.objects.search("ŵyr").values_list("pk", flat=True)) == [welsh.pk]


def test_every_combining_mark_is_in_the_planes_the_word_pattern_reads():
    import sys
    import unicodedata

    from clusters.search import MARK_PLANES

    planes = {c >> 16 for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c))[0] == "M"}
    assert planes <= set(MARK_PLANES)
