"""The character n-gram channel: what it adds to match quality, and what it would cost (#11).

Cross-validation (benchmarks/match_cv.py) chooses "character 3-5-grams added" on every fold,
but it is not in the engine: it multiplies the non-zeros per listing, and with them the
rebuild's ranking time. This script asks whether a cheaper form keeps the gain: fewer
n-gram lengths, or the common n-grams dropped (`max_df`, the share of listings an n-gram may
appear in). For each variant, at the weight match_quality.py uses (CHAR_WEIGHT of w_text):

- quality on the dev set: nDCG@10 on the whole set and on each of the 5 folds of match_cv.py
  (seed 11) beside the shipped engine, and on how many folds it gains (engine only, no
  Django; the channel is scikit-learn's TfidfVectorizer(analyzer="char_wb", sublinear_tf)
  over title twice + description, as in match_quality.char_channel_rankings);
- cost on a generated corpus (`generate_listings.py --seed 7 --listings N`): the channel's
  non-zeros per listing, and the time to vectorise it and take its own top 10 both ways
  (sparse_dot_topn, 2 threads), as a ratio to engine.fit + engine.suggest in the same run.
  That is a floor for adding it to the engine: its own work, before any combining.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/char_channel.py --shared ../shared --listings 20000 [--update-docs]

`--update-docs` writes the tables into docs/benchmarks.md between the char_channel markers.
"""

from __future__ import annotations

import argparse
import json
import shlex
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

from match_cv import folds_of  # noqa: E402 (benchmarks/ is on sys.path)
from match_quality import (  # noqa: E402
    CHAR_WEIGHT,
    DATA,
    TOP,
    TRUTH,
    char_channel_rankings,
    engine,
    engine_rankings,
    load_docs,
    score,
    update_docs,
)

START = "<!-- char_channel:start -->"
END = "<!-- char_channel:end -->"
SEED = 7
# name -> TfidfVectorizer arguments (beside analyzer="char_wb", sublinear_tf=True)
VARIANTS = {
    "3-5-grams (as in match_cv.py)": {"ngram_range": (3, 5)},
    "3-5-grams in at most 10 % of listings": {"ngram_range": (3, 5), "max_df": 0.1},
    "3-5-grams in at most 5 % of listings": {"ngram_range": (3, 5), "max_df": 0.05},
    "4-5-grams": {"ngram_range": (4, 5)},
    "5-grams": {"ngram_range": (5, 5)},
}


def vectoriser(arguments: dict):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", sublinear_tf=True, **arguments)


def quality(shared: Path) -> list[dict]:
    exchange = json.loads((shared / DATA).read_text(encoding="utf-8"))
    truth = json.loads((shared / TRUTH).read_text(encoding="utf-8"))["relevance"]
    docs = load_docs(exchange)
    kinds = {d.ref: d.kind for d in docs}
    parts = folds_of(list(truth), 5, 11)
    texts = [f"{d.title} {d.title} {d.text}" for d in docs]

    def figures(ranked) -> dict:
        return {
            "whole": score(ranked, truth, kinds).ndcg,
            "folds": [score(ranked, {k: truth[k] for k in p}, kinds).ndcg for p in parts],
        }

    rows = [{"name": "engine as shipped", "nnz": None, **figures(engine_rankings(docs))}]
    for name, arguments in VARIANTS.items():
        ranked = char_channel_rankings(docs, CHAR_WEIGHT, grams=arguments)
        nnz = vectoriser(arguments).fit_transform(texts).getnnz(axis=1).mean()
        rows.append({"name": name, "nnz": nnz, **figures(ranked)})
    return rows


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def cost(corpus: Path) -> dict:
    import numpy as np
    from sparse_dot_topn import sp_matmul_topn

    docs = load_docs(json.loads(corpus.read_text(encoding="utf-8")))
    model, fit_s = timed(engine.fit, docs)
    _, suggest_s = timed(lambda: engine.suggest(model, top=TOP))
    kinds = np.array([d.kind for d in docs])
    texts = [f"{d.title} {d.title} {d.text}" for d in docs]

    def channel(arguments):
        matrix = vectoriser(arguments).fit_transform(texts)
        sources = matrix[np.flatnonzero(kinds != "offer")]
        offers = matrix[np.flatnonzero(kinds == "offer")]
        needs = matrix[np.flatnonzero(kinds == "need")]
        sp_matmul_topn(sources, offers.T.tocsr(), top_n=TOP, n_threads=2)
        sp_matmul_topn(offers, needs.T.tocsr(), top_n=TOP, n_threads=2)
        return matrix.getnnz(axis=1).mean()

    variants = {}
    for name, arguments in VARIANTS.items():
        nnz, seconds = timed(channel, arguments)
        variants[name] = {"nnz": nnz, "seconds": seconds}
    return {
        "listings": len(docs),
        "engine": fit_s + suggest_s,
        "engine_nnz": model._sides().row_matrix.getnnz(axis=1).mean(),
        "variants": variants,
    }


