"""Time building and sending every daily digest for N people with new matches.

Real parts throughout: a fresh database, a real redis-server, real Celery worker
processes, and a real SMTP server (aiosmtpd) that counts what it receives. The clock
runs from asking for the digests to the SMTP server holding every message; each
recipient must get exactly one.

    .venv/bin/python benchmarks/email_digest.py --users 10000 [--workers 2]
        [--database-url postgres://...] [--output docs/benchmarks.md]

Writes its figures between the markers <!-- email_digest:start --> and
<!-- email_digest:end --> of the output file.
"""

import argparse
import collections
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Counter:
    """An aiosmtpd handler that counts messages per recipient."""

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


def start_workers(count: int, env: dict, log_dir: Path) -> list[subprocess.Popen]:
    workers = []
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("redis-server is needed: sudo apt-get install redis-server")
        return 2

    from aiosmtpd.controller import Controller

    work = Path(tempfile.mkdtemp(prefix="email_digest-"))
    database_url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
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
    setup_seconds = time.monotonic() - started

    counter = Counter()
    smtp_port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=smtp_port)
    controller.start()
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

        clock = time.monotonic()
        queued = services.send_digests("daily")
        build_seconds = time.monotonic() - clock
        while counter.total < queued and time.monotonic() - clock < args.timeout:
            time.sleep(0.2)
        total_seconds = time.monotonic() - clock
        time.sleep(2)  # anything sent twice would arrive now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
        redis.terminate()
        controller.stop()

    twice = sum(1 for c in counter.per_recipient.values() if c > 1)
    missing = args.users - len(counter.per_recipient)
    ok = missing == 0 and twice == 0 and total_seconds < TARGET_SECONDS
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    text = f"""## Match email digests

`benchmarks/email_digest.py` creates {args.users:,} verified people, each in an approved
organisation with a need that has 3 new strong matches, then times `send_digests("daily")`
(collecting notices, building {args.users:,} HTML + text emails, queueing them in the
outbox) and their delivery by {args.workers} real Celery worker processes (Redis broker)
to a real SMTP server (aiosmtpd) on this machine, until the server holds every message.

Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; Python
{platform.python_version()}; {engine}.

```
.venv/bin/python benchmarks/email_digest.py --users {args.users} --workers {args.workers}
```

| people | build and queue (s) | until all received (s) | received | missing | twice | \
target < {TARGET_SECONDS} s |
| ---: | ---: | ---: | ---: | ---: | ---: | --- |
| {args.users:,} | {build_seconds:.1f} | {total_seconds:.1f} | {counter.total:,} | {missing} | \
{twice} | {"PASS" if ok else "FAIL"} |

Setting up the data (not timed): {setup_seconds:.1f} s.
"""
    print(text)
    write_section(Path(args.output), text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
