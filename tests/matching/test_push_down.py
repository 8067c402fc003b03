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
    # A pushed score is the engine's less strength × likeness to the dismissed offer; the
    # list is in the order of the pushed scores, which is what the site stores and shows.
    scores = {(x.source, x.target): x.score for x in wide}
    for x in pushed:
        like = engine.text_likeness(model, [x.target], "A1")[0] if x.source == "N1" else 0.0
        assert x.score == pytest.approx(max(scores[(x.source, x.target)] - 0.5 * like, 0), abs=1e-4)
    n1 = [x.score for x in pushed if x.source == "N1"]
    assert n1 == sorted(n1, reverse=True)


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
    rows = {m.target_id: m for m in Match.objects.filter(source_key=Match.key_for(source))}
    assert rows[a1.pk].status == Match.Status.DISMISSED
    # The stored scores are the pushed ones: A2, nearly the same text as A1, lost about
    # PUSH_DOWN × its likeness; H1, unlike A1, lost little.
    record, model = services.current_model()
    engine_scores = {
        s.target: s.score for s in engine.suggest(model, [source.ref], top=10, blocked={})
    }
    likeness = engine.text_likeness(model, [a2.ref, h1.ref], a1.ref)
    assert rows[a2.pk].score == pytest.approx(
        engine_scores[a2.ref] - engine.PUSH_DOWN * likeness[0], abs=2e-4
    )
    assert rows[h1.pk].score == pytest.approx(
        engine_scores[h1.ref] - engine.PUSH_DOWN * likeness[1], abs=2e-4
    )
    # The other need keeps its list as the engine ranks it.
    assert ranked(other)[0] in (a1.pk, a2.pk)


@pytest.mark.django_db
def test_stored_ranks_follow_the_pushed_order():
    """A push strong enough to swap two offers: the ranks stored are the pushed ones."""
    text = AMINE + " and a hydrogen burner trial"
    source = ListingFactory(kind="need", title="Capture CO2 from our cement kiln", description=text)
    a1 = ListingFactory(kind="offer", title="Amine carbon capture pilot", description=AMINE)
    ListingFactory(
        kind="offer", title="Amine capture plant for kilns", description=AMINE + " reclaiming"
    )
    ListingFactory(
        kind="offer", title="Hydrogen burner trial for kilns", description="Hydrogen burner trial"
    )
    services.rebuild(in_process=True)
    record, model = services.current_model()
    wide = engine.suggest(model, [source.ref], top=6, blocked={source.organisation.ref: {a1.ref}})
    pushed = engine.push_down(model, wide, {source.ref: [a1.ref]}, top=6, strength=0.5)
    assert [s.target for s in pushed] != [s.target for s in wide]  # the push changed the order
    services.store_suggestions(pushed, [source.ref], record.version)
    ranked = list(
        Match.objects.filter(source_key=Match.key_for(source), rank__isnull=False)
        .order_by("rank")
        .values_list("target__ref", flat=True)
    )
    assert ranked == [s.target for s in pushed]
