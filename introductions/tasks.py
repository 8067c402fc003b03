"""Celery doorways for introductions: the daily reminder and expiry sweep, and the asks
what came of accepted introductions."""

from celery import shared_task

from . import services


# Periodic (daily). Running it twice is harmless: a reminder is claimed on the introduction
# row (reminder_sent_at) before its emails are queued, and each email is keyed in the
# outbox; an expired request is no longer open, so the second run finds nothing to do.
@shared_task(acks_late=True)
def expire_introductions_task() -> tuple[int, int]:
    return services.expire_introductions()


# Periodic (daily). Running it twice, or two at once, asks once: each ask is claimed on the
# introduction's row before its emails are queued, and each email is keyed in the outbox.
@shared_task(acks_late=True)
def ask_for_outcomes_task() -> int:
    return services.ask_for_outcomes()
