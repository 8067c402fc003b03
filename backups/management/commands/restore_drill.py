"""Restore the newest backup into a throwaway database, check its counts, drop it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups.services import BackupError, restore_drill


class Command(BaseCommand):
    help = (
        "Restore the newest backup in BACKUP_DIR (or --file) into a new database, check every "
        "table's row count against the backup's manifest and that every migration is applied, "
        "print the figures, then drop the database. Fails if anything differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="a .dump file (default: the newest)")
        parser.add_argument("--dir", type=Path, help="the folder (default: BACKUP_DIR)")
        parser.add_argument("--jobs", type=int, default=1, help="pg_restore's parallel jobs")

    def handle(self, *args, **options) -> None:
        try:
            result = restore_drill(options["file"], options["dir"], jobs=options["jobs"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backup: {result.backup}")
        self.stdout.write(
            f"Restored into {result.database} in {result.restore_seconds} s (now dropped)."
        )
        if result.tables:
            width = max(len(table) for table, _, _ in result.tables)
            self.stdout.write(f"{'table':<{width}}  {'dumped':>10}  {'restored':>10}")
            for table, dumped, restored in result.tables:
                mark = "" if dumped == restored else "  <- differs"
                self.stdout.write(f"{table:<{width}}  {dumped:>10,}  {restored or 0:>10,}{mark}")
            total = sum(dumped for _, dumped, _ in result.tables)
            self.stdout.write(f"{len(result.tables)} tables, {total:,} rows dumped.")
        if not result.ok:
            raise CommandError("Restore drill FAILED: " + "; ".join(result.problems))
        self.stdout.write(
            self.style.SUCCESS("Restore drill passed: every count matches, all migrations applied.")
        )
