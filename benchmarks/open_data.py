"""Open data build: wall time and peak memory of `manage.py build_open_data`, per corpus size.

The downloads are written row by row from chunked queries, so the build's peak memory should
stay about the same from 10,000 to 100,000 listings while its time grows with the rows. For
each size this script generates the corpus with the shared generator, imports it into a new
SQLite database (not timed), then times `manage.py build_open_data` in its own process
(os.wait4 gives that process's own peak RSS) and checks that the offers and needs files hold
as many rows as the database has published, unexpired listings.

    .venv/bin/python benchmarks/open_data.py --shared ../shared --listings 10000 100000

The figures replace the section between the markers below in docs/benchmarks.md. The exit
status is 1 when a check fails.
"""

import argparse
import os
import platform
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from import_speed import generator_python, run

REPO = Path(__file__).resolve().parent.parent
START = "<!-- open_data:start -->"
END = "<!-- open_data:end -->"
ROWS = re.compile(r"^(\w+)\.(csv|json): (\d+) rows, (\d+) bytes$", re.MULTILINE)
COUNT_CODE = (
    "from clusters.models import Listing, Organisation;"
    "print(Listing.objects.published().live()"
    ".filter(organisation__status=Organisation.Status.APPROVED).count())"
)


def measure(generator: Path, python: str, listings: int, seed: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="open_data-") as folder:
        folder = Path(folder)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "DJANGO_DEBUG": "0",
            "DJANGO_MEDIA_ROOT": str(folder / "media"),
            "CELERY_FILESYSTEM_DIR": str(folder / "broker"),
        }
        corpus = folder / "corpus.json"
        run(
            [python, str(generator), "--seed", str(seed), "--listings", str(listings)]
            + ["--output", str(corpus), "--quiet"],
            timeout=timeout,
        ).check()

        def manage(*args):
            return run([sys.executable, "manage.py", *args], env=env, timeout=timeout).check()

        manage("migrate", "--noinput")
        manage("import_exchange", str(corpus))
        expected = int(manage("shell", "-c", COUNT_CODE).stdout.split()[-1])
        # The same process doing nothing: Django and the site's modules loaded.
        idle = manage("shell", "-c", "import opendata.services")
        built = manage("build_open_data")
        files = {
            f"{name}.{ext}": (int(rows), int(size))
            for name, ext, rows, size in ROWS.findall(built.stdout)
        }
        listing_rows = files["offers.csv"][0] + files["needs.csv"][0]
        return {
            "listings": listings,
            "published": expected,
            "rows_ok": listing_rows == expected,
            "seconds": built.seconds,
            "cpu_seconds": built.cpu_seconds,
            "peak_rss_mib": built.peak_rss_mib,
            "idle_rss_mib": idle.peak_rss_mib,
            "files": files,
        }


def report(results: list[dict]) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}), SQLite.",
        "",
        "| listings in the corpus | published, unexpired | build time | CPU time | peak RSS "
        "| idle process | offers.csv | needs.csv | offers.json | rows match |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        size = {name: f"{bytes_ / 2**20:.1f} MiB" for name, (_, bytes_) in r["files"].items()}
        lines.append(
            f"| {r['listings']:,} | {r['published']:,} | {r['seconds']:.1f} s "
            f"| {r['cpu_seconds']:.1f} s | {r['peak_rss_mib']:.0f} MiB "
            f"| {r['idle_rss_mib']:.0f} MiB | {size['offers.csv']} "
            f"| {size['needs.csv']} | {size['offers.json']} | {'yes' if r['rows_ok'] else 'NO'} |"
        )
    lines += [
        "",
        "Peak RSS is that of the build's own process; the idle process is `manage.py shell` "
        "importing the same code and doing nothing, so the difference is what the build "
        "holds. Build time includes the process's start-up; the machine is shared, so times "
        "vary by a quarter or more from run to run.",
    ]
    return "\n".join(lines)


def write_report(body: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    block = f"{START}\n## Open data build\n\n{body.rstrip()}\n{END}"
    start, end = text.find(START), text.find(END)
    if start >= 0 and end >= 0:
        text = text[:start] + block + text[end + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True, help="folder holding data/")
    parser.add_argument("--listings", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--generator-python", default=None)
    args = parser.parse_args()
    generator = args.shared / "data" / "generate_listings.py"
    python = generator_python(args.generator_python)
    results = [measure(generator, python, n, args.seed, args.timeout) for n in args.listings]
    body = report(results)
    print(body)  # noqa: T201
    write_report(body)
    return 0 if all(r["rows_ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
