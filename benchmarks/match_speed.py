"""Match speed: a full rebuild of the matches, one new listing, a chunk, against sparse-dot-topn.

For each corpus size (made by the shared generator, `generate_listings.py --seed 1`) this
script runs, in a fresh process so that peak memory belongs to that size alone:

1. a full rebuild: matching.engine.fit over every published listing and open challenge, then
   suggest() for every source, top 10, both directions (needs and challenges get offers,
   offers get needs), reasons included; wall time, CPU time and peak RSS of the rebuild
   (the high-water mark is reset after the corpus is loaded, so loading is not counted);
2. one new listing scored with suggest_for() against all the others, without refitting:
   the median and 90th percentile of 200 listings (copies of corpus listings under new refs
   and new organisations), after one warm-up call;
3. suggest() on a chunk of the sources (every 8th ref, as a Celery worker would get), to
   extrapolate a rebuild split over several workers;
4. the reference: sparse_dot_topn.sp_matmul_topn(top_n=10, n_threads=2, float64) on the
   same matrices (the engine's need-side and offer-side vectors, so the same scores), once
   for each direction, and the ratio of the engine's rebuild to that.

    .venv/bin/python benchmarks/match_speed.py --shared ../shared                # 10k, 100k
    .venv/bin/python benchmarks/match_speed.py --shared ../shared --listings 1000000

`--update-docs` writes the figures into docs/benchmarks.md between the match_speed markers.
Targets (2-core machine): rebuild of 100,000 listings in 60 s or less with peak RSS under
2 GiB; one new listing against 100,000 in 10 ms or less (median); the rebuild no slower than
sparse-dot-topn's product for both directions. The exit status is 1 when a target is missed.
Figures vary from run to run on a shared machine: the report records the load average.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from console import load_average, progress, say  # noqa: E402 (benchmarks/ is on sys.path)

START = "<!-- match_speed:start -->"
END = "<!-- match_speed:end -->"
TARGET_LISTINGS = 100_000
TARGET_REBUILD_S = 60.0
TARGET_RSS_MIB = 2048.0
TARGET_NEW_MS = 10.0
NEW_LISTINGS = 200
CHUNKS = 8


# --- inside the worker process -------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Make VmHWM start again from the current RSS (Linux 4.0+: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="utf-8") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def rss_mib(field: str = "VmHWM") -> float:
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed(function, *args, **kwargs):
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def worker(corpus: Path, with_topn: bool) -> dict:
    """Everything measured for one corpus, as a dict (printed as JSON by --worker)."""
    import match_quality
    import numpy as np
    import sklearn.decomposition  # noqa: F401  (imported by a running worker already)

    from matching import engine

    exchange = json.loads(corpus.read_text(encoding="utf-8"))
    docs = match_quality.load_docs(exchange)
    del exchange
    gc.collect()
    result: dict = {"docs": len(docs), "threads": engine.THREADS}
    result["needs"] = sum(1 for d in docs if d.kind == "need")
    result["challenges"] = sum(1 for d in docs if d.kind == "challenge")
    result["offers"] = sum(1 for d in docs if d.kind == "offer")
    result["rss_before_mib"] = rss_mib("VmRSS")
    result["peak_reset"] = reset_peak_rss()
    load_before = load_average()

    # 1. Full rebuild.
    model, fit_s, fit_cpu = timed(engine.fit, docs)
    suggestions, suggest_s, suggest_cpu = timed(engine.suggest, model)
    result.update(
        fit_s=fit_s,
        fit_cpu=fit_cpu,
        suggest_s=suggest_s,
        suggest_cpu=suggest_cpu,
        rebuild_s=fit_s + suggest_s,
        rebuild_cpu=fit_cpu + suggest_cpu,
        suggestions=len(suggestions),
        peak_rss_mib=rss_mib("VmHWM"),
        load_rebuild=f"{load_before} -> {load_average()}",
        features=len(model.features),
        nnz_per_doc=model.matrix.nnz / max(1, len(docs)),
        dense_columns=int(engine.ranking._scorer(model).left_dense.shape[1]),
    )
    sources = {s.source for s in suggestions}
    result["sources_with_suggestions"] = len(sources)
    del suggestions
    gc.collect()

    # 2. One new listing against all the others.
    step = max(1, len(docs) // NEW_LISTINGS)
    picked = docs[::step][:NEW_LISTINGS]
    new = [
        engine.Doc(**{**d.__dict__, "ref": f"NEW-{i}", "owner": f"org-new-{i}"})
        for i, d in enumerate(picked)
    ]
    data = model.dumps()
    fresh = engine.Model.loads(data)
    _, first_s, _ = timed(engine.suggest_for, fresh, new[0])
    engine.suggest_for(model, new[0])  # warm-up
    times = []
    cpu_times = []
    empty = 0
    for doc in new:
        (forward, reverse), seconds, cpu = timed(engine.suggest_for, model, doc)
        times.append(seconds * 1000)
        cpu_times.append(cpu * 1000)
        empty += not forward
    times.sort()
    result.update(
        new_median_ms=statistics.median(times),
        new_median_cpu_ms=statistics.median(cpu_times),
        new_p90_ms=times[int(0.9 * (len(times) - 1))],
        new_p95_ms=times[int(0.95 * (len(times) - 1))],
        new_max_ms=times[-1],
        new_first_after_loads_s=first_s,
        new_without_forward=empty,
        model_bytes=len(data),
    )
    del fresh

    # 3. A chunk of the sources, as one of CHUNKS workers would get it.
    chunk = model.refs[::CHUNKS]
    _, chunk_s, chunk_cpu = timed(engine.suggest, model, chunk)
    result.update(chunk_sources=len(chunk), chunk_s=chunk_s, chunk_cpu=chunk_cpu)

    # 4. sparse-dot-topn on the same matrices, both directions.
    if with_topn:
        from sparse_dot_topn import sp_matmul_topn

        sides = model._sides()
        needs = sides.row_matrix.astype(np.float64)
        offers = sides.col_matrix.astype(np.float64)
        needs_t, offers_t = needs.T.tocsr(), offers.T.tocsr()
        _, need_s, need_cpu = timed(sp_matmul_topn, needs, offers_t, top_n=10, n_threads=2)
        _, offer_s, offer_cpu = timed(sp_matmul_topn, offers, needs_t, top_n=10, n_threads=2)
        # The same on the TF-IDF text columns alone (no topics, themes, clusters): the
        # product LIBRARIES.md measured.
        text = np.arange(model.n_text)
        needs_text, offers_text = needs[:, text].tocsr(), offers[:, text].tocsr()
        _, text_need_s, _ = timed(
            sp_matmul_topn, needs_text, offers_text.T.tocsr(), top_n=10, n_threads=2
        )
        _, text_offer_s, _ = timed(
            sp_matmul_topn, offers_text, needs_text.T.tocsr(), top_n=10, n_threads=2
        )
        result.update(
            topn_need_s=need_s,
            topn_offer_s=offer_s,
            topn_both_s=need_s + offer_s,
            topn_cpu=need_cpu + offer_cpu,
            topn_text_both_s=text_need_s + text_offer_s,
        )
    result["peak_rss_all_mib"] = rss_mib("VmHWM")
    return result


# --- the driver ----------------------------------------------------------------------------


def generate(shared: Path, listings: int, folder: Path) -> tuple[Path, float]:
    path = folder / f"corpus-seed1-{listings}.json"
    if path.exists():
        return path, 0.0
    generator = shared / "data" / "generate_listings.py"
    command = [sys.executable, str(generator), "--seed", "1", "--listings", str(listings)]
    start = time.perf_counter()
    subprocess.run([*command, "--output", str(path)], check=True, capture_output=True)
    return path, time.perf_counter() - start


def run_worker(corpus: Path, with_topn: bool) -> dict:
    command = [sys.executable, __file__, "--worker", str(corpus)]
    if not with_topn:
        command.append("--no-topn")
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"worker failed for {corpus.name}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        kib = next(int(line.split()[1]) for line in handle if line.startswith("MemTotal:"))
    import numpy
    import scipy
    import sklearn

    return [
        f"- CPU: {cpu}, {len(os.sched_getaffinity(0))} cores available (nproc)",
        f"- RAM: {kib / 2**20:.1f} GiB",
        f"- Python {sys.version.split()[0]}, numpy {numpy.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}",
    ]


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def report(results: list[tuple[int, dict]], command: str, gen_times: dict[int, float]) -> str:
    from matching import engine

    lines = [
        "## Match speed",
        "",
        "`benchmarks/match_speed.py` times the matching engine on corpora made by "
        "`generate_listings.py --seed 1`, each size in a fresh process. A full rebuild is "
        "`fit` over every published listing and open challenge plus `suggest` for every "
        "source, top 10, both directions, reasons included. One new listing is `suggest_for` "
        "against all the others without refitting (200 listings, after one warm-up call). The "
        "reference is `sparse_dot_topn.sp_matmul_topn(top_n=10, n_threads=2)` in float64 on "
        "the same matrices (the engine's vectors, so the same scores), once per direction. "
        "Peak RSS is the process's high-water mark from the end of loading the corpus. "
        "Libraries are imported before timing, as in a running worker. The machine is shared: "
        "wall times move with the load average (last table), CPU times much less.",
        "",
        f"Run on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, engine {engine.ENGINE_VERSION}, "
        f"{results[0][1]['threads']} worker threads.",
        "",
        *machine(),
        "",
        "```",
        command,
        "```",
        "",
        "| Listings | Sources / offers | Fit (s) | Suggest, both directions (s) | Full rebuild "
        "(s) | CPU (s) | Peak RSS (MiB) | Target: ≤ 60 s, < 2 GiB at 100,000 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for listings, r in results:
        target = "n/a"
        if listings == TARGET_LISTINGS:
            ok = r["rebuild_s"] <= TARGET_REBUILD_S and r["peak_rss_mib"] < TARGET_RSS_MIB
            target = "PASS" if ok else "FAIL"
        lines.append(
            f"| {listings:,} | {r['needs'] + r['challenges']:,} / {r['offers']:,} | "
            f"{fmt(r['fit_s'])} | {fmt(r['suggest_s'])} | **{fmt(r['rebuild_s'])}** | "
            f"{fmt(r['rebuild_cpu'])} | {fmt(r['peak_rss_mib'], 0)} | {target} |"
        )
    lines += [
        "",
        "| Listings | One new listing: median (ms) | 90th pct (ms) | 95th pct (ms) | median CPU "
        "(ms) | First call after `Model.loads` (s) | Model size (MiB) | Target: median ≤ 10 ms "
        "at 100,000 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for listings, r in results:
        target = "n/a"
        if listings == TARGET_LISTINGS:
            target = "PASS" if r["new_median_ms"] <= TARGET_NEW_MS else "FAIL"
        lines.append(
            f"| {listings:,} | **{fmt(r['new_median_ms'], 2)}** | {fmt(r['new_p90_ms'], 2)} | "
            f"{fmt(r['new_p95_ms'], 2) if 'new_p95_ms' in r else 'n/a'} | "
            f"{fmt(r['new_median_cpu_ms'], 2)} | "
            f"{fmt(r['new_first_after_loads_s'], 2)} | {fmt(r['model_bytes'] / 2**20)} | "
            f"{target} |"
        )
    lines += [
        "",
        f"| Listings | `suggest` on 1/{CHUNKS} of the sources (s) | CPU (s) | × {CHUNKS} "
        f"(one worker doing all chunks) (s) |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for listings, r in results:
        lines.append(
            f"| {listings:,} | {fmt(r['chunk_s'])} | {fmt(r['chunk_cpu'])} | "
            f"{fmt(r['chunk_s'] * CHUNKS)} |"
        )
    if any("topn_both_s" in r for _, r in results):
        lines += [
            "",
            "| Listings | sp_matmul_topn need→offer (s) | offer→need (s) | both (s) | "
            "engine rebuild ÷ both | the same, TF-IDF columns only (s) | Target: ratio ≤ 1 at "
            "100,000 |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for listings, r in results:
            if "topn_both_s" not in r:
                lines.append(f"| {listings:,} | not run | | | | | n/a |")
                continue
            ratio = r["rebuild_s"] / r["topn_both_s"]
            target = "n/a" if listings != TARGET_LISTINGS else "PASS" if ratio <= 1 else "FAIL"
            lines.append(
                f"| {listings:,} | {fmt(r['topn_need_s'])} | {fmt(r['topn_offer_s'])} | "
                f"{fmt(r['topn_both_s'])} | **{ratio:.2f}** | {fmt(r['topn_text_both_s'])} | "
                f"{target} |"
            )
    lines += [
        "",
        "| Listings | Features | Non-zeros per document | Dense (BLAS) columns | Corpus "
        "generation (s, not timed above) | Load average during the rebuild |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for listings, r in results:
        generated = fmt(gen_times[listings]) if gen_times.get(listings) else "reused"
        lines.append(
            f"| {listings:,} | {r['features']:,} | {r['nnz_per_doc']:.0f} | "
            f"{r['dense_columns']} | {generated} | {r['load_rebuild']} |"
        )
    return "\n".join(lines)


NOTES = """\
How the rebuild spends its time, and what helped (measured on this machine while developing,
100,000 listings, 48,105 sources x 47,307 offers):

