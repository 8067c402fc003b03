"""Celery doorways for cluster teams: the daily challenge review reminder."""

from celery import shared_task

from . import services


# Periodic (daily). Running it twice, or on two workers at once, is harmless: each challenge
# is claimed on its row before its emails are queued, and each email is keyed in the outbox.
@shared_task(acks_late=True)
def remind_teams_to_review_task() -> int:
    return services.remind_teams_to_review()
