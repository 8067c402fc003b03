"""Celery doorways for match emails."""

from celery import shared_task

from . import services


# Periodic: "immediately" every 2 minutes, "daily" each morning, "weekly" on Mondays.
# Running it twice is harmless: there is one Digest per person and period, each email is
# keyed by its digest in the outbox, and a notice joins only one digest.
@shared_task(acks_late=True)
def send_digests_task(cadence: str) -> int:
    return services.send_digests(cadence)
