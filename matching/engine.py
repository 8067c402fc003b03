"""The partnership matcher: TF-IDF text similarity plus structured signals. No Django here.

Plain data in, plain data out, so that it can be tested and benchmarked alone.
INTERFACE ONLY: the implementation is being written (issue #4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ENGINE_VERSION = "tfidf-1"

# Score bands shown to people ("strong", "good", "possible"); see strength().
STRONG = 0.5
GOOD = 0.3


@dataclass(frozen=True)
class Doc:
    ref: str
    owner: str  # organisation ref: never matched with itself
    kind: str  # "offer", "need" or "challenge"
    title: str
    text: str  # the description
    themes: frozenset[str] = frozenset()
    clusters: frozenset[str] = frozenset()
    owner_kind: str = ""  # the owner's organisation kind: business, investor, university, ...
    partner_kind: str = "any"  # for needs: the kind of partner sought (any, business, ...)


@dataclass(frozen=True)
class Suggestion:
    source: str
    target: str
    score: float  # 0 to 1
    reasons: tuple[str, ...]  # words a person would read


class Model:
    """A fitted vocabulary and the vectors of every document it was fitted on."""

    version: str
    refs: list[str]

    def dumps(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def loads(cls, data: bytes) -> Model:
        raise NotImplementedError


def fit(docs: Sequence[Doc]) -> Model:
    raise NotImplementedError


def suggest(
    model: Model,
    sources: Sequence[str] | None = None,
    *,
    top: int = 10,
    blocked: Mapping[str, set[str]] | None = None,
) -> list[Suggestion]:
    raise NotImplementedError


def suggest_for(
    model: Model,
    doc: Doc,
    *,
    changed: Sequence[Doc] = (),
    removed: frozenset[str] = frozenset(),
    top: int = 10,
    reverse_top: int = 200,
    blocked: Mapping[str, set[str]] | None = None,
) -> tuple[list[Suggestion], list[Suggestion]]:
    raise NotImplementedError


def strength(score: float) -> str:
    """The score in words: "strong", "good" or "possible"."""
    if score >= STRONG:
        return "strong"
    if score >= GOOD:
        return "good"
    return "possible"
