"""The Celery app is wired: a real worker consumes a task through the local filesystem broker."""

from matching.tasks import ping
from tests.services import broker


def test_a_real_worker_runs_a_task_sent_through_the_filesystem_broker(tmp_path):
    from celery.contrib.testing.worker import start_worker

    queue, processed = tmp_path / "queue", tmp_path / "processed"
    queue.mkdir()
    processed.mkdir()
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
    }
    with (
        broker("filesystem://", options, result_backend="cache+memory://") as app,
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        result = ping.apply_async(ignore_result=False)
        assert result.get(timeout=20) == "pong"
    assert not list(queue.iterdir())  # the message was consumed, not left behind
