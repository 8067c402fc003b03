"""Write every cluster, challenge, organisation and listing as one exchange file."""

import json
import sys

from django.core.management.base import BaseCommand

from clusters.importer import export_exchange


class Command(BaseCommand):
    help = (
        "Export the site's records as a cluster-exchange/1 JSON file (standard output by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, output: str | None = None, **options):
        doc = export_exchange()
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, ensure_ascii=False, indent=1)
            self.stderr.write(f"Wrote {len(doc['listings'])} listings to {output}.")
        else:
            json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
