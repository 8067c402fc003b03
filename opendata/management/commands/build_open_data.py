"""Build the open data downloads now, as the daily task does (no broker needed)."""

from django.core.management.base import BaseCommand

from opendata.models import OpenDataRelease
from opendata.services import build_open_data


class Command(BaseCommand):
    help = "Build the open data downloads (CSV and JSON) now and serve them at /open-data/."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Only build if there is no release yet (for the local demo).",
        )

    def handle(self, *args, if_missing: bool = False, **options) -> None:
        if if_missing and OpenDataRelease.objects.exists():
            self.stdout.write("Open data already built; nothing to do.")
            return
        release = build_open_data()
        for name, entry in release.files.items():
            self.stdout.write(f"{name}: {entry['rows']} rows, {entry['size']} bytes")
        self.stdout.write(self.style.SUCCESS(f"Open data built in {release.folder}"))
