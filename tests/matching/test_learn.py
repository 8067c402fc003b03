"""Learning signal weights from answers (matching/learn.py): what is learned, and the guard."""

import numpy as np
import pytest

from matching import learn

DEFAULTS = {"text": 0.72, "topics": 0.09, "themes": 0.04, "clusters": 0.03, "partner": 0.07, "challenge": 0.05}


def answers(n_sources=60, per_source=8, organisations=30, seed=0, liked_by=None):
    """Synthetic answers: signals uniform in [0, 1); `liked_by(signals, rng)` decides."""
    rng = np.random.default_rng(seed)
    signals = rng.random((n_sources * per_source, 6))
    liked = liked_by(signals, rng)
    sources = [f"L-{i // per_source:04d}" for i in range(len(liked))]
    orgs = [f"O-{(i // per_source) % organisations:03d}" for i in range(len(liked))]
    return learn.Answers(signals=signals, liked=liked, sources=sources, organisations=orgs)


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
    assert outcome.held_out_learned > outcome.held_out_default + 0.05
    assert "beat the defaults" in outcome.reason


def test_learned_weights_are_non_negative_and_keep_the_scale():
    outcome = learn.learn(answers(liked_by=partner_matters), DEFAULTS)
    assert all(value >= 0 for value in outcome.weights.values())
    assert sum(outcome.weights.values()) == pytest.approx(sum(DEFAULTS.values()), abs=1e-3)
    assert list(outcome.weights) == list(learn.SIGNALS)


@pytest.mark.parametrize("seed", range(10))
def test_random_answers_keep_the_defaults(seed):
    outcome = learn.learn(answers(liked_by=coin, seed=seed), DEFAULTS)
    assert not outcome.adopted, (outcome.held_out_learned, outcome.held_out_default, outcome.fold_gains)
    assert "did not beat" in outcome.reason or "do not favour" in outcome.reason


def test_answers_that_agree_with_the_defaults_do_not_replace_them():
    def like_the_defaults(signals, rng):
        weights = np.array([DEFAULTS[name] for name in learn.SIGNALS])
        return signals @ weights > np.median(signals @ weights)

    outcome = learn.learn(answers(liked_by=like_the_defaults), DEFAULTS)
    # Nothing to gain over weights that already order every pair right.
    assert not outcome.adopted
    assert outcome.held_out_default == pytest.approx(1.0)


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


def test_ordered_right_counts_ties_as_half():
    diffs = np.array([[1.0, 0, 0, 0, 0, 0], [-1.0, 0, 0, 0, 0, 0], [0.0, 0, 0, 0, 0, 0]])
    weights = np.array([1.0, 0, 0, 0, 0, 0])
    assert learn.ordered_right(diffs, weights) == pytest.approx(0.5)
    assert learn.ordered_right(np.zeros((0, 6)), weights) is None
