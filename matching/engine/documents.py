"""The engine's plain data: documents in, suggestions out, and the names of the themes."""

from __future__ import annotations

from dataclasses import dataclass

THEME_NAMES = {
    "ccus": "carbon capture, usage and storage",
    "hydrogen": "hydrogen and low-carbon fuels",
    "bioenergy": "bioenergy",
    "clean-electricity": "clean power and electrification",
    "energy-efficiency": "energy and resource efficiency, heat recovery",
    "infrastructure": "shared pipelines, storage, networks",
    "digital": "data, monitoring, control",
    "finance": "investment and funding",
    "skills": "workforce and training",
}

# Themes in "why this match" ("theme: Clean electricity"): the site's own names of the
# themes (clusters.reference.THEMES), so a reason reads as the filters and tags do.
THEME_LABELS = {
    "ccus": "Carbon capture, usage and storage",
    "hydrogen": "Hydrogen and low-carbon fuels",
    "bioenergy": "Bioenergy",
    "clean-electricity": "Clean electricity",
    "energy-efficiency": "Energy efficiency",
    "infrastructure": "Infrastructure",
    "digital": "Digital",
    "finance": "Finance",
    "skills": "Skills",
}

_SOURCE_KINDS = ("need", "challenge")
_NEED, _CHALLENGE, _OFFER = 0, 1, 2
_KIND_CODES = {"need": _NEED, "challenge": _CHALLENGE, "offer": _OFFER}


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
    challenge: str = ""  # the challenge ref this listing answers, if any


@dataclass(frozen=True)
class Suggestion:
    source: str
    target: str
    score: float  # 0 to 1
    reasons: tuple[str, ...]  # words a person would read


def _check_doc(doc: Doc) -> None:
    if doc.kind not in _KIND_CODES:
        raise ValueError(f"{doc.ref}: kind must be offer, need or challenge, not {doc.kind!r}")
