"""A "not relevant" pushes down offers like the dismissed one, for that source only."""

import pytest

from matching import engine, services
from matching.engine import Doc
from matching.models import Match, MatchingWork
from tests.factories import ListingFactory


def offer(ref, owner, title, text=""):
    return Doc(ref=ref, owner=owner, kind="offer", title=title, text=text)


def need(ref, owner, title, text=""):
    return Doc(ref=ref, owner=owner, kind="need", title=title, text=text)


AMINE = "Amine solvent carbon capture pilot plant for flue gas from cement kilns"
DOCS = [
    need("N1", "o1", "Capture CO2 from our cement kiln", AMINE + " and a hydrogen burner trial"),
    need("N2", "o2", "Capture CO2 from our cement kiln", AMINE + " and a hydrogen burner trial"),
    offer("A1", "o3", "Amine carbon capture pilot", AMINE),
    offer("A2", "o4", "Amine capture plant for kilns", AMINE + " with solvent reclaiming"),
    offer("H1", "o5", "Hydrogen burner trial for kilns", "Hydrogen burner trial on a cement kiln"),
    offer("X1", "o6", "Office furniture", "Desks and chairs for offices"),
]


@pytest.fixture(scope="module")
def model():
    return engine.fit(DOCS)


def test_likeness_is_the_text_cosine(model):
    same = engine.text_likeness(model, ["A1", "H1", "X1", "not-in-model"], "A1")
    assert same[0] == pytest.approx(1.0, abs=1e-3)
    assert 0 < same[1] < same[0]
    assert same[2] == pytest.approx(0.0, abs=1e-6)
    assert same[3] == 0.0  # a listing saved since the fit has no likeness yet


def test_a_dismissal_pushes_down_offers_like_it_for_that_source_only(model):
    before = engine.suggest(model, ["N1", "N2"], top=3)
    order = {s: [x.target for x in before if x.source == s] for s in ("N1", "N2")}
    assert order["N1"][:2] == ["A1", "A2"] or order["N1"][:2] == ["A2", "A1"]
    # N1's owner says A1 is not relevant: it is blocked, and A2 (much like it) goes down.
    blocked = {"o1": {"A1"}}
    wide = engine.suggest(model, ["N1", "N2"], top=6, blocked=blocked)
    pushed = engine.push_down(model, wide, {"N1": ["A1"]}, top=3, strength=0.5)
    after = {s: [x.target for x in pushed if x.source == s] for s in ("N1", "N2")}
    assert after["N1"][0] == "H1"
    assert after["N1"].index("A2") > after["N1"].index("H1")
    # N2 said nothing: its list is the engine's, unchanged and cut to 3.
    assert after["N2"] == [x.target for x in wide if x.source == "N2"][:3]
    # Scores are the engine's; only the order changes.
    scores = {(x.source, x.target): x.score for x in wide}
    assert all(scores[(x.source, x.target)] == x.score for x in pushed)


def test_no_strength_or_no_dismissal_changes_nothing(model):
    wide = engine.suggest(model, ["N1", "N2"], top=6)
    assert engine.push_down(model, wide, {}, top=6) == wide
    assert engine.push_down(model, wide, {"N1": ["A1"]}, top=6, strength=0) == wide


@pytest.mark.django_db
def test_not_relevant_on_the_site_reworks_the_list_of_that_listing():
    text = AMINE + " and a hydrogen burner trial"
    source = ListingFactory(kind="need", title="Capture CO2 from our cement kiln", description=text)
    other = ListingFactory(kind="need", title="Capture CO2 from our cement kiln", description=text)
    a1 = ListingFactory(kind="offer", title="Amine carbon capture pilot", description=AMINE)
    a2 = ListingFactory(
        kind="offer", title="Amine capture plant for kilns", description=AMINE + " reclaiming"
    )
    h1 = ListingFactory(
        kind="offer", title="Hydrogen burner trial for kilns", description="Hydrogen burner trial"
    )
    services.rebuild(in_process=True)

    def ranked(listing):
        rows = Match.objects.filter(source_key=Match.key_for(listing), rank__isnull=False)
        return list(rows.order_by("rank").values_list("target_id", flat=True))

    assert ranked(source)[:2] in ([a1.pk, a2.pk], [a2.pk, a1.pk])
    dismissed = Match.objects.get(source_key=Match.key_for(source), target=a1)
    services.set_match_status(dismissed, Match.Status.DISMISSED)
    work = MatchingWork.objects.get(kind="listing", object_id=source.pk, state="pending")
    assert services.run_work(work.pk, in_process=True)
    strength = engine.PUSH_DOWN
    rows = {m.target_id: m for m in Match.objects.filter(source_key=Match.key_for(source))}
    assert rows[a1.pk].status == Match.Status.DISMISSED
    # A2 is pushed down only if its lead over H1 is smaller than the push; either way the
    # order follows score − strength × likeness.
    likeness = dict(
        zip(
            [a2.ref, h1.ref],
            engine.text_likeness(services.current_model()[1], [a2.ref, h1.ref], a1.ref),
            strict=True,
        )
    )
    adjusted = {
        a2.pk: rows[a2.pk].score - strength * likeness[a2.ref],
        h1.pk: rows[h1.pk].score - strength * likeness[h1.ref],
    }
    expected = sorted(adjusted, key=lambda pk: -adjusted[pk])
    assert [pk for pk in ranked(source) if pk in adjusted] == expected
    # The other need keeps its list as the engine ranks it.
    assert ranked(other)[0] in (a1.pk, a2.pk)