- **One product for both directions.** Needs x offers is scored once; each block of scores
  gives the best offers of its needs and the candidates for every offer's best needs.
  sparse-dot-topn needs one product per direction.
- **Exact float32.** Weights are rounded to 1/2896, so every score is a sum of integers below
  2**24: float32 (half the memory traffic of float64, BLAS about twice as fast) with no
  rounding, and the same result however the work is split into blocks, tiles, threads or
  chunks. Quality does not move (see the match_quality ablation "QUANT = 2**20").
- **Dense and sparse columns.** The 330 busiest feature columns (topics, themes, clusters,
  common words) go through one float32 BLAS product (about 100 GFLOP/s per core here), the
  rarer words through scipy sparse products (about 10 ns per multiply-add). A column goes
  dense when at least 1 pair in 500 shares it: the measured break-even. All-sparse, scipy
  took about four times as long.
- **Big blocks.** With 700-row blocks OpenBLAS kept one core busy (87 GFLOP/s); 1,400 rows
  (256 MiB of float32 per thread) keep both (192 GFLOP/s). Two worker threads: the sparse
  products and most numpy work release the GIL. Offers come in tiles of 65,536, so blocks
  stay about 1,000 rows deep at 1,000,000 listings.
- **Candidates from segment maxima, not argpartition.** argpartition took 2 s per block of
  1,000 x 47,000 scores. The k-th largest of a row's 160 segment maxima is a floor for its
  k-th best score, so only segments reaching it are read (5 times faster); columns keep their
  k best segment maxima across blocks, so their floors rise as the pass goes on.
