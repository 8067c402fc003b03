"""Import enquiries from a folder of .eml files, one .eml file, an mbox file or the IMAP inbox."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from enquiries import imap, services


class Command(BaseCommand):
    help = (
        "Import emails as enquiries from a folder of .eml files, one .eml file or an mbox "
        "file, or with --imap from the inbox at ENQUIRIES_IMAP_URL. Safe to run again: "
        "emails already imported are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", help="a folder of .eml files, an .eml file or an mbox file"
        )
        parser.add_argument(
            "--imap",
            action="store_true",
            help="read the IMAP inbox at ENQUIRIES_IMAP_URL (emails not marked yet)",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="with --imap, at most this many emails"
        )

    def handle(self, *args, path: str | None, imap: bool, limit: int | None, **options) -> None:
        if imap == bool(path):
            raise CommandError("Give either a file or folder to import, or --imap (not both).")
        if imap:
            summary = self._read_inbox(limit or settings.ENQUIRIES_IMAP_BATCH)
        else:
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
            + (
                f" {summary.remaining} more emails are waiting: run it again."
                if summary.remaining
                else ""
            )
        )

    def _read_inbox(self, limit: int) -> services.ImportSummary:
        if not settings.ENQUIRIES_IMAP_URL:
            raise CommandError(
                "ENQUIRIES_IMAP_URL is not set. Set it to the inbox, e.g. "
                "imaps://USER:PASSWORD@imap.example.org/INBOX, and run this again."
            )
        try:
            return imap.fetch_inbox(settings.ENQUIRIES_IMAP_URL, limit=limit)
        except imap.MailboxError as exc:
            raise CommandError(str(exc)) from None
