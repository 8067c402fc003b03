"""What came of an introduction counts as an answer about its pair of listings."""

import numpy as np
import pytest

from introductions.models import Outcome
from matching import answers, learn, services
from tests.factories import IntroductionFactory
from tests.matching.test_answers import _answer, _site

pytestmark = pytest.mark.django_db


def answered(found):
    pairs = zip(found.sources, found.targets, strict=True)
    rows = zip(pairs, found.labels.tolist(), found.strengths, strict=True)
    return {pair: (label, strength) for pair, label, strength in rows if label != learn.UNSEEN}


def outcome(introduction, side, result):
    return Outcome.objects.create(introduction=introduction, organisation=side, result=result)


def test_outcomes_make_an_introduction_a_strong_liked_a_liked_or_neutral():
    needs, close, far = _site(needs=4)
    services.rebuild(in_process=True)
    made = [
        IntroductionFactory(source_listing=need, target_listing=far[i], status="accepted")
        for i, need in enumerate(needs)
    ]
    # A contract (one side), talking, nothing from both, and no answer yet.
    outcome(made[0], made[0].to_organisation, "contract")
    outcome(made[0], made[0].from_organisation, "talking")
    outcome(made[1], made[1].from_organisation, "talking")
    outcome(made[2], made[2].from_organisation, "nothing")
    outcome(made[2], made[2].to_organisation, "nothing")
    # Nothing came of the third, but its match had been marked "interested": that stands.
    _answer([needs[3]], liked=[], disliked=[close[0]])
    _answer([needs[2]], liked=[close[1]], disliked=[])
    _record, model = services.current_model()
    found = answered(answers.collect_answers(model))
    assert found[(needs[0].ref, far[0].ref)] == (learn.LIKED, learn.STRONG)
    assert found[(needs[1].ref, far[1].ref)] == (learn.LIKED, 1.0)
    assert (needs[2].ref, far[2].ref) not in found  # neutral: not liked, not dismissed
    assert found[(needs[2].ref, close[1].ref)] == (learn.LIKED, 1.0)
    assert found[(needs[3].ref, far[3].ref)] == (learn.LIKED, 1.0)  # no answer yet
    assert found[(needs[3].ref, close[0].ref)] == (learn.DISMISSED, 1.0)


def test_an_introduction_about_none_of_the_askers_listings_teaches_nothing():
    needs, close, far = _site(needs=1)
    services.rebuild(in_process=True)
    introduction = IntroductionFactory(
        source_listing=None,
        from_organisation=needs[0].organisation,
        target_listing=far[0],
        status="accepted",
    )
    outcome(introduction, introduction.to_organisation, "bid_won")
    _record, model = services.current_model()
    assert answers.collect_answers(model).answered == 0


def test_a_strong_answer_weighs_more_in_the_fit():
    signals = np.array([[1.0, 0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0, 0], [0, 0, 1.0, 0, 0, 0]])
    labels = np.array([learn.LIKED, learn.DISMISSED, learn.UNSEEN])
    sources = ["a", "a", "a"]
    plain = learn._examples(signals, labels, sources, [0, 1, 2])
    strong = learn._examples(signals, labels, sources, [0, 1, 2], np.array([2.0, 1.0, 1.0]))
    assert plain[1].tolist() == [1.0, learn.UNSEEN_WEIGHT]
    assert strong[1].tolist() == [2.0, 2.0 * learn.UNSEEN_WEIGHT]
    assert np.array_equal(plain[0], strong[0])
