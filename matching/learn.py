"""Learn the weights of the matcher's signals from people's answers (pure Python, no Django).

An answer is a suggestion someone judged: "interested", "useful" or an accepted introduction
count as liked, "not relevant" as dismissed. An answer may carry a strength
(`Answers.strengths`): an introduction that led to a trial, a contract or a joint bid counts
STRONG times as much. Besides the answers, each answered listing brings its next candidates,
the ones ranked just below what people were shown ("unseen"): nobody judged them, and
weights that pull them above what people liked must pay for it.

What matters to a person is the order of the suggestions for one listing, so the weights are
fitted to that order (a pairwise logistic regression, as in RankSVM): for every listing, each
(liked, dismissed) pair is one example whose features are the difference of the two pairs'
signals, and each (liked, unseen) pair a half-weight one. The fit starts from the defaults
and learns a correction, so that few or mixed answers leave the weights near them. The
learned weights are kept non-negative and scaled to sum to what the defaults sum to, so a
score stays between 0 and 1 and the bands keep their meaning.

The guard: learned weights replace the defaults only when there are enough answers from
enough organisations AND they rank held-out listings' candidates better than the defaults:
the answers are split into 5 folds by listing; weights fitted on four folds re-rank the fifth
fold's candidates (answered and unseen), scored as nDCG@10 with liked = 1 and anything else
0, an unseen candidate counting as not relevant. The mean gain must reach MIN_GAIN and beat
the gain of every one of PERMUTATIONS shufflings of the answers within each listing (a
permutation test: answers that carry no information pass it about 1 time in 50).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .engine.settings import SIGNALS  # text, topics, themes, clusters, partner, challenge

LIKED, DISMISSED, UNSEEN = 1, 0, -1
MIN_ANSWERS = 200
MIN_ORGANISATIONS = 20
FOLDS = 5
MIN_GAIN = 0.005  # held-out nDCG@10 of the answered listings must rise by at least this
PERMUTATIONS = 49  # ... and beat what the same steps make of this many shufflings of the answers
MAX_CHANCE = 0.02  # (1 + shufflings that reach the gain) / 50: none may reach it
TOP = 10
UNSEEN_WEIGHT = 0.5  # a (liked, unseen) pair counts half a (liked, dismissed) one
MAX_PAIRS_PER_SOURCE = 100  # a listing with many answers must not outweigh the others
# No learned weight goes below this share of the total: a signal weighted 0 could not be read
# back from the next model (pair_signals reads a signal from the weighted vectors).
MIN_SHARE = 0.01
STRONG = 2.0  # the strength of a liked answer that an introduction's outcome bears out


@dataclass(frozen=True)
class Answers:
    """Answered pairs and their listings' next candidates: signals (n × 6); label LIKED,
    DISMISSED or UNSEEN; the source; the organisation that answered ("" for unseen); the
    target."""

    signals: np.ndarray
    labels: np.ndarray
    sources: Sequence[str]
    organisations: Sequence[str]
    targets: Sequence[str] = ()
    # How much each answer counts (empty: 1 each). A liked pair that led somewhere (a trial,
    # a contract, a joint bid) counts STRONG: its comparisons weigh that much more in the fit.
    strengths: Sequence[float] = ()

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def answered(self) -> int:
        return int(np.sum(np.asarray(self.labels) != UNSEEN))


@dataclass(frozen=True)
class Learned:
    """The outcome of one attempt: the weights, the held-out figures, and whether to use them."""

    weights: dict[str, float] | None  # what the answers favour (None: too few to fit)
    defaults: dict[str, float]
    answers: int
    organisations: int
    sources: int
    held_out_learned: float | None  # nDCG@10 of held-out listings' candidates, learned weights
    held_out_default: float | None  # the same with the defaults
    fold_gains: list[float] = field(default_factory=list)
    adopted: bool = False
    reason: str = ""


def _groups(labels: np.ndarray, sources: Sequence[str], rows: Sequence[int]):
    """Rows by source, in a fixed order."""
    by_source: dict[str, list[int]] = {}
    for row in rows:
        by_source.setdefault(sources[row], []).append(row)
    return [by_source[s] for s in sorted(by_source)]


def _examples(signals, labels, sources, rows, strengths=None):
    """Difference vectors (preferred − other) and their weights, for pairs within a source.

    A pair's weight is its kind's (1 against a dismissed candidate, UNSEEN_WEIGHT against an
    unseen one) times the strength of its liked answer (`strengths`, 1 each when None).
    """
    diffs, weights = [], []
    strength = (lambda r: 1.0) if strengths is None else (lambda r: float(strengths[r]))
    for group in _groups(labels, sources, rows):
        liked = [r for r in group if labels[r] == LIKED]
        pairs = [(g, b, strength(g)) for g in liked for b in group if labels[b] == DISMISSED]
        pairs += [
            (g, b, UNSEEN_WEIGHT * strength(g)) for g in liked for b in group if labels[b] == UNSEEN
        ]
        if len(pairs) > MAX_PAIRS_PER_SOURCE:
            step = len(pairs) / MAX_PAIRS_PER_SOURCE
            pairs = [pairs[int(i * step)] for i in range(MAX_PAIRS_PER_SOURCE)]
        diffs.extend(signals[g] - signals[b] for g, b, _ in pairs)
        weights.extend(w for _, _, w in pairs)
    if not diffs:
        return np.zeros((0, signals.shape[1])), np.zeros(0)
    return np.vstack(diffs), np.array(weights)


def _ndcg(signals, labels, sources, rows, weights: np.ndarray) -> list[float]:
    """nDCG@10 of each source's candidates ranked by `weights`; liked = 1, anything else 0."""
    out = []
    for group in _groups(labels, sources, rows):
        gains = np.array([1.0 if labels[r] == LIKED else 0.0 for r in group])
        if not gains.any():
            continue
        scores = signals[group] @ weights
        # Ties go against the liked candidate: weights that cannot tell them apart earn nothing.
        order = np.lexsort((gains, -scores))[:TOP]
        discounts = 1.0 / np.log2(np.arange(2, TOP + 2))
        dcg = float(np.sum(gains[order] * discounts[: len(order)]))
        ideal = float(np.sum(discounts[: min(int(gains.sum()), TOP)]))
        out.append(dcg / ideal)
    return out


