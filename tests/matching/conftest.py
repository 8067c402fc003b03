"""Fixtures for matching: a real Redis, and the Celery app pointed at it (not eager)."""

import pytest

from config.celery import app
from tests.services import RedisServer


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def redis_broker(redis_server, settings):
    """Tasks sent by the test go to the real Redis, for real workers to run."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)
    app.conf.broker_url = redis_server.url
    app.conf.broker_transport_options = {
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
        "visibility_timeout": 3600,
    }
    app.conf.task_always_eager = False
    app.pool.force_close_all()
    yield redis_server
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved
    app.pool.force_close_all()
