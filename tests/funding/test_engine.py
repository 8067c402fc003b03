"""The funding part of the matching engine: eligibility rules each way, then text ranking.
No database."""

import pytest

from matching.engine.funding import Call, Party, suggest_calls, why_not

HEAT = Party(
    text="Industrial heat pumps for drying lines",
    themes=frozenset({"energy-efficiency"}),
    clusters=frozenset({"humber"}),
    kinds=("business",),
)


def call(**fields) -> Call:
    return Call(**{"ref": "FC-1", "text": "Heat recovery and heat pumps", **fields})


def test_a_call_with_no_limits_suits_anyone():
    assert why_not(call(), HEAT) is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"kinds": frozenset({"university"})}, "kind of organisation not eligible"),
        ({"themes": frozenset({"hydrogen"})}, "no theme in common"),
        ({"clusters": frozenset({"teesside"})}, "not in the call's clusters"),
        ({"consortium": True}, "needs a consortium"),
    ],
)
def test_each_rule_can_rule_a_call_out(fields, reason):
    assert why_not(call(**fields), HEAT) == reason


@pytest.mark.parametrize(
    "fields",
    [
        {"kinds": frozenset({"business", "university"})},
        {"themes": frozenset({"energy-efficiency", "hydrogen"})},
        {"clusters": frozenset({"humber", "teesside"})},
    ],
)
def test_each_rule_lets_a_fitting_party_in(fields):
    assert why_not(call(**fields), HEAT) is None


def test_a_consortium_call_suits_two_organisations_when_one_may_lead():
    pair = Party(text="heat", themes=HEAT.themes, kinds=("business", "university"))
    consortium = call(consortium=True, kinds=frozenset({"university"}))
    assert why_not(consortium, pair) is None
    assert why_not(call(consortium=True), HEAT) == "needs a consortium"
    assert why_not(call(consortium=True, kinds=frozenset({"investor"})), pair) is not None


def test_a_party_that_names_no_cluster_does_not_fit_a_call_for_particular_clusters():
    nowhere = Party(text="heat", kinds=("business",))
    assert why_not(call(clusters=frozenset({"humber"})), nowhere) is not None
    assert why_not(call(), nowhere) is None


def test_suggestions_rank_eligible_calls_by_text_and_keep_to_the_limit():
    calls = [
        call(ref="hydrogen", text="Hydrogen fuel switching in refineries"),
        call(ref="heat", text="Industrial heat pumps for drying and heat recovery"),
        call(ref="not-eligible", text="Industrial heat pumps", kinds=frozenset({"investor"})),
        call(ref="skills", text="Training welders"),
    ]
    suggested = suggest_calls(calls, HEAT, limit=2)
    assert suggested[0].ref == "heat"
    assert len(suggested) == 2
    assert "not-eligible" not in {s.ref for s in suggest_calls(calls, HEAT, limit=10)}
    assert suggested[0].score > suggested[1].score


def test_shared_themes_are_the_reasons():
    suggested = suggest_calls([call(themes=frozenset({"energy-efficiency"}))], HEAT)
    assert suggested[0].reasons == ("Energy efficiency",)


def test_no_calls_or_no_words_give_no_error():
    assert suggest_calls([], HEAT) == []
    assert [s.score for s in suggest_calls([call(text="!")], Party(text="?"))] == [0.0]
