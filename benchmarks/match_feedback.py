"""Learning from people's answers, with the dev set's judgements standing in for people (#11).

Two experiments, both on the public dev set:

1. Learned signal weights. The judged sources are split in two halves (seeded, repeated
   over several splits). People "answer" the engine's top 10 of every source in the first
   half: a judged offer (grade 1 or 2) is "interested", any other "not relevant". The
   weights are learned from those answers with the site's own guard (matching/learn.py),
   the engine is refitted with them if the guard adopts them, and nDCG@10 is measured on
   the second half, which gave no answers. The same is done with random answers (the same
   share liked): the guard must then keep the defaults, leaving nDCG@10 where it was.
2. "Not relevant" pushes down offers like the dismissed one. For every judged source, the
   person dismisses the best-ranked suggestion the judges did not list. Then the source's
   list is recomputed with that pair hidden (what the site did before) and with offers
   pushed down by their likeness to the dismissed one; the strength is chosen under
   5-fold cross-validation of the sources.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/match_feedback.py --shared ../shared [--splits 10] [--update-docs]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from match_cv import folds_of
from match_quality import DATA, TOP, TRUTH, dcg, engine, load_docs, score, update_docs

from matching import learn

START = "<!-- match_feedback:start -->"
END = "<!-- match_feedback:end -->"
STRENGTHS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)


def rankings_of(model, sources=None, top=TOP, blocked=None) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in engine.suggest(model, sources, top=top, blocked=blocked):
        out.setdefault(s.source, []).append(s)
    return out


UNSEEN_DEPTH = 30  # the candidates ranked 11 to 30 go with the answers, as on the site


def answers_from(model, sources, owner_of, liked_of) -> learn.Answers:
    """Answers to the top 10 of each source, liked or not as `liked_of(source, target)` says,
    and the next candidates, unseen."""
    rows = []
    for items in rankings_of(model, sorted(sources), top=UNSEEN_DEPTH).values():
        for rank, s in enumerate(items, start=1):
            if rank <= TOP:
                label = learn.LIKED if liked_of(s.source, s.target) else learn.DISMISSED
                rows.append((s.source, s.target, label, owner_of[s.source]))
            else:
                rows.append((s.source, s.target, learn.UNSEEN, ""))
    return learn.Answers(
        signals=engine.pair_signals(model, [r[0] for r in rows], [r[1] for r in rows]),
        labels=np.array([r[2] for r in rows]),
        sources=[r[0] for r in rows],
        organisations=[r[3] for r in rows],
        targets=[r[1] for r in rows],
    )


def ndcg_on(model, keys, truth, kinds) -> float:
    ranked = {k: [s.target for s in v] for k, v in rankings_of(model, sorted(keys)).items()}
    return score(ranked, {k: truth[k] for k in keys}, kinds).ndcg


def _coin(rng: random.Random, share: float):
    """A person who likes a suggestion with probability `share`, whatever it is."""
    tossed: dict = {}

    def liked(source, target):
        return tossed.setdefault((source, target), rng.random() < share)

    return liked


def weights_experiment(docs, truth, kinds, splits: int, log, start: engine.Settings) -> dict:
    owner_of = {d.ref: d.owner for d in docs}
    model0 = engine.fit(docs, start)
    defaults = start.signal_weights()
    keys = sorted(truth)
    rows = []
    for split in range(splits):
        halves = folds_of(keys, 2, seed=100 + split)
        answer_keys, test_keys = halves[0], halves[1]
        base = ndcg_on(model0, test_keys, truth, kinds)
        out = {"split": split, "base": base}
        truth_liked = lambda a, b: truth.get(a, {}).get(b, 0) >= 1  # noqa: E731
        truth_answers = answers_from(model0, answer_keys, owner_of, truth_liked)
        shown = truth_answers.labels != learn.UNSEEN
        share = float(np.mean(truth_answers.labels[shown] == learn.LIKED))
        random_liked = _coin(random.Random(split), share)
        random_answers = answers_from(model0, answer_keys, owner_of, random_liked)
        for name, answers in (("truth", truth_answers), ("random", random_answers)):
            outcome = learn.learn(answers, defaults)
            if outcome.adopted:
                settings = start.with_signal_weights(outcome.weights)
                after = ndcg_on(engine.fit(docs, settings), test_keys, truth, kinds)
            else:
                after = base
            out[name] = {
                "adopted": outcome.adopted,
                "ndcg": after,
                "answers": outcome.answers,
                "organisations": outcome.organisations,
                "held_out_learned": outcome.held_out_learned,
                "held_out_default": outcome.held_out_default,
                "weights": outcome.weights,
            }
        log(
            f"split {split}: base {base:.3f}; truth answers {out['truth']['answers']} "
            f"from {out['truth']['organisations']} organisations, adopted "
            f"{out['truth']['adopted']} → {out['truth']['ndcg']:.3f}; random adopted "
            f"{out['random']['adopted']} → {out['random']['ndcg']:.3f}"
        )
        rows.append(out)
    return {"rows": rows, "defaults": defaults}


def _ndcg_list(targets, judged) -> float:
    ideal = dcg(sorted(judged.values(), reverse=True)[:TOP])
    return dcg([judged.get(t, 0) for t in targets[:TOP]]) / ideal if ideal else 0.0


def push_down_experiment(docs, truth, folds: int, log) -> dict:
    """Per source: hide the dismissed pair only, or also push down offers like it."""
    model = engine.fit(docs)
    first = rankings_of(model, sorted(truth))
    dismissed = {}
    for key, items in first.items():
        for s in items:
            if truth[key].get(s.target, 0) == 0:
                dismissed[key] = s.target
                break
    keys = sorted(dismissed)
    wide = rankings_of(model, keys, top=TOP * 3)
    per_strength: dict[float, dict[str, float]] = {p: {} for p in STRENGTHS}
    for key in keys:
        candidates = [s for s in wide.get(key, []) if s.target != dismissed[key]]
        likeness = engine.text_likeness(model, [s.target for s in candidates], dismissed[key])
        for p in STRENGTHS:
            order = sorted(
                zip(candidates, likeness, strict=True),
                key=lambda x, p=p: (-(x[0].score - p * x[1]), x[0].target),
            )
            per_strength[p][key] = _ndcg_list([c.target for c, _ in order], truth[key])
    chosen, held = [], []
    for fold in folds_of(keys, folds, seed=11):
        train = [k for k in keys if k not in set(fold)]
        best = max(
            STRENGTHS, key=lambda p: (statistics.fmean(per_strength[p][k] for k in train), -p)
        )
        chosen.append(best)
        held.append(
            (
                statistics.fmean(per_strength[0.0][k] for k in fold),
                statistics.fmean(per_strength[best][k] for k in fold),
            )
        )
    log(f"push-down: {len(keys)} sources with a dismissal; strengths chosen per fold {chosen}")
    return {
        "sources": len(keys),
        "whole": {p: statistics.fmean(v.values()) for p, v in per_strength.items()},
        "chosen": chosen,
        "held": held,
    }


STARTS = {
    "shipped defaults": engine.DEFAULTS,
    # As if the defaults had not been tuned on this data: every signal weighed the same.
    "equal weights (1/6 each)": engine.DEFAULTS.with_signal_weights(
        dict.fromkeys(engine.SIGNALS, 1 / 6)
    ),
}


def weight_search(docs, truth, kinds, tries: int = 150) -> tuple[float, float]:
    """The defaults' nDCG@10 on the whole dev set, and the best of `tries` random weight
    vectors around them: how much any weights could gain here."""
    rng = np.random.default_rng(0)
    base = np.array(list(engine.DEFAULTS.signal_weights().values()))
    keys = sorted(truth)
    best = 0.0
    for _ in range(tries):
        w = base * np.exp(rng.normal(0, 0.6, len(base)))
        settings = engine.DEFAULTS.with_signal_weights(
            dict(zip(engine.SIGNALS, w / w.sum(), strict=True))
        )
        best = max(best, ndcg_on(engine.fit(docs, settings), keys, truth, kinds))
    return ndcg_on(engine.fit(docs), keys, truth, kinds), best


def _mean_sd(values) -> str:
    values = list(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.3f} ± {sd:.3f}"


def report(experiments: dict, search: tuple[float, float], push: dict, seconds: float) -> str:
    any_rows = next(iter(experiments.values()))["rows"]
    lines = [
        "## Learning from people's answers",
        "",
        "`benchmarks/match_feedback.py` stands the dev set's judgements in for people and runs "
        "the site's own learning (`matching/learn.py`, guard included) and push-down "
        "(`engine.push_down`).",
        "",
        f"Run on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, engine {engine.ENGINE_VERSION}, "
        f"{len(any_rows)} random halvings of the 68 judged sources, {seconds:.0f} s.",
        "",
        "```",
        f"python benchmarks/match_feedback.py --shared ../shared --splits {len(any_rows)}",
        "```",
        "",
        "**Learned signal weights.** People answer the top 10 of half the judged sources "
        '(a judged offer is "interested", any other "not relevant"); the site\'s guard '
        "decides; nDCG@10 is measured on the other half, which gave no answers. Mean ± "
        "standard deviation over the halvings.",
        "",
        "| starting weights | answers | adopted by the guard | nDCG@10 on the other half "
        "| change |",
        "| --- | --- | --- | --- | --- |",
    ]
    for start, found in experiments.items():
        rows = found["rows"]
        base = [r["base"] for r in rows]
        lines.append(f"| {start} | none | – | {_mean_sd(base)} | – |")
        for name, label in (
            ("truth", "from the judgements"),
            ("random", "random, same share liked"),
        ):
            after = [r[name]["ndcg"] for r in rows]
            adopted = sum(r[name]["adopted"] for r in rows)
            change = _mean_sd(a - b for a, b in zip(after, base, strict=True))
            lines.append(
                f"| {start} | {label} | {adopted} of {len(rows)} | {_mean_sd(after)} | {change} |"
            )
    lines += [
        "",
        f"On the whole dev set the shipped defaults score {search[0]:.4f}; the best of 150 "
        f"random weight vectors around them scores {search[1]:.4f}. The defaults were tuned "
        "on this set, so no weights learned from it can do much better here; what the "
        "experiment can show is that answers move poor weights towards good ones, and that "
        "the guard keeps good weights when the answers do not beat them.",
        "",
    ]
    for start, found in experiments.items():
        first = found["rows"][0]["truth"]
        if first["weights"]:
            lines.append(
                f"From {start}, first halving: {first['answers']} answers from "
                f"{first['organisations']} organisations; the guard's held-out nDCG@10 "
                f"{first['held_out_learned']} learned against {first['held_out_default']}; "
                "weights learned (text, topics, themes, clusters, partner, challenge) "
                + ", ".join(f"{v:.3f}" for v in first["weights"].values())
                + "."
            )
            lines.append("")
    lines += [
        f'**"Not relevant" pushes down offers like the dismissed one.** For each of the '
        f"{push['sources']} judged sources whose top 10 held an offer the judges did not list, "
        "the best-ranked such offer is dismissed; nDCG@10 of the list that follows:",
        "",
        "| strength | 0 (hide the pair only) | " + " | ".join(str(p) for p in STRENGTHS[1:]) + " |",
        "| --- | " + " | ".join("---" for _ in STRENGTHS) + " |",
        "| whole set | " + " | ".join(f"{push['whole'][p]:.3f}" for p in STRENGTHS) + " |",
        "",
        "Chosen under 5-fold cross-validation (strengths "
        + ", ".join(str(c) for c in push["chosen"])
        + "): held-out nDCG@10 "
        + f"{_mean_sd(h[1] for h in push['held'])} against {_mean_sd(h[0] for h in push['held'])} "
        "for hiding the pair only.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, required=True, help="the shared folder")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args(argv)
    exchange = json.loads((args.shared / DATA).read_text(encoding="utf-8"))
    truth = json.loads((args.shared / TRUTH).read_text(encoding="utf-8"))["relevance"]
    docs = load_docs(exchange)
    kinds = {d.ref: d.kind for d in docs}
    started = time.perf_counter()

    def log(text):
        print(text, file=sys.stderr)

    experiments = {}
    for name, start in STARTS.items():
        log(f"--- starting from {name}")
        experiments[name] = weights_experiment(docs, truth, kinds, args.splits, log, start)
    search = weight_search(docs, truth, kinds)
    push = push_down_experiment(docs, truth, 5, log)
    body = report(experiments, search, push, time.perf_counter() - started)
    print(body)
    if args.update_docs:
        update_docs(body, (START, END))
    return 0


if __name__ == "__main__":
    sys.exit(main())
