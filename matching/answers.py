"""People's answers to suggestions, and the signal weights the matcher learns from them.

Answers: "Interested" (on the site) and "Useful" (from a match email) mark a suggestion as
liked, an accepted introduction too; "Not relevant" marks it as disliked. `learn_weights()`
fits the weights of the engine's signals to them (matching/learn.py) and puts them in use
only when the guard lets it; the next fit (the nightly rebuild) then uses them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from . import engine, learn
from .models import LearnedWeights, Match


def weights_in_use() -> LearnedWeights | None:
    """The learned weights the matcher fits with, or None for the defaults."""
    return LearnedWeights.objects.filter(in_use=True).first()


def current_settings() -> engine.Settings:
    """The engine settings a new fit uses: the defaults, with learned weights if in use."""
    row = weights_in_use()
    if row is None:
        return engine.DEFAULTS
    return engine.DEFAULTS.with_signal_weights(row.weights)


def collect_answers(model: engine.Model) -> learn.Answers:
    """Every answered pair whose two listings are in `model`, with its signals.

    One answer per pair; an accepted introduction counts as liked whatever the match says.
    """
    from introductions.models import Introduction

    found: dict[tuple[str, str], tuple[bool, str]] = {}
    rows = Match.objects.exclude(status=Match.Status.NEW).values_list(
        "source_listing__ref",
        "source_challenge__ref",
        "source_listing__organisation__ref",
        "target__ref",
        "status",
    )
    for listing_ref, challenge_ref, organisation, target, status in rows.iterator(2000):
        source = listing_ref or challenge_ref
        # A challenge has no organisation: its answers come from programme staff.
        who = organisation or "programme"
        found[(source, target)] = (status == Match.Status.INTERESTED, who)
    accepted = Introduction.objects.filter(status=Introduction.Status.ACCEPTED).values_list(
        "source_listing__ref", "target_listing__ref", "from_organisation__ref"
    )
    for source, target, organisation in accepted.iterator(2000):
        if source and target:
            found[(source, target)] = (True, organisation)
    pairs = sorted(
        (source, target, liked, who)
        for (source, target), (liked, who) in found.items()
        if source in model.index and target in model.index
    )
    sources = [p[0] for p in pairs]
    targets = [p[1] for p in pairs]
    signals = engine.pair_signals(model, sources, targets) if pairs else None
    return learn.Answers(
        signals=signals if signals is not None else _no_signals(),
        liked=[p[2] for p in pairs],
        sources=sources,
        organisations=[p[3] for p in pairs],
        targets=targets,
    )


def _no_signals():
    import numpy as np

    return np.zeros((0, len(learn.SIGNALS)))


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
    with transaction.atomic():
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
            LearnedWeights.objects.filter(in_use=True).update(in_use=False)
            row.in_use = True
            row.save(update_fields=["in_use"])
    return row


@transaction.atomic
def return_to_defaults() -> int:
    """Stop using learned weights (from the next fit); returns how many rows were in use."""
    return LearnedWeights.objects.filter(in_use=True).update(in_use=False)


def default_weights() -> dict[str, float]:
    return engine.DEFAULTS.signal_weights()
