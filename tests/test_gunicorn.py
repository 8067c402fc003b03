"""config/gunicorn.py: the values and their environment variables, and a real gunicorn
started with it writing one JSON access line per request (issue #14)."""

import contextlib
import json
import multiprocessing
import os
import runpy
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.services import database_url, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "gunicorn.py"


def load(monkeypatch, **env) -> dict:
    for name in (
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
        "GUNICORN_BIND",
        "PORT",
        "DJANGO_LOG_FORMAT",
        "DJANGO_SETTINGS_MODULE",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_defaults_suit_a_server_behind_a_proxy(monkeypatch):
    config = load(monkeypatch)
    assert config["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert config["worker_class"] == "sync"
    assert config["bind"] == "0.0.0.0:8000"
    # A stuck worker is replaced; the workers finish their requests on SIGTERM before the
    # orchestrator's grace period (45 s in platform/compose.yaml) runs out.
    assert 0 < config["graceful_timeout"] < 45
    assert config["timeout"] >= 30
    assert config["max_requests"] > 0 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert config["preload_app"] is False
    assert config["logger_class"].__name__ == "RedactingLogger"  # text logs outside production
    assert "request_id=%({x-request-id}o)s" in config["access_log_format"]


def test_the_environment_sets_the_values(monkeypatch):
    config = load(
        monkeypatch,
        WEB_CONCURRENCY="7",
        GUNICORN_THREADS="4",
        PORT="9000",
        DJANGO_SETTINGS_MODULE="config.settings.production",
    )
    assert config["workers"] == 7
    assert config["worker_class"] == "gthread"
    assert config["bind"] == "0.0.0.0:9000"
    assert config["logger_class"].__name__ == "JsonLogger"  # JSON logs in production
    config = load(monkeypatch, DJANGO_LOG_FORMAT="text", GUNICORN_BIND="127.0.0.1:8001")
    assert config["bind"] == "127.0.0.1:8001"
    assert config["logger_class"].__name__ == "RedactingLogger"


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """A real gunicorn with config/gunicorn.py and JSON logs, on the test database."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "DJANGO_LOG_FORMAT": "json",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(CONFIG), "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return urllib.request.urlopen(f"{url}/healthz", timeout=2).status == 200
        except OSError:
            return False

    try:
        wait_for(up, timeout=30)
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def json_lines(log: Path) -> list[dict]:
    lines = []
    for line in log.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line in gunicorn's output: {line!r}")
    return lines


def test_a_real_gunicorn_writes_one_json_access_line_per_request(gunicorn):
    url, log = gunicorn
    request_id = "0f5c2a4e9b8d4c1e8a7f6b5c4d3e2f1a"
    request = urllib.request.Request(
        f"{url}/cookies/?from=test",
        headers={"X-Request-ID": request_id, "User-Agent": 'tester "quoted"'},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["X-Request-ID"] == request_id
    time.sleep(0.3)  # the access line is written after the response
    access = [line for line in json_lines(log) if line.get("logger") == "gunicorn.access"]
    cookies = [line for line in access if line["path"] == "/cookies/"]
    assert len(cookies) == 1, access
    line = cookies[0]
    assert line["request_id"] == request_id
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["query"] == "from=test"
    assert line["user_agent"] == 'tester "quoted"'
    assert line["duration_ms"] >= 0
    # gunicorn's own messages are JSON too, with the same field names.
    started = [line for line in json_lines(log) if "Booting worker" in line.get("message", "")]
    assert started and started[0]["logger"] == "gunicorn.error" and started[0]["level"] == "INFO"


def test_secret_links_are_hidden_in_the_access_log(gunicorn):
    """The key of a one-time link never reaches the log (attacker probe): not in the path, nor
    in the referer of the page that followed it."""
    url, log = gunicorn
    secret = "Zx9SecretToken4242"
    request = urllib.request.Request(
        f"{url}/invitations/{secret}/",
        headers={"Referer": f"{url}/account/password/reset/key/1-{secret}/"},
    )
    with contextlib.suppress(urllib.error.HTTPError):  # a line is written either way
        urllib.request.urlopen(request, timeout=10)
    time.sleep(0.3)
    text = log.read_text()
    assert secret not in text, [line for line in text.splitlines() if secret in line]
    access = [line for line in json_lines(log) if line.get("logger") == "gunicorn.access"]
    line = [a for a in access if a["path"].startswith("/invitations/")][-1]
    assert line["path"] == "/invitations/[hidden]/"
    assert line["referer"].endswith("/account/password/reset/key/[hidden]/")
    # The invitation page's "sign in" link carries ?next= the invitation's address.
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(f"{url}/account/login/?next=/invitations/{secret}/", timeout=10)
    time.sleep(0.3)
    text = log.read_text()
    assert secret not in text, [line for line in text.splitlines() if secret in line]
    access = [line for line in json_lines(log) if line.get("logger") == "gunicorn.access"]
    signing_in = [a for a in access if a["path"] == "/account/login/"]
    assert signing_in and signing_in[-1]["query"] == "next=/invitations/[hidden]/"
