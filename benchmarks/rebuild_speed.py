"""Rebuild speed: `manage.py rebuild_matches` end to end, beside the engine and sparse-dot-topn.

Issue #11 asks that a full rebuild, database included, take no more than twice what
scikit-learn's TfidfVectorizer plus sparse_dot_topn.sp_matmul_topn take for the top 10 in
both directions on the same texts. For each corpus size (`generate_listings.py --seed 7`) and
each database this script imports the corpus into a fresh database (`manage.py migrate`,
`manage.py import_exchange FILE`, not timed), then, in ONE process, side by side:

1. `rebuild_matches` as a person runs it (the management command, in process: reading the
   database, fitting, saving the model, ranking, writing the matches), first on an empty
   Match table, then again at once (nothing changed: it should write next to nothing);
2. `engine.fit` + `engine.suggest` over the same documents (read from the database, not
   timed): the engine alone;
3. scikit-learn's `TfidfVectorizer()` (defaults) over title + description of the same
   documents, and `sp_matmul_topn(top_n=10, n_threads=2)` in float64 for needs and
   challenges -> offers and offers -> needs.

The ratio is the rebuild's time over (3). The matches written, changed and removed are the
command's own report, checked against the Match table.

    .venv/bin/python benchmarks/rebuild_speed.py --shared ../shared --listings 20000 100000 \\
        --database-url sqlite --database-url postgres://cx:cx@127.0.0.1:5432/cx_bench

`--database-url sqlite` (the default) is a new SQLite file in the work folder; for a
PostgreSQL URL the database it names is dropped and created afresh (the role needs CREATEDB),
and kept afterwards for inspection. `--workdir DIR --reuse` keeps corpora and databases
between runs and skips the import when the database already holds the corpus. `--profile`
writes a cProfile of the first rebuild to the work folder and prints its top functions.
`--update-docs` writes the table into docs/benchmarks.md between the rebuild_speed markers.
The exit status is 1 when a check fails or the 2x target is missed. The machine is shared:
the report records the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from console import load_average, progress, redact, say  # noqa: E402 (benchmarks/ is on sys.path)

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

START = "<!-- rebuild_speed:start -->"
END = "<!-- rebuild_speed:end -->"
SEED = 7
TARGET_RATIO = 2.0
# The command's own report of each step, e.g. "Fitted the vocabulary (3.1 s)": keyed by the
# first word (read, fitted, saved, ranked, stored).
STEP_LINE = re.compile(r"^(?P<step>\w+)[^()]* \((?P<seconds>[\d.]+) s\)$", re.MULTILINE)
COUNTS_LINE = re.compile(
    r"(?P<new>[\d,]+) new, (?P<changed>[\d,]+) changed, (?P<removed>[\d,]+) removed, "
    r"(?P<unranked>[\d,]+) unranked, (?P<same>[\d,]+) unchanged"
)


# --- inside the measuring process (Django set up on the benchmark's database) --------------


def timed(function, *args, **kwargs):
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def rebuild_command(profile: Path | None = None) -> dict:
    """`rebuild_matches` through call_command, as `manage.py rebuild_matches` runs it."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    if profile is None:
        _, seconds, cpu = timed(call_command, "rebuild_matches", stdout=out)
    else:
        import cProfile

        profiler = cProfile.Profile()
        _, seconds, cpu = timed(profiler.runcall, call_command, "rebuild_matches", stdout=out)
        profiler.dump_stats(profile)
    text = out.getvalue()
    counts = COUNTS_LINE.search(text)
    if counts is None:
        raise SystemExit(f"cannot read the counts from rebuild_matches:\n{text}")
    return {
        "seconds": seconds,
        "cpu": cpu,
        "steps": {m["step"].lower(): float(m["seconds"]) for m in STEP_LINE.finditer(text)},
        **{key: int(value.replace(",", "")) for key, value in counts.groupdict().items()},
        "output": text,
    }


