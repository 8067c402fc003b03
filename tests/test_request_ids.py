"""Every request has an id, echoed in X-Request-ID and written on its log lines and on the
log lines of the Celery tasks it queues (django-guid, config/logs.py), issue #14."""

import json
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from clusters.models import Listing
from config.logs import RequestIdFilter, logging_config
from matching.models import MatchingWork
from tests.factories import ListingFactory
from tests.services import RedisServer, broker, celery_workers, wait_for

GIVEN = "5d0e7c1a2b3f4e5d8c9a0b1c2d3e4f50"  # 32 hex digits, as nginx's $request_id
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept_and_echoed(client):
    response = client.get("/cookies/", HTTP_X_REQUEST_ID=GIVEN)
    assert response["X-Request-ID"] == GIVEN
    dashed = "5d0e7c1a-2b3f-4e5d-8c9a-0b1c2d3e4f50"
    assert client.get("/cookies/", HTTP_X_REQUEST_ID=dashed)["X-Request-ID"] == dashed


@pytest.mark.django_db
def test_without_an_incoming_id_each_request_gets_a_new_one(client):
    first = client.get("/cookies/")["X-Request-ID"]
    second = client.get("/cookies/")["X-Request-ID"]
    assert HEX32.match(first) and HEX32.match(second)
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given",
    [
        "not-a-request-id",
        "a" * 500,
        GIVEN + "\n" + '{"level": "CRITICAL"}',  # a forged second log line
        "<script>alert(1)</script>",
        "",
    ],
)
def test_an_insane_incoming_id_is_replaced(client, given):
    answered = client.get("/cookies/", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert HEX32.match(answered)
    assert answered != given


def test_json_lines_carry_the_request_id_and_text_lines_show_it():
    from django_guid import clear_guid, set_guid

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    for log_format in ("json", "text"):
        config = logging_config(log_format, "INFO")
        handler = Keep()
        handler.addFilter(RequestIdFilter(config["filters"]["request_id"]["missing"]))
        formatter = config["formatters"][log_format]
        if log_format == "json":
            from pythonjsonlogger.json import JsonFormatter

            options = {k: v for k, v in formatter.items() if k != "()"}
            handler.setFormatter(JsonFormatter(**options))
        else:
            handler.setFormatter(logging.Formatter(formatter["format"]))
        logger = logging.getLogger(f"tests.request_ids.{log_format}")
        logger.addHandler(handler)
        try:
            set_guid(GIVEN)
            logger.warning('a "quoted"\nmessage')
            clear_guid()
            logger.warning("outside a request")
        finally:
            logger.removeHandler(handler)
    inside, outside = json.loads(records[0]), json.loads(records[1])
    assert inside["request_id"] == GIVEN
    assert inside["message"] == 'a "quoted"\nmessage'
    assert (inside["level"], inside["logger"]) == ("WARNING", "tests.request_ids.json")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$", inside["time"])
    assert outside["request_id"] is None
    assert f"[{GIVEN}]" in records[2]
    assert "[-] outside a request" in records[3]


def test_production_logs_json_and_other_settings_text():
    import subprocess
    import sys

    assert settings.LOGGING["handlers"]["console"]["formatter"] == "text"
    show = "from django.conf import settings; print(settings.LOGGING['handlers']['console'])"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "exchange.example",
    }
    for extra, expected in (({}, "'json'"), ({"DJANGO_LOG_FORMAT": "text"}, "'text'")):
        shown = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", show],
            cwd=settings.BASE_DIR,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert f"'formatter': {expected}" in shown.stdout, shown.stderr
    with pytest.raises(ValueError, match="json or text"):
        logging_config("xml", "INFO")


@pytest.mark.django_db(transaction=True)
def test_a_request_keeps_its_id_when_its_tasks_run_at_once(client, member, organisation):
    """With tasks run in the request (the test settings' eager mode), the response still
    carries the request's id, not an empty one."""
    listing = ListingFactory(organisation=organisation, status=Listing.Status.DRAFT)
    client.force_login(member)
    response = client.post(
        reverse("clusters:listing-publish", args=[listing.ref]), HTTP_X_REQUEST_ID=GIVEN
    )
    assert MatchingWork.objects.filter(state="done").exists()  # the task did run, at once
    assert response["X-Request-ID"] == GIVEN


@pytest.fixture
def redis_broker():
    server = RedisServer()
    with broker(server.url, {"socket_timeout": 2, "socket_connect_timeout": 2}):
        yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_publishing_logs_the_same_request_id_in_the_web_and_in_the_task(
    client, member, organisation, redis_broker, tmp_path
):
    """A member publishes a listing; the matching work it queues runs on a real worker (JSON
    logs): the web's "Queued" line and the worker's lines for the task share the id."""
    web_lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            web_lines.append(record)

    keep = Keep()
    keep.addFilter(RequestIdFilter())
    web_logger = logging.getLogger("config.celery")
    web_logger.addHandler(keep)
    listing = ListingFactory(organisation=organisation, status=Listing.Status.DRAFT)
    client.force_login(member)
    with celery_workers(
        redis_broker.url, queues=["matching"], extra_env={"DJANGO_LOG_FORMAT": "json"}
    ) as workers:
        try:
            response = client.post(
                reverse("clusters:listing-publish", args=[listing.ref]), HTTP_X_REQUEST_ID=GIVEN
            )
        finally:
            web_logger.removeHandler(keep)
        assert response.status_code == 302
        assert response["X-Request-ID"] == GIVEN
        wait_for(lambda: not MatchingWork.objects.exclude(state="done").exists(), timeout=60)
        log = workers[0].log_path
        wait_for(lambda: _task_lines(log, GIVEN), timeout=10)
    queued = [r for r in web_lines if r.getMessage().startswith("Queued matching.tasks.")]
    assert queued, [r.getMessage() for r in web_lines]
    assert {r.request_id for r in queued} == {GIVEN}
    task_lines = _task_lines(log, GIVEN)
    assert any("matching.tasks.run_work_task" in line["message"] for line in task_lines)
    # Only this request's task carries its id: the worker's start-up lines carry none.
    assert any(line["request_id"] is None for line in _json_lines(log))


def _json_lines(log: Path) -> list[dict]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def _task_lines(log: Path, request_id: str) -> list[dict]:
    return [line for line in _json_lines(log) if line.get("request_id") == request_id]
