"""Real services for the tests: a Redis server and Celery worker processes.

Each starts the real program. Locally, a missing program skips the test with a message
saying how to install it; under CI=true it is a failure.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on a free port, with no persistence unless asked."""

    def __init__(self):
        require(
            shutil.which("redis-server") is not None,
            "Redis is not installed: these tests start a real redis-server "
            "(Debian/Ubuntu: sudo apt-get install redis-server).",
        )
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cx-redis-")
        self.process = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()


def database_url() -> str:
    """The URL of the database the test is using right now (the test database)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@contextmanager
def celery_workers(redis_url: str, count: int = 1, concurrency: int = 1, extra_env=None):
    """Start `count` real Celery worker processes on the test database; stop them after."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **(extra_env or {}),
    }
    logs, processes = [], []
    folder = Path(tempfile.mkdtemp(prefix="cx-workers-"))
    for n in range(count):
        logs.append(str(folder / f"worker-{n}.log"))
        log = open(logs[-1], "wb")  # noqa: SIM115 (the worker process writes to it until stopped)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "--app",
                    "config",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    str(concurrency),
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    f"test{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a test can kill it all
            )
        )
    try:
        _wait_until_ready(logs)
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_ready(logs: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [Path(p).read_text(errors="replace") for p in logs]
        if all(" ready." in text for text in texts):
            return
        time.sleep(0.2)
    raise RuntimeError(
        "Celery worker did not start:\n"
        + "\n".join(Path(p).read_text(errors="replace")[-2000:] for p in logs)
    )


def wait_for(condition, timeout: float = 30, interval: float = 0.2):
    """Poll until `condition()` is truthy; return its value, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up after {timeout} s waiting for {condition}")


@contextmanager
def broker(url: str, transport_options: dict | None = None, result_backend: str | None = None):
    """Point the project's Celery app at another broker for one test, then back.

    Celery keeps one connection pool per broker address; the app's handles to the pool are
    dropped (not closed, which would close them for everyone) so they are made again.
    """
    from config.celery import app

    def reset():
        app._pool = None
        app.amqp._producer_pool = None

    conf = app.conf
    saved = (
        conf.broker_url,
        conf.broker_transport_options,
        conf.result_backend,
        conf.task_always_eager,
    )
    conf.broker_url = url
    conf.broker_transport_options = transport_options or {}
    conf.result_backend = result_backend
    conf.task_always_eager = False
    reset()
    try:
        yield app
    finally:
        (
            conf.broker_url,
            conf.broker_transport_options,
            conf.result_backend,
            conf.task_always_eager,
        ) = saved
        reset()


def kill_hard(process) -> None:
    """kill -9 a worker and its pool children at once, as a crash or an OOM kill would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


class SMTPServer:
    """A real SMTP server (aiosmtpd) on a free port that keeps what it accepts.

    A message counts as delivered only once the server has answered 250 to it. `on_message`
    may be given a callable run before answering (to simulate a slow server or a crash).
    """

    def __init__(self, on_message=None):
        import threading

        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.lock = threading.Lock()
        self.messages: list = []
        self.on_message = on_message
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        import asyncio
        from email import message_from_bytes

        if self.on_message is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.on_message, envelope)
        if server.transport is None or server.transport.is_closing():
            return "421 Client gone"  # never acknowledged: the client will try again
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()

    def recipients(self) -> list[str]:
        with self.lock:
            return [m["To"] for m in self.messages]