def sklearn_topn(docs) -> dict:
    """TfidfVectorizer (defaults) over title + description, then the top 10 both ways."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sparse_dot_topn import sp_matmul_topn

    def run():
        kinds = np.array([d.kind for d in docs])
        matrix = TfidfVectorizer().fit_transform([f"{d.title} {d.text}" for d in docs])
        sources = matrix[np.flatnonzero(kinds != "offer")]
        offers = matrix[np.flatnonzero(kinds == "offer")]
        needs = matrix[np.flatnonzero(kinds == "need")]
        forward = sp_matmul_topn(sources, offers.T.tocsr(), top_n=10, n_threads=2)
        backward = sp_matmul_topn(offers, needs.T.tocsr(), top_n=10, n_threads=2)
        return forward.nnz + backward.nnz

    pairs, seconds, cpu = timed(run)
    return {"seconds": seconds, "cpu": cpu, "pairs": pairs}


def database_name(connection) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    major, minor = divmod(connection.pg_version, 10000)
    return f"PostgreSQL {major}.{minor}"


def engine_alone(docs) -> dict:
    from matching import engine, services

    model, fit_s, fit_cpu = timed(engine.fit, docs)
    suggestions, suggest_s, suggest_cpu = timed(
        engine.suggest, model, top=services.TOP, blocked=services.blocked_pairs()
    )
    return {
        "fit": fit_s,
        "suggest": suggest_s,
        "seconds": fit_s + suggest_s,
        "cpu": fit_cpu + suggest_cpu,
        "suggestions": len(suggestions),
    }


def measure(listings: int, repeat: int, profile: Path | None) -> dict:
    """Everything timed on one database, in this one process (printed as JSON). With
    `repeat`, each measurement is taken that many times, interleaved, and the fastest kept
    (the machine is shared: the fastest is the one least slowed by others)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    django.setup()
    import sklearn.feature_extraction.text  # noqa: F401  (imported by a running worker)
    import sparse_dot_topn  # noqa: F401
    from django.db import connection

    from clusters.models import Listing
    from matching import engine, services
    from matching.models import Match, MatchModel

    found = Listing.objects.count()
    if found != listings:
        raise SystemExit(f"the database holds {found:,} listings, not {listings:,}")
    result: dict = {
        "listings": listings,
        "database": database_name(connection),
        "threads": engine.THREADS,
        "load_before": load_average(),
        "repeat": repeat,
    }
    where = f"{listings:,} on {connection.vendor}"
    runs: dict[str, list[dict]] = {"first": [], "second": [], "engine": [], "topn": []}
    for attempt in range(repeat):
        # A first rebuild starts from an empty Match table. (Raw: Django's delete() would
        # load every match to clear the notices that may point at them; here there are none.)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Match._meta.db_table}")
        MatchModel.objects.all().delete()
        progress(f"{where}: first rebuild_matches ({attempt + 1} of {repeat})")
        runs["first"].append(rebuild_command(profile if attempt == 0 else None))
        result["rows_after_first"] = Match.objects.count()
        progress(f"{where}: second rebuild_matches")
        runs["second"].append(rebuild_command())
        result["rows_after_second"] = Match.objects.count()
        docs = services.all_docs()
        progress(f"{where}: engine.fit + engine.suggest")
        runs["engine"].append(engine_alone(docs))
        progress(f"{where}: TfidfVectorizer + sp_matmul_topn")
        runs["topn"].append(sklearn_topn(docs))
    # The first rebuild of all ran in a process that had done nothing yet, as a person's
    # `manage.py rebuild_matches` does (a worker that rebuilt before is warmer: caches such
    # as the stemmer's are filled); the fastest of the repeats is kept below.
    result["first_in_new_process"] = runs["first"][0]["seconds"]
    result["first_profiled"] = profile is not None
    for name, measured in runs.items():
        result[name] = min(measured, key=lambda r: r["seconds"])
        result[name]["all_seconds"] = [r["seconds"] for r in measured]
    result["docs"] = len(docs)
    result["sources"] = sum(1 for d in docs if d.kind != "offer")
    result["offers"] = len(docs) - result["sources"]
    result["load_after"] = load_average()
    result["measured_at"] = f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC"
    return result


# --- the driver ----------------------------------------------------------------------------


