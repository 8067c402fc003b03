"""Celery doorways for clusters: periodic listing expiry."""

from celery import shared_task

from . import services


# Periodic (hourly). Running it twice is harmless: a reminder is claimed on the listing row
# before it is queued, and its email is keyed in the outbox; expired listings are already
# withdrawn the second time.
@shared_task(acks_late=True)
def expire_listings_task() -> tuple[int, int]:
    return services.expire_listings()
