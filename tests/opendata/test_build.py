"""The build: what the files hold, checked against the database, and how a build fails."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from clusters.models import Challenge, Listing, Organisation
from opendata import services
from opendata.datasets import BY_NAME, DATASETS, LICENCE_NAME, LICENCE_URL
from opendata.models import OpenDataRelease
from tests.opendata.conftest import PEOPLE, read_bytes, read_csv, read_json

pytestmark = pytest.mark.django_db

LISTING_KEYS = [
    "ref",
    "url",
    "kind",
    "organisation",
    "organisation_name",
    "title",
    "description",
    "themes",
    "clusters",
    "challenge",
    "created_at",
    "updated_at",
]
CHALLENGE_KEYS = [
    "ref",
    "url",
    "cluster",
    "title",
    "description",
    "themes",
    "status",
    "set_by",
    "last_reviewed_at",
    "created_at",
    "updated_at",
]
FIGURE_KEYS = [
    "measure",
    "measure_name",
    "month",
    "cluster",
    "theme",
    "challenge",
    "value",
    "computed_at",
]


def _public_listing_refs(kind):
    return set(
        Listing.objects.published()
        .live()
        .filter(kind=kind, organisation__status=Organisation.Status.APPROVED)
        .values_list("ref", flat=True)
    )


def test_offers_and_needs_hold_exactly_the_published_live_listings(world):
    release = services.build_open_data()
    for kind, name in (("offer", "offers"), ("need", "needs")):
        expected = _public_listing_refs(kind)
        assert expected  # the world has some of each
        assert {row["ref"] for row in read_csv(release, f"{name}.csv")} == expected
        assert {row["ref"] for row in read_json(release, f"{name}.json")["rows"]} == expected
        assert release.files[f"{name}.csv"]["rows"] == len(expected)
    every_ref = b"".join(read_bytes(release, name) for name in release.files)
    for hidden in world["hidden"]:
        assert hidden.ref.encode() not in every_ref


def test_a_listing_row_matches_its_record(world):
    release = services.build_open_data()
    (row,) = [r for r in read_json(release, "offers.json")["rows"] if r["ref"] == "L-offer"]
    offer = world["offer"]
    assert row == {
        "ref": "L-offer",
        "url": "http://testserver/listings/L-offer/",
        "kind": "offer",
        "organisation": "org-kilns",
        "organisation_name": "Dyfed Dry Kilns",
        "title": "Heat pumps for kilns",
        "description": offer.description,
        "themes": ["ccus", "hydrogen"],
        "clusters": ["humber"],
        "challenge": "ch-heat",
        "created_at": offer.created_at.isoformat(),
        "updated_at": offer.updated_at.isoformat(),
    }
    (csv_row,) = [r for r in read_csv(release, "offers.csv") if r["ref"] == "L-offer"]
    assert csv_row["themes"] == "ccus;hydrogen"
    assert csv_row["organisation_name"] == "Dyfed Dry Kilns"


def test_challenges_hold_every_challenge_with_its_status(world):
    release = services.build_open_data()
    rows = {row["ref"]: row for row in read_json(release, "challenges.json")["rows"]}
    assert set(rows) == set(Challenge.objects.values_list("ref", flat=True))
    assert rows["ch-closed"]["status"] == "closed"
    assert rows["ch-closed"]["set_by"] == "Humber team"
    assert rows["ch-heat"]["themes"] == ["ccus"]
    assert rows["ch-heat"]["cluster"] == "humber"


def test_no_personal_data_in_any_file(world):
    release = services.build_open_data()
    everything = b"".join(read_bytes(release, name) for name in release.files).decode("utf-8")
    for text in [*PEOPLE["names"], *PEOPLE["emails"], "invited-person@example.org"]:
        assert text not in everything
    assert "@example.org" not in everything
    assert "Dyfed Dry Kilns" in everything  # organisations are named, as on their pages


def test_json_keys_and_metadata_are_stable(world, figures):
    release = services.build_open_data()
    expected = {
        "challenges": CHALLENGE_KEYS,
        "offers": LISTING_KEYS,
        "needs": LISTING_KEYS,
        "figures": FIGURE_KEYS,
    }
    assert set(BY_NAME) == set(expected)
    for name, keys in expected.items():
        document = read_json(release, f"{name}.json")
        assert list(document) == [
            "title",
            "description",
            "publisher",
            "licence",
            "built_at",
            "fields",
            "rows",
            "row_count",
        ]
        assert document["licence"] == {"name": LICENCE_NAME, "url": LICENCE_URL}
        assert document["fields"] == keys
        assert document["row_count"] == len(document["rows"]) > 0
        for row in document["rows"]:
            assert list(row) == keys
        with default_storage.open(release.files[f"{name}.csv"]["path"], "rb") as handle:
            header = handle.readline().decode("utf-8-sig").strip()
        assert header.split(",") == keys


def test_csv_has_a_byte_order_mark_and_one_header_row(world):
    release = services.build_open_data()
    raw = read_bytes(release, "offers.csv")
    assert raw.startswith(b"\xef\xbb\xbfref,url,")
    assert raw.count(b"ref,url,kind") == 1
    assert not read_bytes(release, "offers.json").startswith(b"\xef\xbb\xbf")


def test_formulas_are_neutralised_in_csv_and_kept_as_written_in_json(world):
    release = services.build_open_data()
    (row,) = [r for r in read_csv(release, "needs.csv") if r["ref"] == "L-need"]
    assert row["title"] == '\'=HYPERLINK("http://evil.example")'
    assert row["description"] == "'-2+3 @SUM(A1)"
    (raw,) = [r for r in read_json(release, "needs.json")["rows"] if r["ref"] == "L-need"]
    assert raw["title"] == '=HYPERLINK("http://evil.example")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+44 1234", "'+44 1234"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\t=x", "'\t=x"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (["a", "b"], "a;b"),
        (7, "7"),
    ],
)
def test_safe_cell(value, cell):
    from opendata.writers import safe_cell

    assert safe_cell(value) == cell


def test_figures_come_from_the_newest_finished_computation_only(figures):
    release = services.build_open_data()
    rows = read_json(release, "figures.json")["rows"]
    assert sorted(row["value"] for row in rows) == sorted(
        figures.figures.values_list("value", flat=True)
    )
    assert {row["computed_at"] for row in rows} == {figures.finished_at.isoformat()}
    by_measure = {row["measure"]: row for row in rows}
    assert by_measure["offers_published"]["month"] == "2026-11"
    assert by_measure["offers_published"]["measure_name"] == "Offers published"
    assert by_measure["needs_open"]["cluster"] == "humber"
    assert by_measure["needs_open"]["theme"] == "ccus"
    assert by_measure["needs_open"]["month"] is None
    assert by_measure["introductions_accepted"]["challenge"] == "ch-heat"
    assert by_measure["introductions_accepted"]["theme"] is None
    assert release.figures_computed_at == figures.finished_at
    csv_rows = read_csv(release, "figures.csv")
    assert len(csv_rows) == 3
    assert {r["month"] for r in csv_rows} == {"2026-11", ""}


def test_figures_are_empty_before_any_computation(world):
    release = services.build_open_data()
    assert read_json(release, "figures.json")["rows"] == []
    assert len(read_bytes(release, "figures.csv").splitlines()) == 1
    assert release.figures_computed_at is None


def test_every_file_is_recorded_with_its_size(world):
    release = services.build_open_data()
    assert set(release.files) == {f"{d.name}.{ext}" for d in DATASETS for ext in ("csv", "json")}
    for entry in release.files.values():
        assert entry["path"].startswith(release.folder + "/")
        assert default_storage.size(entry["path"]) == entry["size"] > 0


def test_a_failure_mid_build_leaves_the_previous_release_served(world):
    first = services.build_open_data()
    calls = {"n": 0}
    real = services.DatasetWriter.write

    def failing(self, row):
        calls["n"] += 1
        if self.dataset.name == "needs":
            raise RuntimeError("disk full")
        return real(self, row)

    with (
        mock.patch.object(services.DatasetWriter, "write", failing),
        pytest.raises(RuntimeError),
    ):
        services.build_open_data()
    assert calls["n"] > 1  # it failed after writing earlier files
    assert OpenDataRelease.objects.count() == 1
    assert OpenDataRelease.objects.newest() == first
    # The files the failed build had written are gone; the first release's are intact.
    assert stored_files() == {entry["path"] for entry in first.files.values()}
    assert read_json(first, "offers.json")["row_count"] == 1


def stored_files() -> set[str]:
    found = set()
    for day in default_storage.listdir("open-data")[0]:
        for build in default_storage.listdir(f"open-data/{day}")[0]:
            folder = f"open-data/{day}/{build}"
            found |= {f"{folder}/{name}" for name in default_storage.listdir(folder)[1]}
    return found


def test_two_builds_at_once_each_finish_whole_and_the_later_one_is_served(world):
    """The second build runs entirely while the first is half-way through its files."""
    real = services._store
    inner = {}

    def store_then_interleave(path, handle):
        stored = real(path, handle)
        if not inner and path.endswith("offers.csv"):
            inner["started"] = True
            inner["release"] = services.build_open_data()
        return stored

    with mock.patch.object(services, "_store", store_then_interleave):
        outer = services.build_open_data()
    second = inner["release"]
    assert outer.folder != second.folder
    assert OpenDataRelease.objects.count() == 2
    # Both are whole; the one that started last is served, whichever finished last.
    assert second.built_at > outer.built_at
    assert OpenDataRelease.objects.newest() == second
    for release in (outer, second):
        for name in release.files:
            assert read_bytes(release, name) == read_bytes(outer, name).replace(
                outer.built_at.isoformat().encode(), release.built_at.isoformat().encode()
            )


def test_old_releases_and_unfinished_builds_are_pruned_but_never_the_newest(world):
    old = services.build_open_data()
    recent = services.build_open_data()
    OpenDataRelease.objects.filter(pk=old.pk).update(
        built_at=timezone.now() - timedelta(days=services.KEEP_DAYS + 1)
    )
    abandoned = "open-data/2000-01-01/000000-abandoned/offers.csv"
    default_storage.save(abandoned, ContentFile(b"half"))
    newest = services.build_open_data()
    assert set(OpenDataRelease.objects.all()) == {recent, newest}
    for entry in old.files.values():
        assert not default_storage.exists(entry["path"])
    for entry in recent.files.values():
        assert default_storage.exists(entry["path"])
    assert not default_storage.exists(abandoned)

    # However old, the only release left is kept.
    OpenDataRelease.objects.exclude(pk=newest.pk).delete()
    OpenDataRelease.objects.update(built_at=timezone.now() - timedelta(days=400))
    assert services.prune_open_data() == 0
    assert OpenDataRelease.objects.get() == newest


def test_the_command_builds_now_and_if_missing_only_once(world, capsys):
    call_command("build_open_data", "--if-missing")
    assert OpenDataRelease.objects.count() == 1
    assert "offers.csv: 1 rows" in capsys.readouterr().out
    call_command("build_open_data", "--if-missing")
    assert OpenDataRelease.objects.count() == 1
    call_command("build_open_data")
    assert OpenDataRelease.objects.count() == 2


def test_listings_are_read_in_chunks(world, monkeypatch):
    """100,000 listings must not mean 100,000 objects at once: the rows come from iterator()."""
    from django.db.models.query import QuerySet

    seen = []
    real = QuerySet.iterator

    def spy(self, chunk_size=None):
        seen.append((self.model.__name__, chunk_size))
        return real(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    services.build_open_data()
    assert ("Listing", 2000) in seen
    assert ("Challenge", 2000) in seen


@pytest.mark.django_db(transaction=True)
def test_two_builds_in_two_threads_at_once_both_finish_whole(world):
    """Real concurrency: two builds started together, each with its own database connection."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    results, errors = [], []

    def build():
        try:
            barrier.wait(timeout=10)
            results.append(services.build_open_data())
        except Exception as error:  # reported below: a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 2 and results[0].folder != results[1].folder
    assert OpenDataRelease.objects.count() == 2
    newest = OpenDataRelease.objects.newest()
    assert newest in results
    for release in results:
        assert {row["ref"] for row in read_json(release, "offers.json")["rows"]} == {"L-offer"}
    assert stored_files() == {e["path"] for r in results for e in r.files.values()}
