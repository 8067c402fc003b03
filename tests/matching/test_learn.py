"""Learning signal weights from answers (matching/learn.py): what is learned, and the guard."""

import numpy as np
import pytest

from matching import learn

DEFAULTS = {
    "text": 0.72,
    "topics": 0.09,
    "themes": 0.04,
    "clusters": 0.03,
    "partner": 0.07,
    "challenge": 0.05,
}


def answers(n_sources=60, per_source=8, organisations=30, seed=0, liked_by=None, unseen=0):
    """Synthetic answers: signals uniform in [0, 1); `liked_by(signals, rng)` decides; each
    source also brings `unseen` candidates nobody answered."""
    rng = np.random.default_rng(seed)
    rows = per_source + unseen
    signals = rng.random((n_sources * rows, 6))
    labels = np.where(liked_by(signals, rng), learn.LIKED, learn.DISMISSED)
    labels[np.arange(len(labels)) % rows >= per_source] = learn.UNSEEN
    sources = [f"L-{i // rows:04d}" for i in range(len(labels))]
    orgs = [f"O-{(i // rows) % organisations:03d}" for i in range(len(labels))]
    return learn.Answers(signals=signals, labels=labels, sources=sources, organisations=orgs)


def partner_matters(signals, rng):
    """People like pairs where the partner fits, whatever the text says."""
    return signals[:, 4] + 0.1 * signals[:, 0] + 0.05 * rng.standard_normal(len(signals)) > 0.55


def coin(signals, rng):
    return rng.random(len(signals)) < 0.4


def test_weights_follow_what_people_liked_and_are_adopted():
    outcome = learn.learn(answers(liked_by=partner_matters), DEFAULTS)
    assert outcome.adopted, outcome.reason
    assert outcome.weights["partner"] > DEFAULTS["partner"] * 3
    assert outcome.weights["partner"] == max(outcome.weights.values())
    assert outcome.held_out_learned > outcome.held_out_default + 0.02
    assert "beat the defaults" in outcome.reason


def test_learned_weights_are_non_negative_and_keep_the_scale():
    outcome = learn.learn(answers(liked_by=partner_matters), DEFAULTS)
    assert all(value >= 0 for value in outcome.weights.values())
    assert sum(outcome.weights.values()) == pytest.approx(sum(DEFAULTS.values()), abs=1e-3)
    assert list(outcome.weights) == list(learn.SIGNALS)


def test_random_answers_almost_never_replace_the_defaults():
    """The guard is a permutation test: answers that carry nothing pass it about 1 time in
    50 by design. Of 20 random answer sets, 3 or more passing would happen by chance less
    than 1 time in 100."""
    outcomes = [learn.learn(answers(liked_by=coin, seed=seed), DEFAULTS) for seed in range(20)]
    adopted = [o for o in outcomes if o.adopted]
    assert len(adopted) <= 2, [(o.held_out_learned, o.held_out_default) for o in adopted]
    kept = [o for o in outcomes if not o.adopted]
    assert all("did not beat" in o.reason or "do not favour" in o.reason for o in kept)


def test_answers_that_agree_with_the_defaults_do_not_replace_them():
    def like_the_defaults(signals, rng):
        weights = np.array([DEFAULTS[name] for name in learn.SIGNALS])
        return signals @ weights > np.median(signals @ weights)

    outcome = learn.learn(answers(liked_by=like_the_defaults), DEFAULTS)
    # Nothing to gain over weights that already order every pair right.
    assert not outcome.adopted
    assert outcome.held_out_default == pytest.approx(1.0)
    assert outcome.weights == pytest.approx(DEFAULTS, abs=0.05)  # learned near the defaults


def test_too_few_answers_are_not_used():
    few = answers(n_sources=20, per_source=8, liked_by=partner_matters)  # 160 answers
    outcome = learn.learn(few, DEFAULTS)
    assert not outcome.adopted
    assert outcome.weights is None
    assert "160 answers" in outcome.reason and "at least 200" in outcome.reason


def test_answers_from_too_few_organisations_are_not_used():
    outcome = learn.learn(answers(organisations=5, liked_by=partner_matters), DEFAULTS)
    assert not outcome.adopted
    assert "5 organisations" in outcome.reason


def test_listings_with_only_one_kind_of_answer_cannot_be_compared():
    def all_liked(signals, rng):
        return np.ones(len(signals), dtype=bool)

    outcome = learn.learn(answers(liked_by=all_liked), DEFAULTS)
    assert not outcome.adopted
    assert "cannot be compared" in outcome.reason


def test_the_same_answers_give_the_same_weights():
    one = learn.learn(answers(liked_by=partner_matters, seed=3), DEFAULTS)
    two = learn.learn(answers(liked_by=partner_matters, seed=3), DEFAULTS)
    assert one == two


def test_unseen_candidates_count_against_weights_that_pull_them_up():
    """People liked pairs high on "clusters"; the unseen candidates are even higher on it but
    low on text. Weights that chase clusters alone would fill the list with them."""

    def clusters_and_text(signals, rng):
        return signals[:, 3] + signals[:, 0] > 1.0

    plain = learn.learn(answers(liked_by=clusters_and_text), DEFAULTS)
    data = answers(liked_by=clusters_and_text, unseen=6, seed=0)
    signals = data.signals.copy()
    unseen = data.labels == learn.UNSEEN
    signals[unseen, 3] = 1.0
    signals[unseen, 0] = 0.0
    guarded = learn.learn(
        learn.Answers(signals, data.labels, data.sources, data.organisations), DEFAULTS
    )
    assert guarded.answers == plain.answers  # unseen candidates are not answers
    assert guarded.weights["clusters"] < plain.weights["clusters"]


def test_answers_count_only_answered_rows_and_their_organisations():
    data = answers(liked_by=partner_matters, unseen=4, n_sources=30, organisations=30)
    outcome = learn.learn(data, DEFAULTS)
    assert outcome.answers == 30 * 8
    assert outcome.organisations == 30
