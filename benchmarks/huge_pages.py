"""Huge pages: the engine's fit + suggest with numpy's huge-page hint off (shipped) and on.

NumPy asks the kernel for transparent huge pages (madvise) for every array of 4 MiB or more;
where the kernel then compacts memory on the first touch, the ranking's score blocks pay for
it (matching/engine/memory.py). The engine turns the hint off when imported, unless
NUMPY_MADVISE_HUGEPAGE is set; this script sets it to 0 and to 1 in turn, in a fresh process
each time, alternating rounds so that both see the same machine (it is shared and noisy):

    .venv/bin/python benchmarks/huge_pages.py --shared ../shared --listings 20000 --rounds 3

Each process reads the corpus (`generate_listings.py --seed 7`, not timed), then times
engine.fit and engine.suggest (top 10, both directions) and reads its own user and system CPU
time and page faults over them. The report gives the median of the rounds for each setting
and their ratio, and the kernel's settings (/sys/kernel/mm/transparent_hugepage).
`--update-docs` writes it into docs/benchmarks.md between the huge_pages markers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
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

START = "<!-- huge_pages:start -->"
END = "<!-- huge_pages:end -->"
SEED = 7
SETTINGS = {"0": "off (shipped)", "1": "on (numpy's default)"}


def worker(corpus: Path) -> dict:
    import match_quality

    from matching import engine

    docs = match_quality.load_docs(json.loads(corpus.read_text(encoding="utf-8")))
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    model = engine.fit(docs)
    fitted = time.perf_counter()
    suggestions = engine.suggest(model, top=10)
    done = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "fit": fitted - start,
        "suggest": done - fitted,
        "seconds": done - start,
        "user": after.ru_utime - before.ru_utime,
        "system": after.ru_stime - before.ru_stime,
        "faults": after.ru_minflt - before.ru_minflt,
        "suggestions": len(suggestions),
    }


def run_worker(corpus: Path, hint: str) -> dict:
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE=hint)
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(corpus)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def kernel_setting(name: str) -> str:
    try:
        return Path(f"/sys/kernel/mm/transparent_hugepage/{name}").read_text().strip()
    except OSError:
        return "unknown"


def report(listings: int, runs: dict[str, list[dict]], command: str) -> str:
    def median(hint: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[hint])

    lines = [
        f"Measured {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC with `{command}`: "
        f"{listings:,} generated listings (seed {SEED}), {len(runs['0'])} rounds, the two "
        f"settings alternating, each in a fresh process; medians. Kernel: transparent huge "
        f"pages `{kernel_setting('enabled')}`, defrag `{kernel_setting('defrag')}`; load "
        f"average after {load_average()}.",
        "",
        "| numpy's huge-page hint | fit | suggest | fit + suggest | user CPU | kernel CPU "
        "| page faults |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for hint, label in SETTINGS.items():
        lines.append(
            f"| {label} | {median(hint, 'fit'):.2f} s | {median(hint, 'suggest'):.2f} s "
            f"| {median(hint, 'seconds'):.2f} s | {median(hint, 'user'):.2f} s "
            f"| {median(hint, 'system'):.2f} s | {median(hint, 'faults'):,.0f} |"
        )
    ratio = median("1", "seconds") / median("0", "seconds")
    lines += [
        "",
        f"With the hint on, fit + suggest took {ratio:.2f} times as long as with it off. "
        "Every round: "
        + "; ".join(
            f"{SETTINGS[h].split()[0]} " + ", ".join(f"{r['seconds']:.2f} s" for r in runs[h])
            for h in SETTINGS
        )
        + ".",
    ]
    return "\n".join(lines)


def update_docs(body: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    block = f"{START}\n{body.rstrip()}\n{END}"
    start, end = text.find(START), text.find(END)
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len(END) :]
    else:
        text = text.rstrip() + "\n\n## Huge pages\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared folder (with data/)")
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus-dir", type=Path, help="keep the generated corpus here")
    parser.add_argument("--update-docs", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    if args.shared is None:
        parser.error("--shared is required")
    command = (
        f"python benchmarks/huge_pages.py --shared ../shared --listings {args.listings} "
        f"--rounds {args.rounds}"
    )
    with tempfile.TemporaryDirectory(prefix="huge-pages-") as tmp:
        folder = args.corpus_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        corpus = folder / f"corpus-seed{SEED}-{args.listings}.json"
        if not corpus.exists():
            progress(f"generating {args.listings:,} listings")
            generator = args.shared / "data" / "generate_listings.py"
            subprocess.run(
                [sys.executable, str(generator), "--seed", str(SEED)]
                + ["--listings", str(args.listings), "--output", str(corpus)],
                check=True,
                capture_output=True,
            )
        runs: dict[str, list[dict]] = {hint: [] for hint in SETTINGS}
        for round_ in range(args.rounds):
            for hint in SETTINGS if round_ % 2 == 0 else reversed(SETTINGS):
                result = run_worker(corpus, hint)
                runs[hint].append(result)
                progress(
                    f"round {round_ + 1}, hint {SETTINGS[hint]}: {result['seconds']:.2f} s "
                    f"(kernel {result['system']:.2f} s)"
                )
    body = report(args.listings, runs, command)
    say(body)
    if args.update_docs:
        update_docs(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
