"""Fixtures for matching: a real Redis, and the Celery app pointed at it (not eager)."""

import pytest

from tests.services import RedisServer, broker


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def redis_broker(redis_server):
    """Tasks sent by the test go to the real Redis, for real workers to run."""
    options = {"socket_timeout": 2, "socket_connect_timeout": 2, "visibility_timeout": 3600}
    with broker(redis_server.url, options):
        yield redis_server
