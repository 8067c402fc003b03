"""Learn the weights of the matcher's signals from people's answers (pure Python, no Django).

An answer is a suggestion someone judged: "interested", "useful" or an accepted introduction
count as liked (1), "not relevant" as disliked (0). What matters to a person is the order of
the suggestions for one listing, so the weights are fitted to that order: for every listing
with both kinds of answer, each (liked, disliked) pair becomes one example whose features are
the difference of the two pairs' signals (a pairwise logistic regression, as in RankSVM). The
learned weights are kept non-negative and scaled to sum to what the defaults sum to, so a
score stays between 0 and 1 and the bands keep their meaning.

The guard: weights replace the defaults only when there are enough answers from enough
organisations AND, on answers held out of the fit (5 folds of listings), they order liked
above disliked more often than the defaults do, by more than the folds' own noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

SIGNALS = ("text", "topics", "themes", "clusters", "partner", "challenge")
MIN_ANSWERS = 200
MIN_ORGANISATIONS = 20
FOLDS = 5
MIN_GAIN = 0.01  # held-out share of pairs ordered right must rise by at least this much
MAX_PAIRS_PER_SOURCE = 100  # a listing with many answers must not outweigh the others


@dataclass(frozen=True)
class Answers:
    """Answered pairs: their signals (n × 6), liked (1) or not (0), the source, the
    organisation that answered, and the target."""

    signals: np.ndarray
    liked: np.ndarray
    sources: Sequence[str]
    organisations: Sequence[str]
    targets: Sequence[str] = ()

    def __len__(self) -> int:
        return len(self.liked)


@dataclass(frozen=True)
class Learned:
    """The outcome of one attempt: the weights, the held-out figures, and whether to use them."""

    weights: dict[str, float] | None  # what the answers favour (None: too few to fit)
    defaults: dict[str, float]
    answers: int
    organisations: int
    sources: int
    held_out_learned: float | None  # share of (liked, disliked) pairs ordered right
    held_out_default: float | None
    fold_gains: list[float] = field(default_factory=list)
    adopted: bool = False
    reason: str = ""


def _pairs(signals: np.ndarray, liked: np.ndarray, sources: Sequence[str], rows: np.ndarray):
    """Difference vectors (liked − disliked) for pairs within one source, among `rows`."""
    by_source: dict[str, tuple[list[int], list[int]]] = {}
    for row in rows.tolist():
        good, bad = by_source.setdefault(sources[row], ([], []))
        (good if liked[row] else bad).append(row)
    diffs = []
    for source in sorted(by_source):
        good, bad = by_source[source]
        pairs = [(g, b) for g in good for b in bad]
        if len(pairs) > MAX_PAIRS_PER_SOURCE:
            step = len(pairs) / MAX_PAIRS_PER_SOURCE
            pairs = [pairs[int(i * step)] for i in range(MAX_PAIRS_PER_SOURCE)]
        diffs.extend(signals[g] - signals[b] for g, b in pairs)
    if not diffs:
        return np.zeros((0, signals.shape[1]))
    return np.vstack(diffs)


def ordered_right(diffs: np.ndarray, weights: np.ndarray) -> float | None:
    """Share of (liked, disliked) pairs in which the liked one scores higher (ties count half)."""
    if not len(diffs):
        return None
    margin = diffs @ weights
    return float(np.mean(np.where(margin > 1e-9, 1.0, np.where(margin < -1e-9, 0.0, 0.5))))


def _fit(diffs: np.ndarray, total: float) -> np.ndarray:
    """Non-negative weights that order liked above disliked, scaled to sum to `total`."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([diffs, -diffs])
    y = np.concatenate([np.ones(len(diffs)), np.zeros(len(diffs))])
    model = LogisticRegression(fit_intercept=False, C=1.0, max_iter=1000)
    model.fit(x, y)
    weights = np.clip(model.coef_[0], 0.0, None)
    if weights.sum() <= 0:
        return np.zeros_like(weights)
    return weights * (total / weights.sum())


