"""Backups of the PostgreSQL database with pg_dump, and a drill that restores one and checks it.

A backup is two files in BACKUP_DIR: `<database>-<UTC time>.dump` (pg_dump's custom format:
compressed, restorable table by table, in parallel with pg_restore --jobs) and beside it
`<same>.json`, the manifest: when, the dump's size and SHA-256, the migrations applied and the
number of rows in every table, counted in the very snapshot pg_dump copies (a REPEATABLE READ
transaction exports its snapshot and pg_dump is started with --snapshot), so the counts are
exact even while the site keeps writing. The last BACKUP_KEEP backups are kept.

The restore drill restores the newest backup into a fresh database that exists only for the
drill, checks the dump's checksum, every table's row count against the manifest and that every
migration the code knows is applied, reports the figures, and drops the database, pass or fail.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

SUFFIX = ".dump"
NAME = re.compile(r"^(?P<database>.+)-(?P<stamp>\d{8}T\d{6}Z)\.dump$")


class BackupError(Exception):
    """What went wrong, in words for the person running the command."""


@dataclass
class Backup:
    dump: Path
    manifest: dict

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.dump)


@dataclass
class DrillResult:
    backup: Path
    database: str
    restore_seconds: float
    tables: list[tuple[str, int, int]] = field(default_factory=list)  # table, source, restored
    unapplied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# Connection ---------------------------------------------------------------------------------


def _database_settings() -> dict:
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        raise BackupError(
            "Backups use pg_dump, so they need PostgreSQL (DATABASE_URL=postgres://...). "
            "This site runs on SQLite: copy its file with `sqlite3 db.sqlite3 .backup copy`."
        )
    return db


def libpq_env(database: str | None = None) -> dict:
    """The environment pg_dump and pg_restore connect with (the password never on a command
    line, where `ps` would show it)."""
    db = _database_settings()
    env = {**os.environ, "PGDATABASE": database or db["NAME"]}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _connect(database: str | None = None, **options) -> psycopg.Connection:
    db = _database_settings()
    return psycopg.connect(
        dbname=database or db["NAME"],
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        sslmode=db.get("OPTIONS", {}).get("sslmode"),
        connect_timeout=10,
        **options,
    )


def _program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client programs, of the server's "
            "major version or newer (Debian: apt-get install postgresql-client)."
        )
    return found


# Tables and migrations --------------------------------------------------------------------------


def project_tables() -> list[str]:
    """Every table the site's models keep (each app's, Django's own, the migrations table)."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    tables.add("django_migrations")
    return sorted(tables)


def count_rows(cursor, tables: list[str]) -> dict[str, int]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename = ANY(%s)",
        [tables],
    )
    present = {row[0] for row in cursor.fetchall()}
    counts = {}
    for table in tables:
        if table in present:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations(cursor) -> list[str]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [f"{app}.{name}" for app, name in cursor.fetchall()]


