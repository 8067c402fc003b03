"""The container files (Dockerfile, .dockerignore, platform/compose.yaml) and beat's heartbeat.

No container engine runs on our machines, so the files are read and checked for what matters
(issue #14): a non-root image with static files collected at build, every long-running
service with a health check that tests the right thing, the queues split as the Procfiles
split them, one beat, grace periods longer than the work they wait for.
"""

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.services import database_url, wait_for

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "platform" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def command(service: str) -> list[str]:
    found = SERVICES[service].get("command", [])
    return shlex.split(found) if isinstance(found, str) else found


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smh])", duration))


def test_every_long_running_service_has_a_health_check():
    jobs = {name for name, s in SERVICES.items() if s.get("restart") == "no"}
    assert jobs == {"migrate"}  # a one-off: the others wait for it to exit 0
    for name, service in SERVICES.items():
        if name in jobs:
            continue
        check = service.get("healthcheck", {}).get("test")
        assert check and check[0] in {"CMD", "CMD-SHELL"}, f"{name} has no health check"
        if check[:3] == ["CMD", "python", "-c"]:
            compile(check[3], f"<{name} health check>", "exec")  # the one-liner is Python


def test_each_health_check_tests_what_its_service_does():
    test = {
        name: " ".join(s["healthcheck"]["test"][1:])
        for name, s in SERVICES.items()
        if "healthcheck" in s
    }
    assert test["postgres"].startswith("pg_isready")
    assert test["redis"] == "redis-cli ping"
    assert "/readyz" in test["web"] and ":8000/" in test["web"]
    assert "/healthcheck" in test["flower"]
    for worker in ("worker-matching", "worker-email"):
        hostname = option(command(worker), "--hostname").replace("%h", "$$HOSTNAME")
        assert f"inspect ping --destination {hostname}" in test[worker]
    heartbeat = SERVICES["beat"]["environment"]["BEAT_HEARTBEAT_FILE"]
    assert option(command("beat"), "--scheduler") == "config.beat:HeartbeatScheduler"
    assert heartbeat in test["beat"]
    assert SERVICES["backup"]["environment"]["BACKUP_DIR"] in test["backup"]


def test_the_worker_pools_split_the_queues_as_the_procfile_does():
    queues = {
        worker: set(option(command(worker), "--queues").split(","))
        for worker in ("worker-matching", "worker-email")
    }
    assert queues == {
        "worker-matching": {"matching"},
        "worker-email": {"email", "default", "webhooks"},
    }
    assert set().union(*queues.values()) == {q.name for q in settings.CELERY_TASK_QUEUES}


def test_one_beat_and_grace_periods_longer_than_the_work():
    beats = [name for name in SERVICES if "beat" in command(name)]
    assert beats == ["beat"]
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1
    for worker in ("worker-matching", "worker-email"):
        assert seconds(SERVICES[worker]["stop_grace_period"]) > settings.CELERY_TASK_TIME_LIMIT
    import runpy

    gunicorn = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    assert seconds(SERVICES["web"]["stop_grace_period"]) > gunicorn["graceful_timeout"]
    assert command("web") == ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]


def test_every_app_service_runs_the_one_image_with_production_settings():
    app_services = [n for n, s in SERVICES.items() if s.get("image") == "cluster-exchange"]
    assert set(app_services) == {
        "migrate", "web", "worker-matching", "worker-email", "beat", "flower", "backup"
    }  # fmt: skip
    for name in app_services:
        environment = SERVICES[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        assert environment["DJANGO_LOG_FORMAT"] == "json", name
        assert environment["REDIS_URL"].startswith("redis://redis:"), name
    redis = SERVICES["redis"]
    assert "./redis.conf:/usr/local/etc/redis/redis.conf:ro" in redis["volumes"]
    assert (ROOT / "platform" / "redis.conf").exists()


def test_the_image_runs_as_a_user_other_than_root_and_collects_static_files():
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert stages and all(s == "python:3.11-slim" for s in stages)
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)
    assert users and users[-1] not in {"root", "0", "0:0"}
    final = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    assert final.index("collectstatic") < final.index(f"USER {users[-1]}")
    assert "postgresql-client" in final  # pg_dump and pg_restore for the backups
    assert 'CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]' in final
    ignored = (ROOT / ".dockerignore").read_text().split()
    for secret_or_state in (".git", ".venv", ".env", "var/", "db.sqlite3*"):
        assert secret_or_state in ignored


def test_the_backup_loop_is_valid_shell():
    assert subprocess.run(["sh", "-n", str(ROOT / "platform" / "backup-loop")]).returncode == 0
    assert command("backup") == ["sh", "platform/backup-loop"]


@pytest.mark.django_db(transaction=True)
def test_beat_with_the_heartbeat_scheduler_touches_its_file(tmp_path):
    """A real `celery beat` (filesystem broker, the test database) writes its heartbeat."""
    heartbeat = tmp_path / "beat-heartbeat"
    broker = tmp_path / "broker"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_FILESYSTEM_DIR": str(broker),
        "BEAT_HEARTBEAT_FILE": str(heartbeat),
    }
    env.pop("REDIS_URL", None)
    for folder in ("queue", "processed", "control"):
        (broker / folder).mkdir(parents=True)
    with open(tmp_path / "beat.log", "wb") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app", "config", "beat",
             "--scheduler", "config.beat:HeartbeatScheduler", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(heartbeat.exists, timeout=60)
        first = heartbeat.stat().st_mtime
        wait_for(lambda: heartbeat.stat().st_mtime > first, timeout=15)  # touched again
        assert time.time() - heartbeat.stat().st_mtime < 60  # the health check's test
    finally:
        beat.terminate()
        beat.wait(timeout=30)