START_SCALE = 10.0  # the starting score enters the fit at this scale, so it is barely penalised


def _fit(diffs: np.ndarray, sample_weight: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Non-negative weights that order preferred above other, scaled to sum as `start` does.

    The fit starts from `start` and learns a correction: the starting score is one more
    feature (at START_SCALE, so the regularisation barely touches it) and the six signals
    the correction; the weights are (its coefficient × start) + the correction. With few
    or mixed answers the correction stays small and the weights near `start`.
    """
    from sklearn.linear_model import LogisticRegression

    features = np.hstack([diffs, (diffs @ start)[:, None] * START_SCALE])
    x = np.vstack([features, -features])
    y = np.concatenate([np.ones(len(diffs)), np.zeros(len(diffs))])
    model = LogisticRegression(fit_intercept=False, C=1.0, max_iter=1000)
    model.fit(x, y, sample_weight=np.concatenate([sample_weight, sample_weight]))
    coef = model.coef_[0]
    # The starting score and the signals it sums can trade weight between them; answers
    # that go against the start are read from the signals alone, never as a negative start.
    keep_start = max(float(coef[-1]), 0.0)
    weights = np.clip(coef[:-1] + keep_start * START_SCALE * start, 0.0, None)
    if weights.sum() <= 0:
        return np.zeros_like(weights)
    weights = np.maximum(weights / weights.sum(), MIN_SHARE)
    return weights * (start.sum() / weights.sum())


def _cross_validate(signals, labels, sources, splits, start, strengths=None):
    """nDCG@10 of each held-out listing with weights fitted on the other folds, and with
    `start`; and the gain per fold."""
    learned_scores, default_scores, fold_gains = [], [], []
    for held in splits:
        train = np.setdiff1d(np.arange(len(labels)), held)
        diffs, weight = _examples(signals, labels, sources, train.tolist(), strengths)
        if not len(diffs):
            continue
        fitted = _fit(diffs, weight, start)
        a = _ndcg(signals, labels, sources, held.tolist(), fitted)
        b = _ndcg(signals, labels, sources, held.tolist(), start)
        if not a:
            continue
        learned_scores.extend(a)
        default_scores.extend(b)
        fold_gains.append(float(np.mean(a) - np.mean(b)))
    return learned_scores, default_scores, fold_gains


def _shuffled(labels: np.ndarray, sources: Sequence[str], rng) -> np.ndarray:
    """The answers of each listing dealt out again at random among its answered pairs."""
    out = labels.copy()
    by_source: dict[str, list[int]] = {}
    for row, source in enumerate(sources):
        if labels[row] != UNSEEN:
            by_source.setdefault(source, []).append(row)
    for rows in by_source.values():
        out[rows] = rng.permutation(labels[rows])
    return out


def _chance(gain, signals, labels, sources, splits, start, strengths=None) -> float:
    """The share of label shufflings whose cross-validated gain reaches `gain`.

    A strength stays with its row: a shuffled "liked" lands on a row of strength 1 unless
    that row's answer was itself a strong one, so shufflings get no more weight than the
    real answers."""
    seed = _stable_hash("".join(sources) + labels.tobytes().hex())
    rng = np.random.default_rng(seed)
    reached = 0
    for _ in range(PERMUTATIONS):
        a, b, _folds_gains = _cross_validate(
            signals, _shuffled(labels, sources, rng), sources, splits, start, strengths
        )
        if a and np.mean(a) - np.mean(b) >= gain:
            reached += 1
    return (1 + reached) / (1 + PERMUTATIONS)


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _folds(sources: Sequence[str], folds: int) -> list[np.ndarray]:
    """Rows dealt into folds by source (all rows of one listing in the same fold), in a fixed
    order: the same answers always give the same folds."""
    names = sorted(set(sources), key=lambda name: (_stable_hash(name), name))
    fold_of = {name: i % folds for i, name in enumerate(names)}
    assignment = np.array([fold_of[s] for s in sources], dtype=np.int64)
    return [np.flatnonzero(assignment == i) for i in range(folds)]


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
    labels = np.asarray(answers.labels, dtype=np.int64)
    answered = labels != UNSEEN
    n = answers.answered
    organisations = len({o for o, a in zip(answers.organisations, answered, strict=True) if a})
    outcome = {
        "defaults": dict(defaults),
        "answers": n,
        "organisations": organisations,
        "sources": len({s for s, a in zip(answers.sources, answered, strict=True) if a}),
    }
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
    sources = list(answers.sources)
    splits = _folds(sources, folds)
    strengths = np.asarray(answers.strengths, dtype=np.float64) if len(answers.strengths) else None
    learned_scores, default_scores, fold_gains = _cross_validate(
        signals, labels, sources, splits, default_vector, strengths
    )
    diffs, weight = _examples(signals, labels, sources, list(range(len(labels))), strengths)
    if len(fold_gains) < 2 or not len(diffs):
        return Learned(
            weights=None,
            held_out_learned=None,
            held_out_default=None,
            reason=(
                "The answers cannot be compared: too few listings have a suggestion people "
                "liked beside one they dismissed."
            ),
            **outcome,
        )
    fitted = _fit(diffs, weight, default_vector)
    learned = {name: round(float(w), 4) for name, w in zip(SIGNALS, fitted, strict=True)}
    held_learned = float(np.mean(learned_scores))
    held_default = float(np.mean(default_scores))
    # The mean gain per held-out listing (each scored by weights fitted without it) must
    # reach min_gain and beat what the same steps make of answers shuffled within each
    # listing (a permutation test: answers that carry nothing rarely pass).
    gain = float(np.mean(learned_scores) - np.mean(default_scores))
    chance = _chance(gain, signals, labels, sources, splits, default_vector, strengths)
    if fitted.sum() <= 0:
        adopted, reason = False, "The answers do not favour any signal; the defaults stay."
    elif gain < min_gain or chance > MAX_CHANCE:
        adopted = False
        reason = (
            f"Learned weights did not beat the defaults on held-out answers (nDCG@10 "
            f"{held_learned:.3f} against {held_default:.3f}); the defaults stay."
        )
    else:
        adopted = True
        reason = (
            f"Learned weights beat the defaults on held-out answers: nDCG@10 "
            f"{held_learned:.3f} against {held_default:.3f}."
        )
    return Learned(
        weights=learned,
        held_out_learned=round(held_learned, 4),
        held_out_default=round(held_default, 4),
        fold_gains=[round(g, 4) for g in fold_gains],
        adopted=adopted,
        reason=reason,
        **outcome,
    )
