"""Uncached page speed: the slow public pages rendered in process, time and queries each.

The pages issue #14 measured from outside, without any page cache in front, each rendered by
Django's test client in this process against a database that already holds a corpus
(`manage.py import_exchange` of `generate_listings.py --seed 7 --listings 20000`):

- `/challenges/` (the first page of the list, and page 3),
- `/offers/?q=hydrogen&theme=hydrogen` and, each request a different search, the other
  themes' searches,
- a listing page, each request a different listing (so nothing is warm for that listing).

For each it prints the median and 90th percentile time per request (ms), the median CPU time
of this process per request (on SQLite that is nearly all the work, and it varies much less
than wall time on a busy machine; PostgreSQL's own work is not in it) and the number of
queries one request makes. This is the cost of a cache miss; `web_load.py` (wrk against
gunicorn) measures throughput with the cache.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 DJANGO_DEBUG=0 \\
        .venv/bin/python benchmarks/page_speed.py --repeat 30

`--profile PAGE` writes a cProfile of that page's requests and prints the top functions.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from clusters.models import Challenge, Cluster, Listing, Theme  # noqa: E402


def pages(repeat: int) -> dict[str, list[str]]:
    refs = list(
        Listing.objects.published().order_by("?").values_list("ref", flat=True)[: repeat + 1]
    )
    themes = list(Theme.objects.values_list("slug", flat=True))
    slugs = list(Cluster.objects.values_list("slug", flat=True))
    clusters = [slugs[i % len(slugs)] for i in range(repeat + 1)]
    challenges = list(Challenge.objects.order_by("?").values_list("ref", flat=True)[: repeat + 1])
    searches = [f"/offers/?q={slug.replace('-', '+')}&theme={slug}" for slug in themes]
    return {
        "/challenges/": ["/challenges/"] * (repeat + 1),
        "/challenges/?page=3": ["/challenges/?page=3"] * (repeat + 1),
        "/offers/?q=hydrogen&theme=hydrogen": ["/offers/?q=hydrogen&theme=hydrogen"] * (repeat + 1),
        "/offers/?q=<theme>&theme=<theme>": [
            searches[i % len(searches)] for i in range(repeat + 1)
        ],
        "/offers/ (no search)": ["/offers/"] * (repeat + 1),
        "/listings/<ref>/": [f"/listings/{ref}/" for ref in refs],
        # Other public pages that count listings on every request.
        "/ (home)": ["/"] * (repeat + 1),
        "/clusters/<slug>/": [f"/clusters/{slug}/" for slug in clusters],
        "/challenges/<ref>/": [f"/challenges/{ref}/" for ref in challenges],
    }


def measure(client: Client, urls: list[str], profiler: cProfile.Profile | None = None) -> dict:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(urls[0])  # the first request also warms templates and URLs
    queries = len(captured.captured_queries)  # now: the next request empties the log
    if response.status_code != 200:
        raise SystemExit(f"{urls[0]} answered {response.status_code}")
    times, cpu = [], []
    if profiler:
        profiler.enable()
    for url in urls[1:]:
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    if profiler:
        profiler.disable()
    times.sort()
    return {
        "median": statistics.median(times),
        "cpu": statistics.median(cpu),
        "p90": times[int(len(times) * 0.9) - 1],
        "queries": queries,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--profile", help="a page name as printed, to profile")
    parser.add_argument("--queries", help="a page name as printed, to print its SQL")
    args = parser.parse_args()
    client = Client()
    vendor = connection.vendor
    listings = Listing.objects.count()
    print(f"{vendor}, {listings:,} listings, {args.repeat} requests a page")
    print(
        "| page | median ms | p90 ms | this process's CPU ms | queries |\n"
        "| --- | ---: | ---: | ---: | ---: |"
    )
    for name, urls in pages(args.repeat).items():
        if args.queries == name:
            with CaptureQueriesContext(connection) as captured:
                client.get(urls[0])
            for query in captured.captured_queries:
                print(query["time"], query["sql"][:600])
        if args.profile == name:
            profiler = cProfile.Profile()
            result = measure(client, urls, profiler)
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(25)
        else:
            result = measure(client, urls)
        print(
            f"| `{name}` | {result['median']:.1f} | {result['p90']:.1f} | {result['cpu']:.1f} "
            f"| {result['queries']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
