"""Learn the matcher's signal weights from people's answers now (the nightly job does it too)."""

from django.core.management.base import BaseCommand

from matching import answers


class Command(BaseCommand):
    help = (
        "Fit the matcher's signal weights to people's answers; they are put in use (from the "
        "next rebuild) only if they beat the defaults on held-out answers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--defaults",
            action="store_true",
            help="stop using learned weights: the next rebuild fits with the defaults",
        )

    def handle(self, *args, defaults: bool = False, **options):
        if defaults:
            stopped = answers.return_to_defaults()
            self.stdout.write(
                "Learned weights are no longer in use; the next rebuild uses the defaults."
                if stopped
                else "No learned weights were in use: the matcher already uses the defaults."
            )
            return
        row = answers.learn_weights()
        self.stdout.write(row.reason)
        if row.weights:
            shown = ", ".join(f"{k} {v:.3f}" for k, v in row.weights.items())
            self.stdout.write(f"Learned weights: {shown}.")
        if row.in_use:
            self.stdout.write("They are in use from the next rebuild (manage.py rebuild_matches).")
