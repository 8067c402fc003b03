"""Funding calls for a listing or a pair of organisations: eligibility first, then text.

Plain data in, plain data out. A `Party` is whoever would bid: one organisation (a listing's)
or two (the sides of an accepted introduction). A call suits a party when every rule of
`why_not` passes; the suitable calls are then ranked by the TF-IDF cosine of the call's text
with the party's, fitted on just those few texts (a handful of open calls: well under a
millisecond, so no stored model is needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer

from .documents import THEME_LABELS
from .text import _analyse_words


@dataclass(frozen=True)
class Call:
    ref: str
    text: str  # name and description
    themes: frozenset[str] = frozenset()  # empty: any theme
    clusters: frozenset[str] = frozenset()  # empty: any cluster
    kinds: frozenset[str] = frozenset()  # organisation kinds that may bid; empty: any kind
    consortium: bool = False  # bids need two or more partners


@dataclass(frozen=True)
class Party:
    text: str
    themes: frozenset[str] = frozenset()
    clusters: frozenset[str] = frozenset()  # where the party works (listing and organisations)
    kinds: tuple[str, ...] = ()  # one kind per organisation in the party


@dataclass(frozen=True)
class CallSuggestion:
    ref: str
    score: float  # 0 to 1: text likeness
    reasons: tuple[str, ...]  # words a person would read


def why_not(call: Call, party: Party) -> str | None:
    """Why the party cannot bid for the call, in words; None if it can.

    - kind: at least one of the party's organisations is of a kind the call accepts (it can
      lead the bid);
    - themes: the call has no themes, or shares one with the party;
    - clusters: the call is for any cluster, or for one where the party works (a party that
      names no cluster does not fit a call for particular clusters);
    - consortium: a call that needs a consortium suits two organisations, never one alone.
    """
    if call.kinds and not call.kinds.intersection(party.kinds):
        return "kind of organisation not eligible"
    if call.themes and not call.themes & party.themes:
        return "no theme in common"
    if call.clusters and not call.clusters & party.clusters:
        return "not in the call's clusters"
    if call.consortium and len(party.kinds) < 2:
        return "needs a consortium"
    return None


def suggest_calls(calls: Sequence[Call], party: Party, *, limit: int = 3) -> list[CallSuggestion]:
    """The `limit` best calls the party is eligible for, best first.

    Deterministic: equal scores keep the order of `calls` (the caller sorts by deadline).
    """
    eligible = [call for call in calls if why_not(call, party) is None]
    if not eligible or limit <= 0:
        return []
    scores = _likeness([call.text for call in eligible], party.text)
    ranked = sorted(range(len(eligible)), key=lambda i: -scores[i])[:limit]
    return [
        CallSuggestion(
            ref=eligible[i].ref,
            score=round(scores[i], 4),
            reasons=tuple(
                THEME_LABELS.get(t, t) for t in sorted(eligible[i].themes & party.themes)
            ),
        )
        for i in ranked
    ]


def _likeness(texts: list[str], text: str) -> list[float]:
    """Cosine of each text's TF-IDF vector with `text`'s (the vectoriser fitted on all)."""
    vectoriser = TfidfVectorizer(analyzer=_analyse_words, sublinear_tf=True)
    try:
        matrix = vectoriser.fit_transform([*texts, text])
    except ValueError:  # no words at all in any text
        return [0.0] * len(texts)
    products = (matrix[:-1] @ matrix[-1].T).toarray().ravel()
    return [float(p) for p in products]
