"""Write what people said of suggestions (interested, not relevant), for measuring."""

import json
import sys

from django.core.management.base import BaseCommand

from matching import services


class Command(BaseCommand):
    help = "Export the feedback given on suggested matches as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, output: str | None = None, **options):
        doc = services.export_feedback()
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, ensure_ascii=False, indent=1)
            self.stderr.write(f"Wrote {len(doc['feedback'])} answers to {output}.")
        else:
            json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
