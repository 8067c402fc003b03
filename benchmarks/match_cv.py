"""Match quality under 5-fold cross-validation of the dev set's judged sources (issue #11).

A setting chosen because it scores best on the whole dev set may only fit the dev set's
own words. Here the judged sources are split into folds (seeded); for each fold, the
candidate settings are compared on the other folds only, the best is chosen there, and it
is scored on the fold it never saw. The report gives, per fold and as mean and spread:
the shipped engine, the chosen candidate, and the two baselines, all on the same held-out
sources. A change is worth keeping only if it wins here, not only on the whole set.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/match_cv.py --shared ../shared [--folds 5] [--update-docs]

The candidates are the shipped engine and the variants of match_quality.py's ablations
(the engine with one part changed). The engine's fit reads no judgement, so every
candidate's rankings are computed once, over all documents, and only the choice between
them is cross-validated.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

from match_quality import (
    DATA,
    TRUTH,
    Rankings,
    _baseline,
    ablations,
    bm25_scores,
    char_channel_rankings,
    engine,
    engine_rankings,
    load_docs,
    score,
    tfidf_scores,
    update_docs,
)

START = "<!-- match_cv:start -->"
END = "<!-- match_cv:end -->"
SHIPPED = "engine as shipped"


def folds_of(keys: list[str], folds: int, seed: int) -> list[list[str]]:
    """The keys shuffled with `seed` and dealt into `folds` parts of near-equal size."""
    shuffled = sorted(keys)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[i::folds] for i in range(folds)]


def candidates(docs) -> dict[str, Rankings]:
    out = {SHIPPED: engine_rankings(docs)}
    for name, settings, char_weight in ablations():
        out[name] = (
            char_channel_rankings(docs, char_weight, settings)
            if char_weight
            else engine_rankings(docs, settings)
        )
    return out


def mean_ndcg(rankings: Rankings, truth, kinds, keys: list[str]) -> float:
    return score(rankings, {k: truth[k] for k in keys}, kinds).ndcg


def spread(values: list[float]) -> str:
    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", required=True, type=Path, help="the shared folder")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--update-docs", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)

    exchange = json.loads((args.shared / DATA).read_text(encoding="utf-8"))
    truth = json.loads((args.shared / TRUTH).read_text(encoding="utf-8"))["relevance"]
    docs = load_docs(exchange)
    kinds = {d.ref: d.kind for d in docs}
    rankings = candidates(docs)
    baselines = {
        "baseline: TF-IDF cosine": _baseline(docs, tfidf_scores),
        "baseline: BM25": _baseline(docs, bm25_scores),
    }

    parts = folds_of(list(truth), args.folds, args.seed)
    rows, held = [], {"shipped": [], "chosen": [], **{name: [] for name in baselines}}
    for i, part in enumerate(parts):
        rest = [k for j, other in enumerate(parts) if j != i for k in other]
        chosen = max(rankings, key=lambda name: mean_ndcg(rankings[name], truth, kinds, rest))
        figures = {
            "shipped": mean_ndcg(rankings[SHIPPED], truth, kinds, part),
            "chosen": mean_ndcg(rankings[chosen], truth, kinds, part),
            **{name: mean_ndcg(r, truth, kinds, part) for name, r in baselines.items()},
        }
        for name, value in figures.items():
            held[name].append(value)
        rows.append(
            f"| {i + 1} | {len(part)} | {figures['shipped']:.3f} | {chosen} | "
            f"{figures['chosen']:.3f} | "
            + " | ".join(f"{figures[name]:.3f}" for name in baselines)
            + " |"
        )
    whole = {name: score(r, truth, kinds).ndcg for name, r in rankings.items()}
    lines = [
        "## Match quality under cross-validation",
        "",
        f"`benchmarks/match_cv.py` splits the dev set's {len(truth)} judged sources into "
        f"{args.folds} folds (seed {args.seed}). For each fold it chooses, on the other folds "
        "only, the best of the shipped engine and its ablation variants, and scores that "
        "choice on the held-out fold, beside the shipped engine and the baselines on the "
        "same sources (nDCG@10; engine only, no Django).",
        "",
        f"Run on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, engine {engine.ENGINE_VERSION}.",
        "",
        "```",
        f"python benchmarks/match_cv.py --shared ../shared --folds {args.folds} --seed {args.seed}",
        "```",
        "",
        "| fold | sources | shipped | chosen on the other folds | chosen | "
        + " | ".join(baselines)
        + " |",
        "| --- | ---: | ---: | --- | ---: | " + " | ".join("---:" for _ in baselines) + " |",
        *rows,
        f"| mean ± sd | | {spread(held['shipped'])} | | {spread(held['chosen'])} | "
        + " | ".join(spread(held[name]) for name in baselines)
        + " |",
        "",
        "On the whole dev set (for comparison; this is what cross-validation guards against): "
        + "; ".join(f"{name} {value:.3f}" for name, value in sorted(whole.items()))
        + ".",
    ]
    report = "\n".join(lines)
    print(report)
    if args.update_docs:
        update_docs(report, (START, END))
    return 0


if __name__ == "__main__":
    sys.exit(main())
