"""People's answers to suggestions, and the signal weights the matcher learns from them.

Answers: "Interested" (on the site or from a match email; older emails said "Useful") marks a
suggestion as liked, an accepted introduction too; "Not relevant" marks it as disliked. What
the two sides say came of an accepted introduction (its best outcome) adjusts that: a trial
or pilot, a contract, or a joint bid (submitted or won) makes it a strong "liked"
(learn.STRONG); "we are talking" leaves it liked; "nothing came of it" takes the
introduction's "liked" away, so the pair counts as whatever was answered on the match, or as
a candidate nobody judged. (Nothing is read as neutral, not as "not relevant": a partnership
can fail for reasons that have nothing to do with how well the listings fit.) An
introduction about none of the asker's listings pairs its target with nothing, so it teaches
the order of no listing's suggestions and is left out, outcome or not. `learn_weights()`
fits the weights of the engine's signals to them (matching/learn.py) and puts them in use
only when the guard lets it; the next fit (the nightly rebuild) then uses them.
"""

from __future__ import annotations

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import engine, learn
from .models import LearnedWeights, Match


def weights_in_use() -> LearnedWeights | None:
    """The learned weights the matcher fits with, or None for the defaults."""
    return LearnedWeights.objects.in_use()


# Outcomes of an introduction that make it a strong "liked" (see the module's docstring).
STRONG_OUTCOMES = {"trial", "contract", "bid_submitted", "bid_won"}
UNSEEN_DEPTH = 30  # an answered source's other candidates down to this rank go with its answers


def collect_answers(model: engine.Model) -> learn.Answers:
    """Every answered pair the model scores (both listings in it, one an offer and one not:
    a listing may have changed kind since), with its signals; and, for each
    answered source, its other candidates in the model's top 30, which nobody judged.

    One answer per pair; an accepted introduction counts as liked whatever the match says,
    strongly if its outcome was a trial, a contract or a bid, not at all if nothing came of it.
    """
    from introductions.models import Introduction, Outcome
    from introductions.services import best_outcomes

    found: dict[tuple[str, str], tuple[int, str, float]] = {}
    rows = Match.objects.exclude(status=Match.Status.NEW).values_list(
        "source_listing__ref",
        "source_challenge__ref",
        "source_listing__organisation__ref",
        "target__ref",
        "status",
    )
    for listing_ref, challenge_ref, organisation, target, status in rows.iterator(2000):
        source = listing_ref or challenge_ref
        label = learn.LIKED if status == Match.Status.INTERESTED else learn.DISMISSED
        # A challenge has no organisation: its answers come from programme staff.
        found[(source, target)] = (label, organisation or "programme", 1.0)
    accepted = Introduction.objects.accepted().filter(source_listing__isnull=False)
    best = best_outcomes(accepted)
    rows = accepted.values_list(
        "pk", "source_listing__ref", "target_listing__ref", "from_organisation__ref"
    )
    for pk, source, target, organisation in rows.iterator(2000):
        result = best.get(pk)
        if result == Outcome.Result.NOTHING:
            continue  # neutral: the match's own answer, if any, stands
        strength = learn.STRONG if result in STRONG_OUTCOMES else 1.0
        found[(source, target)] = (learn.LIKED, organisation, strength)
    pairs = sorted(
        (source, target, label, who, strength)
        for (source, target), (label, who, strength) in found.items()
        if engine.pairable(model, source, target)
    )
    answered = sorted({p[0] for p in pairs})
    if answered:
        for s in engine.suggest(model, answered, top=UNSEEN_DEPTH):
            if (s.source, s.target) not in found:
                pairs.append((s.source, s.target, learn.UNSEEN, "", 1.0))
    sources = [p[0] for p in pairs]
    targets = [p[1] for p in pairs]
    signals = engine.pair_signals(model, sources, targets) if pairs else np.zeros((0, 6))
    return learn.Answers(
        signals=signals,
        labels=np.array([p[2] for p in pairs], dtype=np.int64),
        sources=sources,
        organisations=[p[3] for p in pairs],
        targets=targets,
        strengths=[p[4] for p in pairs],
    )


def learn_weights() -> LearnedWeights:
    """Learn signal weights from the answers so far; put them in use if they pass the guard.

    Every attempt is recorded. Weights in use stay in use until an attempt is adopted.
    """
    from .services import current_model

    defaults = engine.DEFAULTS.signal_weights()
    now = timezone.now()
    current = current_model()
    if current is None:
        return LearnedWeights.objects.create(
            learned_at=now,
            defaults=defaults,
            reason="No matching model has been fitted yet, so there is nothing to learn from.",
        )
    _record, model = current
    outcome = learn.learn(collect_answers(model), defaults)
    # The attempt is saved first, on its own: it stays on record whatever happens next.
    row = LearnedWeights.objects.create(
        learned_at=now,
        answers=outcome.answers,
        organisations=outcome.organisations,
        sources=outcome.sources,
        weights=outcome.weights,
        defaults=outcome.defaults,
        held_out_learned=outcome.held_out_learned,
        held_out_default=outcome.held_out_default,
        fold_gains=outcome.fold_gains,
        adopted=outcome.adopted,
        reason=outcome.reason,
    )
    if outcome.adopted:
        _put_in_use(row)
    return row


def _put_in_use(row: LearnedWeights) -> None:
    """Make `row` the weights in use. Two runs at once (the nightly task and the command,
    say) would both find no row in use and both set theirs: the database's one-in-use rule
    refuses the second, which then tries again, now behind the first's lock."""
    for _ in range(3):
        try:
            with transaction.atomic():
                list(LearnedWeights.objects.select_for_update().filter(in_use=True))
                LearnedWeights.objects.filter(in_use=True).exclude(pk=row.pk).update(in_use=False)
                LearnedWeights.objects.filter(pk=row.pk).update(in_use=True)
            row.in_use = True
            return
        except IntegrityError:
            continue
    raise RuntimeError("Could not put the learned weights in use: another run kept taking over.")


@transaction.atomic
def return_to_defaults() -> int:
    """Stop using learned weights (from the next fit); returns how many rows were in use."""
    return LearnedWeights.objects.filter(in_use=True).update(in_use=False)


def default_weights() -> dict[str, float]:
    return engine.DEFAULTS.signal_weights()