- **Reasons for all pairs at once** (element-wise sparse products, one sort): 2.3 s for
  954,000 pairs, from 25 s with a Python loop per pair.
- **Fit.** Words are numbered a batch of 4,000 listings at a time with one dictionary lookup
  per token, vocabulary phrases found with numpy; topics (LSA) fitted on 20,000 listings.
- **Did not help:** splitting suggest_for's sparse product over two threads (memory-bound);
  an inverted index for it (a listing's words reach 1.2 million postings: 7.9 ms against
  4.1 ms); scoring its topics apart with BLAS (same wall time, twice the CPU from OpenBLAS
  threads spinning); min_df = 2 (terms of one listing cost nothing in the product).
- **Chunks.** `suggest` on 1/8 of the sources scores its needs against every offer and every
  need against its offers: a quarter of a rebuild's pairs. Eight chunks therefore do twice
  the pair work of one call (the last table but one); spread over 8 workers on more cores, a
  rebuild takes about one chunk's time.
- **1,000,000 listings** was run once, as a check that the code scales (not a target): 39
  minutes on 2 cores, 12.6 GiB peak with the corpus and 9.5 million suggestions in memory.
- **Fit's memory** (`benchmarks/fit_memory.py`): fit works a block of 25,000 documents at a
  time (text vectors, topics, assembly) into arrays that grow in place, and fits the topics on
  the text vectors of its sample only. At 1,000,000 listings its peak above the loaded corpus
  went from 9.5 GiB to 1.9 GiB (the term counts, 0.8 GiB, and the final matrix, 0.6 GiB, are
  most of it); the model is byte-identical.
