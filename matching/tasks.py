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


# A chunk or a merge held by another worker is tried again after the lease: if that worker
# died, the lease has run out by then and this one takes it over.
@shared_task(bind=True, acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def run_chunk_task(self, run_id: int, index: int) -> int:
    try:
        return services.run_chunk(run_id, index, worker=self.request.hostname or "")
    except services.ChunkBusy as exc:
        raise self.retry(exc=exc, countdown=services.LEASE.total_seconds()) from exc


@shared_task(bind=True, acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def merge_rebuild_task(self, run_id: int) -> int:
    try:
        return services.merge_rebuild(run_id, worker=self.request.hostname or "")
    except services.ChunkBusy as exc:
        raise self.retry(exc=exc, countdown=services.LEASE.total_seconds()) from exc


# Periodic (every minute). Running it twice is harmless: every work row, rebuild chunk and
# merge is claimed with one atomic update before it is done, so a second nudge finds it
# taken or done.
@shared_task(acks_late=True)
def sweep_matching_work_task() -> int:
    ids = services.pending_work()
    for work_id in ids:
        run_work_task.delay(work_id)
    chunks = services.unfinished_chunks()
    for run_id, index, is_merge in chunks:
        if is_merge:
            merge_rebuild_task.delay(run_id)
        else:
            run_chunk_task.delay(run_id, index)
    return len(ids) + len(chunks)


# Nightly. Sent twice (two beat schedulers by mistake), the second finds the first's rebuild
# waiting or under way and adds nothing (the two-beats drill saw two rebuilds before).
@shared_task(acks_late=True)
def nightly_rebuild_task() -> int:
    work = services.request_rebuild_unless_under_way()
    return work.pk if work else 0


# Nightly, before the rebuild, which fits with whatever weights are then in use. Running it
# twice records two attempts on the same answers; both reach the same decision.
@shared_task(acks_late=True)
def learn_weights_task() -> int:
    from . import answers

    return answers.learn_weights().pk
