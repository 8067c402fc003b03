"""The Celery app is wired: a real worker consumes a task through the local filesystem broker."""

import pytest

from config.celery import app
from matching.tasks import ping


@pytest.fixture
def filesystem_broker(tmp_path):
    queue = tmp_path / "queue"
    processed = tmp_path / "processed"
    queue.mkdir()
    processed.mkdir()
    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.result_backend)
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
    }
    app.conf.result_backend = "cache+memory://"
    yield queue
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.result_backend = saved


def test_a_real_worker_runs_a_task_sent_through_the_filesystem_broker(filesystem_broker):
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = ping.apply_async(ignore_result=False)
        assert result.get(timeout=20) == "pong"
    assert not list(filesystem_broker.iterdir())  # the message was consumed, not left behind
