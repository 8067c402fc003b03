"""Time the public dashboards with many figures: each page must answer in under 200 ms.

A fresh SQLite database (or --database-url) holds the reference clusters and themes, 1,000
challenges and two finished computations, the newer (read) one with 6 clusters x 10 themes x 36
months x 15 measures of figures, the same per cluster and for everywhere, and 36 months of
figures for every challenge (about 430,000 rows). The pages read only the
newest computation's figures, so the number of listings and match records behind them does
not enter the time. Each page is fetched through Django's test client (the whole request:
middleware, queries, template), first once to warm up, then --runs times.

    .venv/bin/python benchmarks/dashboard.py [--runs 30] [--database-url postgres://...]
        [--output docs/benchmarks.md]

Writes its table between the markers <!-- dashboard:start --> and <!-- dashboard:end -->;
exits 1 if a page's 95th percentile misses the target.
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 200
START, END = "<!-- dashboard:start -->", "<!-- dashboard:end -->"


def setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("CACHE_URL", "locmemcache://")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test.utils import override_settings

    # The manifest storage needs collectstatic; serve names as they are, as the tests do.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()


def month_back(n: int) -> datetime.date:
    index = 2027 * 12 + 5 - n
    return datetime.date(index // 12, index % 12 + 1, 1)


def make_data(challenges: int, months: int) -> dict:
    from django.core.management import call_command

    from clusters.models import Challenge, Cluster, Theme
    from insights.models import Computation, Figure, Measure

    call_command("migrate", verbosity=0)
    clusters = list(Cluster.objects.all())
    themes = list(Theme.objects.all())[:10]
    Challenge.objects.bulk_create(
        Challenge(
            ref=f"bench-{n}",
            cluster=clusters[n % len(clusters)],
            title=f"Benchmark challenge {n}",
            description="A challenge made up for the benchmark.",
        )
        for n in range(challenges)
    )
    all_challenges = list(Challenge.objects.all())
    measures = [m for m, _ in Measure.choices][:15]
    monthly = [month_back(n) for n in range(months)]
    finished = datetime.datetime(2027, 6, 15, 12, tzinfo=datetime.UTC)
    # An older computation, smaller: the pages must pick the newer one.
    old = Computation.objects.create(state=Computation.State.DONE)
    Computation.objects.filter(pk=old.pk).update(finished_at=finished - datetime.timedelta(days=1))
    Figure.objects.bulk_create(
        Figure(computation=old, measure=m, month=d, value=1) for m in measures for d in monthly
    )
    computation = Computation.objects.create(state=Computation.State.DONE)
    Computation.objects.filter(pk=computation.pk).update(finished_at=finished)

    def figures():
        for cluster in [None, *clusters]:
            for theme in [None, *themes]:
                for measure in measures:
                    yield Figure(measure=measure, month=None, cluster=cluster, theme=theme, value=7)
                    for n, day in enumerate(monthly):
                        yield Figure(
                            measure=measure, month=day, cluster=cluster, theme=theme, value=n
                        )
        for challenge in all_challenges:
            for measure in measures:
                yield Figure(
                    measure=measure,
                    month=None,
                    cluster=challenge.cluster,
                    challenge=challenge,
                    value=3,
                )
                for n, day in enumerate(monthly):
                    yield Figure(
                        measure=measure,
                        month=day,
                        cluster=challenge.cluster,
                        challenge=challenge,
                        value=n % 5,
                    )

    batch = []
    for figure in figures():
        figure.computation = computation
        batch.append(figure)
        if len(batch) >= 20_000:
            Figure.objects.bulk_create(batch)
            batch = []
    Figure.objects.bulk_create(batch)
    rows = Figure.objects.filter(computation=computation).count()
    return {"rows": rows, "challenge": all_challenges[len(all_challenges) // 2].ref}


def existing_data() -> dict:
    from clusters.models import Challenge
    from insights.models import Computation

    computation = Computation.objects.latest_done()
    refs = list(Challenge.objects.order_by("pk").values_list("ref", flat=True))
    return {"rows": computation.figures.count(), "challenge": refs[len(refs) // 2]}


def time_pages(paths: list[tuple[str, str]], runs: int) -> list[tuple[str, str, list[float], int]]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="localhost")
    results = []
    for label, path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        count = len(queries.captured_queries)  # read now: the next request clears the log
        timings = []
        for _ in range(runs):
            reset_queries()
            start = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results.append((label, path, timings, count))
    return results


def write_section(output: Path, text: str) -> None:
    current = output.read_text() if output.exists() else "# Benchmarks\n"
    block = f"{START}\n{text.rstrip()}\n{END}"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        current = before + block + rest.split(END, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    output.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--challenges", type=int, default=1000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--keep", type=Path, help="keep the database in this file (reused if there)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        reuse = args.keep is not None and args.keep.exists()
        path = args.keep.resolve() if args.keep else Path(tmp) / "dashboard.sqlite3"
        setup_django(args.database_url or f"sqlite:///{path}")
        from django.conf import settings

        started = time.perf_counter()
        data = existing_data() if reuse else make_data(args.challenges, args.months)
        made = time.perf_counter() - started
        ref = data["challenge"]
        results = time_pages(
            [
                ("Mission dashboard (map and 5 charts)", "/dashboard/"),
                ("Cluster dashboard (5 charts)", "/clusters/humber/dashboard/"),
                ("Challenge dashboard (4 charts)", f"/challenges/{ref}/dashboard/"),
                ("Cluster chart CSV (every month)", "/clusters/humber/dashboard/published.csv"),
                ("Challenge chart CSV", f"/challenges/{ref}/dashboard/introductions.csv"),
            ],
            args.runs,
        )
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]

    lines = [
        "## Public dashboards (`benchmarks/dashboard.py`)",
        "",
        f"{data['rows']:,} figure rows in the newest computation (and a smaller, older one), "
        f"{args.challenges:,} challenges, {args.months} months; {engine}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        f"data made (or opened) in {made:.0f} s. {args.runs} requests a page through Django's "
        f"test client after one to warm up. Target: under {TARGET_MS} ms.",
        "",
        "| page | queries | median ms | 95th percentile ms | slowest ms | target met |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    failed = False
    for label, path, timings, queries in results:
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
        ok = p95 < TARGET_MS
        failed |= not ok
        lines.append(
            f"| {label} `{path}` | {queries} | {statistics.median(timings):.1f} | {p95:.1f} | "
            f"{max(timings):.1f} | {'yes' if ok else 'NO'} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    write_section(args.output, text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
