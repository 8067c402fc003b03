"""Backups with pg_dump and the restore drill, on the real PostgreSQL (issue #14).

They need PostgreSQL: on SQLite they are skipped with a message (CI runs the suite on
PostgreSQL too, where they run).
"""

import json
import re
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from backups import services
from clusters.models import Listing, Organisation
from tests.conftest import require
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Backups use pg_dump and pg_restore: run with DATABASE_URL=postgres://... "
            "(CI's PostgreSQL run does)."
        )
    import shutil

    require(
        shutil.which("pg_dump") and shutil.which("pg_restore"),
        "PostgreSQL's client programs are missing (Debian: apt-get install postgresql-client).",
    )


@pytest.fixture
def backup_dir(tmp_path, settings):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEEP = 3
    return settings.BACKUP_DIR


def drill_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'restore_drill_%%'")
        return [row[0] for row in cursor.fetchall()]


def run(command, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_a_backup_is_a_custom_format_dump_with_exact_counts_beside_it(backup_dir):
    ListingFactory.create_batch(3)
    output = run("backup_database")
    [dump] = services.backups(backup_dir)
    assert str(dump) in output
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert dump.stat().st_mode & 0o777 == 0o600  # personal data: the owner only
    assert backup_dir.stat().st_mode & 0o777 == 0o700  # and so is the folder it is made in
    manifest = json.loads(services.manifest_path(dump).read_text())
    assert manifest["tables"]["clusters_listing"] == Listing.objects.count() == 3
    assert manifest["tables"]["clusters_organisation"] == Organisation.objects.count()
    assert manifest["sha256"] == services.sha256(dump)
    assert "clusters.0001_initial" in manifest["migrations"]
    assert re.match(rf"^{connection.settings_dict['NAME']}-\d{{8}}T\d{{6}}Z\.dump$", dump.name)


def test_the_dump_is_private_while_pg_dump_writes_it(backup_dir, monkeypatch):
    # The umask is widened on purpose: the dump must still be the owner's from its first byte.
    import os
    import subprocess

    seen = []
    real_run = subprocess.run

    def watching_run(command, *args, **kwargs):
        result = real_run(command, *args, **kwargs)
        partial = [a for a in command if str(a).startswith("--file=")]
        if partial:
            path = partial[0].removeprefix("--file=")
            seen.append(os.stat(path).st_mode & 0o777)  # before the code's own chmod
        return result

    previous = os.umask(0o022)
    try:
        monkeypatch.setattr(services.subprocess, "run", watching_run)
        run("backup_database")
    finally:
        os.umask(previous)
    assert seen == [0o600]


def test_only_the_newest_backups_are_kept(backup_dir):
    made = []
    for _ in range(5):
        made.append(services.backup_database().dump)
        time.sleep(1.05)  # names carry the second
    kept = services.backups(backup_dir)
    assert kept == made[-3:]
    assert sorted(p.name for p in backup_dir.iterdir()) == sorted(
        [p.name for p in kept] + [services.manifest_path(p).name for p in kept]
    )


def test_the_restore_drill_restores_the_newest_backup_checks_it_and_drops_it(backup_dir):
    ListingFactory.create_batch(2)
    services.backup_database()
    time.sleep(1.05)
    ListingFactory.create_batch(3)  # the newest backup has 5 listings, the older 2
    newest = services.backup_database().dump
    output = run("restore_drill")
    assert f"Backup: {newest}" in output
    assert re.search(r"clusters_listing\s+5\s+5\n", output)
    assert "Restore drill passed" in output
    assert drill_databases() == []  # the throwaway database is gone


def test_the_drill_fails_on_a_count_that_differs_and_still_drops_its_database(backup_dir):
    ListingFactory.create_batch(2)
    dump = services.backup_database().dump
    manifest = json.loads(services.manifest_path(dump).read_text())
    manifest["tables"]["clusters_listing"] = 3  # as if a row had been lost
    services.manifest_path(dump).write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="clusters_listing: 2 rows restored, 3 dumped"):
        run("restore_drill")
    assert drill_databases() == []


def test_the_drill_refuses_a_dump_that_changed_after_the_backup(backup_dir):
    dump = services.backup_database().dump
    with dump.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(CommandError, match="SHA-256"):
        run("restore_drill")
    assert drill_databases() == []


def test_the_drill_says_so_when_there_is_no_backup(backup_dir):
    with pytest.raises(CommandError, match="No backup in .*backup_database"):
        run("restore_drill")


def test_counts_and_dump_come_from_one_snapshot_while_the_site_writes(backup_dir, monkeypatch):
    """A listing saved after the counts were read but before pg_dump starts is in neither:
    pg_dump copies the snapshot the counts were read in (--snapshot)."""
    ListingFactory.create_batch(2)
    real_run = services.subprocess.run

    def write_meanwhile(args, **kwargs):
        if any(str(a).startswith("--snapshot=") for a in args):
            ListingFactory()  # committed at once (autocommit), by another connection
        return real_run(args, **kwargs)

    monkeypatch.setattr(services.subprocess, "run", write_meanwhile)
    backup = services.backup_database()
    monkeypatch.undo()
    assert Listing.objects.count() == 3
    assert backup.manifest["tables"]["clusters_listing"] == 2
    result = services.restore_drill()
    assert result.ok, result.problems
    assert ("clusters_listing", 2, 2) in result.tables
