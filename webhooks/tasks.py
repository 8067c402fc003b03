"""Celery doorways to the webhook services (the `default` queue)."""

from celery import shared_task

from . import services


# Safe to run twice: the delivery is claimed with one atomic update before it is sent, and
# a delivery already done, or not yet due, is left alone. Retries are scheduled on the row
# (next_attempt_at) and picked up by the sweeper, never by a long Celery countdown.
@shared_task(acks_late=True)
def deliver_webhook_task(delivery_id: int) -> str:
    return services.deliver(delivery_id)


# Periodic (every minute). Running it twice is harmless: it only queues nudges, and each
# delivery is claimed before it is sent.
@shared_task(acks_late=True)
def send_due_webhooks_task() -> int:
    return services.send_due()
