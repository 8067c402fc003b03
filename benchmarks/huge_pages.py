"""Huge pages: the engine's fit + suggest with numpy's huge-page hint off (shipped) and on.

NumPy asks the kernel for transparent huge pages (madvise) for every array of 4 MiB or more;
where the kernel then compacts memory on the first touch, the ranking's score blocks pay for
it (matching/engine/memory.py). The engine turns the hint off when imported, unless
NUMPY_MADVISE_HUGEPAGE is set; this script runs the engine as shipped (the variable unset) and
with NUMPY_MADVISE_HUGEPAGE=1 in turn, in a fresh process each time, alternating rounds so
that both see the same machine (it is shared and noisy):

    .venv/bin/python benchmarks/huge_pages.py --shared ../shared --listings 20000 --rounds 3

Each process reads the corpus (`generate_listings.py --seed 7`, not timed), then times
engine.fit and engine.suggest (top 10, both directions) and reads its own user and system CPU
time and page faults over them, and the hint it ran with (checked: the run fails if the
shipped arm ran with the hint on). The report gives, for each setting, its median round (by
fit + suggest), every round's time, the ratio of the medians, and the kernel's settings
(/sys/kernel/mm/transparent_hugepage).
`--update-docs` writes it into docs/benchmarks.md between the huge_pages markers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from console import load_average, progress, redact, say  # noqa: E402 (benchmarks/ is on sys.path)

START = "<!-- huge_pages:start -->"
END = "<!-- huge_pages:end -->"
SEED = 7
# NUMPY_MADVISE_HUGEPAGE for each arm: None leaves it unset (the engine's own switch).
SETTINGS = {None: "off (shipped)", "1": "on (numpy's default)"}


def worker(corpus: Path) -> dict:
    import match_quality

    from matching import engine
    from matching.engine import memory

    docs = match_quality.load_docs(json.loads(corpus.read_text(encoding="utf-8")))
    switch = memory._switch()
    hint = bool(switch(True))  # what the process runs with (and set back at once)
    switch(hint)
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
        "hint": hint,
    }


def run_worker(corpus: Path, hint: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if hint is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = hint
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(corpus)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"worker failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["hint"] != (hint == "1"):
        raise SystemExit(f"the {SETTINGS[hint]} arm ran with the hint {result['hint']}")
    return result


def kernel_setting(name: str) -> str:
    try:
        return Path(f"/sys/kernel/mm/transparent_hugepage/{name}").read_text().strip()
    except OSError:
        return "unknown"


def median_round(rounds: list[dict]) -> dict:
    """The round whose fit + suggest is the median (the lower one of an even number)."""
    ordered = sorted(rounds, key=lambda r: r["seconds"])
    return ordered[(len(ordered) - 1) // 2]


def report(listings: int, runs: dict, command: str) -> str:
    rounds = len(runs[None])
    lines = [
        f"Measured {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC with `{command}`: "
        f"{listings:,} generated listings (seed {SEED}), {rounds} rounds, the two "
        f"settings alternating, each in a fresh process; each row is the setting's median "
        f"round. Kernel: transparent huge pages `{kernel_setting('enabled')}`, defrag "
        f"`{kernel_setting('defrag')}`; load average after {load_average()}.",
        "",
        "| numpy's huge-page hint | fit | suggest | fit + suggest | user CPU | kernel CPU "
        "| page faults |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for hint, label in SETTINGS.items():
        r = median_round(runs[hint])
        lines.append(
            f"| {label} | {r['fit']:.2f} s | {r['suggest']:.2f} s | {r['seconds']:.2f} s "
            f"| {r['user']:.2f} s | {r['system']:.2f} s | {r['faults']:,} |"
        )
    ratio = median_round(runs["1"])["seconds"] / median_round(runs[None])["seconds"]
    lines += [
        "",
        f"With the hint on, fit + suggest took {ratio:.2f} times as long as shipped. "
        "Every round: "
        + "; ".join(
            f"{SETTINGS[h].split()[0]} " + ", ".join(f"{r['seconds']:.2f} s" for r in runs[h])
            for h in SETTINGS
        )
        + ".",
    ]
    return "\n".join(lines)


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
    python = Path(sys.executable)
    if python.is_relative_to(REPO):
        python = python.relative_to(REPO)
    command = redact(shlex.join([str(python), "benchmarks/huge_pages.py", *sys.argv[1:]]))
    with tempfile.TemporaryDirectory(prefix="huge-pages-") as tmp:
        folder = args.corpus_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        corpus = folder / f"corpus-seed{SEED}-{args.listings}.json"
        if not corpus.exists():
            progress(f"generating {args.listings:,} listings")
            generator = args.shared / "data" / "generate_listings.py"
            made = subprocess.run(
                [sys.executable, str(generator), "--seed", str(SEED)]
                + ["--listings", str(args.listings), "--output", str(corpus)],
                capture_output=True,
                text=True,
            )
            if made.returncode != 0:
                raise SystemExit(f"generate_listings.py failed:\n{made.stderr[-3000:]}")
        runs: dict[str | None, list[dict]] = {hint: [] for hint in SETTINGS}
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
        from match_quality import update_docs

        update_docs(body, (START, END))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