def generate(shared: Path, listings: int, folder: Path) -> Path:
    path = folder / f"corpus-seed{SEED}-{listings}.json"
    if not path.exists():
        generator = shared / "data" / "generate_listings.py"
        command = [sys.executable, str(generator), "--seed", str(SEED), "--listings"]
        partial = path.with_suffix(".partial")
        subprocess.run(
            [*command, str(listings), "--output", str(partial), "--quiet"],
            check=True,
            capture_output=True,
        )
        partial.rename(path)
    return path


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgres", "postgresql", "pgsql", "psql")


def database_for(url: str, listings: int, folder: Path, reuse: bool) -> tuple[str, bool]:
    """(DATABASE_URL, whether it already holds the corpus) for this size."""
    if not is_postgres(url):
        if url != "sqlite":
            raise SystemExit(f"{redact(url)}: give 'sqlite' or a postgres:// URL")
        path = folder / f"rebuild-speed-{listings}.sqlite3"
        done = path.with_suffix(".imported")
        if reuse and path.exists() and done.exists():
            return f"sqlite:///{path}", True
        for leftover in folder.glob(f"{path.name}*"):
            leftover.unlink()
        done.unlink(missing_ok=True)
        return f"sqlite:///{path}", False
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.strip('/') or 'cx_bench'}_{listings}"
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if reuse and exists.fetchone():
            target = urlunsplit(("postgresql", parts.netloc, f"/{name}", parts.query, ""))
            try:
                with psycopg.connect(target) as db:
                    (count,) = db.execute("SELECT count(*) FROM clusters_listing").fetchone()
                if count == listings:
                    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")), True
            except psycopg.Error:
                pass
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, "")), False


def manage(database_url: str, broker: Path, *args: str) -> float:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        # The import queues matching jobs: keep them away from the project's own broker folder.
        "CELERY_FILESYSTEM_DIR": str(broker),
    }
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def prepare(url: str, corpus: Path, listings: int, folder: Path, reuse: bool) -> tuple[str, float]:
    database_url, ready = database_for(url, listings, folder, reuse)
    broker = folder / "broker"
    broker.mkdir(exist_ok=True)
    manage(database_url, broker, "migrate", "--noinput")  # a reused database may be behind
    if ready:
        return database_url, 0.0
    imported = manage(database_url, broker, "import_exchange", str(corpus))
    if not is_postgres(url):
        Path(database_url.removeprefix("sqlite:///")).with_suffix(".imported").touch()
    return database_url, imported


