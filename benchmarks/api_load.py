"""API load: the v1 listings under 50 connections, next to a trivial API endpoint (issue #15).

The same rig as benchmarks/web_load.py, and its pieces: the corpus (`generate_listings.py
--seed 7`), imported into a database of its own (`prepare`), gunicorn with the production
settings (2 sync workers on loopback, `Gunicorn`) and wrk (`-c 50`, `--latency`, its Lua
script). With 100,000 listings, on SQLite and on PostgreSQL, it measures in turn:

- `/api/v1/`, the API's root (the router's list of addresses): the yardstick. It goes
  through everything every API request does (authentication, the scope check, throttling,
  the JSON renderer) and reads nothing from the database;
- `/healthz`, for reference: answered by a middleware before Django's stack;
- `/api/v1/listings/`, the first page (50 listings);
- `/api/v1/listings/?cursor=...`, a page in the middle of the list; and 200 cursor pages in
  turn, spread evenly over the whole list (made as the list's `next` links are, from every
  n-th listing in its order);
- `/api/v1/listings/{ref}/`, one listing; and a different published listing each request;
- `/api/v1/listings/` again, with a personal token (`Authorization: Bearer ...`, read
  scope): what a partner's system pays (a token's answers are never cached);
- `/api/v1/listings/?n=<counter>`: the first page, every request a URL the cache has never
  seen (the list ignores `n`): what an anonymous request costs on a cache miss.

The target (the issue's): the listing list (its first page and a cursor page) and one
listing, the same URL each request as anyone may read them (as web_load's "warm" rows), each
keep at least half of `/api/v1/`'s requests per second, with p99 under 1 s and no errors.
The rows with a different URL each request (cache misses) and the token row are reported
beside them, without a target. The rows are interleaved round by round, as in
web_load, so that other work on the shared machine slows all rows alike.

Throttling stays on, as in production, but cannot refuse anything: every limit is set to
1,000,000 requests a second (`DJANGO_API_*_RATE`). A one-second window keeps DRF's list
of recent requests short, so each request still pays what a throttled request pays in
production (one read and one write of its counter in the shared cache) and no more. The
counters are kept in a Redis started for the run (`redis-server` on a free port, nothing
saved), as production.py asks (CACHE_URL=redis://...); without redis-server on the machine
they fall back to the database cache, and the report says so. The yardstick pays the same.

Before the load, a Django process on the same database counts each row's queries (the
cursor pages must make no count query) and times one request of each, one at a time.

    .venv/bin/python benchmarks/api_load.py --shared ../shared \\
        --database-url sqlite --database-url postgres://cx:cx@127.0.0.1:5432/cx_api

`--workdir DIR --reuse` keeps the corpus and databases between runs (web_load's names, so
one imported corpus serves both). `--update-docs` writes the tables into docs/benchmarks.md
between the api_load markers. The exit status is 1 when a row misses the target or a check
fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from console import load_average, progress, redact, say  # noqa: E402 (benchmarks/ on sys.path)
from rebuild_speed import generate  # noqa: E402 (the same corpus and file names)
from web_load import Gunicorn, free_port, git_code, manage, prepare, wrk  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

START = "<!-- api_load:start -->"
END = "<!-- api_load:end -->"
SEED = 7
TARGET_SHARE = 0.5
TARGET_P99_MS = 1000
ROOT = "/api/v1/"
LISTINGS = "/api/v1/listings/"
DETAIL_LISTINGS = 20_000  # listing URLs the detail row cycles through
CURSOR_PAGES = 200  # cursor pages spread over the whole list
WALK_PAGE_SIZE, WALK_PAGES = 500, 40  # for a list that is not cursor-paginated
UNLIMITED = "1000000/second"
RATE_VARIABLES = ["DJANGO_API_ANON_RATE", "DJANGO_API_TOKEN_RATE", "DJANGO_API_USER_RATE"]
TOKEN_NAME = "api_load benchmark"


# --- inside a Django process on the benchmark's database -----------------------------------


def inspect(listings: int) -> dict:
    """URLs to request, a read token, and each row's queries and time, one at a time."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from api.models import ApiToken
    from api.services import create_token
    from clusters.models import Listing

    found = Listing.objects.count()
    if found != listings:
        raise SystemExit(f"the database holds {found:,} listings, not {listings:,}")
    refs = list(
        Listing.objects.published()
        .order_by("ref")
        .values_list("ref", flat=True)[: DETAIL_LISTINGS * 3 : 3]
    )
    user, _ = get_user_model().objects.get_or_create(
        email="api-load@example.org", defaults={"name": "API load benchmark"}
    )
    ApiToken.objects.filter(user=user, name=TOKEN_NAME).delete()  # one per run, no pile-up
    _, secret = create_token(user, TOKEN_NAME, "read")

    client = Client(HTTP_HOST="localhost")
    cursors = spread_cursors() or walked_cursors(client)

    def measure_one(path: str, warm: bool = True, **headers) -> dict:
        if warm:  # as the same URL is asked again and again (from the cache, if it may be)
            client.get(path, **headers)
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path, **headers)
            ms = (time.perf_counter() - start) * 1000
        return {
            "status": response.status_code,
            "ms": ms,
            "queries": len(queries),
            "sql": [q["sql"][:160] for q in queries],
            "count_query": any("COUNT(" in q["sql"].upper() for q in queries),
        }

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    middle = cursors[len(cursors) // 2] if cursors else None
    if connection.vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    else:
        major, minor = divmod(connection.pg_version, 10000)
        database = f"PostgreSQL {major}.{minor}"
    return {
        "database": database,
        "published": Listing.objects.published().count(),
        "detail_paths": [f"{LISTINGS}{ref}/" for ref in refs],
        "cursor_paths": cursors,
        "secret": secret,
        "one_at_a_time": {
            "root": measure_one(ROOT),
            "list": measure_one(LISTINGS),
            # A URL never asked before: the queries and time of a cache miss.
            "list-uncached": measure_one(f"{LISTINGS}?n=inspect", warm=False),
            "cursor": measure_one(middle) if middle else None,
            "cursor-spread": measure_one(f"{middle}&n=inspect", warm=False) if middle else None,
            "detail": measure_one(f"{LISTINGS}{refs[0]}/"),
            "detail-spread": measure_one(f"{LISTINGS}{refs[len(refs) // 2]}/", warm=False),
            "token": measure_one(LISTINGS, **bearer),
        },
    }


def spread_cursors() -> list[str]:
    """CURSOR_PAGES cursors spread evenly over the whole list, made as the list's own cursor
    pagination makes them (its `next` links), from every n-th published listing in the list's
    order; [] if the list is not cursor-paginated."""
    from django.urls import resolve
    from rest_framework.pagination import Cursor, CursorPagination

    view = resolve(LISTINGS).func.cls
    if not issubclass(view.pagination_class or object, CursorPagination):
        return []
    pagination = view.pagination_class()
    ordering = pagination.get_ordering(None, None, view)
    queryset = view.queryset.order_by(*ordering)
    total = queryset.count()
    step = max(1, total // (CURSOR_PAGES + 1))
    pagination.base_url = "http://localhost" + LISTINGS
    cursors = []
    for index in range(step, total, step):
        instance = queryset[index]
        position = pagination._get_position_from_instance(instance, ordering)
        cursors.append(path_of(pagination.encode_cursor(Cursor(0, False, position))))
    return cursors[:CURSOR_PAGES]


def walked_cursors(client) -> list[str]:
    """The `next` links of the first WALK_PAGES big pages (a list paginated another way)."""
    cursors, url = [], f"{LISTINGS}?page_size={WALK_PAGE_SIZE}"
    while url and len(cursors) < WALK_PAGES:
        url = client.get(url).json()["next"]
        if url:  # the same place in the list, at the default page size
            query = [(k, v) for k, v in parse_qsl(urlsplit(url).query) if k != "page_size"]
            cursors.append(f"{LISTINGS}?{urlencode(query)}")
            url = path_of(url)
    return cursors


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- the driver -----------------------------------------------------------------------------


class Redis:
    """A Redis of the run's own on a free port, saving nothing: the throttle's shared cache."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            != "PONG"
        ):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise SystemExit("redis-server did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def run_inspect(database_url: str, listings: int) -> dict:
    command = [sys.executable, __file__, "--inspect", str(listings)]
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0"}
    done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"inspecting {redact(database_url)} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows_for(inspected: dict) -> list[dict]:
    return [
        {"key": "root", "name": f"`{ROOT}` (the API's root)", "paths": [ROOT]},
        {"key": "healthz", "name": "`/healthz`", "paths": ["/healthz"]},
        {"key": "list", "name": f"`{LISTINGS}`, the first page", "paths": [LISTINGS]},
        {
            # Every request a URL never asked before (`?n=<counter>`, which the list ignores):
            # what an anonymous request costs when the cache (api/caching.py) cannot help.
            "key": "list-uncached",
            "name": f"`{LISTINGS}`, the first page, uncached",
            "paths": [LISTINGS],
            "bust": True,
        },
        {
            "key": "cursor",
            "name": f"`{LISTINGS}?cursor=…`, a page in the middle of the list",
            "paths": [inspected["cursor_paths"][len(inspected["cursor_paths"]) // 2]],
        },
        {
            "key": "cursor-spread",
            "name": f"`{LISTINGS}?cursor=…`, {len(inspected['cursor_paths'])} pages in turn",
            "paths": inspected["cursor_paths"],
        },
        {
            "key": "detail",
            "name": f"`{LISTINGS}{{ref}}/`, one listing",
            "paths": inspected["detail_paths"][:1],
        },
        {
            "key": "detail-spread",
            "name": f"`{LISTINGS}{{ref}}/`, a different listing each request",
            "paths": inspected["detail_paths"][1:],
        },
        {
            "key": "token",
            "name": f"`{LISTINGS}` with a read token",
            "paths": [LISTINGS],
            "authorization": f"Bearer {inspected['secret']}",
        },
    ]


# The rows: the listing list (its first page, and a cursor page) and one listing, the
# same URL each request, as anyone may read them (as web_load's "warm" rows). Beside them,
# without a target: the same with a different URL each request (what a cache miss costs) and
# with a token (what a partner's system pays: a token's answers are never cached).
TARGET_ROWS = ("list", "cursor", "detail")


def get(base: str, path: str, authorization: str = "") -> tuple[int, dict]:
    request = urllib.request.Request(base + path)
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            is_json = response.headers.get_content_type() == "application/json"
            return response.status, json.loads(body) if is_json else {}
    except urllib.error.HTTPError as error:
        return error.code, {}


def cache_state(server: Gunicorn) -> str:
    """What X-Page-Cache says of the second anonymous request for the first page."""
    answers = []
    for _ in range(2):
        with urllib.request.urlopen(server.base + LISTINGS, timeout=30) as response:
            response.read()
            answers.append(response.headers.get("X-Page-Cache", "") or "(no header)")
    return answers[-1]


def check_urls(server: Gunicorn, rows: list[dict]) -> list[str]:
    """Every URL answers 200 through gunicorn; the list and its pages hold 50 listings."""
    problems = []
    for row in rows:
        for path in row["paths"][:3]:
            path += ("&" if "?" in path else "?") + "n=check" if row.get("bust") else ""
            status, body = get(server.base, path, row.get("authorization", ""))
            if status != 200:
                problems.append(f"{row['key']}: {path} answered HTTP {status}")
            elif "results" in body and len(body["results"]) != 50:
                problems.append(f"{row['key']}: {path} holds {len(body.get('results', []))}")
    return problems


def measure(url: str, listings: int, corpus: Path, folder: Path, args) -> dict:
    database_url = prepare(url, corpus, listings, folder, args.reuse)
    progress("counting queries and timing one request of each row")
    inspected = run_inspect(database_url, listings)
    rows = rows_for(inspected)
    result = {
        "listings": listings,
        "database": inspected["database"],
        "published": inspected["published"],
        "cursor_pages": len(inspected["cursor_paths"]),
        "one_at_a_time": inspected["one_at_a_time"],
        "load_before": load_average(),
        "rows": [],
    }
    server = Gunicorn(database_url, folder, args.workers)
    try:
        result["problems"] = check_urls(server, rows)
        result["cache"] = cache_state(server)
        server.drain()
        runs: dict[str, list[dict]] = {row["key"]: [] for row in rows}
        for round_ in range(args.rounds):
            for row in rows:
                where = f"{listings:,} on {inspected['database']}"
                progress(f"{where}, round {round_ + 1}: {row['key']}")
                cpu = server.worker_cpu()
                runs[row["key"]].append(wrk(server.base, row, folder, args))
                runs[row["key"]][-1]["cpu_s"] = server.worker_cpu() - cpu
                server.drain()
        for row in rows:
            measured = runs[row["key"]]
            requests = sum(m["requests"] for m in measured)
            result["rows"].append(
                {
                    "key": row["key"],
                    "name": row["name"],
                    "rps": sum(m["rps"] for m in measured) / len(measured),
                    "all_rps": [m["rps"] for m in measured],
                    "p50_ms": max(m["p50_us"] for m in measured) / 1000,
                    "p99_ms": max(m["p99_us"] for m in measured) / 1000,
                    "requests": requests,
                    "errors": sum(m["errors"] for m in measured),
                    "status_errors": sum(m["status"] for m in measured),
                    "cpu_ms": 1000 * sum(m["cpu_s"] for m in measured) / max(1, requests),
                }
            )
    finally:
        server.stop()
    log = server.log.read_text(encoding="utf-8", errors="replace")
    if "Traceback" in log or "[CRITICAL]" in log or "WORKER TIMEOUT" in log:
        result["problems"].append(f"gunicorn logged errors (see {server.log})")
    for key, one in inspected["one_at_a_time"].items():
        if one and one["status"] != 200:
            result["problems"].append(f"{key}: answered {one['status']} in the Django process")
    one = inspected["one_at_a_time"]
    if one["cursor"] is None:
        result["problems"].append("no second page found: no cursor to measure")
    elif any(one[key]["count_query"] for key in ("list-uncached", "cursor-spread", "token")):
        result["problems"].append("a page of the list made a COUNT query")
    result["load_after"] = load_average()
    result["measured_at"] = f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC"
    return result


def verdicts(result: dict) -> dict[str, bool]:
    rows = {r["key"]: r for r in result["rows"]}
    yardstick = rows["root"]["rps"]
    return {
        key: rows[key]["rps"] >= TARGET_SHARE * yardstick
        and rows[key]["p99_ms"] < TARGET_P99_MS
        and rows[key]["errors"] == 0
        and not result["problems"]
        for key in TARGET_ROWS
    }


def table(results: list[dict]) -> list[str]:
    lines = [
        "| Listings | Database | Address | Requests/s | Share of `/api/v1/` | p50 (ms) "
        "| p99 (ms) | Errors | Worker CPU per request (ms) | Queries | Target (≥ 50 %, "
        "p99 < 1 s, no errors) |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        yardstick = next(x["rps"] for x in r["rows"] if x["key"] == "root")
        passed = verdicts(r)
        for row in r["rows"]:
            share = row["rps"] / yardstick
            if row["key"] in passed:
                target = "PASS" if passed[row["key"]] else "FAIL"
            else:
                target = {
                    "root": "(yardstick)",
                    "list-uncached": "(a cache miss: no target)",
                    "cursor-spread": "(mostly misses: no target)",
                    "detail-spread": "(mostly misses: no target)",
                    "token": "(never cached: no target)",
                }.get(row["key"], "(reference)")
            one = r["one_at_a_time"].get(row["key"])
            queries = str(one["queries"]) if one else "-"
            bold = "**" if row["key"] in passed else ""
            lines.append(
                f"| {r['listings']:,} | {r['database']} | {row['name']} "
                f"| {bold}{row['rps']:,.0f}{bold} | {bold}{share:.0%}{bold} "
                f"| {row['p50_ms']:,.0f} | {row['p99_ms']:,.0f} | {row['errors']:,} "
                f"| {row['cpu_ms']:.1f} | {queries} | {target} |"
            )
    lines += [
        "",
        "| Listings | Database | One request at a time (ms), as the rows above "
        "| Requests per row (all rounds) | Load average before -> after |",
        "| ---: | --- | --- | --- | --- |",
    ]
    for r in results:
        one = r["one_at_a_time"]
        times = ", ".join(
            f"{one[x['key']]['ms']:.1f}" if one.get(x["key"]) else "-" for x in r["rows"]
        )
        counts = ", ".join(f"{x['requests']:,}" for x in r["rows"])
        lines.append(
            f"| {r['listings']:,} | {r['database']} | {times} | {counts} "
            f"| {r['load_before']} -> {r['load_after']} |"
        )
    return lines


def report(saved: dict) -> str:
    results = saved["results"]
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    first = results[0]
    lines = [
        "## API load: the v1 listings under 50 connections (#15)",
        "",
        "`benchmarks/api_load.py` uses web_load's rig: the corpus made by "
        f"`generate_listings.py --seed {SEED}`, gunicorn with `config.settings.production` "
        f"({saved['settings']}), and wrk with 50 connections, against `/api/v1/` (the API's "
        "root: authentication, scope check, throttling and JSON, no query; the yardstick), "
        "`/healthz` (for reference), and, on `/api/v1/listings/`: the first page; a cursor "
        "page in the middle of the list; one listing; the same three with a different URL "
        f"each request (the first page with `?n=<counter>`, a parameter the list ignores; "
        f"{first['cursor_pages']} cursor pages spread evenly over the list, made as its "
        "`next` links are; 20,000 listings in turn), so that the cache cannot answer; and the "
        "first page with a read token. The rows are interleaved round by round; requests/s "
        "is the mean of the rounds, p50 and p99 the worst round's. The target (the issue's): "
        "the first page, the cursor page and the one listing, the same URL each request as "
        "anyone reads them (as web_load's warm rows), each keep at least half of `/api/v1/`'s "
        "requests/s, with p99 under 1 s and no errors; the other rows have no target. "
        "Queries are those of one request (a repeat, or a miss for the rows that miss), "
        "counted in a Django process on the same database.",
        "",
        f"Throttling: {saved['throttling']}",
        "",
        "Anonymous answers from the cache (api/caching.py): the second request for the first "
        "page answered `X-Page-Cache: "
        + "`, `".join(f"{r['cache']}` on {r['database']}" for r in results).replace("` on", " on")
        + "`. Answers to a token are never cached.",
        "",
        f"Run on {first['measured_at']}; {cpu}, {os.cpu_count()} cores; code at {saved['code']}.",
        "",
        "```",
        saved["command"],
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
What the figures say:

- **Without a cache the target was out of reach.** A page of 50 listings costs a worker
  about 17 to 21 ms of CPU (the uncached and token rows), against 2.2 ms for `/api/v1/`, so
  it keeps 9 to 17 % of the root's requests/s. The same rig before `api/caching.py` (SQLite,
  one 5-second round): the first page 7 %, a cursor page 9 %, one listing 22 %. Cursor
  pagination is not the cost: a page reads 50 rows through the `(status, updated_at, id)`
  index with no count query (3 queries: the listings with their organisation and challenge,
  their themes, their clusters), at any depth. Profiled on SQLite (cProfile, 10 requests):
  about half is building model instances (every column of the listings, their organisation
  and challenge, and of the themes and clusters of 50 listings), a quarter the serializer,
  the rest Django's and DRF's request handling.
- **The fix, in the API's plumbing** (`api/caching.py`, `CachedPublicReads` on the public v1
  lists and records): an anonymous answer is kept under pagecache's content generation, so
  asking again costs one primary-key read and a cache read (2.3 to 2.7 ms of CPU, 1 query).
  It runs after throttling, so a cached answer still counts against the caller's limit; any
  save of public content retires every entry at once; a token's answers are never cached.
- **What the cache cannot help**: URLs nobody asked for since the last change (the rows with
  a different URL each request: each worker keeps its own entries, so 200 cursor pages or
  20,000 listings are mostly misses in a 10-second run), and every request with a token (a
  partner's mirror). One listing costs 6 to 7 ms on a miss, a page of 50 about 17 ms:
  `.only()` on the listing query and a `Prefetch` of themes and clusters with only the
  columns the serializer reads would cut that (clusters/api.py; not done here).
- **Throttling** is on, as in production, counted in Redis, with every rate at 1,000,000 a
  second so that nothing is refused; the root pays it too. **p99** stays under 1 s wherever
  the cache answers; the uncached and token rows queue behind 50 connections on 2 sync
  workers (1.4 to 2.8 s).
- **On a busy machine** (the load average column) the rates of every row move together from
  round to round; the worker CPU per request is steadier and says the same.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared folder (with data/)")
    parser.add_argument("--listings", type=int, nargs="+", default=[100_000])
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
        return finish(json.loads(args.from_json.read_text(encoding="utf-8")), args.update_docs)
    if args.shared is None:
        parser.error("--shared is required")
    urls = args.database_urls or ["sqlite"]
    python = Path(sys.executable)
    if python.is_relative_to(REPO):
        python = python.relative_to(REPO)
    command = redact(shlex.join([str(python), "benchmarks/api_load.py", *sys.argv[1:]]))
    # Throttling on, refusing nothing (the module's docstring says why): for gunicorn and for
    # the Django process that counts queries, both started from this environment.
    for variable in RATE_VARIABLES:
        os.environ[variable] = UNLIMITED
    results = []
    with tempfile.TemporaryDirectory(prefix="api-load-") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "broker").mkdir(exist_ok=True)
        redis = Redis(folder) if shutil.which("redis-server") else None
        if redis:
            os.environ["CACHE_URL"] = redis.url
            throttling = (
                f"on, every rate {UNLIMITED} (nothing refused; one read and one write of a "
                "counter per request), counted in a Redis of the run's own (CACHE_URL)."
            )
        else:
            throttling = (
                f"on, every rate {UNLIMITED} (nothing refused), counted in the database "
                "cache: no redis-server on this machine, so each request also writes a row."
            )
        try:
            progress("collectstatic (production serves the collected, hashed files)")
            static = "sqlite:///" + str(folder / "static.sqlite3")
            manage(static, folder, "collectstatic", "--noinput")
            for listings in args.listings:
                progress(f"generating {listings:,} listings (seed {SEED})")
                corpus = generate(args.shared, listings, folder)
                for url in urls:
                    progress(f"preparing {listings:,} listings in {redact(url)}")
                    r = measure(url, listings, corpus, folder, args)
                    results.append(r)
                    for row in r["rows"]:
                        progress(
                            f"  {row['key']}: {row['rps']:,.0f} req/s, p99 "
                            f"{row['p99_ms']:,.0f} ms, {row['errors']} errors"
                        )
                    for problem in r["problems"]:
                        progress(f"PROBLEM: {problem}")
        finally:
            if redis:
                redis.stop()
    saved = {
        "command": command,
        "settings": f"{args.workers} sync workers on loopback; wrk -t {args.threads} "
        f"-c {args.connections} -d {args.duration}s, {args.rounds} rounds",
        "throttling": throttling,
        "code": git_code(),
        "results": results,
    }
    if args.save_json:
        args.save_json.write_text(json.dumps(saved, indent=1), encoding="utf-8")
    return finish(saved, args.update_docs)


def finish(saved: dict, update: bool) -> int:
    text = report(saved)
    say(text)
    if update:
        from match_quality import update_docs

        update_docs(text, (START, END))
    failed = any(r["problems"] or not all(verdicts(r).values()) for r in saved["results"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
