"""Celery doorways for match emails."""

from celery import shared_task

from . import services


# Periodic: "immediately" every 2 minutes, "daily" each morning, "weekly" on Mondays.
# Running it twice is harmless: there is one Digest per person and period, each email is
# keyed by its digest in the outbox, and a notice joins only one digest. So a run that fails
# part-way (PostgreSQL restarted while it builds a batch) is simply run again, seconds later:
# otherwise the people not yet reached waited for the next period (the postgres-restart drill).
@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=8,
)
def send_digests_task(cadence: str) -> int:
    return services.send_digests(cadence)