def report(rows: list[dict], spent: dict, command: str) -> str:
    shipped = rows[0]
    lines = [
        "## Character n-grams: what they add, and what they would cost",
        "",
        "`benchmarks/char_channel.py` adds a character n-gram channel (scikit-learn "
        f'`TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)`, at {CHAR_WEIGHT} of the '
        "text weight) to the engine's pairwise scores, in several forms, and scores each on "
        "the dev set, whole and on the 5 folds of `match_cv.py` (seed 11), beside the "
        "engine as shipped. Then it times each form's own work on a generated corpus: "
        "vectorising, and its own top 10 both ways with sparse_dot_topn (2 threads), as a "
        "ratio to `engine.fit` + `engine.suggest` in the same run: a floor for what adding "
        "it to the engine would cost.",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "```",
        command,
        "```",
        "",
        "| Form | non-zeros per listing (dev set) | nDCG@10 whole | folds 1-5 | mean ± sd "
        "| folds gained |",
        "| --- | ---: | ---: | --- | --- | ---: |",
    ]
    for row in rows:
        gained = sum(a > b + 1e-9 for a, b in zip(row["folds"], shipped["folds"], strict=True))
        nnz = "" if row["nnz"] is None else f"{row['nnz']:.0f}"
        lines.append(
            f"| {row['name']} | {nnz} | {row['whole']:.3f} | "
            + " ".join(f"{x:.3f}" for x in row["folds"])
            + f" | {statistics.fmean(row['folds']):.3f} ± {statistics.stdev(row['folds']):.3f} | "
            + ("" if row is shipped else f"{gained} of 5")
            + " |"
        )
    lines += [
        "",
        f"Cost at {spent['listings']:,} listings and challenges: the engine's fit + suggest "
        f"took {spent['engine']:.1f} s, with {spent['engine_nnz']:.0f} non-zeros per listing.",
        "",
        "| Form | non-zeros per listing | vectorise + own top 10 both ways (s) | ÷ engine |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, figures in spent["variants"].items():
        lines.append(
            f"| {name} | {figures['nnz']:.0f} | {figures['seconds']:.1f} | "
            f"{figures['seconds'] / spent['engine']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", required=True, type=Path, help="the shared folder")
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, help="keep the generated corpus here")
    parser.add_argument("--update-docs", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    rows = quality(args.shared)
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="char-channel-"))
    corpus = folder / f"corpus-seed{SEED}-{args.listings}.json"
    if not corpus.exists():
        generator = args.shared / "data" / "generate_listings.py"
        subprocess.run(
            [sys.executable, str(generator), "--seed", str(SEED), "--listings"]
            + [str(args.listings), "--output", str(corpus), "--quiet"],
            check=True,
        )
    spent = cost(corpus)
    command = "python benchmarks/char_channel.py " + shlex.join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--update-docs"
    )
    body = report(rows, spent, command)
    print(body)
    if args.update_docs:
        update_docs(body, (START, END))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
