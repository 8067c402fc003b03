"""Celery doorways to the matching services: each takes ids and calls one service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def ping() -> str:
    """A no-op that shows a worker is consuming from the broker."""
    return "pong"


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def run_work_task(work_id: int) -> str:
    return services.run_work(work_id)


@shared_task(bind=True, acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def run_chunk_task(self, run_id: int, index: int) -> int:
    return services.run_chunk(run_id, index, worker=self.request.hostname or "")


# Periodic (every minute). Running it twice is harmless: every work row is claimed with one
# atomic update before it is done, so a second nudge finds it taken or done.
@shared_task(acks_late=True)
def sweep_matching_work_task() -> int:
    ids = services.pending_work()
    for work_id in ids:
        run_work_task.delay(work_id)
    return len(ids)


# Nightly. Running it twice is harmless: the second request finds the pending rebuild row
# and adds nothing; a rebuild that does run twice rewrites the same matches.
@shared_task(acks_late=True)
def nightly_rebuild_task() -> int:
    return services.request_rebuild().pk


# Nightly, before the rebuild, which fits with whatever weights are then in use. Running it
# twice records two attempts on the same answers; both reach the same decision.
@shared_task(acks_late=True)
def learn_weights_task() -> int:
    from . import answers

    return answers.learn_weights().pk
