"""Time building and sending every daily digest for N people with new matches.

Real parts throughout: a fresh database, a real redis-server, real Celery worker
processes, and a real SMTP server (aiosmtpd) that counts what it receives. The clock
runs from asking for the digests to the SMTP server holding every message; each
recipient must get exactly one.

    .venv/bin/python benchmarks/email_digest.py --users 10000 [--workers 2]
        [--database-url postgres://...] [--output docs/benchmarks.md]

The SMTP server runs in a process of its own, as a mail server does. The tables are
analysed after the data is made, so the planner has the statistics a live database has
(autovacuum gathers them within a minute or so). `--as-before` runs the harness as it was
until issue #14 (the SMTP server in this process, sharing its interpreter lock with the
build, and no statistics), to compare like with like.

Writes its figures between the markers <!-- email_digest:start --> and
<!-- email_digest:end --> of the output file.
"""

import argparse
import collections
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Counter:
    """An aiosmtpd handler that counts messages per recipient (in this process)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.per_recipient = collections.Counter()
        self.total = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.per_recipient[rcpt] += 1
            self.total += 1
        return "250 OK"


class SMTPProcess:
    """The same counting SMTP server, in a process of its own."""

    def __init__(self, port: int):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._total = context.Value("q", 0)
        self._stop = context.Event()
        self._receive, send = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve_smtp, args=(port, self._total, self._stop, send), daemon=True
        )
        self.process.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        self.per_recipient = collections.Counter()

    @property
    def total(self) -> int:
        return self._total.value

    def stop(self) -> None:
        self._stop.set()
        self.per_recipient = self._receive.recv()
        self.process.join(timeout=10)


def _serve_smtp(port, total, stop, send) -> None:
    from aiosmtpd.controller import Controller

    class Counting(Counter):
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            reply = await super().handle_DATA(server, session, envelope)
            total.value = self.total
            return reply

    counter = Counting()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()
    send.send(counter.per_recipient)


def analyse(database_url: str) -> None:
    """Gather the planner's statistics, as autovacuum does on a live database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def setup_django(database_url: str, broker_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_FILESYSTEM_DIR"] = broker_dir
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def make_people(n: int) -> None:
    """n verified people, each in an approved organisation with a need and 3 new matches."""
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from accounts.models import User
    from clusters.models import Listing, Membership, Organisation
    from matching.models import Match

    now = timezone.now()
    supplier = Organisation.objects.create(
        ref="bench-supplier", name="Supplier", kind="business", status="approved"
    )
    offers = Listing.objects.bulk_create(
        Listing(
            ref=f"bench-offer-{i}",
            organisation=supplier,
            kind="offer",
            title=f"Offer {i}: amine carbon capture",
            status="published",
        )
        for i in range(3)
    )
    orgs = Organisation.objects.bulk_create(
        Organisation(
            ref=f"bench-org-{i}", name=f"Bench org {i}", kind="business", status="approved"
        )
        for i in range(n)
    )
    users = User.objects.bulk_create(
        User(email=f"person{i}@bench.example", name=f"Person {i}", password="!") for i in range(n)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    Membership.objects.bulk_create(
        Membership(user=u, organisation=o, role="admin") for u, o in zip(users, orgs, strict=True)
    )
    needs = Listing.objects.bulk_create(
        Listing(
            ref=f"bench-need-{i}",
            organisation=o,
            kind="need",
            title=f"Need {i}: capture CO2 from a kiln",
            status="published",
        )
        for i, o in enumerate(orgs)
    )
    Match.objects.bulk_create(
        (
            Match(
                source_key=f"L{need.pk}",
                source_listing=need,
                target=offer,
                score=0.9 - rank / 10,
                rank=rank + 1,
                reasons=["carbon capture"],
                engine_version="bench",
                computed_at=now,
                first_seen_at=now,
            )
            for need in needs
            for rank, offer in enumerate(offers)
        ),
        batch_size=2000,
    )


def start_redis() -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, port


def worker_queues() -> str:
    """Every queue the app routes tasks to, so that the workers take email wherever it goes."""
    from config.celery import app

    names = {app.conf.task_default_queue}
    for queue in app.conf.task_queues or ():
        names.add(queue.name)
    routes = app.conf.task_routes or {}
    if isinstance(routes, dict):
        names.update(r["queue"] for r in routes.values() if isinstance(r, dict) and "queue" in r)
    return ",".join(sorted(names))


def start_workers(count: int, env: dict, log_dir: Path) -> list[subprocess.Popen]:
    workers = []
    queues = worker_queues()
    for n in range(count):
        log = open(log_dir / f"worker-{n}.log", "wb")  # noqa: SIM115 (open while it runs)
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "--app",
                    "config",
                    "worker",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "WARNING",
                    "--queues",
                    queues,
                    "--hostname",
                    f"bench{n}@%h",
                    *("--queues", "email,default,matching"),  # every queue, as one pool
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    time.sleep(4)  # let them connect before the clock starts
    return workers


def write_section(output: Path, text: str) -> None:
    start, end = "<!-- email_digest:start -->", "<!-- email_digest:end -->"
    current = output.read_text() if output.exists() else "# Benchmarks\n"
    block = f"{start}\n{text.rstrip()}\n{end}"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        current = before + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    output.write_text(current)


def one_run(args) -> dict:
    """One run on one fresh database (args.database_url names it); the figures as a dict."""
    work = Path(tempfile.mkdtemp(prefix="email_digest-"))
    database_url = args.database_url
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        check=True,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
        },
    )
    setup_django(database_url, str(work / "broker"))
    started = time.monotonic()
    make_people(args.users)
    if not args.as_before:
        analyse(database_url)
    setup_seconds = time.monotonic() - started

    children_before = _children_cpu()
    smtp_port = free_port()
    if args.as_before:
        from aiosmtpd.controller import Controller

        counter = Counter()
        controller = Controller(counter, hostname="127.0.0.1", port=smtp_port)
        controller.start()
    else:
        counter = controller = SMTPProcess(smtp_port)
    redis, redis_port = start_redis()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
    }
    workers = start_workers(args.workers, env, work)
    try:
        from config.celery import app

        app.conf.broker_url = env["REDIS_URL"]
        app.conf.broker_transport_options = {"socket_timeout": 5, "socket_connect_timeout": 5}
        from notifications import services

        load_before = os.getloadavg()[0]
        clock, cpu = time.monotonic(), time.process_time()
        queued = services.send_digests("daily")
        build_seconds = time.monotonic() - clock
        build_cpu = time.process_time() - cpu
        received_at_build_end = counter.total
        while counter.total < queued and time.monotonic() - clock < args.timeout:
            time.sleep(0.2)
        total_seconds = time.monotonic() - clock
        load_after = os.getloadavg()[0]
        time.sleep(2)  # anything sent twice would arrive now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)
        controller.stop()
    return {
        "build_cpu": build_cpu,
        # The workers' and the SMTP server's CPU time (all their processes), from start to stop.
        "workers_cpu": _children_cpu() - children_before,
        "engine": "PostgreSQL" if database_url.startswith("postgres") else "SQLite",
        "setup": setup_seconds,
        "build": build_seconds,
        "received_at_build_end": received_at_build_end,
        "total": total_seconds,
        "received": counter.total,
        "missing": args.users - len(counter.per_recipient),
        "twice": sum(1 for c in counter.per_recipient.values() if c > 1),
        "load_before": load_before,
        "load_after": load_after,
    }


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def fresh_database(url: str, prefix: str):
    """The URL of a new, empty database (a new SQLite file, or a new PostgreSQL database on
    the server `url` names); removed afterwards."""
    name = f"{prefix}{os.getpid()}_{secrets.token_hex(4)}"
    if url == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="email_digest-"))
        try:
            yield f"sqlite:///{folder / name}.sqlite3"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    parts = urlsplit(url)
    server = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument(
        "--database-url",
        action="append",
        help="'sqlite' (the default) or a PostgreSQL server's URL (postgres://user:pw@host/db; "
        "a fresh database is made beside db for each run and dropped after); may be repeated",
    )
    parser.add_argument("--runs", type=int, default=1, help="runs on each database")
    parser.add_argument("--database-prefix", default="email_digest_")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--as-before",
        action="store_true",
        help="the harness as before issue #14: SMTP server in this process, no ANALYZE",
    )
    parser.add_argument("--one-run", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("redis-server is needed: sudo apt-get install redis-server")
        return 2
    if args.one_run:  # a child: one run on the database it was given
        args.database_url = args.database_url[0]
        Path(args.one_run).write_text(json.dumps(one_run(args)))
        return 0

    rows = []
    for url in args.database_url or ["sqlite"]:
        for _ in range(args.runs):
            with (
                fresh_database(url, args.database_prefix) as database_url,
                tempfile.NamedTemporaryFile(suffix=".json") as result,
            ):
                command = [
                    sys.executable,
                    __file__,
                    "--one-run",
                    result.name,
                    "--database-url",
                    database_url,
                    "--users",
                    str(args.users),
                    "--workers",
                    str(args.workers),
                    "--timeout",
                    str(args.timeout),
                    *(["--as-before"] if args.as_before else []),
                ]
                subprocess.run(command, check=True)
                rows.append(json.loads(Path(result.name).read_text()))
            print(rows[-1], flush=True)

    ok = all(r["missing"] == 0 and r["twice"] == 0 and r["total"] < TARGET_SECONDS for r in rows)
    table = "\n".join(
        f"| {r['engine']} | {args.users:,} | {r['build']:.1f} | {r['build_cpu']:.1f} | "
        f"{r['workers_cpu']:.1f} | {r['received_at_build_end']:,} | "
        f"{r['total']:.1f} | {r['received']:,} | {r['missing']} | {r['twice']} | "
        f"{r['load_before']:.1f} / {r['load_after']:.1f} | "
        f"{'PASS' if r['missing'] == r['twice'] == 0 and r['total'] < TARGET_SECONDS else 'FAIL'} |"
        for r in rows
    )
    harness = (
        "the harness as before issue #14 (`--as-before`: the SMTP server in the timing process, "
        "no ANALYZE)"
        if args.as_before
        else "the SMTP server in a process of its own, the tables analysed after the data is made"
    )
    databases = " ".join(
        f"--database-url {'sqlite' if u == 'sqlite' else 'postgres://USER:PASSWORD@HOST/DB'}"
        for u in args.database_url or ["sqlite"]
    )
    text = f"""## Match email digests

`benchmarks/email_digest.py` creates {args.users:,} verified people, each in an approved
organisation with a need that has 3 new strong matches, then times `send_digests("daily")`
(collecting notices, building {args.users:,} HTML + text emails, queueing them in the
outbox) and their delivery by {args.workers} real Celery worker processes (Redis broker)
to a real SMTP server (aiosmtpd) on this machine, until the server holds every message.
Each run starts from a fresh database; {harness}.

Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; Python
{platform.python_version()}.

```
.venv/bin/python benchmarks/email_digest.py --users {args.users} --workers {args.workers} \\
    --runs {args.runs} {databases}{" --as-before" if args.as_before else ""}
```

| database | people | build and queue (s) | its CPU (s) | workers' and SMTP server's CPU (s) \
| received by then | until all received (s) | received | missing | twice | \
load average (1 min) before / after | target < {TARGET_SECONDS} s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
{table}

Setting up the data (not timed): {", ".join(f"{r['setup']:.1f}" for r in rows)} s. The CPU
columns depend less on what else the machine is doing (PostgreSQL's own is not counted, the
workers' includes their start-up, about 3 s each);
the wall-clock columns do, and this machine is shared: see the load average.
"""
    print(text)
    write_section(Path(args.output), text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
