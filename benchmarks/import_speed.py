"""Import speed: time `manage.py import_exchange` on generated corpora, per size and database.

The issue's target: a file of 100,000 listings imports in under 2 minutes. For each size and
each database this script

1. generates the corpus with the shared generator (timed apart: it is not part of the import),
2. runs `manage.py migrate` on a fresh, empty database,
3. times `manage.py import_exchange FILE` (wall time and the command's peak RSS),
4. times a second import of the same file, which must report 0 added and 0 updated,
5. times a third import of a copy in which 1 % of the listings have a changed title,

and after each import checks that the row counts in the database equal the corpus's. Every
command runs in its own process, exactly as a person would type it, with DJANGO_DEBUG=0 so
that Django does not keep every query in memory.

    .venv/bin/python benchmarks/import_speed.py --shared ../shared --listings 10000 100000 \\
        --database-url sqlite --database-url postgres://user:pass@127.0.0.1:5432/postgres

`--database-url sqlite` (the default) means a new SQLite file in a temporary folder (TMPDIR
decides where). For a PostgreSQL URL the script creates a throwaway database with a unique name
on that server (the role needs CREATEDB) and drops it afterwards; the database named in the URL
is only used to connect. The figures replace the section between the markers below in
docs/benchmarks.md, so other benchmarks can share that file. The exit status is 1 when a check
or the target fails.
"""

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
import psycopg

REPO = Path(__file__).resolve().parent.parent
START = "<!-- import_speed:start -->"
END = "<!-- import_speed:end -->"
TARGET_LISTINGS = 100_000
TARGET_SECONDS = 120.0
LISTS = ("clusters", "challenges", "organisations", "listings")
# (link table, list whose records hold it, field of the record)
LINKS = (
    ("challenge_themes", "challenges", "themes"),
    ("organisation_clusters", "organisations", "clusters"),
    ("listing_themes", "listings", "themes"),
    ("listing_clusters", "listings", "clusters"),
)
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "psql")
CHANGE_EVERY = 100  # every 100th listing gets a new title: 1 %
SUMMARY_LINE = re.compile(r"^(\w+): (\d+) added, (\d+) updated, (\d+) unchanged$", re.MULTILINE)

# Run inside the site by `manage.py shell -c`: the rows the import writes, as one JSON line.
SNAPSHOT_CODE = """
import json
from clusters.models import Challenge, Cluster, Listing, Organisation
print(json.dumps({
    "keys": {
        "clusters": list(Cluster.objects.values_list("slug", flat=True)),
        "challenges": list(Challenge.objects.values_list("ref", flat=True)),
        "organisations": list(Organisation.objects.values_list("ref", flat=True)),
        "listings": list(Listing.objects.values_list("ref", flat=True)),
    },
    "links": {
        "challenge_themes": Challenge.themes.through.objects.count(),
        "organisation_clusters": Organisation.clusters.through.objects.count(),
        "listing_themes": Listing.themes.through.objects.count(),
        "listing_clusters": Listing.clusters.through.objects.count(),
    },
}))
"""


def say(text: str = "", *, stream=sys.stdout) -> None:
    stream.write(text + "\n")
    stream.flush()


def progress(text: str) -> None:
    say(f"[{datetime.now(tz=UTC):%H:%M:%S}] {text}", stream=sys.stderr)


def redact(text: str) -> str:
    """Hide the password in any URL (postgres://user:secret@host -> postgres://user:***@host)."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


# --- running commands ----------------------------------------------------------------------


@dataclass
class Run:
    """One finished command: wall time, CPU time and peak RSS of that process alone."""

    command: list[str]
    returncode: int
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    stdout: str
    stderr: str

    def check(self) -> "Run":
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-15:])
            raise BenchmarkError(
                f"`{redact(shlex.join(self.command))}` exited with {self.returncode}:\n{tail}"
            )
        return self


class BenchmarkError(Exception):
    """A command failed or a check did not hold: stops this size/database, not the others."""


def run(command: list[str], *, env: dict[str, str] | None = None, timeout: float) -> Run:
    """Run a command in the repository folder and measure it.

    os.wait4 gives the resource usage of this one child, so each import gets its own peak RSS
    (getrusage(RUSAGE_CHILDREN) would give the largest of all children so far).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            command=command,
            returncode=process.returncode,
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_rss_mib=usage.ru_maxrss / 1024,  # kibibytes on Linux
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


