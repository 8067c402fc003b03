"""/healthz (the process is up) and /readyz (database, cache, broker, migrations), issue #14.

The broker is a real redis-server, stopped mid-test; the database is made unreachable by
pointing the connection at a place where no database is.
"""

import json
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

from config import health
from tests.services import RedisServer, broker, free_port

# What production sets (config/settings/production.py), for requests as a load balancer
# makes them: plain HTTP, by IP address, with a Host header not in ALLOWED_HOSTS.
PRODUCTION_LIKE = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_REDIRECT_EXEMPT": [r"^healthz/?$", r"^readyz/?$"],
    "ALLOWED_HOSTS": ["exchange.example"],
    "DEBUG": False,
}


@pytest.fixture(autouse=True)
def forget_migrations_result():
    health._migrations_applied = False
    yield
    health._migrations_applied = False


@pytest.fixture
def redis_broker():
    server = RedisServer()
    with broker(server.url, {"socket_timeout": 2, "socket_connect_timeout": 2}):
        yield server
    server.stop()


def body(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def assert_never_cached(response):
    assert "no-store" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_ok_without_touching_the_database(client):
    # No django_db mark: any database access here would raise, failing the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert_never_cached(response)


@pytest.mark.django_db
def test_a_load_balancer_gets_answers_over_http_by_ip_address(redis_broker):
    with override_settings(**PRODUCTION_LIKE):
        balancer = Client(HTTP_HOST="10.0.0.7:8000")
        assert balancer.get("/healthz").status_code == 200
        assert balancer.get("/readyz").status_code == 200
        assert balancer.head("/healthz/").status_code == 200
        # Any other page, asked the same way, is refused or sent to https: the two above are
        # answered only because they are exempt.
        assert balancer.get("/cookies/").status_code == 400
        visitor = Client(HTTP_HOST="exchange.example")
        redirect = visitor.get("/cookies/")
        assert redirect.status_code == 301
        assert redirect["Location"] == "https://exchange.example/cookies/"
        assert visitor.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_names_each_check_when_all_are_ok(client, redis_broker):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert body(response) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "migrations": "ok"},
    }
    assert_never_cached(response)


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_redis_is_stopped(client, redis_broker):
    assert client.get("/readyz").status_code == 200
    redis_broker.stop()
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < health.BROKER_TIMEOUT + 1
    assert response.status_code == 503
    assert body(response) == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "ok", "broker": "failed", "migrations": "ok"},
        "failed": ["broker"],
    }
    assert_never_cached(response)
    redis_broker.start()  # the same port again: ready once more
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_gives_up_on_a_hung_broker_within_its_timeout(client):
    import socket

    with socket.socket() as hung:  # accepts connections, never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        url = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
        with broker(url, {"socket_timeout": 5, "socket_connect_timeout": 5}):
            started = time.monotonic()
            response = client.get("/readyz")
            elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert body(response)["failed"] == ["broker"]
    assert elapsed < health.BROKER_TIMEOUT + 1.5


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_naming_the_database_when_it_is_unreachable(client, redis_broker, tmp_path):
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    else:
        connection.settings_dict["PORT"] = str(free_port())  # nothing listens there
    try:
        response = client.get("/readyz")
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    result = body(response)
    assert result["checks"]["database"] == "failed"
    assert result["checks"]["broker"] == "ok"
    assert "database" in result["failed"]
    assert client.get("/readyz").status_code == 200  # back once the database is


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_waiting(client, redis_broker):
    last = MigrationRecorder.Migration.objects.filter(app="clusters").order_by("-name").first()
    last.delete()  # as if the release step had not yet run this migration
    response = client.get("/readyz")
    assert response.status_code == 503
    assert body(response)["checks"]["migrations"] == "unapplied"
    assert body(response)["failed"] == ["migrations"]


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_when_the_shared_cache_is_unreachable(client, redis_broker):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=unreachable):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert body(response)["failed"] == ["cache"]
    assert body(response)["checks"]["database"] == "ok"
