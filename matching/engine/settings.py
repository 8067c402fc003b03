"""Every number that shapes a score, a reason or a band: one frozen Settings object.

fit(docs, settings) keeps the settings in the model (model.settings); everything after the fit
(suggest, suggest_for, reasons, pair_signals) reads them there, never from module globals. A
model's version hashes them (with the vocabulary text), so changing one marks every stored
model and match as old. Speed settings (threads, block sizes, in ranking.py) are not here:
they never change a result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

# The six signals of a pair's score, in the order of Settings.signal_weights() and of the
# columns of pair_signals().
SIGNALS = ("text", "topics", "themes", "clusters", "partner", "challenge")


@dataclass(frozen=True)
class Settings:
    # Signal weights: a pair's score is their weighted sum (see the package docstring).
    w_text: float = 0.72  # cosine of the TF-IDF text vectors
    w_topics: float = 0.09  # cosine of the texts' latent topics (LSA, see topics)
    w_themes: float = 0.04  # cosine of the theme sets (a need about hydrogen, an offer too)
    w_clusters: float = 0.03  # cosine of the cluster sets (both active in Humber)
    w_partner: float = 0.07  # the offering organisation is the kind of partner the need asks for
    w_challenge: float = 0.05  # the offer was posted in answer to this challenge
    any_partner_fit: float = 0.5  # partner fit when the need asks for "any" kind (no preference)
    shared_challenge_fit: float = 0.5  # a need and an offer posted in answer to the same challenge

    # Field weights: keep them multiples of 1/8, so that counts add up exactly in any order.
    title_weight: float = 2.0  # a word in the title counts as this many words of the description
    theme_text_weight: float = 1.0  # the words of each theme's name, added to the text
    cluster_text_weight: float = 0.0  # the words of each cluster's name, added to the text
    concept_weight: float = 1.0  # a vocabulary concept ("carbon capture") against one word
    stemming: bool = True  # fold plurals and -ed/-ing endings ("capturing" = "capture")
    topics: int = 12  # latent topics (dimensions of the LSA); a handful, like the themes
    topic_sample: int = 20_000  # the topics are fitted on at most this many documents
    min_df: int = 1  # a term must occur in at least this many documents to enter the vocabulary

    # Score bands shown to people; see strength(). Calibrated on the public dev set's human
    # judgements (benchmarks/match_quality.py): of the suggestions scoring `strong` or more,
    # about 4 in 5 were judged a strong fit (someone would want an introduction) and 19 in 20
    # relevant; from `good`, two thirds were relevant. Below `good`, "possible": one in five.
    strong: float = 0.35
    good: float = 0.26
    min_score: float = 0.12  # never suggested below: little shared beyond a theme or a cluster

    max_reasons: int = 4  # reasons shown with a suggestion
    max_text_reasons: int = 3  # of which terms of the text
    quant: int = 2896  # integer levels per unit weight: quant**2 * 2 < 2**24 keeps float32 exact

    # Another vocabulary file than matching/vocabulary.txt (benchmarks); "" is the shipped one.
    vocabulary_file: str = ""

    def signal_weights(self) -> dict[str, float]:
        """The six signal weights, by signal name (the order of pair_signals' columns)."""
        return {name: getattr(self, f"w_{name}") for name in SIGNALS}

    def with_signal_weights(self, weights: Mapping[str, float]) -> Settings:
        """The same settings with (some of) the six signal weights replaced."""
        unknown = set(weights) - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown signals: {sorted(unknown)}")
        return dataclasses.replace(self, **{f"w_{k}": float(v) for k, v in weights.items()})

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> Settings:
        """Settings saved with as_dict(); fields added since take their defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


DEFAULTS = Settings()


def strength(score: float, settings: Settings = DEFAULTS) -> str:
    """The score in words: "strong", "good" or "possible"."""
    if score >= settings.strong:
        return "strong"
    if score >= settings.good:
        return "good"
    return "possible"