"""


def update_docs(body: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{body.rstrip()}\n{END}"
    start, end = text.find(START), text.find(END)
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def passed(results: list[tuple[int, dict]]) -> bool:
    ok = True
    for listings, r in results:
        if listings != TARGET_LISTINGS:
            continue
        ok &= r["rebuild_s"] <= TARGET_REBUILD_S and r["peak_rss_mib"] < TARGET_RSS_MIB
        ok &= r["new_median_ms"] <= TARGET_NEW_MS
        if "topn_both_s" in r:
            ok &= r["rebuild_s"] <= r["topn_both_s"]
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared folder (with data/)")
    parser.add_argument("--listings", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--corpus-dir", type=Path, help="keep generated corpora here")
    parser.add_argument("--no-topn", action="store_true", help="skip sparse-dot-topn")
    parser.add_argument(
        "--topn-up-to",
        type=int,
        default=200_000,
        help="run sparse-dot-topn only up to this many listings (it takes hours at 1,000,000)",
    )
    parser.add_argument("--update-docs", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--save-json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--merge-json",
        type=Path,
        help="add sizes measured by an earlier run (its --save-json file) to the report",
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, not args.no_topn)))
        return 0
    if args.shared is None:
        parser.error("--shared is required")
    command = (
        "python benchmarks/match_speed.py --shared ../shared --listings "
        + " ".join(str(n) for n in args.listings)
        + (" --no-topn" if args.no_topn else "")
    )
    results: list[tuple[int, dict]] = []
    gen_times: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="match-speed-") as tmp:
        folder = args.corpus_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for listings in args.listings:
            progress(f"generating {listings:,} listings")
            corpus, gen_times[listings] = generate(args.shared, listings, folder)
            progress(f"measuring {listings:,} listings (load {load_average()})")
            result = run_worker(corpus, not args.no_topn and listings <= args.topn_up_to)
            result["command"] = f"{command} (only {listings:,} listings counted here)"
            result["measured_at"] = f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC"
            results.append((listings, result))
            progress(
                f"{listings:,}: rebuild {result['rebuild_s']:.1f} s "
                f"(fit {result['fit_s']:.1f} + suggest {result['suggest_s']:.1f}), "
                f"peak {result['peak_rss_mib']:.0f} MiB, new listing "
                f"{result['new_median_ms']:.2f} ms"
                + f" (p95 {result['new_p95_ms']:.2f} ms)"
                + (f", topn both {result['topn_both_s']:.1f} s" if "topn_both_s" in result else "")
            )
    if args.save_json:
        args.save_json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    if args.merge_json:
        earlier = json.loads(args.merge_json.read_text(encoding="utf-8"))
        measured = {n for n, _ in results}
        for listings, result in earlier:
            if listings not in measured:
                result.setdefault("note", "earlier run")
                results.append((listings, result))
                command += f"\n# {listings:,} listings: {result.get('command', 'an earlier run')}"
        results.sort(key=lambda item: item[0])
    text = report(results, command, gen_times) + "\n\n" + NOTES
    say(text)
    if args.update_docs:
        update_docs(text)
    return 0 if passed(results) else 1


if __name__ == "__main__":
    sys.exit(main())
