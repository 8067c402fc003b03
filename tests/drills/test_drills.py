"""The short form of each fault drill, on the whole topology started by platform/drill: its own
PostgreSQL, Redis, SMTP server, nginx in front of two gunicorn servers, two Celery worker
pools and beat (docs/reliability.md). Started once for the module (about 50 s), then each
scenario injects its fault while work flows and counts what came out."""

import glob
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
DRILL = ROOT / "platform" / "drill"

pytestmark = pytest.mark.drill


@pytest.fixture(scope="module")
def drill():
    require(
        all(shutil.which(p) for p in ("nginx", "redis-server", "openssl", "setsid"))
        and bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb")),
        "the drills start their own PostgreSQL, Redis and nginx "
        "(Debian/Ubuntu: sudo apt-get install postgresql redis-server nginx openssl).",
    )
    folder = tempfile.mkdtemp(prefix="cx-drill-")
    os.chmod(folder, 0o755)  # the postgres user keeps its data in here
    env = {
        key: value
        for key, value in os.environ.items()
        # The drill gives each part its own environment; nothing of the tests' own.
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CACHE_URL", "EMAIL_URL"))
    }
    env["DRILL_STATE"] = str(Path(folder) / "state")

    def run(*args, check=True, timeout=300):
        done = subprocess.run(
            [str(DRILL), *args], env=env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            pytest.fail(f"platform/drill {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    run("up", "--short")
    try:
        yield run, Path(env["DRILL_STATE"])
    finally:
        run("down", check=False)
        shutil.rmtree(folder, ignore_errors=True)


def scenario(drill, name: str, *flags: str) -> dict:
    run, state = drill
    done = run("scenario", name, "--short", *flags, check=False)
    (result,) = json.loads((state / "results.json").read_text())
    result["output"] = done.stdout + done.stderr
    result["returncode"] = done.returncode
    return result


def failed_checks(result: dict) -> list[str]:
    return [c["check"] for c in result["checks"] if not c["ok"]]


def test_a_web_server_killed_under_load_loses_no_request_that_was_not_in_flight(drill):
    result = scenario(drill, "web-kill")
    assert result["passed"], (failed_checks(result), result["output"])
    figures = result["figures"]
    assert figures["failed, not in flight"] == "0"
    assert int(figures["requests"].replace(",", "")) > 100
    assert result["returncode"] == 0


def test_without_nginx_retrying_the_other_server_the_same_kill_loses_requests(drill):
    """The drill can fail: with proxy_next_upstream off, requests sent to the dead server
    after the kill get an error."""
    result = scenario(drill, "web-kill", "--unprotected")
    assert "every request not in flight at the kill succeeded" in failed_checks(result)
    assert result["returncode"] == 1


def test_redis_stopped_while_listings_are_published_and_digests_sent_loses_nothing(drill):
    result = scenario(drill, "redis-outage")
    assert result["passed"], (failed_checks(result), result["output"])
    figures = result["figures"]
    assert int(figures["... of which while Redis was down"]) > 0
    assert figures["listings matched more than once"] == "0"
    assert figures["people who received two"] == "0"


def test_a_matching_worker_killed_mid_rebuild_the_rebuild_completes_once_with_every_match(
    drill,
):
    result = scenario(drill, "worker-kill")
    assert result["passed"], (failed_checks(result), result["output"])
    figures = result["figures"]
    assert figures["rebuild runs started"] == "1"
    assert figures["matches missing (undisturbed rebuild's, not there now)"] == "0"
    assert figures["matches not in the undisturbed rebuild"] == "0"


def test_postgresql_restarted_during_a_digest_run_every_email_arrives_once(drill):
    result = scenario(drill, "postgres-restart")
    assert result["passed"], (failed_checks(result), result["output"])
    assert result["figures"]["people who received two"] == "0"
    assert result["figures"]["people who received theirs"] == "300"


def test_two_beat_schedulers_do_the_scheduled_work_once(drill):
    result = scenario(drill, "two-beats")
    assert result["passed"], (failed_checks(result), result["output"])
    figures = result["figures"]
    assert figures["scheduled rebuilds sent by the two beats"] == "2"
    assert figures["rebuild runs"] == "1"
    assert figures["people who received two"] == "0"
