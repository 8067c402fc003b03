"""The partnership matcher: TF-IDF text similarity plus structured signals. No Django here.

Plain data in, plain data out, so that it can be tested and benchmarked alone. The package's
parts: documents.py (Doc, Suggestion, theme names), text.py (tokens, stop words, stemmer),
vocabulary.py (the domain vocabulary of matching/vocabulary.txt and the term counter),
settings.py (Settings: every number that shapes a score), model.py (fit, Model), ranking.py
(suggest: the exact top pairs of a whole model, and suggest_columns: the same as columns, for
a rebuild that stores them all; suggest_need_chunk and merge_offer_candidates:
the same shared by several workers as a map-reduce), reasons.py (why a pair matches), single.py
(suggest_for: one new listing), signals.py (pair_signals: a pair's unweighted signals),
feedback.py (push_down: offers like a dismissed one move down for that source) and memory.py
(numpy's huge-page hint, turned off when the package is imported).

How a pair is scored
--------------------
Every document becomes one sparse vector. A need or a challenge (a "source side" document)
carries the weights of its model's Settings (settings.py); an offer (the "target side")
carries plain unit vectors, so that the score of a need/offer pair is ONE dot product::

    score = w_text      * cosine(TF-IDF text of need, of offer)
          + w_topics    * cosine(latent topics of the two texts: LSA, `topics` dimensions)
          + w_themes    * cosine(themes of need, themes of offer)
          + w_clusters  * cosine(clusters of need, clusters of offer)
          + w_partner   * partner fit (1 if the offer's organisation is the kind the need asks
                          for, any_partner_fit if the need says "any", 0 otherwise)
          + w_challenge * (1 if the offer answers that challenge; shared_challenge_fit if a
                          need and an offer answer the same one)

pair_signals() gives the six values a pair's score weighs, for learning the weights.

The weights add up to 1, so a score lies between 0 and 1 (a topic cosine can be negative; the
score shown is clipped at 0). The same pairwise score ranks offers for a need and needs for an
offer ("a match must make sense to both sides").

The text is TF-IDF (sublinear term frequency, smooth idf, unit length) over the title (counted
title_weight times), the description and the names of the themes, with a light English stemmer
and the domain vocabulary in matching/vocabulary.txt: a listing that says "CCS" also gets the
term "carbon capture", one that says "kiln" also gets "cement and lime". The latent topics are
a truncated SVD of those TF-IDF vectors: two listings can share a topic without sharing a word.

Exact arithmetic
----------------
Vector weights are rounded to integers (settings.quant levels per unit), so every dot product
is a sum of integers below 2**24, which float32 represents exactly whatever the order of
summation. A score therefore does not depend on how a rebuild is split into blocks, tiles,
threads or chunks, nor on BLAS or sparse kernels: chunks give exactly what one call gives,
and suggest_for() agrees with suggest() (the same code vectorises a listing in both).
Rounding moves a cosine by about 1e-3 at most.

Speed
-----
suggest() scores blocks of needs against tiles of offers: the busiest feature columns (topics,
themes, clusters, common words) through one float32 BLAS product, the rest through a sparse
product, on ranking.THREADS threads; each block's candidates for both directions are kept
with floors that only rise (the k-th best segment maxima), then the exact top `top` is chosen. See
docs/benchmarks.md for the figures.
"""

from .documents import THEME_LABELS, THEME_NAMES, Doc, Suggestion
from .feedback import PUSH_DOWN, push_down, text_likeness
from .memory import no_huge_pages
from .model import ENGINE_VERSION, Model, fit
from .ranking import (
    THREADS,
    OfferCandidates,
    Ranked,
    chunk_sources,
    merge_offer_candidates,
    need_chunk,
    offer_refs,
    offer_suggestions,
    suggest,
    suggest_columns,
    suggest_need_chunk,
)
from .settings import DEFAULTS, SIGNALS, Settings, strength
from .signals import pair_signals, pairable
from .single import suggest_for
from .text import STOP_WORDS, stem
from .vocabulary import VOCABULARY_FILE, Vocabulary, vocabulary

no_huge_pages()  # see memory.py: twice as fast a ranking on a fragmented machine

# The default score bands and floor (a fitted model's own are in model.settings).
STRONG = DEFAULTS.strong
GOOD = DEFAULTS.good
MIN_SCORE = DEFAULTS.min_score

__all__ = [
    "DEFAULTS",
    "ENGINE_VERSION",
    "PUSH_DOWN",
    "GOOD",
    "MIN_SCORE",
    "SIGNALS",
    "STOP_WORDS",
    "STRONG",
    "THEME_LABELS",
    "THEME_NAMES",
    "THREADS",
    "VOCABULARY_FILE",
    "Doc",
    "Model",
    "OfferCandidates",
    "Ranked",
    "Settings",
    "Suggestion",
    "Vocabulary",
    "chunk_sources",
    "fit",
    "merge_offer_candidates",
    "need_chunk",
    "offer_refs",
    "offer_suggestions",
    "pair_signals",
    "pairable",
    "push_down",
    "stem",
    "strength",
    "suggest",
    "suggest_columns",
    "suggest_for",
    "suggest_need_chunk",
    "text_likeness",
    "vocabulary",
]
