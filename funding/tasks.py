"""Celery doorways for funding: closing calls past their deadline."""

from celery import shared_task

from . import services


# Periodic (daily, just after midnight). Running it twice, or on two workers at once, is
# harmless: it is one conditional UPDATE of calls still open past their deadline.
@shared_task(acks_late=True)
def close_calls_past_deadline_task() -> int:
    return services.close_calls_past_deadline()
