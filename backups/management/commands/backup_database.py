"""Dump the PostgreSQL database into BACKUP_DIR with its manifest; keep the newest BACKUP_KEEP."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups.services import BackupError, backup_database


class Command(BaseCommand):
    help = (
        "Back up the database with pg_dump (custom format) into BACKUP_DIR, with a manifest of "
        "every table's row count, and delete all but the newest BACKUP_KEEP backups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, help="the folder (default: BACKUP_DIR)")
        parser.add_argument("--keep", type=int, help="how many to keep (default: BACKUP_KEEP)")

    def handle(self, *args, **options) -> None:
        try:
            backup = backup_database(options["dir"], options["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = backup.manifest
        self.stdout.write(
            f"Backed up {manifest['database']} to {backup.dump} "
            f"({manifest['bytes']:,} bytes, {sum(manifest['tables'].values()):,} rows in "
            f"{len(manifest['tables'])} tables, {manifest['seconds']} s)."
        )