def known_migrations() -> set[str]:
    """Every migration in the code, as `app.name`."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.graph.nodes}


# Backup --------------------------------------------------------------------------------------


def manifest_path(dump: Path) -> Path:
    return dump.with_suffix(".json")


def backup_database(folder: Path | None = None, keep: int | None = None) -> Backup:
    """Dump the database into `folder` (BACKUP_DIR) with its manifest; keep the newest `keep`."""
    folder = Path(folder or settings.BACKUP_DIR)
    keep = settings.BACKUP_KEEP if keep is None else keep
    if keep < 1:
        raise BackupError("BACKUP_KEEP must be 1 or more: the backup just made is always kept.")
    pg_dump = _program("pg_dump")
    db = _database_settings()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.now(UTC)
    dump = folder / f"{db['NAME']}-{now:%Y%m%dT%H%M%SZ}{SUFFIX}"
    partial = dump.with_name(dump.name + ".partial")
    started = time.monotonic()
    # One REPEATABLE READ transaction holds the snapshot open: the counts are read in it and
    # pg_dump copies exactly it (--snapshot), whatever the site writes meanwhile.
    with _connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            counts = count_rows(cursor, project_tables())
            migrations = applied_migrations(cursor)
            done = subprocess.run(
                [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                 f"--file={partial}"],
                env=libpq_env(),
                capture_output=True,
                text=True,
                # Personal data: the dump is the owner's only from its first byte, not only
                # once it is complete (chmod below, for an umask that allowed more).
                preexec_fn=lambda: os.umask(0o077),
            )  # fmt: skip
        conn.rollback()
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    partial.chmod(0o600)  # personal data: readable by the backup's owner only
    partial.rename(dump)  # only a complete dump ever has the .dump name
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True).stdout
    manifest = {
        "dump": dump.name,
        "database": db["NAME"],
        "created_at": now.isoformat(),
        "seconds": round(time.monotonic() - started, 2),
        "bytes": dump.stat().st_size,
        "sha256": sha256(dump),
        "server_version": server_version,
        "pg_dump_version": version.strip(),
        "migrations": migrations,
        "tables": counts,
    }
    manifest_path(dump).write_text(json.dumps(manifest, indent=2) + "\n")
    manifest_path(dump).chmod(0o600)
    prune(folder, keep)
    return Backup(dump, manifest)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backups(folder: Path | None = None) -> list[Path]:
    """The dumps in `folder` that have a manifest, oldest first (their names sort by time)."""
    folder = Path(folder or settings.BACKUP_DIR)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if NAME.match(p.name) and manifest_path(p).exists()]
    return sorted(found, key=lambda p: NAME.match(p.name)["stamp"])


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (dump and manifest); return what went."""
    old = backups(folder)[:-keep]
    for dump in old:
        dump.unlink(missing_ok=True)
        manifest_path(dump).unlink(missing_ok=True)
    return old


# Restore drill ---------------------------------------------------------------------------------


def restore_drill(dump: Path | None = None, folder: Path | None = None, jobs: int = 1):
    """Restore `dump` (the newest backup if none) into a throwaway database, check it, drop it."""
    if dump is None:
        found = backups(folder)
        if not found:
            raise BackupError(
                f"No backup in {folder or settings.BACKUP_DIR}: run `manage.py backup_database`."
            )
        dump = found[-1]
    dump = Path(dump)
    manifest = json.loads(manifest_path(dump).read_text())
    pg_restore = _program("pg_restore")
    database = f"restore_drill_{datetime.now(UTC):%Y%m%d%H%M%S}_{os.getpid()}"
    result = DrillResult(backup=dump, database=database, restore_seconds=0.0)
    if sha256(dump) != manifest["sha256"]:
        result.problems.append("the dump's SHA-256 differs from its manifest: the file changed")
        return result
    with _connect("postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        started = time.monotonic()
        done = subprocess.run(
            [pg_restore, "--no-password", "--no-owner", "--no-privileges", "--exit-on-error",
             f"--jobs={jobs}", f"--dbname={database}", str(dump)],
            env=libpq_env(database),
            capture_output=True,
            text=True,
        )  # fmt: skip
        result.restore_seconds = round(time.monotonic() - started, 2)
        if done.returncode != 0:
            result.problems.append(f"pg_restore failed: {done.stderr.strip()}")
            return result
        with _connect(database) as restored, restored.cursor() as cursor:
            counts = count_rows(cursor, sorted(manifest["tables"]))
            applied = set(applied_migrations(cursor))
        if applied != set(manifest["migrations"]):
            result.problems.append(
                "the restored database's migrations differ from those recorded at the dump"
            )
        for table, expected in sorted(manifest["tables"].items()):
            found = counts.get(table)
            result.tables.append((table, expected, found))
            if found != expected:
                result.problems.append(f"{table}: {found} rows restored, {expected} dumped")
        result.unapplied = sorted(known_migrations() - applied)
        if result.unapplied:
            result.problems.append(
                f"{len(result.unapplied)} migrations of this code are not applied in the "
                f"backup (first: {result.unapplied[0]}): run `manage.py migrate` after a restore"
            )
        return result
    finally:
        with _connect("postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
