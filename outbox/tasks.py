"""Celery doorways to the outbox services."""

from celery import shared_task

from . import services


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=services.MAX_ATTEMPTS,
)
def send_email_task(email_id: int) -> bool:
    return services.send_email(email_id)


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=services.MAX_ATTEMPTS,
)
def send_emails_task(email_ids: list[int]) -> int:
    return services.send_emails(email_ids)


# Periodic (every minute). Running it twice is harmless: each email is claimed before it
# is sent, so a second nudge for the same row finds it taken or sent and does nothing.
@shared_task(acks_late=True)
def resend_pending_emails_task() -> int:
    return services.resend_pending()
