"""Load or update records from an exchange file (cluster-exchange/1), all or nothing."""

from django.core.management.base import BaseCommand, CommandError

from clusters.exchange import ExchangeError
from clusters.importer import import_exchange, read_exchange_file


class Command(BaseCommand):
    help = "Import clusters, challenges, organisations and listings from an exchange JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to a cluster-exchange/1 JSON file")

    def handle(self, *args, file: str, **options):
        try:
            result = import_exchange(read_exchange_file(file))
        except ExchangeError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(
                f"Nothing was imported: {len(exc.errors)} problem(s) in {file}. "
                "Correct them and run the import again."
            ) from None
        self.stdout.write(result.summary())
        self.stdout.write(self.style.SUCCESS(f"Imported {file}."))
