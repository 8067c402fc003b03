"""Refit the matcher and recompute every match now, in this process (no broker needed)."""

import time

from django.core.management.base import BaseCommand

from matching import services


class Command(BaseCommand):
    help = (
        "Refit the matcher and recompute every suggested match, in this process; only the "
        "matches that changed are written."
    )

    def handle(self, *args, **options):
        started = time.monotonic()

        def progress(step: str, seconds: float) -> None:
            self.stdout.write(f"{step} ({seconds:.1f} s)")

        run = services.rebuild(in_process=True, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {run.sources:,} listings and challenges, {run.matches_written:,} matches "
                f"written, in {time.monotonic() - started:.1f} s (model {run.model_version})."
            )
        )