# The import queues matching work; without REDIS_URL its nudge goes to the filesystem
# broker, which must not be the project's own var/celery (a local worker would read it).
BROKER_DIR = tempfile.mkdtemp(prefix="import_speed-broker-")


def manage(*args: str, database_url: str, timeout: float) -> Run:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "CELERY_FILESYSTEM_DIR": BROKER_DIR,
    }
    return run([sys.executable, "manage.py", *args], env=env, timeout=timeout)


# --- the corpus ----------------------------------------------------------------------------


@dataclass
class Corpus:
    listings: int
    path: Path
    changed_path: Path
    changed_listings: int
    generate_seconds: float
    size_mib: float
    keys: dict[str, set[str]]  # list name -> refs (slugs for clusters) in the file
    links: dict[str, int]  # link table -> rows the file asks for


def generator_python(requested: str | None) -> str:
    """A Python that can run the generator: it needs numpy, which the site does not."""
    candidates = [requested] if requested else [sys.executable, shutil.which("python3")]
    for python in filter(None, candidates):
        probe = subprocess.run([python, "-c", "import numpy"], capture_output=True)
        if probe.returncode == 0:
            return python
    raise SystemExit(
        "No Python with numpy found for the corpus generator: pass --generator-python PATH "
        "or install numpy into this environment."
    )


def make_corpus(
    generator: Path, python: str, listings: int, seed: int, folder: Path, timeout: float
) -> Corpus:
    """Generate the corpus file and a copy with 1 % of listing titles changed."""
    path = folder / f"corpus-{listings}-seed{seed}.json"
    command = [python, str(generator), "--seed", str(seed), "--listings", str(listings)]
    generated = run([*command, "--output", str(path), "--quiet"], timeout=timeout).check()

    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    keys = {
        name: {record["slug" if name == "clusters" else "ref"] for record in doc[name]}
        for name in LISTS
    }
    links = {
        table: sum(len(dict.fromkeys(record.get(key) or [])) for record in doc[name])
        for table, name, key in LINKS
    }
    # A challenge has one cluster, not a list: it has no link table to count.
    changed = 0
    for position, listing in enumerate(doc["listings"]):
        if position % CHANGE_EVERY == 0:
            listing["title"] = listing["title"].strip()[:190] + " (revised)"
            changed += 1
    changed_path = folder / f"corpus-{listings}-seed{seed}-1pc-changed.json"
    with open(changed_path, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, ensure_ascii=False)
    return Corpus(
        listings=len(doc["listings"]),
        path=path,
        changed_path=changed_path,
        changed_listings=changed,
        generate_seconds=generated.seconds,
        size_mib=path.stat().st_size / 2**20,
        keys=keys,
        links=links,
    )


# --- databases -----------------------------------------------------------------------------


def database_kind(url: str) -> str:
    scheme = urlsplit(url).scheme if "://" in url else url
    if scheme == "sqlite":
        if url not in ("sqlite", "sqlite://", "sqlite:///"):
            raise SystemExit(
                f"{url}: give plain 'sqlite'; the benchmark always starts from a new SQLite file "
                "in a temporary folder (set TMPDIR to choose the disk)."
            )
        return "sqlite"
    if scheme in POSTGRES_SCHEMES:
        return "postgresql"
    raise SystemExit(f"{redact(url)}: only 'sqlite' and postgres:// URLs are supported")


