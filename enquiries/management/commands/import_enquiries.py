"""Import enquiries from a folder of .eml files, one .eml file or an mbox file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enquiries import services


class Command(BaseCommand):
    help = (
        "Import emails as enquiries from a folder of .eml files, one .eml file or an mbox "
        "file. Safe to run again: emails already imported are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a folder of .eml files, an .eml file or an mbox file")

    def handle(self, *args, path: str, **options) -> None:
        source = Path(path)
        if not source.exists():
            raise CommandError(f"There is no file or folder at {source}. Check the path.")
        summary = services.import_enquiries(source)
        for name, reason in summary.failed:
            self.stderr.write(f"Skipped {name}: {reason}")
        self.stdout.write(
            f"Imported {summary.imported} new enquiries, joined {summary.joined} replies to "
            f"their threads, skipped {summary.duplicates} already imported, "
            f"{len(summary.failed)} failed."
        )
