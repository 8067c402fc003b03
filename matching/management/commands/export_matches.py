"""Write the suggested matches as a cluster-exchange-matches/1 JSON file."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from matching import services


class Command(BaseCommand):
    help = "Export every source's best matches (needs and challenges to offers, offers to needs)."

    def add_arguments(self, parser):
        parser.add_argument("--top", type=int, default=10, help="matches per source (1 to 100)")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, top: int, output: str | None = None, **options):
        if not 1 <= top <= 100:
            raise CommandError("--top must be a whole number from 1 to 100.")
        doc = services.export_matches(top=top)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, ensure_ascii=False, indent=1)
            self.stderr.write(f"Wrote {len(doc['matches'])} matches to {output}.")
        else:
            json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