def _libpq_url(url: str, database: str | None = None) -> str:
    """The same server in the spelling libpq accepts, optionally naming another database."""
    parts = urlsplit(url)
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit(("postgresql", parts.netloc, path, parts.query, ""))


def database_version(url: str) -> str:
    if database_kind(url) == "sqlite":
        # The library Python links: manage.py runs on this same interpreter.
        return f"SQLite {sqlite3.sqlite_version}"
    with psycopg.connect(_libpq_url(url), autocommit=True) as connection:
        (version,) = connection.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {version.split()[0]}"


@contextmanager
def fresh_database(url: str, folder: Path) -> Iterator[str]:
    """Yield the DATABASE_URL of a new, empty database; remove it afterwards."""
    name = f"import_speed_{os.getpid()}_{secrets.token_hex(4)}"
    if database_kind(url) == "sqlite":
        path = folder / f"{name}.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            for leftover in folder.glob(f"{name}.sqlite3*"):  # with -wal and -shm
                leftover.unlink()
        return

    with psycopg.connect(_libpq_url(url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        parts = urlsplit(url)
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        with psycopg.connect(_libpq_url(url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- one size on one database --------------------------------------------------------------


@dataclass
class Result:
    listings: int
    database: str
    generate_seconds: float
    size_mib: float
    migrate_seconds: float | None = None
    first: Run | None = None
    again: Run | None = None
    changed: Run | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def peak_rss_mib(self) -> float | None:
        runs = [r for r in (self.first, self.again, self.changed) if r is not None]
        return max(r.peak_rss_mib for r in runs) if runs else None

    @property
    def target(self) -> str:
        if self.listings != TARGET_LISTINGS:
            return "n/a"
        if self.first is None or self.problems:
            return "FAIL"
        return "PASS" if self.first.seconds < TARGET_SECONDS else "FAIL"


def snapshot(database_url: str, timeout: float) -> dict:
    shown = manage(
        "shell", "--no-imports", "-c", SNAPSHOT_CODE, database_url=database_url, timeout=timeout
    ).check()
    return json.loads(shown.stdout.strip().splitlines()[-1])


def summary_of(imported: Run) -> dict[str, tuple[int, int, int]]:
    """The import's own report: list name -> (added, updated, unchanged)."""
    found = {
        m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in SUMMARY_LINE.finditer(imported.stdout)
    }
    if set(found) != set(LISTS):
        raise BenchmarkError(f"cannot read the import's summary from:\n{imported.stdout}")
    return found


def check_summary(
    label: str, imported: Run, *, added: dict[str, int], updated: dict[str, int] | None
) -> None:
    """Compare the import's report with what it should have done (updated=None: not checked)."""
    summary = summary_of(imported)
    for name in LISTS:
        got_added, got_updated, _ = summary[name]
        if got_added != added[name] or (updated is not None and got_updated != updated[name]):
            want = f"{added[name]} added" + (
                "" if updated is None else f", {updated[name]} updated"
            )
            raise BenchmarkError(
                f"{label}: {name} reported {got_added} added, {got_updated} updated; "
                f"expected {want}"
            )


def check_rows(label: str, database_url: str, expected: dict, timeout: float) -> None:
    rows = snapshot(database_url, timeout)
    found = {name: len(rows["keys"][name]) for name in LISTS} | rows["links"]
    wrong = [
        f"{name}: {found[name]} rows, expected {want}"
        for name, want in expected.items()
        if found[name] != want
    ]
    if wrong:
        raise BenchmarkError(f"{label}: row counts differ from the corpus: " + "; ".join(wrong))


def measure(corpus: Corpus, url: str, version: str, folder: Path, timeout: float) -> Result:
    result = Result(
        listings=corpus.listings,
        database=version,
        generate_seconds=corpus.generate_seconds,
        size_mib=corpus.size_mib,
    )
    where = f"{corpus.listings:,} listings on {result.database}"
    try:
        with fresh_database(url, folder) as database_url:
            migrated = manage("migrate", "--noinput", database_url=database_url, timeout=timeout)
            result.migrate_seconds = migrated.check().seconds
            before = snapshot(database_url, timeout)
            new = {name: len(corpus.keys[name] - set(before["keys"][name])) for name in LISTS}
            expected = {
                name: len(corpus.keys[name] | set(before["keys"][name])) for name in LISTS
            } | {table: before["links"][table] + corpus.links[table] for table, _, _ in LINKS}
            zero = dict.fromkeys(LISTS, 0)

            progress(f"{where}: first import")
            result.first = manage(
                "import_exchange", str(corpus.path), database_url=database_url, timeout=timeout
            ).check()
            check_summary("first import", result.first, added=new, updated=None)
            check_rows("after the first import", database_url, expected, timeout)

            progress(f"{where}: re-import of the same file")
            result.again = manage(
                "import_exchange", str(corpus.path), database_url=database_url, timeout=timeout
            ).check()
            check_summary("re-import", result.again, added=zero, updated=zero)
            check_rows("after the re-import", database_url, expected, timeout)

            progress(f"{where}: import with 1 % of titles changed")
            result.changed = manage(
                "import_exchange",
                str(corpus.changed_path),
                database_url=database_url,
                timeout=timeout,
            ).check()
            check_summary(
                "1 % changed",
                result.changed,
                added=zero,
                updated=zero | {"listings": corpus.changed_listings},
            )
            check_rows("after the 1 % changed import", database_url, expected, timeout)
    except BenchmarkError as exc:
        result.problems.append(str(exc))
        say(f"FAILED: {where}: {exc}", stream=sys.stderr)
    return result


# --- reporting -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        kib = next(int(line.split()[1]) for line in handle if line.startswith("MemTotal:"))
    head = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return {
        "CPU": f"{cpu}, {len(os.sched_getaffinity(0))} cores available (nproc)",
        "RAM": f"{kib / 2**20:.1f} GiB",
        "OS": f"{os.uname().sysname} {os.uname().release}",
        "Python": sys.version.split()[0],
        "Django": django.get_version(),
        "Code": f"commit {head}" + (" with uncommitted changes" if dirty else ""),
    }


def seconds(value: Run | float | None) -> str:
    if isinstance(value, Run):
        value = value.seconds
    return "–" if value is None else f"{value:.1f}"


def command_line() -> str:
    python = Path(sys.executable)
    if python.is_relative_to(Path.cwd()):
        python = python.relative_to(Path.cwd())
    return redact(shlex.join([str(python), *sys.argv]))


def table(results: list[Result]) -> list[str]:
    header = (
        "| Listings | Database | First import (s) | Re-import (s) | 1 % changed (s) "
        f"| Peak RSS (MiB) | Target: < {TARGET_SECONDS:.0f} s at {TARGET_LISTINGS:,} |"
    )
    lines = [header, "| ---: | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        rss = "–" if r.peak_rss_mib is None else f"{r.peak_rss_mib:.0f}"
        lines.append(
            f"| {r.listings:,} | {r.database} | {seconds(r.first)} | {seconds(r.again)} "
            f"| {seconds(r.changed)} | {rss} | {r.target} |"
        )
    return lines


def details(results: list[Result]) -> list[str]:
    lines = [
        "| Listings | Database | Corpus file (MiB) | Generating (s) | Migrate (s) "
        "| First import: CPU of the command (s) | Checks |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        cpu = "–" if r.first is None else f"{r.first.cpu_seconds:.1f}"
        lines.append(
            f"| {r.listings:,} | {r.database} | {r.size_mib:.0f} | {r.generate_seconds:.1f} "
            f"| {seconds(r.migrate_seconds)} | {cpu} | {'FAIL' if r.problems else 'ok'} |"
        )
    return lines


def markdown(
    results: list[Result],
    when: datetime,
    seed: int,
    facts: dict[str, str],
    load: tuple[float, float],
) -> str:
    lines = [
        "## Import speed",
        "",
        "`benchmarks/import_speed.py` times `manage.py import_exchange` on corpora made by "
        f"`generate_listings.py --seed {seed}`, each size on a fresh database: the first "
        "import, a re-import of the same file (must report 0 added, 0 updated), and an import of "
        f"a copy with every {CHANGE_EVERY}th listing's title changed (the update path). After "
        "each import the rows in the database are counted against the corpus. Times are wall "
        "time of the whole command, Django start-up included; peak RSS is the largest of the "
        "three import processes. Generating the corpus is not part of the import.",
        "",
        f"Run on {when:%Y-%m-%d %H:%M} UTC.",
        "",
        *(f"- {key}: {value}" for key, value in facts.items()),
        f"- Databases: {', '.join(dict.fromkeys(r.database for r in results))}",
        # Other work on the machine slows the figures; this shows whether there was any.
        f"- Load average (1 min) before / after the run: {load[0]:.1f} / {load[1]:.1f}",
        "",
        "```",
        command_line(),
        "```",
        "",
        *table(results),
        "",
        *details(results),
    ]
    problems = [
        f"- {r.listings:,} listings on {r.database}: {p}" for r in results for p in r.problems
    ]
    if problems:
        lines += ["", "Problems:", "", *problems]
    return "\n".join(lines)


def write_section(path: Path, body: str) -> None:
    """Replace this benchmark's section of the file, leaving everything else as it was."""
    block = f"{START}\n{body.rstrip()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start, end = text.find(START), text.find(END)
    if start != -1 and end > start:
        text = text[:start] + block + text[end + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared",
        type=Path,
        required=True,
        help="the shared folder holding data/generate_listings.py",
    )
    parser.add_argument(
        "--listings",
        type=int,
        nargs="+",
        default=[TARGET_LISTINGS],
        help=f"corpus sizes (default {TARGET_LISTINGS})",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        action="append",
        dest="database_urls",
        metavar="URL",
        help="'sqlite' (default) or postgres://...; repeatable",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO / "docs" / "benchmarks.md",
        help="markdown file to update (default docs/benchmarks.md)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="seconds before any one command is stopped (default 1800)",
    )
    parser.add_argument(
        "--generator-python",
        metavar="PATH",
        help="Python (with numpy) to run the generator; default: this one or python3",
    )
    args = parser.parse_args(argv)

    generator = args.shared / "data" / "generate_listings.py"
    if not generator.is_file():
        parser.error(f"{generator} not found: --shared must be the shared folder")
    urls = args.database_urls or ["sqlite"]
    versions = {}
    for url in urls:  # refuse unsupported or unreachable databases before any work
        try:
            versions[url] = database_version(url)
        except psycopg.Error as exc:
            parser.error(f"cannot connect to {redact(url)}: {exc}")
    python = generator_python(args.generator_python)
    when = datetime.now(tz=UTC)
    facts = machine()  # before the run: the commit measured is the one checked out at the start
    load_before = os.getloadavg()[0]

    results = []
    with tempfile.TemporaryDirectory(prefix="import_speed-") as temporary:
        folder = Path(temporary)
        for listings in args.listings:
            progress(f"generating {listings:,} listings (seed {args.seed})")
            corpus = make_corpus(generator, python, listings, args.seed, folder, args.timeout)
            progress(f"generated in {corpus.generate_seconds:.1f} s, {corpus.size_mib:.0f} MiB")
            for url in urls:
                results.append(measure(corpus, url, versions[url], folder, args.timeout))
            corpus.path.unlink()
            corpus.changed_path.unlink()

    say()
    for line in table(results) + [""] + details(results):
        say(line)
    load = (load_before, os.getloadavg()[0])
    write_section(args.output, markdown(results, when, args.seed, facts, load))
    say(f"\nWrote {args.output}")
    failed = any(r.problems or r.target == "FAIL" for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
