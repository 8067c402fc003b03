"""Does tuning the engine's weights generalise? Nested choice under 5-fold cross-validation
(issue #11: "tune only under cross-validation").

A grid of settings around the shipped ones (signal weights, field weights, the number of
latent topics) is ranked once over the dev set (the fit reads no judgement). For each fold
the best setting on the other four folds is chosen and scored on the fold it never saw,
beside the shipped settings on the same sources. If the chosen settings beat the shipped
ones on the held-out folds, tuning pays and the most chosen setting is a candidate; if not,
the shipped settings are as good as tuning can make them on data of this size, and what
the whole dev set prefers is noise.

    .venv/bin/python benchmarks/match_tune_cv.py --shared ../shared [--update-docs]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from match_cv import folds_of, spread
from match_quality import DATA, TRUTH, engine, engine_rankings, load_docs, score, update_docs

START = "<!-- match_tune_cv:start -->"
END = "<!-- match_tune_cv:end -->"

# Around the shipped values (engine.DEFAULTS), which are in each list.
GRID = {
    "w_topics": (0.05, 0.09, 0.14),
    "w_themes": (0.02, 0.04, 0.07),
    "w_clusters": (0.0, 0.03, 0.06),
    "title_weight": (1.0, 1.5, 2.0, 3.0),
    "theme_text_weight": (0.5, 1.0, 2.0),
    "topics": (8, 12, 20),
}


def label(changes: dict) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in changes.items()) or "as shipped"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", required=True, type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    exchange = json.loads((args.shared / DATA).read_text(encoding="utf-8"))
    truth = json.loads((args.shared / TRUTH).read_text(encoding="utf-8"))["relevance"]
    docs = load_docs(exchange)
    kinds = {d.ref: d.kind for d in docs}
    defaults = engine.DEFAULTS
    for name, values in GRID.items():
        assert getattr(defaults, name) in values, name

    names = list(GRID)
    settings: dict[str, dict] = {}  # label -> changes from the shipped settings
    rankings = {}
    for combo in itertools.product(*(GRID[n] for n in names)):
        changes = {n: v for n, v in zip(names, combo, strict=True) if v != getattr(defaults, n)}
        name = label(changes)
        settings[name] = changes
        rankings[name] = engine_rankings(docs, dataclasses.replace(defaults, **changes))
    parts = folds_of(list(truth), args.folds, args.seed)

    def mean(name: str, keys: list[str]) -> float:
        return score(rankings[name], {k: truth[k] for k in keys}, kinds).ndcg

    shipped = "as shipped"
    rows, held_chosen, held_shipped, chosen_names = [], [], [], []
    for i, part in enumerate(parts):
        rest = [k for j, other in enumerate(parts) if j != i for k in other]
        # The best on the other folds; on a tie the shipped settings, then the first label.
        best = max(rankings, key=lambda n: (round(mean(n, rest), 6), n == shipped, n))
        chosen_names.append(best)
        held_chosen.append(mean(best, part))
        held_shipped.append(mean(shipped, part))
        rows.append(
            f"| {i + 1} | {len(part)} | {best} | {mean(best, rest):.3f} | "
            f"{mean(shipped, rest):.3f} | {held_chosen[-1]:.3f} | {held_shipped[-1]:.3f} |"
        )
    whole = {n: score(r, truth, kinds).ndcg for n, r in rankings.items()}
    best_whole = max(whole, key=lambda n: (round(whole[n], 6), n == shipped, n))
    gain = statistics.fmean(held_chosen) - statistics.fmean(held_shipped)
    wins = sum(a > b + 1e-9 for a, b in zip(held_chosen, held_shipped, strict=True))
    losses = sum(a < b - 1e-9 for a, b in zip(held_chosen, held_shipped, strict=True))
    rank_of_shipped = sorted(whole.values(), reverse=True).index(whole[shipped]) + 1
    lines = [
        "## Tuning the weights under cross-validation",
        "",
        f"`benchmarks/match_tune_cv.py` ranks the dev set with each of {len(rankings)} settings "
        "around the shipped ones ("
        + "; ".join(f"{n} {', '.join(f'{v:g}' for v in GRID[n])}" for n in names)
        + f"), then, for each of {args.folds} folds (seed {args.seed}, the folds of "
        "`match_cv.py`), chooses the best on the other folds and scores it on the fold it "
        "never saw (nDCG@10, engine only).",
        "",
        f"Run on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, engine {engine.ENGINE_VERSION}, "
        f"{time.perf_counter() - started:.0f} s.",
        "",
        "```",
        "python benchmarks/match_tune_cv.py --shared ../shared",
        "```",
        "",
        "| fold | sources | chosen on the other folds (changes from shipped) | its score there "
        "| shipped there | chosen, held out | shipped, held out |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
        *rows,
        f"| mean ± sd | | | | | {spread(held_chosen)} | {spread(held_shipped)} |",
        "",
        f"Held out, tuning moves nDCG@10 by {gain:+.3f} (better on {wins} folds, worse on "
        f"{losses}). On the whole dev set the best of the grid is "
        f"{best_whole} ({whole[best_whole]:.3f}, against {whole[shipped]:.3f} as shipped, "
        f"which ranks {rank_of_shipped} of {len(whole)}). Chosen per fold: "
        + "; ".join(f"{n} ({c})" for n, c in Counter(chosen_names).most_common())
        + ". "
        + (
            "Tuning pays on every fold: the setting chosen most often is a candidate to ship."
            if wins == len(parts)
            else "Tuning does not pay on every held-out fold: the grid's best on four folds "
            "is not reliably better on the fifth, so what the whole dev set prefers is not "
            "evidence, and the shipped settings stay."
        ),
        "",
        "One caution reads the other way: the shipped settings were themselves chosen on the "
        "whole dev set in earlier work, so their held-out figures here are not truly held "
        "out, and they flatter the shipped settings against any choice made on four folds. "
        "What the table does show is that the dev set's 68 judged sources cannot tell these "
        "settings apart: differences of 0.01 between settings move with the fold. That is "
        "the same warning the held-back set gave (0.868 on dev, 0.758 there): the weights "
        "are not where a gain on unseen data will come from.",
    ]
    body = "\n".join(lines)
    print(body)
    if args.update_docs:
        update_docs(body, (START, END))
    return 0


if __name__ == "__main__":
    sys.exit(main())
