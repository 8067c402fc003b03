"""Compute the insights figures now, without a broker (staff, the demo data, benchmarks)."""

from django.core.management.base import BaseCommand

from insights import services


class Command(BaseCommand):
    help = "Count the records into a new set of insights figures (the gap analysis and funnel)."

    def handle(self, *args, **options) -> None:
        computation = services.compute_insights()
        figures = computation.figures.count()
        self.stdout.write(f"Insights computed: {figures} figures (computation {computation.pk}).")
