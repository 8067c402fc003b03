"""Fit memory: the peak RSS of matching.engine.fit alone, above the loaded corpus.

For each corpus size (made by the shared generator, `generate_listings.py --seed 1`), a fresh
process loads the listings as engine Docs, records its RSS, resets the high-water mark, and
runs fit(). A sampling thread reads the RSS every few milliseconds and notes which function of
the engine was running at the peak, so the report says where the memory goes. The model is
hashed (matrix, idf, topics, offsets, features), so two versions of the code can be checked to
fit byte-identical models.

    .venv/bin/python benchmarks/fit_memory.py --shared /work/shared --listings 100000
    .venv/bin/python benchmarks/fit_memory.py --shared /work/shared --listings 1000000 \\
        --corpus-dir /tmp/corpora

Target: fit's peak above the loaded corpus under 8 GiB at 1,000,000 listings. The exit status
is 1 when it is missed. The machine may be shared: RSS does not depend on the load, time does.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

TARGET_LISTINGS = 1_000_000
TARGET_FIT_GIB = 8.0


def rss_mib(field: str = "VmRSS") -> float:
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> bool:
    """Make VmHWM start again from the current RSS (Linux 4.0+: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="utf-8") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


class Sampler(threading.Thread):
    """Reads the RSS every `interval` seconds; keeps the peak and the engine frames then."""

    def __init__(self, target_thread: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.target = target_thread
        self.interval = interval
        self.stop = threading.Event()
        self.peak = 0.0
        self.where: list[str] = []
        self.by_function: dict[str, float] = {}  # innermost engine function -> its peak RSS
        # The line of fit() running, in the order first met -> (peak RSS there, seconds).
        self.by_step: dict[str, list[float]] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            rss = rss_mib()
            frame = sys._current_frames().get(self.target)
            stack = []
            while frame is not None:
                name = frame.f_code.co_filename
                if "/matching/engine/" in name:
                    stack.append(f"{Path(name).stem}.{frame.f_code.co_name}:{frame.f_lineno}")
                frame = frame.f_back
            if stack:
                inner = stack[0].rsplit(":", 1)[0]
                self.by_function[inner] = max(self.by_function.get(inner, 0.0), rss)
                step = self.by_step.setdefault(stack[-1], [0.0, 0.0])
                step[0] = max(step[0], rss)
                step[1] += self.interval
            if rss > self.peak:
                self.peak, self.where = rss, stack
            time.sleep(self.interval)


def digest(model) -> str:
    """A hash of everything fit computes that a suggestion reads."""
    import numpy as np

    h = hashlib.sha256()
    m = model.matrix
    for array in (m.data, m.indices, m.indptr, model.idf, model.topics, model.offsets):
        h.update(np.ascontiguousarray(array).tobytes())
        h.update(str(array.dtype).encode())
    h.update(json.dumps([model.features, model.labels, model.refs, model.version]).encode())
    return h.hexdigest()[:16]


def worker(corpus: Path) -> dict:
    import resource

    import match_quality
    import sklearn.decomposition  # noqa: F401  (imported by a running worker already)

    from matching import engine

    exchange = json.loads(corpus.read_text(encoding="utf-8"))
    docs = match_quality.load_docs(exchange)
    del exchange
    gc.collect()
    result: dict = {"docs": len(docs), "rss_before_mib": rss_mib()}
    result["peak_reset"] = reset_peak_rss()
    sampler = Sampler(threading.get_ident())
    sampler.start()
    start, cpu = time.perf_counter(), time.process_time()
    model = engine.fit(docs)
    result["fit_s"] = time.perf_counter() - start
    result["fit_cpu"] = time.process_time() - cpu
    sampler.stop.set()
    sampler.join()
    result["peak_mib"] = rss_mib("VmHWM")
    result["ru_maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["fit_peak_mib"] = result["peak_mib"] - result["rss_before_mib"]
    result["rss_after_mib"] = rss_mib()
    result["peak_at"] = sampler.where
    result["by_function_mib"] = {
        k: round(v - result["rss_before_mib"]) for k, v in sorted(sampler.by_function.items())
    }
    result["by_step_mib"] = [
        [k, round(v[0] - result["rss_before_mib"]), round(v[1], 2)]
        for k, v in sampler.by_step.items()
    ]
    result["matrix_mib"] = (
        model.matrix.data.nbytes + model.matrix.indices.nbytes + model.matrix.indptr.nbytes
    ) / 2**20
    result["nnz"] = int(model.matrix.nnz)
    result["features"] = len(model.features)
    result["digest"] = digest(model)
    return result


def generate(shared: Path, listings: int, folder: Path) -> Path:
    path = folder / f"corpus-seed1-{listings}.json"
    if not path.exists():
        generator = shared / "data" / "generate_listings.py"
        command = [sys.executable, str(generator), "--seed", "1", "--listings", str(listings)]
        subprocess.run([*command, "--output", str(path)], check=True, capture_output=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared folder (with data/)")
    parser.add_argument("--listings", type=int, nargs="+", default=[100_000])
    parser.add_argument("--corpus-dir", type=Path, help="keep generated corpora here")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    if args.shared is None:
        parser.error("--shared is required")
    import tempfile

    ok = True
    with tempfile.TemporaryDirectory(prefix="fit-memory-") as tmp:
        folder = args.corpus_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for listings in args.listings:
            corpus = generate(args.shared, listings, folder)
            done = subprocess.run(
                [sys.executable, __file__, "--worker", str(corpus)],
                cwd=REPO,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(f"worker failed for {corpus.name}:\n{done.stderr[-3000:]}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{listings:,} listings ({r['docs']:,} docs): corpus loaded "
                f"{r['rss_before_mib']:,.0f} MiB; fit peak {r['peak_mib']:,.0f} MiB "
                f"(ru_maxrss {r['ru_maxrss_mib']:,.0f}), **{r['fit_peak_mib']:,.0f} MiB above "
                f"the corpus**; after fit {r['rss_after_mib']:,.0f} MiB; matrix "
                f"{r['matrix_mib']:,.0f} MiB ({r['nnz']:,} non-zeros, {r['features']:,} "
                f"features); fit {r['fit_s']:.1f} s ({r['fit_cpu']:.1f} s CPU); "
                f"digest {r['digest']}"
            )
            print("  peak at: " + " <- ".join(r["peak_at"]))
            print("  peak RSS above the corpus while in each function (MiB):")
            for name, value in sorted(r["by_function_mib"].items(), key=lambda kv: -kv[1]):
                print(f"    {value:>8,}  {name}")
            print("  along fit (line: peak RSS above the corpus in MiB, about how long in s):")
            for name, value, seconds in r["by_step_mib"]:
                print(f"    {value:>8,}  {seconds:>6.1f}  {name}")
            if listings == TARGET_LISTINGS:
                ok &= r["fit_peak_mib"] < TARGET_FIT_GIB * 1024
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
