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


def all_queues() -> list[str]:
    """Every queue the settings declare (matching, email, default)."""
    from django.conf import settings

    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


@contextmanager
def celery_workers(
    redis_url: str, count: int = 1, concurrency: int = 1, extra_env=None, queues=None
):
    """Start `count` real Celery worker processes on the test database; stop them after.

    They consume every queue unless `queues` names some (as platform/Procfile splits them).
    """
    queues = list(queues or all_queues())
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
                    "--queues",
                    ",".join(queues),
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
        processes[-1].log_path = Path(logs[-1])  # what the worker printed, for the test to read
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
            # Let the loop read what happened meanwhile: a client killed during on_message
            # is only seen as gone once its closed socket has been read (without this, a
            # CI run counted the dead client's message as delivered, and sent twice).
            await asyncio.sleep(0.2)
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


class ImapServer:
    """A real IMAP server (Dovecot) on a free port, with one mailbox user, for this test only.

    It serves IMAP over TLS (a self-signed certificate made for 127.0.0.1, trusted by pointing
    SSL_CERT_FILE at it) and plain IMAP on a second port. Mail is kept in a temporary Maildir.
    """

    USER = "enquiries@programme.example"
    PASSWORD = "s3cret@word/1"

    def __init__(self):
        import pwd

        require(
            shutil.which("dovecot") is not None and shutil.which("openssl") is not None,
            "Dovecot is not installed: the IMAP tests start a real IMAP server "
            "(Debian/Ubuntu: sudo apt-get install dovecot-imapd openssl).",
        )
        self.dir = Path(tempfile.mkdtemp(prefix="cx-imap-"))
        self.dir.chmod(0o755)  # Dovecot's own users must reach its files
        self.tls_port, self.plain_port = free_port(), free_port()
        self.cert = self.dir / "cert.pem"
        key = self.dir / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(key), "-out", str(self.cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        key.chmod(0o644)
        (self.dir / "users").write_text(f"{self.USER}:{{PLAIN}}{self.PASSWORD}\n")
        home = self.dir / "home"
        home.mkdir()
        if os.geteuid() == 0:
            # Dovecot will not keep mail as root: the mailbox belongs to "nobody".
            mail = pwd.getpwnam("nobody")
            users = ""
            os.chown(home, mail.pw_uid, mail.pw_gid)
            uid, gid = mail.pw_uid, mail.pw_gid
        else:  # unprivileged: everything runs as this user
            me = pwd.getpwuid(os.getuid()).pw_name
            users = (
                f"default_internal_user = {me}\ndefault_login_user = {me}\n"
                f"default_internal_group = {me}\n"
            )
            uid, gid = os.getuid(), os.getgid()
        self.config = self.dir / "dovecot.conf"
        self.config.write_text(
            f"""base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
{users}ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%n
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
"""
        )
        # Dovecot goes into the background: its output goes to a file, not to a pipe that the
        # daemon would keep open.
        with open(self.dir / "start.log", "w+", encoding="utf-8") as out:
            done = subprocess.run(["dovecot", "-c", str(self.config)], stdout=out, stderr=out)
            out.seek(0)
            if done.returncode != 0:
                raise RuntimeError(f"dovecot did not start: {out.read()}")
        wait_for(lambda: self._listening(self.tls_port) and self._listening(self.plain_port), 10)

    @staticmethod
    def _listening(port: int) -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def url(self, tls: bool = True, folder: str = "") -> str:
        from urllib.parse import quote

        auth = f"{quote(self.USER, safe='')}:{quote(self.PASSWORD, safe='')}"
        if tls:
            return f"imaps://{auth}@127.0.0.1:{self.tls_port}/{folder}"
        return f"imap://{auth}@127.0.0.1:{self.plain_port}/{folder}?tls=none"

    def client(self):
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.plain_port, timeout=10)
        client.login(self.USER, self.PASSWORD)
        return client

    def deliver(self, *raws: bytes, folder: str = "INBOX") -> None:
        """Put emails in the mailbox, as the mail server would on receiving them."""
        client = self.client()
        try:
            if folder != "INBOX":
                client.create(folder)
            for raw in raws:
                kind, data = client.append(folder, None, None, raw)
                assert kind == "OK", data
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        """Each email's flags, in mailbox order."""
        import re

        client = self.client()
        try:
            client.select(folder, readonly=True)
            kind, data = client.fetch("1:*", "(FLAGS)")
            found = []
            for item in data:
                if isinstance(item, bytes) and b"FLAGS" in item:
                    inside = re.search(rb"FLAGS \(([^)]*)\)", item).group(1).decode()
                    found.append(set(inside.split()))
            return found
        finally:
            client.logout()

    def stop(self) -> None:
        subprocess.run(
            ["doveadm", "-c", str(self.config), "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: not self._listening(self.tls_port), 10)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def filesystem_worker(folder):
    """A real Celery worker (one process's thread, solo pool) on a filesystem broker under
    `folder`, with the project's app pointed at it: for tests of a task through a worker
    without Redis."""
    from celery.contrib.testing.worker import start_worker

    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }
    for name in ("queue", "processed"):
        (folder / name).mkdir(exist_ok=True)
    with (
        broker("filesystem://", options) as app,
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        yield app
