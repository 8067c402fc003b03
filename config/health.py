"""`/healthz` and `/readyz`: what a load balancer, a container runtime or a drill asks.

- `/healthz`: the process is up and answering. It touches nothing else (no database), so a
  database outage does not make every web server look dead and get restarted in a loop.
- `/readyz`: this server can do its work: the database answers, the shared cache answers, the
  broker answers (within BROKER_TIMEOUT seconds) and no migration is waiting. 200 with each
  check's result as JSON; 503 naming what failed. Take a server out of the pool on 503.

Both are answered by a middleware at the top of the stack, before SecurityMiddleware and
CommonMiddleware, so that a load balancer asking over plain HTTP, by IP address, with a Host
header that is not in ALLOWED_HOSTS, gets the answer rather than a redirect to https or a 400.
Neither is ever cached (Cache-Control: no-store). The body names checks, never an error's
text: the details go to the log.
"""

import json
import logging
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
# A load balancer asks every few seconds: a broker that takes longer than this is "not ready".
BROKER_TIMEOUT = 2

_migrations_applied = False


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before any other middleware sees the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path == HEALTH_PATH:
            return _never_cached(HttpResponse("ok", content_type="text/plain; charset=utf-8"))
        if path == READY_PATH:
            return readiness()
        return self.get_response(request)


def readiness() -> HttpResponse:
    checks = {
        "database": check_database,
        "cache": check_cache,
        "broker": check_broker,
        "migrations": check_migrations,
    }
    results, failed = {}, []
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception:
            logger.warning("Readiness check %r failed", name, exc_info=True)
            results[name] = "failed"
        if results[name] != "ok":
            failed.append(name)
    body = {"status": "unavailable" if failed else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    response = HttpResponse(
        json.dumps(body), content_type="application/json", status=503 if failed else 200
    )
    return _never_cached(response)


def check_database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    """The cache every process shares (rate limits count there): write a value, read it back."""
    # A key of its own for each probe: two probes at once must not read each other's value.
    value = uuid.uuid4().hex
    key = f"readyz:probe:{value}"
    cache.set(key, value, timeout=30)
    try:
        return "ok" if cache.get(key) == value else "failed"
    finally:
        cache.delete(key)


def check_broker() -> str:
    """Open a connection to the broker (for Redis: connect and PING) with a short timeout."""
    from config.celery import app

    options = {
        **(app.conf.broker_transport_options or {}),
        "socket_timeout": BROKER_TIMEOUT,
        "socket_connect_timeout": BROKER_TIMEOUT,
        "max_retries": 0,
    }
    with app.connection_for_write(
        transport_options=options, connect_timeout=BROKER_TIMEOUT
    ) as connection:
        # No retry: a refused connection fails at once, a hung Redis after BROKER_TIMEOUT.
        connection.ensure_connection(max_retries=0)
        connection.default_channel  # noqa: B018 (opening the channel is the Redis PING)
    return "ok"


def check_migrations() -> str:
    """No migration is waiting. Once all are applied, this process's code cannot gain new ones,
    so the answer is kept (the check reads every migration file: about 0.1 s)."""
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return "unapplied"
    _migrations_applied = True
    return "ok"


def _never_cached(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
    return response
