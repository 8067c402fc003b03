"""What a person's "not relevant" does to the rest of a list: offers like the dismissed one
move down for that source, not only the one pair.

A target's likeness to a dismissed target is the cosine of their TF-IDF text vectors (read
from the model). Its score for that source loses `strength` times its greatest likeness to
any target the source dismissed; the list is then re-ordered and cut to `top`, and the
pushed score is the one stored and shown for that source. The strength
was chosen under cross-validation of the dev set (benchmarks/match_feedback.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from .documents import Suggestion
from .model import Model

PUSH_DOWN = 0.05  # score lost by a target identical in words to a dismissed one


def _text_rows(model: Model, refs: Sequence[str]):
    rows = [model.index.get(ref, -1) for ref in refs]
    known = np.array([r >= 0 for r in rows], dtype=bool)
    text = model.matrix[[max(r, 0) for r in rows]][:, : model.n_text].astype(np.float64)
    text = text.multiply(known[:, None]).tocsr()  # a listing the model has not seen: no likeness
    norms = np.sqrt(np.asarray(text.multiply(text).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return text.multiply(1.0 / norms[:, None]).tocsr()


def text_likeness(model: Model, refs: Sequence[str], other: str) -> np.ndarray:
    """The text cosine of each of `refs` with `other` (0 to 1; 0 for a ref not in the model,
    such as a listing saved since the fit)."""
    if not refs:
        return np.zeros(0)
    many = _text_rows(model, refs)
    one = _text_rows(model, [other])
    return np.asarray((many @ one.T).toarray()).ravel()


def push_down(
    model: Model,
    suggestions: Sequence[Suggestion],
    dismissed: Mapping[str, Sequence[str]],
    *,
    top: int,
    strength: float = PUSH_DOWN,
) -> list[Suggestion]:
    """`suggestions` (grouped by source, best first) with each source's targets pushed down
    by their likeness to what that source dismissed, re-ordered and cut to `top` per source.

    Pass more than `top` suggestions for the sources in `dismissed` (the engine's top 2 x
    `top`, say), so that the list refills from below. A dismissed target itself must already
    be left out (the engine's `blocked`). Sources with no dismissal keep their list as it is.
    The scores returned are the pushed ones (rounded like the engine's, never below 0), so
    that whatever stores or sorts them keeps the pushed order.
    """
    out: list[Suggestion] = []
    group: list[Suggestion] = []

    def flush():
        if not group:
            return
        source = group[0].source
        gone = [ref for ref in dismissed.get(source, ()) if ref in model.index]
        # (A dismissed listing the model has not seen pushes nothing down.)
        if not gone or strength <= 0:
            out.extend(group[:top])
            return
        targets = [s.target for s in group]
        likeness = np.max(np.vstack([text_likeness(model, targets, ref) for ref in gone]), axis=0)
        adjusted = [
            round(max(s.score - strength * like, 0.0), 4)
            for s, like in zip(group, likeness.tolist(), strict=True)
        ]
        order = sorted(range(len(group)), key=lambda i: (-adjusted[i], group[i].target))
        out.extend(dataclasses.replace(group[i], score=adjusted[i]) for i in order[:top])

    for s in suggestions:
        if group and s.source != group[0].source:
            flush()
            group = []
        group.append(s)
    flush()
    return out
