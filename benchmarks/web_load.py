"""Web load: the public pages under 50 connections, side by side, as issue #14 measured them.

For each corpus size (`generate_listings.py --seed 7`) and each database this script imports
the corpus into a database of its own (`manage.py migrate`, `manage.py import_exchange`),
runs `collectstatic`, starts gunicorn with the production settings (2 sync workers on
loopback, as in the issue) and runs wrk (`-c 50`, `--latency`) against, in turn:

- `/cookies/`, a trivial template page: the yardstick (it is not cached);
- `/challenges/`, `/offers/?q=hydrogen&theme=hydrogen` and a listing page, the same URL
  every time: served from the page cache once warm (pagecache/), as signed-out visitors
  get them;
- the same three uncached ("cold"): every request a different URL the cache has never seen
  (a different listing each time; the lists with a `&n=<counter>` the page ignores), so the
  figures show what a miss costs and the cache does not hide it.

The rows are interleaved: each round runs every row once, and `--rounds` rounds are run, so
that other work on the shared machine slows all rows alike. Requests per second are the
mean of the rounds, p99 the worst round's; errors are wrk's (sockets, timeouts and HTTP
status 400 or above; each URL is checked for a 200 before the run). The target (the issue's):
each of the three pages, as served (warm), keeps at least half of `/cookies/`'s requests
per second, with p99 under 1 s and no errors. The machine has 2 cores shared with wrk and
with other work: the report records the load average; the ratios matter more than the
absolute figures.

    .venv/bin/python benchmarks/web_load.py --shared ../shared --listings 20000 100000 \\
        --database-url sqlite --database-url postgres://cx:cx@127.0.0.1:5432/cx_web

`--database-url sqlite` (the default) is a new SQLite file in the work folder; for a
PostgreSQL URL a database named after it and the size is dropped and created afresh (the
role needs CREATEDB) and kept afterwards. `--workdir DIR --reuse` keeps corpora and
databases between runs and skips the import when the database already holds the corpus.
`--update-docs` writes the tables into docs/benchmarks.md between the web_load markers.
The exit status is 1 when a page misses the target or a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from console import load_average, progress, redact, say  # noqa: E402 (benchmarks/ is on sys.path)
from rebuild_speed import generate, is_postgres  # noqa: E402 (the same corpus and URLs)

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

START = "<!-- web_load:start -->"
END = "<!-- web_load:end -->"
SEED = 7
SEARCH = "/offers/?q=hydrogen&theme=hydrogen"
TARGET_SHARE = 0.5
TARGET_P99_MS = 1000
COLD_LISTINGS = 20_000  # listing URLs the cold row cycles through (each thread its own share)

# One wrk Lua script for every row: PATHS lists the URLs; each thread takes every
# `threads`-th one from its own offset, and BUST adds `&n=<thread>-<counter>` (a query the
# page ignores, so every request is a page the cache has never seen). AUTHORIZATION, when
# set, is sent as that header (benchmarks/api_load.py's rows with a token).
LUA = r"""
local paths = {}
for line in io.lines(os.getenv("WEB_LOAD_PATHS")) do paths[#paths + 1] = line end
local bust = os.getenv("WEB_LOAD_BUST") == "1"
local authorization = os.getenv("WEB_LOAD_AUTHORIZATION") or ""
local headers = nil
if authorization ~= "" then headers = {["Authorization"] = authorization} end
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
local i, id, step
function init(args)
  id = wrk.thread:get("id")
  step = tonumber(os.getenv("WEB_LOAD_THREADS"))
  i = id
end
function request()
  local path = paths[((i - 1) % #paths) + 1]
  if bust then
    local sep = string.find(path, "?", 1, true) and "&" or "?"
    path = path .. sep .. "n=" .. id .. "-" .. i
  end
  i = i + step
  return wrk.format("GET", path, headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WEBLOAD {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


# --- inside a Django process on the benchmark's database -----------------------------------


def inspect(listings: int) -> dict:
    """Listing URLs to request, and what one read of the content generation costs."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    django.setup()
    from django.db import connection

    from clusters.models import Listing
    from pagecache import services

    found = Listing.objects.count()
    if found != listings:
        raise SystemExit(f"the database holds {found:,} listings, not {listings:,}")
    refs = list(
        Listing.objects.published()
        .order_by("ref")
        .values_list("ref", flat=True)[: COLD_LISTINGS * 3 : 3]
    )
    services.current()  # connect
    rounds = 2000
    start = time.perf_counter()
    for _ in range(rounds):
        services.current()
    read_us = (time.perf_counter() - start) / rounds * 1e6
    if connection.vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    else:
        major, minor = divmod(connection.pg_version, 10000)
        database = f"PostgreSQL {major}.{minor}"
    return {
        "database": database,
        "published": Listing.objects.published().count(),
        "paths": [f"/listings/{ref}/" for ref in refs],
        "generation_read_us": read_us,
    }


# --- the driver -----------------------------------------------------------------------------


def database_for(url: str, listings: int, folder: Path, reuse: bool) -> tuple[str, bool]:
    """(DATABASE_URL, whether it already holds the corpus) for this size."""
    if not is_postgres(url):
        if url != "sqlite":
            raise SystemExit(f"{redact(url)}: give 'sqlite' or a postgres:// URL")
        path = folder / f"web-load-{listings}.sqlite3"
        done = folder / f"web-load-{listings}.imported"
        if reuse and path.exists() and done.exists():
            return f"sqlite:///{path}", True
        for leftover in folder.glob(f"{path.name}*"):
            leftover.unlink()
        done.unlink(missing_ok=True)
        return f"sqlite:///{path}", False
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.strip('/') or 'cx_web'}_{listings}"
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    target = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if reuse and exists.fetchone():
            try:
                with psycopg.connect(target.replace(parts.scheme, "postgresql", 1)) as db:
                    (count,) = db.execute("SELECT count(*) FROM clusters_listing").fetchone()
                if count == listings:
                    return target, True
            except psycopg.Error:
                pass
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return target, False


def manage(database_url: str, folder: Path, *args: str) -> float:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        # The import queues matching jobs: keep them away from the project's own broker folder.
        "CELERY_FILESYSTEM_DIR": str(folder / "broker"),
    }
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def prepare(url: str, corpus: Path, listings: int, folder: Path, reuse: bool) -> str:
    database_url, ready = database_for(url, listings, folder, reuse)
    manage(database_url, folder, "migrate", "--noinput")  # a reused database may be behind
    manage(database_url, folder, "createcachetable")
    if not ready:
        seconds = manage(database_url, folder, "import_exchange", str(corpus))
        progress(f"imported {listings:,} listings in {seconds:.0f} s")
        if not is_postgres(url):
            (folder / f"web-load-{listings}.imported").touch()
    return database_url


def run_inspect(database_url: str, listings: int) -> dict:
    command = [sys.executable, __file__, "--inspect", str(listings)]
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0"}
    done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"inspecting {redact(database_url)} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn with the production settings: 2 sync workers on loopback."""

    def __init__(self, database_url: str, folder: Path, workers: int, page_cache_url: str = ""):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"gunicorn-{self.port}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback, as behind a proxy that ends TLS (production.py would
            # otherwise redirect every request to https://).
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": database_url,
            "DJANGO_LOG_LEVEL": "WARNING",
            "CELERY_FILESYSTEM_DIR": str(folder / "broker"),
        }
        if page_cache_url:  # pages shared by the workers (Redis) instead of each its own
            env["PAGE_CACHE_URL"] = page_cache_url
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
                + ["--workers", str(workers), "--worker-class", "sync"]
                + ["--bind", f"127.0.0.1:{self.port}", "--backlog", "2048"]
                + ["--timeout", "60"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/cookies/", timeout=5).read()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    log = self.log.read_text()[-3000:]
                    raise SystemExit(f"gunicorn did not start:\n{log}") from None
                time.sleep(0.3)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as response:
                response.read()
                return response.status, response.headers.get("X-Page-Cache", "")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("X-Page-Cache", "")

    def worker_cpu(self) -> float:
        """CPU seconds the workers have used so far (user + system): steadier than wall time
        on a busy machine, since other work does not add to it."""
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:  # ppid: a worker of this master
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def drain(self, timeout: float = 180) -> float:
        """Wait until the requests wrk left queued are answered: gunicorn's sync workers go on
        answering a slow row's backlog after wrk stops, which would slow the next row."""
        start = time.monotonic()
        quick = 0
        while quick < 3 and time.monotonic() - start < timeout:
            began = time.monotonic()
            try:
                self.get("/cookies/")
            except OSError:  # timed out behind the backlog: still draining
                quick = 0
                continue
            quick = quick + 1 if time.monotonic() - began < 0.05 else 0
            time.sleep(0.1)
        return time.monotonic() - start

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def rows_for(inspected: dict) -> list[dict]:
    warm_listing = inspected["paths"][0]
    cold_listings = inspected["paths"][1:]
    return [
        {"name": "/cookies/", "page": "cookies", "cache": "none", "paths": ["/cookies/"]},
        {"name": "/challenges/", "page": "challenges", "cache": "warm", "paths": ["/challenges/"]},
        {"name": SEARCH, "page": "search", "cache": "warm", "paths": [SEARCH]},
        {"name": "a listing page", "page": "listing", "cache": "warm", "paths": [warm_listing]},
        {
            "name": "/challenges/, uncached",
            "page": "challenges",
            "cache": "cold",
            "paths": ["/challenges/"],
            "bust": True,
        },
        {
            "name": f"{SEARCH}, uncached",
            "page": "search",
            "cache": "cold",
            "paths": [SEARCH],
            "bust": True,
        },
        {
            "name": "a different listing each request",
            "page": "listing",
            "cache": "cold",
            "paths": cold_listings,
        },
    ]


def wrk(base: str, row: dict, folder: Path, args) -> dict:
    paths = folder / "paths.txt"
    paths.write_text("\n".join(row["paths"]) + "\n", encoding="utf-8")
    script = folder / "web_load.lua"
    script.write_text(LUA, encoding="utf-8")
    env = {
        **os.environ,
        "WEB_LOAD_PATHS": str(paths),
        "WEB_LOAD_BUST": "1" if row.get("bust") else "0",
        "WEB_LOAD_THREADS": str(args.threads),
        "WEB_LOAD_AUTHORIZATION": row.get("authorization", ""),
    }
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    command += ["-d", f"{args.duration}s", "--timeout", "10s", "--latency", "-s", str(script)]
    done = subprocess.run(
        [*command, base + row["paths"][0]], env=env, capture_output=True, text=True, check=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("WEBLOAD "))
    measured = json.loads(line.removeprefix("WEBLOAD "))
    measured["rps"] = measured["requests"] / (measured["duration_us"] / 1e6)
    measured["errors"] = sum(measured[k] for k in ("connect", "read", "write", "status", "timeout"))
    return measured


def check_urls(server: Gunicorn, rows: list[dict]) -> list[str]:
    """Every URL answers 200; a warm row's URL is served from the cache after a few requests."""
    problems = []
    for row in rows:
        for path in row["paths"][:3]:
            bust = ("&" if "?" in path else "?") + "n=check" if row.get("bust") else ""
            status, _ = server.get(path + bust)
            if status != 200:
                problems.append(f"{path}: HTTP {status}")
        if row["cache"] == "warm":
            seen = {server.get(row["paths"][0])[1] for _ in range(10)}
            if "hit" not in seen:
                problems.append(f"{row['name']}: never served from the cache ({seen})")
    return problems


def measure(url: str, listings: int, corpus: Path, folder: Path, args) -> dict:
    database_url = prepare(url, corpus, listings, folder, args.reuse)
    inspected = run_inspect(database_url, listings)
    rows = rows_for(inspected)
    result = {
        "listings": listings,
        "database": inspected["database"],
        "published": inspected["published"],
        "generation_read_us": inspected["generation_read_us"],
        "load_before": load_average(),
        "rows": [],
    }
    server = Gunicorn(database_url, folder, args.workers, args.page_cache_url)
    try:
        result["problems"] = check_urls(server, rows)
        server.drain()
        runs: dict[str, list[dict]] = {row["name"]: [] for row in rows}
        for round_ in range(args.rounds):
            for row in rows:
                progress(
                    f"{listings:,} on {inspected['database']}, round {round_ + 1}: {row['name']}"
                )
                cpu = server.worker_cpu()
                runs[row["name"]].append(wrk(server.base, row, folder, args))
                runs[row["name"]][-1]["cpu_s"] = server.worker_cpu() - cpu
                server.drain()
        for row in rows:
            measured = runs[row["name"]]
            result["rows"].append(
                {
                    "name": row["name"],
                    "page": row["page"],
                    "cache": row["cache"],
                    "rps": sum(m["rps"] for m in measured) / len(measured),
                    "all_rps": [m["rps"] for m in measured],
                    "p99_ms": max(m["p99_us"] for m in measured) / 1000,
                    "p50_ms": max(m["p50_us"] for m in measured) / 1000,
                    "requests": sum(m["requests"] for m in measured),
                    "errors": sum(m["errors"] for m in measured),
                    "status_errors": sum(m["status"] for m in measured),
                    "cpu_ms": 1000
                    * sum(m["cpu_s"] for m in measured)
                    / max(1, sum(m["requests"] for m in measured)),
                }
            )
    finally:
        server.stop()
    log = server.log.read_text(encoding="utf-8", errors="replace")
    # ("[ERROR] Worker ... was sent SIGTERM!" is gunicorn's own word for stopping at the end.)
    if "Traceback" in log or "[CRITICAL]" in log or "WORKER TIMEOUT" in log:
        result["problems"].append(f"gunicorn logged errors (see {server.log})")
    result["load_after"] = load_average()
    result["measured_at"] = f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC"
    return result


def verdicts(result: dict) -> dict[str, bool]:
    """The issue's target, per page as served (warm): half /cookies/'s rate, p99, no errors."""
    rows = {(r["page"], r["cache"]): r for r in result["rows"]}
    yardstick = rows[("cookies", "none")]["rps"]
    out = {}
    for page in ("challenges", "search", "listing"):
        r = rows[(page, "warm")]
        out[page] = (
            r["rps"] >= TARGET_SHARE * yardstick
            and r["p99_ms"] < TARGET_P99_MS
            and r["errors"] == 0
            and not result["problems"]
        )
    return out


def table(results: list[dict]) -> list[str]:
    lines = [
        "| Listings | Database | Page | Requests/s | Share of `/cookies/` | p50 (ms) "
        "| p99 (ms) | Errors | Worker CPU per request (ms) | Target (≥ 50 %, p99 < 1 s, "
        "no errors) |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        yardstick = next(x["rps"] for x in r["rows"] if x["page"] == "cookies")
        passed = verdicts(r)
        for row in r["rows"]:
            share = row["rps"] / yardstick
            if row["cache"] == "warm":
                target = "PASS" if passed[row["page"]] else "FAIL"
            elif row["cache"] == "cold":
                target = "(a miss: no target)"
            else:
                target = "(yardstick)"
            name = f"`{row['name']}`" if row["name"].startswith("/") else row["name"]
            name = name.replace(", uncached`", "`, uncached")
            bold = "**" if row["cache"] == "warm" else ""
            cpu = f"{row['cpu_ms']:.1f}" if "cpu_ms" in row else "-"
            lines.append(
                f"| {r['listings']:,} | {r['database']} | {name} | {bold}{row['rps']:,.0f}{bold} "
                f"| {bold}{share:.0%}{bold} | {row['p50_ms']:,.0f} | {row['p99_ms']:,.0f} "
                f"| {row['errors']:,} | {cpu} | {target} |"
            )
    lines += [
        "",
        "| Listings | Database | Requests per row (all rounds) | Generation read (µs) "
        "| Load average before -> after |",
        "| ---: | --- | --- | ---: | --- |",
    ]
    for r in results:
        counts = ", ".join(f"{x['requests']:,}" for x in r["rows"])
        lines.append(
            f"| {r['listings']:,} | {r['database']} | {counts} "
            f"| {r['generation_read_us']:.0f} | {r['load_before']} -> {r['load_after']} |"
        )
    return lines


def report(results: list[dict], command: str, args_text: str, code: str) -> str:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    lines = [
        "## Web load: public pages under 50 connections",
        "",
        "`benchmarks/web_load.py` imports a corpus made by `generate_listings.py --seed "
        f"{SEED}`, starts gunicorn with `config.settings.production` ({args_text}) and runs "
        "wrk with 50 connections against `/cookies/` (a trivial page, not cached: the "
        "yardstick), `/challenges/`, `/offers/?q=hydrogen&theme=hydrogen` and a listing page "
        "as signed-out visitors get them (the same URL each time: from the page cache once "
        "warm), and the same three uncached (every request a URL the cache has never seen: "
        "a different listing, or the list with an `&n=` the page ignores). The rows are "
        "interleaved round by round; requests/s is the mean of the rounds, p50 and p99 the "
        "worst round's. The issue's target: each of the three pages keeps at least half of "
        "`/cookies/`'s requests/s, with p99 under 1 s and no errors, at 20,000 and 100,000 "
        "listings on SQLite and PostgreSQL. wrk runs on the same 2 cores as gunicorn, and "
        "other work shares the machine: compare the shares, not the absolute figures.",
        "",
        f"Run on {results[0]['measured_at']}; {cpu}, {os.cpu_count()} cores; code at {code}.",
        "",
        "```",
        command,
        "```",
        "",
        *table(results),
    ]
    problems = [
        f"- {r['listings']:,} on {r['database']}: {p}" for r in results for p in r["problems"]
    ]
    if problems:
        lines += ["", "Problems:", "", *problems]
    return "\n".join([*lines, "", NOTES])


NOTES = """\
How the pages are served (pagecache/, the README's "Fast public pages"):

- **Cached whole, for signed-out visitors only**: a request with no session cookie and no
  messages cookie gets the page from a per-process memory cache, keyed by the content
  generation, the host and the full path with its query string. Pages that carry a CSRF
  token or a CSP nonce, set a cookie or queue a message are never stored; signed-in people
  always get a fresh page.
- **A hit costs one query**: the content generation, one row read by primary key (the
  "Generation read" column, measured in a Django process on the same database), which is
  what makes a change show at once in every process on every machine: each save of a
  listing, organisation, challenge, cluster or theme (and each import) writes a new value
  when its transaction commits.
- **The uncached rows** are what a visitor meets right after a change, or on a page nobody
  has asked for since: the speed of the queries and templates themselves. With 50
  connections on 2 sync workers a slow page queues: p99 there is mostly time in the queue.
- **Worker CPU per request** is the two workers' CPU time (user + system, from /proc)
  during the row's runs over the requests wrk saw answered: what a page costs the server,
  whatever else the machine is doing (the backlog a slow row leaves is answered after its
  run, so a slow row's figure is a lower bound).
- **Reading the figures on a busy machine**: wrk, both workers and the database share 2
  cores with whatever else runs (the load average column). When it is well above 2,
  every row slows, the uncached ones most (each of their requests needs far more CPU); the
  shares of `/cookies/` hold up better than the absolute rates.
"""


def git_code() -> str:
    done = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"], cwd=REPO, capture_output=True, text=True
    )
    return f"`{done.stdout.strip()[:90]}`" if done.returncode == 0 else "an unknown commit"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared folder (with data/)")
    parser.add_argument("--listings", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument(
        "--database-url",
        action="append",
        dest="database_urls",
        metavar="URL",
        help="'sqlite' (default) or postgres://...; repeatable",
    )
    parser.add_argument("--workdir", type=Path, help="keep corpora and databases here")
    parser.add_argument("--reuse", action="store_true", help="reuse imported databases")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds")
    parser.add_argument(
        "--page-cache-url", default="", help="e.g. redis://127.0.0.1:6379/3 (default: memory)"
    )
    parser.add_argument("--update-docs", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--save-json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--from-json", type=Path, help="report a run saved with --save-json (measure nothing)"
    )
    parser.add_argument("--inspect", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.inspect:
        print(json.dumps(inspect(args.inspect)))
        return 0
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        return finish(saved, args.update_docs)
    if args.shared is None:
        parser.error("--shared is required")
    urls = args.database_urls or ["sqlite"]
    python = Path(sys.executable)
    if python.is_relative_to(REPO):
        python = python.relative_to(REPO)
    command = redact(shlex.join([str(python), "benchmarks/web_load.py", *sys.argv[1:]]))
    results = []
    with tempfile.TemporaryDirectory(prefix="web-load-") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "broker").mkdir(exist_ok=True)
        progress("collectstatic (production serves the collected, hashed files)")
        manage("sqlite:///" + str(folder / "static.sqlite3"), folder, "collectstatic", "--noinput")
        for listings in args.listings:
            progress(f"generating {listings:,} listings (seed {SEED})")
            corpus = generate(args.shared, listings, folder)
            for url in urls:
                progress(f"preparing {listings:,} listings in {redact(url)}")
                r = measure(url, listings, corpus, folder, args)
                results.append(r)
                for row in r["rows"]:
                    progress(
                        f"  {row['name']}: {row['rps']:,.0f} req/s, p99 {row['p99_ms']:,.0f} "
                        f"ms, {row['errors']} errors"
                    )
                for problem in r["problems"]:
                    progress(f"PROBLEM: {problem}")
    saved = {
        "command": command,
        "settings": f"{args.workers} sync workers on loopback, pages kept in "
        f"{'Redis' if args.page_cache_url else 'each worker'}'s memory; wrk -t {args.threads} "
        f"-c {args.connections} -d {args.duration}s, {args.rounds} rounds",
        "code": git_code(),
        "results": results,
    }
    if args.save_json:
        args.save_json.write_text(json.dumps(saved, indent=1), encoding="utf-8")
    return finish(saved, args.update_docs)


def finish(saved: dict, update: bool) -> int:
    results = saved["results"]
    text = report(results, saved["command"], saved["settings"], saved["code"])
    say(text)
    if update:
        from match_quality import update_docs

        update_docs(text, (START, END))
    failed = any(r["problems"] or not all(verdicts(r).values()) for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
