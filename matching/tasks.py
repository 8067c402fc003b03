"""Celery tasks for matching (filled by the matcher issue, #4)."""

from celery import shared_task


@shared_task
def ping() -> str:
    """A no-op that shows a worker is consuming from the broker."""
    return "pong"
