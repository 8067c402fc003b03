"""A full rebuild shared by real Celery workers, as the site runs it: a map-reduce, writes included.

For a corpus made by `generate_listings.py --seed 7`, imported into a database as
`rebuild_speed.py` does (SQLite file or PostgreSQL; `--workdir DIR --reuse` keeps it), this
script starts a throwaway redis-server and WORKERS real workers of the site (`celery -A config
worker`, one process each, `--pool solo`, the engine limited to cores / WORKERS threads so
that the workers share the cores rather than fight for them), then asks for a rebuild as the
nightly task does (`services.request_rebuild`). One worker reads the listings, fits and saves
the model and sends the chunks: slices of the need side (needs and challenges). Every free
worker takes the next chunk, scores its needs once against every offer, stores their matches
and keeps every offer's best needs among its own; the last chunk to finish sends the merge,
which stores each offer's exact top 10 from all chunks' candidates. So W workers share the
pair work of one ranking, each pair scored once.

Timings come from the run's own records (MatchingRun, RebuildChunk): fit and save (the run
starts to the first chunk taken), the map (first chunk taken to last chunk done), the merge,
and the whole rebuild from the request to the run done. The rebuild runs first on an empty
Match table (every match written), then again (nothing changed). With `--verify`, the
`rebuild_matches` command then runs in process (one ranking) and must find nothing to change:
the map-reduce stored exactly what one ranking stores.

    .venv/bin/python benchmarks/rebuild_workers.py --shared ../shared --listings 100000 \\
        --workers 2 --chunks 8 --database-url postgres://cx:cx@127.0.0.1:5432/cx_bench --verify

`--update-docs` writes the figures into docs/benchmarks.md between the rebuild_workers
markers, one section per size and database (a new run replaces its section). The exit status
is 1 when a rebuild fails or the check finds a difference.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from rebuild_speed import (  # noqa: E402
    COUNTS_LINE,
    database_name,
    generate,
    load_average,
    prepare,
    progress,
    redact,
    say,
)

START = "<!-- rebuild_workers:start -->"
END = "<!-- rebuild_workers:end -->"


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


# --- inside the measuring process (Django set up on the benchmark's database and Redis) ------


def one_rebuild(timeout: float) -> dict:
    """Ask for a rebuild as the nightly task does; wait for the workers to finish it."""
    from matching import services
    from matching.models import MatchingRun, MatchingWork

    # An import of many listings leaves a pending rebuild row, whose message went elsewhere.
    MatchingWork.objects.filter(kind=MatchingWork.Kind.REBUILD).exclude(
        state=MatchingWork.State.DONE
    ).delete()
    before = MatchingRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    requested = time.time()
    services.request_rebuild()  # sent at once: there is no transaction around it
    deadline = time.monotonic() + timeout
    run = None
    while time.monotonic() < deadline:
        run = MatchingRun.objects.filter(kind="rebuild", pk__gt=before).order_by("pk").first()
        if run is not None and run.status != MatchingRun.Status.RUNNING:
            break
        time.sleep(0.5)
    else:
        raise SystemExit(f"no rebuild finished within {timeout:.0f} s")
    if run.status != MatchingRun.Status.DONE:
        raise SystemExit(f"the rebuild failed: {run.error}")
    chunks = list(run.chunks.order_by("index"))
    maps = [c for c in chunks if c.index < run.chunks_total]
    merge = chunks[-1]

    def at(moment) -> float:
        return moment.timestamp()

    return {
        "requested": requested,
        "total_s": at(run.finished_at) - requested,
        "queue_s": at(run.started_at) - requested,
        "fit_save_s": min(at(c.claimed_at) for c in maps) - at(run.started_at),
        "map_s": max(at(c.finished_at) for c in maps) - min(at(c.claimed_at) for c in maps),
        "merge_s": at(merge.finished_at) - at(merge.claimed_at),
        "merge_wait_s": at(merge.claimed_at) - max(at(c.finished_at) for c in maps),
        "matches_written": run.matches_written,
        "sources": run.sources,
        "chunks": [
            {
                "index": c.index,
                "worker": c.worker,
                "seconds": at(c.finished_at) - at(c.claimed_at),
                "merge": c.index == run.chunks_total,
            }
            for c in chunks
        ],
    }


def measure(timeout: float, verify: bool) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    django.setup()
    import io

    from django.core.management import call_command
    from django.db import connection

    from matching.models import Match, MatchModel

    with connection.cursor() as cursor:  # raw: see rebuild_speed.measure
        cursor.execute(f"DELETE FROM {Match._meta.db_table}")
    MatchModel.objects.all().delete()
    result: dict = {"database": database_name(connection), "load_before": load_average()}
    progress("rebuild over the workers, on an empty Match table")
    result["first"] = one_rebuild(timeout)
    result["rows"] = Match.objects.count()
    progress(f"first: {result['first']['total_s']:.1f} s; again, nothing changed")
    result["again"] = one_rebuild(timeout)
    progress(f"again: {result['again']['total_s']:.1f} s")
    result["load_after"] = load_average()
    if verify:
        progress("rebuild_matches in process, which must find nothing to change")
        out = io.StringIO()
        call_command("rebuild_matches", stdout=out)
        counts = COUNTS_LINE.search(out.getvalue())
        result["verify"] = {k: int(v.replace(",", "")) for k, v in counts.groupdict().items()}
    return result


# --- Redis and the workers -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    if shutil.which("redis-server") is None:
        raise SystemExit(
            "redis-server is not installed (Debian/Ubuntu: apt-get install redis-server)"
        )
    port = free_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(folder)),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("redis-server did not start")


def site_env(database_url: str, redis_url: str, extra: dict[str, str] | None = None) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "0",
        **(extra or {}),
    }


def start_workers(args, threads: int, env: dict, folder: Path) -> list[subprocess.Popen]:
    env = {
        **env,
        "MATCHING_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "MATCHING_CHUNKS": str(args.chunks),
        "MATCHING_CHUNK_MIN_SOURCES": "1",
    }
    workers = []
    for i in range(args.workers):
        log = open(folder / f"worker-{i}.log", "w", encoding="utf-8")  # noqa: SIM115
        workers.append(
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                    *("--pool", "solo", "--concurrency", "1", "--hostname", f"bench{i}@%h"),
                    *("--queues", "matching,default,email"),  # every queue, as one pool
                    *("--without-gossip", "--without-mingle", "--loglevel", "INFO"),
                ],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


def wait_for_workers(workers: list[subprocess.Popen], env: dict, folder: Path) -> None:
    probe = (
        "import django, sys; django.setup(); from config.celery import app; "
        "print(len(app.control.ping(timeout=1.0)))"
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(w.poll() is not None for w in workers):
            break
        seen = subprocess.run(
            [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True
        )
        if seen.returncode == 0 and int(seen.stdout.strip() or 0) >= len(workers):
            return
    raise SystemExit(f"the workers did not start: see {folder}/worker-*.log")


def stop(processes: list[subprocess.Popen], group: bool = True) -> None:
    for process in processes:
        if process.poll() is None:
            if group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)  # the worker and its children
            else:
                process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- the report ------------------------------------------------------------------------------


def report(listings: int, r: dict, command: str) -> tuple[str, bool]:
    first, again = r["first"], r["again"]
    ok = "verify" not in r or not any(r["verify"][k] for k in ("new", "changed", "removed"))
    maps = [c for c in first["chunks"] if not c["merge"]]
    map_work = sum(c["seconds"] for c in maps)
    threads = r["threads_per_worker"]
    lines = [
        f"### {listings:,} listings over {r['workers']} workers on {r['database']}",
        "",
        f"Run on {r['measured_at']}: {first['sources']:,} listings and challenges, "
        f"{r['chunks']} chunks of the need side and a merge, {r['workers']} workers of the "
        f"site (`celery -A config worker --pool solo`) with {threads} engine thread(s) each, "
        f"a Redis broker. Load average: {r['load_before']} -> {r['load_after']}.",
        "",
        "```",
        command,
        "```",
        "",
        "| Step | First, empty Match table (s) | Again, nothing changed (s) |",
        "| --- | ---: | ---: |",
        f"| queue: the request to a worker starting the run | {fmt(first['queue_s'])} | "
        f"{fmt(again['queue_s'])} |",
        f"| read the listings, fit, save the model (one worker) | {fmt(first['fit_save_s'])} "
        f"| {fmt(again['fit_save_s'])} |",
        f"| map: {r['chunks']} chunks over {r['workers']} workers, first taken to last done "
        f"| {fmt(first['map_s'])} | {fmt(again['map_s'])} |",
        f"| merge (one worker), after waiting {fmt(first['merge_wait_s'])} s for the message "
        f"| {fmt(first['merge_s'])} | {fmt(again['merge_s'])} |",
        f"| **rebuild, request to done, writes included** | **{fmt(first['total_s'])}** | "
        f"**{fmt(again['total_s'])}** |",
        f"| matches written | {first['matches_written']:,} | {again['matches_written']:,} |",
        "",
        "| Chunk | Worker | First (s) | Again (s) |",
        "| --- | --- | ---: | ---: |",
    ]
    for one, two in zip(first["chunks"], again["chunks"], strict=True):
        name = "merge" if one["merge"] else str(one["index"])
        lines.append(
            f"| {name} | {one['worker'].split('@')[0]} | {fmt(one['seconds'])} | "
            f"{fmt(two['seconds'])} |"
        )
    # Extrapolation: the map's work is fixed (each pair is scored once, in the chunk of its
    # need), so W workers of one core each share it; reading, fitting, saving and the merge
    # stay on one worker each.
    per_core = map_work * threads
    serial = first["fit_save_s"] + first["merge_s"]
    lines += [
        "",
        f"Extrapolation. The chunks took {fmt(map_work)} s of worker time with {threads} "
        f"thread(s) per worker, writes included. Each pair is scored once, in the chunk of its "
        "need, whatever the number of chunks, so with W workers of one core each and at least "
        f"W chunks a rebuild on an empty table takes about fit and save + merge + "
        f"{fmt(per_core)} s / W:",
        "",
        "| Workers (one core each) | Estimated rebuild (s) | minutes |",
        "| ---: | ---: | ---: |",
    ]
    for w in (r["workers"], 8, 32):
        estimate = serial + per_core / w
        lines.append(f"| {w} | {fmt(estimate, 0)} | {fmt(estimate / 60)} |")
    lines += [
        "",
        f"Measured with {r['workers']}: {fmt(first['total_s'], 0)} s. Assumptions: each worker "
        "has a core to itself at this machine's speed, and the database keeps up with W "
        "writers (on PostgreSQL the chunks write side by side, each to its own sources' rows; "
        "SQLite has one writer at a time).",
    ]
    if "verify" in r:
        v = r["verify"]
        lines += [
            "",
            "Checked: `rebuild_matches` in process (one ranking) afterwards found "
            f"{v['new']:,} new, {v['changed']:,} changed and {v['removed']:,} removed matches "
            f"of {v['new'] + v['changed'] + v['same']:,}: "
            f"**{'the same' if ok else 'DIFFERENT'}**.",
        ]
    return "\n".join(lines), ok


def update_docs(section: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    start, end = text.find(START), text.find(END)
    header = (
        "## A rebuild shared by Celery workers\n\n"
        "`benchmarks/rebuild_workers.py` asks the site's own workers for a rebuild over a real "
        "Redis, as the nightly task does: one worker fits and saves the model, the chunks (slices "
        "of the need side) are shared by the workers, and a merge gives the offers their lists. "
        "Writes included. Each size and database is its own section below; a new run replaces "
        "its section.\n"
    )
    sections: dict[str, str] = {}
    if start != -1 and end != -1:
        body = text[start + len(START) : end]
        for part in body.split("\n### ")[1:]:
            title = part.split("\n", 1)[0]
            if " on " in title:  # the map-reduce sections (older ones had no database)
                sections[title] = "### " + part.strip()
    title = section.split("\n", 1)[0][4:]
    sections[title] = section.strip()

    def order(item: tuple[str, str]) -> tuple[int, str]:
        return int(item[0].split(" listings")[0].replace(",", "")), item[0]

    ordered = sorted(sections.items(), key=order)
    block = START + "\n" + header + "\n" + "\n\n".join(s for _, s in ordered) + "\n" + END
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared folder (with data/)")
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument(
        "--threads", type=int, help="engine threads per worker (default: cores / workers)"
    )
    parser.add_argument(
        "--database-url", default="sqlite", help="'sqlite' (default) or postgres://..."
    )
    parser.add_argument("--workdir", type=Path, help="keep corpora and databases here")
    parser.add_argument("--reuse", action="store_true", help="reuse an imported database")
    parser.add_argument("--verify", action="store_true", help="check against one ranking")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds per rebuild")
    parser.add_argument("--update-docs", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--save-json", type=Path, help="also write the raw figures here")
    parser.add_argument("--from-json", type=Path, help="report a run saved with --save-json")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.timeout, args.verify)))
        return 0
    python = Path(sys.executable)
    if python.is_relative_to(REPO):
        python = python.relative_to(REPO)
    command = redact(shlex.join([str(python), "benchmarks/rebuild_workers.py", *sys.argv[1:]]))
    if args.from_json:
        result = json.loads(args.from_json.read_text(encoding="utf-8"))
        args.listings = result["listings"]
        command = result["command"]
    else:
        if args.shared is None:
            parser.error("--shared is required")
        threads = args.threads or max(1, len(os.sched_getaffinity(0)) // args.workers)
        with tempfile.TemporaryDirectory(prefix="rebuild-workers-") as tmp:
            folder = Path(tmp)
            work = args.workdir or folder
            work.mkdir(parents=True, exist_ok=True)
            progress(f"generating {args.listings:,} listings")
            corpus = generate(args.shared, args.listings, work)
            progress(f"importing into {redact(args.database_url)}")
            database_url, _ = prepare(args.database_url, corpus, args.listings, work, args.reuse)
            redis, redis_url = start_redis(folder)
            env = site_env(database_url, redis_url)
            workers = start_workers(args, threads, env, folder)
            try:
                wait_for_workers(workers, env, folder)
                progress(f"{args.workers} workers up (load {load_average()})")
                measuring = [sys.executable, __file__, "--measure", "--timeout", str(args.timeout)]
                if args.verify:
                    measuring.append("--verify")
                done = subprocess.run(
                    measuring, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
                )
                if done.returncode != 0:
                    for log in sorted(folder.glob("worker-*.log")):
                        say(f"--- {log.name}\n{log.read_text()[-3000:]}")
                    raise SystemExit("the measurement failed")
                result = json.loads(done.stdout.strip().splitlines()[-1])
            finally:
                stop(workers)
                stop([redis], group=False)
        result.update(
            listings=args.listings,
            workers=args.workers,
            chunks=args.chunks,
            threads_per_worker=threads,
            command=command,
            measured_at=f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC",
        )
    if args.save_json:
        args.save_json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    text, ok = report(args.listings, result, command)
    say(text)
    if args.update_docs:
        update_docs(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
