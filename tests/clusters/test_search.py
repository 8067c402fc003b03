"""Stemming for keyword search without PostgreSQL."""

from clusters.search import search_document, stems


def test_inflections_share_a_stem():
    assert stems("capturing")[0] == stems("capture")[0] == stems("captured")[0]
    assert stems("Electrolysers")[0] == stems("electrolyser")[0]


def test_search_document_is_padded_so_whole_stems_match():
    doc = search_document("Carbon capture", "CO2 capture at kilns")
    assert " captur " in doc and " co2 " in doc and " kiln " in doc
    assert doc.startswith(" ") and doc.endswith(" ")
    assert search_document("", "") == ""
