"""Celery doorway to the insights computation."""

from celery import shared_task

from . import services


# Periodic (every hour, CELERY_BEAT_SCHEDULE "compute-insights"). Running it twice, or two at
# once, is harmless: each run writes its own Computation and the pages read the newest
# finished one; a failed run is marked failed and the last good one stays in use.
@shared_task(acks_late=True)
def compute_insights_task() -> int:
    return services.compute_insights().pk
