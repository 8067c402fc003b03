"""A full rebuild split over several Celery workers: the 1,000,000-listing run of issue #4.

The site rebuilds in two steps: one task fits the model and saves it, then the sources are
split into chunks, one Celery task each, and every free worker takes the next chunk. This
script does the same with real parts, on a corpus made by `generate_listings.py --seed 1`:

1. fit: `engine.fit` over every published listing and open challenge, in its own process,
   and the model saved to a file (`Model.dumps`), as the refit task saves it to the database;
2. a throwaway redis-server and WORKERS real Celery workers (`benchmarks/chunk_worker.py`,
   one process each, `--pool solo`, prefetch 1, acks late), each with the engine limited to
   cores / WORKERS threads, so that the workers share the cores rather than fight for them;
3. a Celery group of CHUNKS tasks; each worker loads the saved model once and runs
   `engine.suggest` on the chunks it takes (split by `engine.chunk_sources`, as the site's).

It reports the time to the last chunk, each worker's chunks and peak memory, and an
extrapolation to more workers. The site also writes every suggestion to the database; that
is not in these figures (see the import and digest benchmarks for database write rates).
With `--verify` (sensible up to 100,000 listings) the fit process also runs one `suggest`
call over all sources, untimed, and the script checks that every chunk's suggestions are
exactly that call's suggestions for the chunk's sources (same targets, scores and reasons).

    .venv/bin/python benchmarks/rebuild_workers.py --shared ../shared --listings 1000000 \
        --workers 2 --chunks 8 --update-docs

`--update-docs` writes the figures into docs/benchmarks.md between the rebuild_workers
markers. The exit status is 1 when a chunk fails or a verified chunk differs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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

from match_speed import (  # noqa: E402
    fmt,
    generate,
    load_average,
    machine,
    progress,
    reset_peak_rss,
    rss_mib,
    say,
)

START = "<!-- rebuild_workers:start -->"
END = "<!-- rebuild_workers:end -->"


# --- the fit, in its own process -------------------------------------------------------------


def fit_process(corpus: Path, model_path: Path, chunks: int, verify: bool) -> dict:
    import gc

    import chunk_worker  # for digest(); importing it connects to no broker
    import match_quality

    from matching import engine

    exchange = json.loads(corpus.read_text(encoding="utf-8"))
    docs = match_quality.load_docs(exchange)
    del exchange
    gc.collect()
    reset_peak_rss()
    start, cpu = time.perf_counter(), time.process_time()
    model = engine.fit(docs)
    fit_s, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    data = model.dumps()
    model_path.write_bytes(data)
    result = {
        "docs": len(docs),
        "needs": sum(1 for d in docs if d.kind == "need"),
        "challenges": sum(1 for d in docs if d.kind == "challenge"),
        "offers": sum(1 for d in docs if d.kind == "offer"),
        "fit_s": fit_s,
        "fit_cpu": fit_cpu,
        "fit_threads": engine.THREADS,
        "save_s": time.perf_counter() - start,
        "model_bytes": len(data),
        "fit_peak_rss_mib": rss_mib("VmHWM"),
    }
    if verify:
        suggestions = engine.suggest(model, sorted(model.refs))
        by_source: dict[str, list] = {}
        for s in suggestions:
            by_source.setdefault(s.source, []).append(s)
        result["expected"] = [
            chunk_worker.digest(
                [
                    s
                    for ref in engine.chunk_sources(model, i, chunks)
                    for s in by_source.get(ref, [])
                ]
            )
            for i in range(chunks)
        ]
        result["expected_suggestions"] = len(suggestions)
    return result


def run_fit(corpus: Path, model_path: Path, chunks: int, verify: bool) -> dict:
    command = [sys.executable, __file__, "--fit", str(corpus), str(model_path), str(chunks)]
    if verify:
        command.append("--verify")
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the fit failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
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


def start_workers(count: int, threads: int, url: str, folder: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "BENCH_REDIS_URL": url,
        "MATCHING_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    workers = []
    for i in range(count):
        log = open(folder / f"worker-{i}.log", "w", encoding="utf-8")  # noqa: SIM115
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "chunk_worker",
                    "worker",
                    "--pool",
                    "solo",
                    "--concurrency",
                    "1",
                    "--hostname",
                    f"bench{i}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "INFO",
                ],
                cwd=HERE,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


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
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# --- the run ---------------------------------------------------------------------------------


def run(args, corpus: Path, folder: Path) -> dict:
    model_path = folder / "model.bin"
    progress(f"fitting (load {load_average()})")
    fitted = run_fit(corpus, model_path, args.chunks, args.verify)
    progress(f"fitted in {fitted['fit_s']:.1f} s, model {fitted['model_bytes'] / 2**20:.1f} MiB")
    redis, url = start_redis(folder)
    os.environ["BENCH_REDIS_URL"] = url
    threads = args.threads or max(1, len(os.sched_getaffinity(0)) // args.workers)
    workers = start_workers(args.workers, threads, url, folder)
    try:
        import chunk_worker
        from celery import group

        deadline = time.monotonic() + 120
        while len(chunk_worker.app.control.ping(timeout=1.0)) < args.workers:
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise SystemExit(f"the workers did not start: see {folder}/worker-*.log")
        load_before = load_average()
        progress(f"{args.workers} workers up; sending {args.chunks} chunks (load {load_before})")
        dispatched = time.time()
        result = group(
            chunk_worker.score_chunk.s(str(model_path), i, args.chunks) for i in range(args.chunks)
        ).apply_async()
        reported = -1
        while not result.ready():
            done = result.completed_count()
            if done != reported:
                progress(f"{done} of {args.chunks} chunks done, {time.time() - dispatched:,.0f} s")
                reported = done
            time.sleep(5)
        chunks = result.get(propagate=True)
        finished = max(c["finished"] for c in chunks)
        load_after = load_average()
    finally:
        stop(workers)
        stop([redis], group=False)
    return {
        **fitted,
        "workers": args.workers,
        "chunks": args.chunks,
        "threads_per_worker": threads,
        "chunk_results": sorted(chunks, key=lambda c: c["index"]),
        "wall_s": finished - dispatched,
        "load": f"{load_before} -> {load_after}",
    }


# --- the report ------------------------------------------------------------------------------


def report(listings: int, r: dict, command: str) -> tuple[str, bool]:
    chunks = r["chunk_results"]
    when = datetime.fromtimestamp(min(c["started"] for c in chunks), tz=UTC).strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    ok = True
    verified = ""
    if "expected" in r:
        bad = [c["index"] for c in chunks if c["digest"] != r["expected"][c["index"]]]
        ok = not bad
        verified = (
            f"Checked: every chunk's suggestions equal one `suggest` call's for the same sources "
            f"({r['expected_suggestions']:,} suggestions): "
            f"**{'yes' if ok else 'NO, chunks ' + str(bad)}**."
        )
    per_worker: dict[str, list[dict]] = {}
    for c in chunks:
        per_worker.setdefault(c["worker"], []).append(c)
    suggest_sum = sum(c["suggest_s"] for c in chunks)
    cpu_sum = sum(c["suggest_cpu"] for c in chunks)
    load_max = max(c["load_s"] for c in chunks)
    total = r["fit_s"] + r["save_s"] + r["wall_s"]
    lines = [
        f"### {listings:,} listings over {r['workers']} workers",
        "",
        f"Run on {r.get('measured_at', when)}: {r['docs']:,} sources and targets "
        f"({r['needs']:,} needs, {r['challenges']:,} challenges, {r['offers']:,} offers), "
        f"{r['chunks']} chunks, {r['workers']} Celery workers with "
        f"{r['threads_per_worker']} engine thread(s) each, Redis broker. "
        f"Load average during the chunks: {r['load']}.",
        "",
        *machine(),
        "",
        "```",
        command,
        "```",
        "",
        "| Step | Wall (s) | Notes |",
        "| --- | ---: | --- |",
        f"| fit (one task, {r['fit_threads']} threads) | {fmt(r['fit_s'])} | "
        f"CPU {fmt(r['fit_cpu'])} s, peak {fmt(r['fit_peak_rss_mib'], 0)} MiB |",
        f"| save the model | {fmt(r['save_s'])} | {fmt(r['model_bytes'] / 2**20)} MiB |",
        f"| {r['chunks']} chunks over {r['workers']} workers, dispatch to last result | "
        f"{fmt(r['wall_s'])} | loading the model: up to {fmt(load_max)} s per worker, once |",
        f"| **rebuild** | **{fmt(total)}** | {fmt(total / 60)} minutes; "
        "suggestions not written to a database |",
        "",
        "| Worker | Chunks | Suggest wall (s) | Suggest CPU (s) | Suggestions | Peak RSS (MiB) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, mine in sorted(per_worker.items()):
        lines.append(
            f"| {name.split(':')[-1]} (pid) | {', '.join(str(c['index']) for c in mine)} | "
            f"{fmt(sum(c['suggest_s'] for c in mine))} | "
            f"{fmt(sum(c['suggest_cpu'] for c in mine))} | "
            f"{sum(c['suggestions'] for c in mine):,} | "
            f"{fmt(max(c['peak_rss_mib'] for c in mine), 0)} |"
        )
    lines += [
        "",
        "| Chunk | Sources | Suggest wall (s) | CPU (s) | Suggestions |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in chunks:
        lines.append(
            f"| {c['index']} | {c['sources']:,} | {fmt(c['suggest_s'])} | "
            f"{fmt(c['suggest_cpu'])} | {c['suggestions']:,} |"
        )
    # Extrapolation: the chunks' work is fixed (each pair is scored in the chunk of its need
    # and in the chunk of its offer, whatever the split), so W workers of one core each share
    # the measured single-thread chunk time; the fit and the model load stay serial.
    per_core = suggest_sum * r["threads_per_worker"]
    lines += [
        "",
        f"Extrapolation. The chunks together took {fmt(suggest_sum)} s of worker time "
        f"({fmt(cpu_sum)} s CPU) with {r['threads_per_worker']} thread(s) per worker. "
        f"The pair work does not depend on the number of chunks "
        f"(each pair is scored once in the chunk of its "
        f"need and once in the chunk of its offer), so with W workers of one core each, "
        f"{r['chunks']} or more chunks and a balanced split, a rebuild takes about "
        f"fit + save + model load + "
        f"{fmt(per_core)} s / W:",
        "",
        "| Workers (one core each) | Chunks | Estimated rebuild (s) | minutes |",
        "| ---: | ---: | ---: | ---: |",
    ]
    serial = r["fit_s"] + r["save_s"] + load_max
    for w in (2, 8, 32):
        estimate = serial + per_core / w
        lines.append(f"| {w} | {max(w, r['chunks'])} | {fmt(estimate, 0)} | {fmt(estimate / 60)} |")
    measured_vs = serial + per_core / r["workers"]
    lines += [
        "",
        f"The same formula for the {r['workers']} workers measured gives {fmt(measured_vs, 0)} s "
        f"against {fmt(total, 0)} s measured. Assumptions: each worker has a core to itself "
        f"at this machine's speed; memory per worker stays near the peak above "
        f"(the model plus one chunk's "
        f"suggestions); the fit ({fmt(r['fit_s'], 0)} s here, one task) does not split and becomes "
        f"the larger part at 32 workers; writing the suggestions to PostgreSQL is not included.",
    ]
    if verified:
        lines += ["", verified]
    return "\n".join(lines), ok


def update_docs(section: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    start, end = text.find(START), text.find(END)
    header = (
        "## A rebuild split over Celery workers\n\n"
        "`benchmarks/rebuild_workers.py` fits the model in one process, saves it, then sends the "
        "chunks of the rebuild as a Celery group to real workers over a real Redis. Each size is "
        "its own section below; a new run of a size replaces its section.\n"
    )
    sections: dict[str, str] = {}
    if start != -1 and end != -1:
        body = text[start + len(START) : end]
        for part in body.split("\n### ")[1:]:
            title = part.split("\n", 1)[0]
            sections[title.split(" listings")[0]] = "### " + part.strip()
    title = section.split("\n", 1)[0][4:]
    sections[title.split(" listings")[0]] = section.strip()
    ordered = sorted(sections.items(), key=lambda item: int(item[0].replace(",", "")))
    block = START + "\n" + header + "\n" + "\n\n".join(s for _, s in ordered) + "\n" + END
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len(END) :]
    else:
        marker = "<!-- match_quality:start -->"
        at = text.find(marker)
        text = (
            text[:at] + block + "\n\n" + text[at:]
            if at != -1
            else text.rstrip() + "\n\n" + block + "\n"
        )
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared folder (with data/)")
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument(
        "--threads", type=int, help="engine threads per worker (default: cores / workers)"
    )
    parser.add_argument("--corpus-dir", type=Path, help="keep generated corpora here")
    parser.add_argument("--verify", action="store_true", help="check the chunks against one call")
    parser.add_argument("--update-docs", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--save-json", type=Path, help="also write the raw figures here")
    parser.add_argument("--from-json", type=Path, help="report a run saved with --save-json")
    parser.add_argument("--fit", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fit:
        corpus, model_path, chunks = args.fit
        print(json.dumps(fit_process(Path(corpus), Path(model_path), int(chunks), args.verify)))
        return 0
    command = (
        f"python benchmarks/rebuild_workers.py --shared ../shared --listings {args.listings} "
        f"--workers {args.workers} --chunks {args.chunks}" + (" --verify" if args.verify else "")
    )
    if args.from_json:  # report a run saved with --save-json (e.g. after a long run)
        result = json.loads(args.from_json.read_text(encoding="utf-8"))
        args.listings = result.get("listings", args.listings)
        command = result.get("command", command)
    else:
        if args.shared is None:
            parser.error("--shared is required")
        with tempfile.TemporaryDirectory(prefix="rebuild-workers-") as tmp:
            folder = Path(tmp)
            corpus_dir = args.corpus_dir or folder
            corpus_dir.mkdir(parents=True, exist_ok=True)
            progress(f"generating {args.listings:,} listings")
            corpus, _ = generate(args.shared, args.listings, corpus_dir)
            result = run(args, corpus, folder)
        result.update(
            listings=args.listings,
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
