"""The local default needs no server: a real worker runs a job through the filesystem broker."""

import pytest

from matching.models import MatchingWork
from matching.tasks import run_work_task
from tests.services import broker, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_job_sent_through_the_filesystem_broker(tmp_path):
    from celery.contrib.testing.worker import start_worker

    queue, processed = tmp_path / "queue", tmp_path / "processed"
    queue.mkdir()
    processed.mkdir()
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "control_folder": str(tmp_path / "control"),
    }
    # Work on a listing that does not exist: the job has nothing to match but must still
    # be claimed and marked done by the worker.
    work = MatchingWork.objects.create(kind="listing", object_id=999_999)
    with (
        broker("filesystem://", options) as app,
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        run_work_task.delay(work.pk)
        wait_for(lambda: MatchingWork.objects.get(pk=work.pk).state == "done", timeout=20)
    assert not list(queue.iterdir())  # the message was consumed, not left behind