def _folds(sources: Sequence[str], folds: int) -> list[np.ndarray]:
    """Rows dealt into folds by source (every answer of one listing in the same fold), in a
    fixed order: the same answers always give the same folds."""
    names = sorted(set(sources))
    fold_of = {name: i % folds for i, name in enumerate(sorted(names, key=_stable_hash))}
    assignment = np.array([fold_of[s] for s in sources], dtype=np.int64)
    return [np.flatnonzero(assignment == i) for i in range(folds)]


def _stable_hash(text: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def learn(
    answers: Answers,
    defaults: Mapping[str, float],
    *,
    min_answers: int = MIN_ANSWERS,
    min_organisations: int = MIN_ORGANISATIONS,
    folds: int = FOLDS,
    min_gain: float = MIN_GAIN,
) -> Learned:
    """Fit signal weights to `answers`; adopt them only if they beat `defaults` held out."""
    default_vector = np.array([defaults[name] for name in SIGNALS], dtype=np.float64)
    total = float(default_vector.sum())
    n = len(answers)
    organisations = len(set(answers.organisations))
    sources = len(set(answers.sources))
    outcome = dict(
        defaults=dict(defaults),
        answers=n,
        organisations=organisations,
        sources=sources,
    )
    if n < min_answers or organisations < min_organisations:
        return Learned(
            weights=None,
            held_out_learned=None,
            held_out_default=None,
            reason=(
                f"Not enough answers yet: {n:,} answers from {organisations:,} organisations; "
                f"at least {min_answers:,} from {min_organisations:,} are needed."
            ),
            **outcome,
        )
    signals = np.asarray(answers.signals, dtype=np.float64)
    liked = np.asarray(answers.liked, dtype=bool)
    gains, right_learned, right_default, counts = [], [], [], []
    for held in _folds(answers.sources, folds):
        train = np.setdiff1d(np.arange(n), held)
        train_diffs = _pairs(signals, liked, answers.sources, train)
        test_diffs = _pairs(signals, liked, answers.sources, held)
        if not len(train_diffs) or not len(test_diffs):
            continue
        weights = _fit(train_diffs, total)
        a, b = ordered_right(test_diffs, weights), ordered_right(test_diffs, default_vector)
        right_learned.append(a)
        right_default.append(b)
        gains.append(a - b)
        counts.append(len(test_diffs))
    all_diffs = _pairs(signals, liked, answers.sources, np.arange(n))
    if len(gains) < 2 or not len(all_diffs):
        return Learned(
            weights=None,
            held_out_learned=None,
            held_out_default=None,
            reason=(
                "The answers cannot be compared: too few listings have both a liked and a "
                "dismissed suggestion."
            ),
            **outcome,
        )
    weights = _fit(all_diffs, total)
    learned = {name: round(float(w), 4) for name, w in zip(SIGNALS, weights, strict=True)}
    held_learned = float(np.average(right_learned, weights=counts))
    held_default = float(np.average(right_default, weights=counts))
    gain = held_learned - held_default
    spread = float(np.std(gains, ddof=1)) / math.sqrt(len(gains))
    if weights.sum() <= 0:
        adopted, reason = False, "The answers do not favour any signal; the defaults stay."
    elif gain < min_gain or gain <= 2 * spread:
        adopted = False
        reason = (
            f"Learned weights did not beat the defaults on held-out answers: they ordered "
            f"{held_learned:.1%} of liked/dismissed pairs right, the defaults {held_default:.1%}."
        )
    else:
        adopted = True
        reason = (
            f"Learned weights beat the defaults on held-out answers: {held_learned:.1%} of "
            f"liked/dismissed pairs ordered right, against {held_default:.1%}."
        )
    return Learned(
        weights=learned,
        held_out_learned=round(held_learned, 4),
        held_out_default=round(held_default, 4),
        fold_gains=[round(g, 4) for g in gains],
        adopted=adopted,
        reason=reason,
        **outcome,
    )
