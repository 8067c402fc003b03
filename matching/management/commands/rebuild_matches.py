"""Refit the matcher and recompute every match now, in this process (no broker needed)."""

import time

from django.core.management.base import BaseCommand

from matching import services


class Command(BaseCommand):
    help = "Refit the matcher and recompute every suggested match, in this process."

    def handle(self, *args, **options):
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            if total == 0:
                self.stdout.write("Fitting the vocabulary on every listing and challenge…")
            else:
                elapsed = time.monotonic() - started
                self.stdout.write(f"Matched part {done} of {total} ({elapsed:.0f} s so far)")

        run = services.rebuild(in_process=True, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {run.sources} listings and challenges, {run.matches_written} matches, "
                f"in {time.monotonic() - started:.1f} s (model {run.model_version})."
            )
        )