def run_measure(database_url: str, listings: int, repeat: int, profile: Path | None) -> dict:
    command = [sys.executable, __file__, "--measure", str(listings), "--repeat", str(repeat)]
    if profile:
        command += ["--profile-file", str(profile)]
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0"}
    done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"measuring {listings:,} on {redact(database_url)} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(r: dict) -> list[str]:
    problems = []
    first, second = r["first"], r["second"]
    if first["changed"] or first["removed"] or first["same"]:
        problems.append("the first rebuild found rows in an empty Match table")
    if r["rows_after_first"] != first["new"]:
        problems.append(
            f"{r['rows_after_first']:,} rows after the first rebuild, not {first['new']:,}"
        )
    if r["rows_after_second"] != r["rows_after_first"] + second["new"] - second["removed"]:
        problems.append("the second rebuild's counts do not add up to the rows in the table")
    if first["new"] != r["engine"]["suggestions"]:
        problems.append(
            f"the rebuild stored {first['new']:,} suggestions, the engine made "
            f"{r['engine']['suggestions']:,}"
        )
    return problems


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def table(results: list[dict]) -> list[str]:
    lines = [
        "| Listings | Database | `rebuild_matches`, first (s) | again, nothing changed (s) "
        "| `engine.fit` + `suggest` (s) | TfidfVectorizer + sp_matmul_topn, both ways (s) "
        f"| first ÷ topn | again ÷ topn | Target: ≤ {TARGET_RATIO:g} (first, again) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        topn = r["topn"]["seconds"]
        ratio = r["first"]["seconds"] / topn
        again = r["second"]["seconds"] / topn
        target = ", ".join(
            "PASS" if x <= TARGET_RATIO and not r["problems"] else "FAIL" for x in (ratio, again)
        )
        lines.append(
            f"| {r['listings']:,} | {r['database']} | **{fmt(r['first']['seconds'])}** "
            f"| {fmt(r['second']['seconds'])} | {fmt(r['engine']['seconds'])} | {fmt(topn)} "
            f"| **{ratio:.2f}** | {again:.2f} | {target} |"
        )
    lines += [
        "",
        "| Listings | Database | Rebuild | New | Changed | Removed | Unranked | Unchanged "
        "| Steps (s) |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        for label in ("first", "second"):
            run = r[label]
            steps = ", ".join(f"{k} {v:.1f}" for k, v in run["steps"].items())
            lines.append(
                f"| {r['listings']:,} | {r['database']} | {label} | {run['new']:,} "
                f"| {run['changed']:,} | {run['removed']:,} | {run['unranked']:,} "
                f"| {run['same']:,} | {steps} |"
            )
    lines += [
        "",
        "| Listings | Database | Sources / offers | First rebuild in a new process (s) "
        "| Engine: fit / suggest (s) | CPU (s): rebuild / engine / topn "
        "| Load average before -> after |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        e = r["engine"]
        cold = r.get("first_in_new_process")
        cold_text = "" if cold is None else fmt(cold)
        if cold is not None:
            cold_text += f" ({cold / r['topn']['seconds']:.2f}x topn)"
            cold_text += ", profiled" if r.get("first_profiled") else ""
        lines.append(
            f"| {r['listings']:,} | {r['database']} | {r['sources']:,} / {r['offers']:,} "
            f"| {cold_text} "
            f"| {fmt(e['fit'])} / {fmt(e['suggest'])} | {fmt(r['first']['cpu'])} / "
            f"{fmt(e['cpu'])} / {fmt(r['topn']['cpu'])} | {r['load_before']} -> "
            f"{r['load_after']} |"
        )
    return lines


def report(results: list[dict], command: str) -> str:
    import numpy
    import scipy
    import sklearn

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    lines = [
        "## Rebuild speed, end to end",
        "",
        "`benchmarks/rebuild_speed.py` imports a corpus made by `generate_listings.py --seed "
        f"{SEED}` into a fresh database, then times in one process, side by side: "
        "`rebuild_matches` as a person runs it (reading the database, fitting, saving the "
        "model, ranking, writing the matches), first on an empty Match table and again right "
        "after (nothing changed); `engine.fit` + `engine.suggest` on the same documents; and "
        "scikit-learn's `TfidfVectorizer()` over title + description with "
        "`sparse_dot_topn.sp_matmul_topn(top_n=10, n_threads=2)` for needs and challenges -> "
        "offers and offers -> needs. The issue's target: the rebuild within "
        f"{TARGET_RATIO:g}x of the last. The machine is shared and has 2 cores: other work "
        "moves wall times (see the load average).",
        "",
        f"Run on {results[0].get('measured_at', f'{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC')}; "
        f"{cpu}, "
        f"{len(os.sched_getaffinity(0))} cores; Python {sys.version.split()[0]}, numpy "
        f"{numpy.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}.",
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
Where a rebuild's time goes (cProfile and the command's own step timings, 20,000 listings):

- **Before** (issue #11's figures: 25.1 s against 3.6 s): 8 chunks run one after another
  in the command's process, each scoring its needs against every offer and every need
  against its offers (each pair twice), then all 191,010 matches upserted through
  `bulk_create(update_conflicts=True)`: two thirds of the time was Django building model
  instances and SQL for rows that had not changed.
- **One ranking.** In process, one `engine.suggest` (now `engine.suggest_columns`, below)
  over every source serves both directions (each pair scored once).
- **Only what changed is written.** The stored matches are read in one query (a pair as
  one integer worked out by the database, reasons as JSON text, no per-row converters) and
  compared on arrays: about 0.75 s for 191,010 rows. New pairs go in by COPY on PostgreSQL
  and by executemany on SQLite, changed ones by one UPDATE ... FROM a temporary table on
  PostgreSQL, gone ones by batched deletes. A second rebuild writes nothing.
- **A first rebuild loads in bulk** (stop 22). When a rebuild inserts at least 50,000
  rows into a Match table holding fewer than a quarter as many (the first rebuild after an
  import), it drops the table's plain indexes in its transaction, loads the rows, and puts
  them back exactly as they were: one index build instead of one update per row. (A first
  version also dropped the foreign keys on PostgreSQL, which took the store step to about
  2.3 s; review showed that dropping a foreign key locks the listings table against its
  readers too, so they stay.) The Match table also lost its index on the target alone
  (the target-and-status index serves), and the status and challenge indexes became
  partial (answered rows, rows from challenges), so a new row from a listing updates 3
  indexes fewer than before. Reasons are encoded as JSON once per distinct reason, not
  once per list (0.7 s of json.dumps at 20,000 listings).
  Side by side, the code before and after on copies of the same 20,000-listing database,
  alternating, twice each (first rebuild; its store step; a second rebuild), with the
  first version (PostgreSQL foreign keys dropped too):

  | Database | first rebuild (s) | its store step (s) | again (s) |
  | --- | --- | --- | --- |
  | SQLite, before | 13.4, 13.1 | 5.3, 5.3 | 9.1, 8.4 |
  | SQLite, after | 11.5, 11.1 | 3.9, 3.7 | 8.8, 8.3 |
  | PostgreSQL, before | 15.2, 13.3 | 7.0, 6.0 | 9.2, 8.9 |
  | PostgreSQL, after (first version) | 9.5, 10.2 | 2.2, 2.4 | 7.9, 8.4 |

  That side-by-side comparison was measured in stop 22 (12:59 UTC), before numpy's
  huge-page hint was turned off. PostgreSQL with the shipped code (foreign keys kept) was
  then measured at 14:35 UTC the same day, also with the hint on, on a machine where the
  engine alone took 8.8 s at 20,000 listings: first 16.2 s (store 5.1 s), again 13.1 s,
  ratios 5.06 and 4.09; at 100,000, ratios 1.52 and 0.96.
- **Huge pages** (stop 23). Engine times that moved from one hour to the next in stop 22
  (fit + suggest 6.0 s, then 8.8 s, at 20,000 listings, with the baseline unchanged) were at
  least partly numpy's: it asks for transparent huge pages for every array of 4 MiB or more,
  and with the kernel's `madvise` defrag setting the fit's and the ranking's large arrays
  could wait for memory compaction. The engine now turns the hint off when imported
  (`matching/engine/memory.py`); "Huge pages" below measures both settings side by side. The
  tables above are measured with it off, the baseline too (same process). Only the engine's
  steps are affected: the store step, which is the database's work, is not, and it moves
  with the machine (PostgreSQL's first store at 20,000 listings: 5.1 s at 14:35 in stop 22,
  6.3 s on 2026-12-03 at 15:59, 3.5 s in the run above on a quieter machine).
- **Columns, not objects** (stop 25). A rebuild in process now reads its suggestions as
  arrays (`engine.suggest_columns`: source and target document numbers, scores, reasons)
  instead of one `Suggestion` object per pair, and looks each document's database code up
  once instead of once per pair. Side by side on the same 20,000-listing SQLite database,
  the code before and after, alternating, three rebuilds each time, nothing changed: the
  ranking step went from 1.9-2.2 s to 1.5-1.6 s, the whole rebuild from 5.4-5.9 s to
  5.0-5.6 s; a first rebuild (on copies of the database) from 7.5 and 7.7 s to 7.0 and
  7.2 s.
- **Tried in stop 25 and not kept:** packing the model (`Model.dumps`, mostly zlib) on a
  second thread while the ranking runs. The save step went from 0.35 to 0.06 s, but the
  ranking, whose products already keep both cores busy, slowed by 0.2-0.3 s: about 0.1 s
  in all, not worth storing the model only after the ranking. A tokeniser that splits with
  `str.translate` and uses the regular expression only for words with "-" or "&" took
  0.76-0.83 s for the 64,313 texts of 20,000 listings, against 0.60-0.73 s for the
  expression alone.
- **The same model is not stored twice** (stop 26). A rebuild in which nothing that
  matching reads has changed fits a model identical to the current one; it used to pack it
  (zlib) and write it again, 0.3-0.8 s at 20,000 listings. `save_model` now compares a
  digest of everything the model saves (`engine.Model.digest`, blake2b over its arrays,
  about 0.1 s at 20,000 listings) with the current model's and, if they agree, only marks
  it fitted now: the "again" save step went from 0.5 (SQLite) and 0.8 s (PostgreSQL) in
  stop 25's run to 0.1 s in stop 26's, and the "again" ratios from 2.10 and 2.43 to
  2.01 and 2.04. At 100,000 listings hashing takes most of the 0.7-0.8 s left (sha256 and
  crc32 are at most 1.4 and 2.4 times faster than blake2b here: not worth a weaker check).
- **The cycle collector is paused** (stop 27). A rebuild holds millions of small objects
  until it ends (the rows read, the rows to write, the reasons); each batch of new ones set
  Python's cycle collector off, and its passes walked them all again. A rebuild, a chunk and
  a merge now run with it paused (`matching.services._cycle_collector_paused`; put back as it
  was, even on failure; reference counting still frees all but cycles, which its next pass
  takes). Side by side in one process, fastest of 3 alternating rounds on the same 20,000
  listings (`benchmarks/rebuild_collector.py --rounds 3`, 22:15-22:18 UTC):

  | Database | Rebuild | collector running (s) | paused, shipped (s) | read | stored |
  | --- | --- | ---: | ---: | --- | --- |
  | SQLite | first | 7.01 | 6.27 | 0.40 -> 0.21 | 2.61 -> 2.17 |
  | SQLite | again | 5.17 | 4.36 | 0.39 -> 0.21 | 1.05 -> 0.66 |
  | PostgreSQL | first | 7.95 | 7.26 | 0.47 -> 0.20 | 3.27 -> 2.88 |
  | PostgreSQL | again | 5.12 | 4.45 | 0.40 -> 0.22 | 1.06 -> 0.69 |

  The fit and the ranking do not move (their large data are arrays, not objects). The new
  rows are also built as one tuple per source plus each row's own columns, with the reasons
  encoded for all of them at once.
- **A new process** (the "first rebuild in a new process" column): the repeats' fastest
  is a process that has rebuilt before, as a worker has; `manage.py rebuild_matches` starts
  cold (the stemmer's cache, for one), and its first rebuild took 0.6 s (SQLite) and 0.5 s
  (PostgreSQL) longer at 20,000 listings in the run above.
- **Two runs.** The 20,000-listing rows above are from a run on a quiet machine (22:14-22:15
  UTC, 3 repeats); the 100,000-listing rows from a run at 21:58-22:12 UTC (2 repeats) during
  which tests ran beside it (its 20,000-listing figures, first rebuild 3.69x and 3.47x, again
  1.89x and 1.71x, were left out as the noisier of the two).
- **What is left** is mostly the engine. At 20,000 listings the rebuild with nothing changed is
  now within 2x on both databases (1.79x on SQLite and on PostgreSQL, from 2.01x and 2.04x in
  stop 26); the first rebuild, which inserts all 191,010 matches into an empty table, is not
  (2.60x and 2.89x). The engine alone (fit + suggest) takes about 1.5 times what TfidfVectorizer +
  sp_matmul_topn take: sp_matmul_topn keeps both cores busy in C++, while the fit (tokens,
  stemmer, vocabulary phrases, topics) runs on one core and the ranking uses the second only in
  its matrix products. Tokenising alone (one regular expression, as TfidfVectorizer's) is 0.6 s of
  the fit's 1.8 s. That leaves about 0.4 times the baseline for reading, saving and storing:
  comparing 191,010 stored matches takes about 0.7 s, and inserting them 2.2-2.9 s. At 100,000
  listings the target is met on both databases. Next: keep each listing's analysed words with it
  (fit without tokenising), and compare reasons by a hash stored with each match rather than by
  their text.
- **Tiny score moves are not writes** (stop 22). A refit moves most scores by a few
  1e-4 (idf and topics change with any listing). Compared exactly, after 200 edited
  listings (1 %) at 20,000 a rebuild rewrote 152,134 of 191,010 matches, and moved their
  `computed_at`, which API partners sync on. A stored score within 0.001 of the new one is
  now left as it is (if rank, reasons and engine version are the same): the same rebuild
  rewrote 18,150 matches at 0.0005, 17,009 at 0.001 (shipped) and 16,767 at 0.005, plus
  2,598 new and 2,598 removed in each case: 10.3 % of the rows instead of 81.0 %
  (`benchmarks/rebuild_edits.py --edits 200` on the 20,000-listing SQLite database: one
  rebuild per tolerance from the same stored matches, each rolled back). With the rules
  added after review (a kept score must stay in its strength band and in its list's rank
  order), 0.001 rewrites 17,417 (10.5 %).
- **Smaller steps:** the documents are read in 5 queries whatever the number of listings
  (themes and clusters by subquery, not by batches of ids); the model is deflated at level
  1 rather than 6 (0.7-1.0 s to about 0.4 s at 20,000 listings).
"""


def print_profile(path: Path, limit: int = 30) -> None:
    import pstats

    stats = pstats.Stats(str(path), stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


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
    parser.add_argument(
        "--repeat", type=int, default=1, help="take each measurement N times, keep the fastest"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the first rebuild")
    parser.add_argument(
        "--prepare-only", action="store_true", help="generate and import, measure nothing"
    )
    parser.add_argument("--update-docs", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--save-json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--from-json", type=Path, help="report a run saved with --save-json (measure nothing)"
    )
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat, args.profile_file)))
        return 0
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        if isinstance(saved, list):  # saved by an earlier version: the figures only
            saved = {"results": saved, "command": "(see the report)"}
        return finish(saved["results"], saved["command"], args.update_docs)
    if args.shared is None:
        parser.error("--shared is required")
    urls = args.database_urls or ["sqlite"]
    python = Path(sys.executable)
    if python.is_relative_to(REPO):
        python = python.relative_to(REPO)
    command = redact(shlex.join([str(python), "benchmarks/rebuild_speed.py", *sys.argv[1:]]))
    results = []
    with tempfile.TemporaryDirectory(prefix="rebuild-speed-") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for listings in args.listings:
            progress(f"generating {listings:,} listings (seed {SEED})")
            corpus = generate(args.shared, listings, folder)
            for url in urls:
                progress(f"importing {listings:,} listings into {redact(url)}")
                database_url, import_s = prepare(url, corpus, listings, folder, args.reuse)
                if args.prepare_only:
                    progress(f"ready: {redact(database_url)} (import {import_s:.0f} s)")
                    continue
                profile = (
                    folder / f"rebuild-{listings}-{len(results)}.prof" if args.profile else None
                )
                r = run_measure(database_url, listings, args.repeat, profile)
                r["import_s"] = import_s
                r["problems"] = check(r)
                results.append(r)
                progress(
                    f"{listings:,} on {r['database']}: rebuild {r['first']['seconds']:.1f} s, "
                    f"again {r['second']['seconds']:.1f} s, engine "
                    f"{r['engine']['seconds']:.1f} s, topn {r['topn']['seconds']:.1f} s; "
                    f"steps {r['first']['steps']} / {r['second']['steps']}"
                )
                for problem in r["problems"]:
                    progress(f"PROBLEM: {problem}")
                if profile:
                    print_profile(profile)
    if args.prepare_only:
        return 0
    if args.save_json:
        saved = {"command": command, "results": results}
        args.save_json.write_text(json.dumps(saved, indent=1), encoding="utf-8")
    return finish(results, command, args.update_docs)


def finish(results: list[dict], command: str, update: bool) -> int:
    text = report(results, command)
    say(text)
    if update:
        from match_quality import update_docs

        update_docs(text, (START, END))
    failed = any(
        r["problems"] or r["first"]["seconds"] / r["topn"]["seconds"] > TARGET_RATIO
        for r in results
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
