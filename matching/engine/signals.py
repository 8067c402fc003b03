"""The six signals of a pair, unweighted: what learning the signal weights works from."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .documents import _CHALLENGE, _OFFER
from .model import Model
from .settings import SIGNALS


def _set_cosine(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def pairable(model: Model, source: str, target: str) -> bool:
    """Whether the engine scores this pair: both in the model, one an offer and one not (a
    listing may have changed kind since it was answered)."""
    a, b = model.index.get(source), model.index.get(target)
    if a is None or b is None:
        return False
    return (model.kinds[a] == _OFFER) != (model.kinds[b] == _OFFER)


def pair_signals(model: Model, sources: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """The unweighted signals of each (sources[i], targets[i]) pair: an array n x 6, columns
    in the order of SIGNALS (text, topics, themes, clusters, partner, challenge).

    text and topics are the cosines of the two listings' TF-IDF and topic vectors; themes and
    clusters the cosines of their sets; partner is 1 if the offering organisation is the kind
    the need asks for, settings.any_partner_fit if it asks for "any", else 0; challenge is 1
    if the offer answers this challenge, settings.shared_challenge_fit if need and offer
    answer the same challenge, else 0. So that `signals @ weights` (the model's
    settings.signal_weights(), in that order) is the engine's score of the pair, up to the
    rounding of weights (about 1e-3) and before the score is clipped at 0.

    One side of each pair must be an offer, the other a need or a challenge (the weighted
    side, whichever is the source). The text and topic signals are read from the model's
    vectors, which hold weight x value on the need side: where the model's weight for one of
    them is 0, that signal cannot be read and is 0.
    """
    if len(sources) != len(targets):
        raise ValueError("sources and targets must have the same length")
    n = len(sources)
    out = np.zeros((n, len(SIGNALS)), dtype=np.float64)
    if not n:
        return out
    rows = np.empty(n, dtype=np.int64)  # the need or challenge of each pair
    cols = np.empty(n, dtype=np.int64)  # the offer
    for i, (source, target) in enumerate(zip(sources, targets, strict=True)):
        for ref in (source, target):
            if ref not in model.index:
                raise KeyError(f"{ref!r} is not in the model")
        a, b = model.index[source], model.index[target]
        if (model.kinds[a] == _OFFER) == (model.kinds[b] == _OFFER):
            raise ValueError(f"{source!r} and {target!r}: one must be an offer, one not")
        rows[i], cols[i] = (b, a) if model.kinds[a] == _OFFER else (a, b)

    s = model.settings
    unit = float(s.quant) * float(s.quant)
    product = model.matrix[rows].multiply(model.matrix[cols]).tocsr()
    pair = np.repeat(np.arange(n), np.diff(product.indptr))
    columns = product.indices
    data = product.data.astype(np.float64)
    text = columns < model.n_text
    if s.w_text > 0:
        out[:, 0] = np.bincount(pair[text], weights=data[text], minlength=n) / (s.w_text * unit)
    n_topics = model.topics.shape[0]
    if n_topics and s.w_topics > 0:
        first = model.feature_index["topic:0"]
        topic = (columns >= first) & (columns < first + n_topics)
        out[:, 1] = np.bincount(pair[topic], weights=data[topic], minlength=n) / (s.w_topics * unit)

    fi = model.feature_index
    for i, (r, c) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        out[i, 2] = _set_cosine(model.themes[r], model.themes[c])
        out[i, 3] = _set_cosine(model.clusters[r], model.clusters[c])
        wanted, offered = model.partner_kinds[r] or "any", model.owner_kinds[c]
        if wanted == "any":
            out[i, 4] = s.any_partner_fit
        elif wanted == offered and f"kind:{offered}" in fi:
            out[i, 4] = 1.0
        answers = model.challenges[c]
        if model.kinds[r] == _CHALLENGE:
            out[i, 5] = 1.0 if answers and answers == model.refs[r] else 0.0
        elif answers and answers == model.challenges[r] and f"challenge:{answers}" in fi:
            out[i, 5] = s.shared_challenge_fit
    return out
