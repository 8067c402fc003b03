"""Load the project's own demo data, so the site looks alive on first run."""

from pathlib import Path

from django.core.management.base import BaseCommand

from clusters.importer import import_exchange, read_exchange_file
from clusters.models import Listing
from matching.services import rebuild
from pagecache.services import bump

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "exchange.json"
# The kind of partner some demo needs ask for in their own words: the exchange format has no
# field for it, so every imported listing is open to "any kind", and the "Looking for" filter
# found nothing in the demo (newcomer probe, stop 29).
DEMO_PARTNER_KINDS = {
    "D-0032": Listing.PartnerKind.INVESTOR,  # "Seeking a lead investor"
    "D-0155": Listing.PartnerKind.BUSINESS,  # an investor looking for hydrogen developers
    "D-0026": Listing.PartnerKind.UNIVERSITY,  # "a consultancy or university partner"
    "D-0084": Listing.PartnerKind.BUSINESS,  # employers to take students on placement
}


class Command(BaseCommand):
    help = "Import the demo clusters, challenges, organisations and listings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the site already has listings (used by `make run`)",
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and Listing.objects.exists():
            self.stdout.write("The site already has listings: demo data not loaded again.")
            return
        result = import_exchange(read_exchange_file(DEMO_FILE))
        self.stdout.write(result.summary())
        for ref, kind in DEMO_PARTNER_KINDS.items():
            Listing.objects.filter(ref=ref).update(partner_kind=kind)
        bump()  # the cached pages show listings (pagecache; update() sends no signal)
        # Matched now, in this process: `make run` works out the dashboards' figures next,
        # before its worker starts, and they showed no match at all for the first hour
        # (newcomer probe). The rebuild the import queued finds nothing left to write.
        run = rebuild(in_process=True)
        self.stdout.write(f"Matched the demo listings: {run.matches_written:,} suggestions.")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
