"""The partnership matcher: TF-IDF text similarity plus structured signals. No Django here.

Plain data in, plain data out, so that it can be tested and benchmarked alone.

How a pair is scored
--------------------
Every document becomes one sparse vector. A need or a challenge (a "source side" document)
carries the weights below; an offer (the "target side") carries plain unit vectors, so that the
score of a need/offer pair is ONE dot product::

    score = W_TEXT      * cosine(TF-IDF text of need, of offer)
          + W_TOPICS    * cosine(latent topics of the two texts: LSA, TOPICS dimensions)
          + W_THEMES    * cosine(themes of need, themes of offer)
          + W_CLUSTERS  * cosine(clusters of need, clusters of offer)
          + W_PARTNER   * partner fit (1 if the offer's organisation is the kind the need asks
                          for, ANY_PARTNER_FIT if the need says "any", 0 otherwise)
          + W_CHALLENGE * (1 if the offer answers that challenge; SHARED_CHALLENGE_FIT if a
                          need and an offer answer the same one)

The weights add up to 1, so a score lies between 0 and 1 (a topic cosine can be negative; the
score shown is clipped at 0). The same pairwise score ranks offers for a need and needs for an
offer ("a match must make sense to both sides").

The text is TF-IDF (sublinear term frequency, smooth idf, unit length) over the title (counted
TITLE_WEIGHT times), the description and the names of the themes, with a light English stemmer
and the domain vocabulary in matching/vocabulary.txt: a listing that says "CCS" also gets the
term "carbon capture", one that says "kiln" also gets "cement and lime". The latent topics are
a truncated SVD of those TF-IDF vectors: two listings can share a topic without sharing a word.

Exact arithmetic
----------------
Vector weights are rounded to integers (QUANT levels per unit), so every dot product is a sum of
integers below 2**24, which float32 represents exactly whatever the order of summation. A
score therefore does not depend on how a rebuild is split into blocks, tiles, threads or chunks,
nor on BLAS or sparse kernels: chunks give exactly what one call gives, and suggest_for()
agrees with suggest() (the same code vectorises a listing in both). Rounding moves a cosine by
about 1e-3 at most.

Speed
-----
suggest() scores blocks of needs against tiles of offers: the busiest feature columns (topics,
themes, clusters, common words) through one float32 BLAS product, the rest through a sparse
product, on THREADS threads; each block's candidates for both directions are kept with floors
that only rise (the k-th best segment maxima), then the exact top `top` is chosen. See
docs/benchmarks.md for the figures.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import os
import re
import threading
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ENGINE_VERSION = "tfidf-1"

# ---------------------------------------------------------------------------------------------
# Weights: every number that shapes a score lives here.
# ---------------------------------------------------------------------------------------------
W_TEXT = 0.72  # cosine of the TF-IDF text vectors
W_TOPICS = 0.09  # cosine of the texts' latent topics (LSA, see TOPICS)
W_THEMES = 0.04  # cosine of the theme sets (a need about hydrogen, an offer about hydrogen)
W_CLUSTERS = 0.03  # cosine of the cluster sets (both active in Humber)
W_PARTNER = 0.07  # the offering organisation is the kind of partner the need asks for
W_CHALLENGE = 0.05  # the offer was posted in answer to this challenge
ANY_PARTNER_FIT = 0.5  # partner fit when the need asks for "any" kind of partner (no preference)
SHARED_CHALLENGE_FIT = 0.5  # a need and an offer posted in answer to the same challenge

# Field weights: keep them multiples of 1/8, so that counts add up exactly in any order.
TITLE_WEIGHT = 2.0  # a word in the title counts as this many words of the description
THEME_TEXT_WEIGHT = 1.0  # the words of each theme's name, added to the text
CLUSTER_TEXT_WEIGHT = 0.0  # the words of each cluster's name, added to the text
CONCEPT_WEIGHT = 1.0  # a vocabulary concept ("carbon capture") against one word of text
STEMMING = True  # fold plurals and -ed/-ing endings ("capturing" = "capture")
TOPICS = 12  # latent topics (dimensions of the LSA); a handful, like the themes
TOPIC_SAMPLE = 20_000  # the topics are fitted on at most this many documents
MIN_DF = 1  # a term must occur in at least this many documents to enter the vocabulary

# Score bands shown to people; see strength(). Calibrated on the public dev set's human
# judgements (benchmarks/match_quality.py): of the suggestions scoring STRONG or more, about 4
# in 5 were judged a strong fit (someone would want an introduction) and 19 in 20 relevant;
# from GOOD, two thirds were relevant. Below GOOD, "possible": one in five.
STRONG = 0.35
GOOD = 0.26
MIN_SCORE = 0.12  # never suggested below: little shared beyond a theme or a cluster

MAX_REASONS = 4  # reasons shown with a suggestion
MAX_TEXT_REASONS = 3  # of which terms of the text
QUANT = 2896  # integer levels per unit weight: QUANT**2 * 2 < 2**24 keeps float32 sums exact
# The settings above that shape a score, a reason or a band: a fitted model's version hashes
# them (with the vocabulary file), so changing one marks every stored model and match as old.
# Speed settings (threads, block sizes) are left out: they never change a result.
_SCORE_SETTINGS = (
    "W_TEXT",
    "W_TOPICS",
    "W_THEMES",
    "W_CLUSTERS",
    "W_PARTNER",
    "W_CHALLENGE",
    "ANY_PARTNER_FIT",
    "SHARED_CHALLENGE_FIT",
    "TITLE_WEIGHT",
    "THEME_TEXT_WEIGHT",
    "CLUSTER_TEXT_WEIGHT",
    "CONCEPT_WEIGHT",
    "STEMMING",
    "TOPICS",
    "TOPIC_SAMPLE",
    "MIN_DF",
    "STRONG",
    "GOOD",
    "MIN_SCORE",
    "MAX_REASONS",
    "MAX_TEXT_REASONS",
    "QUANT",
)

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.txt")

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

# Short forms for "why this match" ("theme: clean power").
THEME_LABELS = {
    "ccus": "carbon capture",
    "hydrogen": "hydrogen",
    "bioenergy": "bioenergy",
    "clean-electricity": "clean power",
    "energy-efficiency": "energy efficiency",
    "infrastructure": "infrastructure",
    "digital": "digital",
    "finance": "finance",
    "skills": "skills",
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


# ---------------------------------------------------------------------------------------------
# Text analysis
# ---------------------------------------------------------------------------------------------
# Function words only: words such as "fire", "system" or "bill" carry meaning here.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "couldn",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "either",
        "etc",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "hadn",
        "has",
        "hasn",
        "have",
        "haven",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "let",
        "ll",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "mustn",
        "my",
        "myself",
        "neither",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "others",
        "otherwise",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "please",
        "quite",
        "rather",
        "re",
        "really",
        "same",
        "shall",
        "shan",
        "she",
        "should",
        "shouldn",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "ve",
        "very",
        "via",
        "was",
        "wasn",
        "we",
        "were",
        "weren",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "won",
        "would",
        "wouldn",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)

# Words, numbers, "O&M", and a single letter joined by a hyphen ("e-fuel", read as "efuel").
_TOKEN_RE = re.compile(r"\b[A-Za-z]-[A-Za-z0-9]+|[A-Za-z0-9]+(?:&[A-Za-z0-9]+)*")
_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in the stem."""
    m, i, n = 0, 0, len(stem)
    while i < n and _is_consonant(stem, i):
        i += 1
    while i < n:
        while i < n and not _is_consonant(stem, i):
            i += 1
        if i >= n:
            break
        m += 1
        while i < n and _is_consonant(stem, i):
            i += 1
    return m


def _has_vowel(stem: str) -> bool:
    return any(not _is_consonant(stem, i) for i in range(len(stem)))


def _ends_cvc(word: str) -> bool:
    n = len(word)
    return (
        n >= 3
        and _is_consonant(word, n - 3)
        and not _is_consonant(word, n - 2)
        and _is_consonant(word, n - 1)
        and word[-1] not in "wxy"
    )


def stem(word: str) -> str:
    """A light English stemmer: Porter's steps 1 and 5 (plurals, -ed, -ing, final -e), -ize = -ise.

    Light on purpose: "capturing" and "captured" meet "capture", while "electric" and
    "electricity" stay apart (the vocabulary file brings related words together instead).
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for us, uk in (("ization", "isation"), ("izing", "ising"), ("ized", "ised"), ("izer", "iser")):
        if us in word:
            word = word.replace(us, uk)
            break
    else:
        if word.endswith(("ize", "izes")):
            word = word.replace("ize", "ise")
    # Step 1a: plurals.
    if word.endswith("sses") or word.endswith("ies"):
        word = word[:-2]
    elif word.endswith(("ss", "us", "is", "gas")):
        pass
    elif word.endswith("s"):
        word = word[:-1]
    # Step 1b: -eed, -ed, -ing.
    suffix_removed = False
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    elif word.endswith("ed") and _has_vowel(word[:-2]):
        word, suffix_removed = word[:-2], True
    elif word.endswith("ing") and _has_vowel(word[:-3]):
        word, suffix_removed = word[:-3], True
    if suffix_removed:
        if word.endswith(("at", "bl", "iz", "is")):
            word += "e"
        elif len(word) >= 2 and word[-1] == word[-2] and word[-1] not in "lsz":
            if _is_consonant(word, len(word) - 1):
                word = word[:-1]
        elif _measure(word) == 1 and _ends_cvc(word):
            word += "e"
    # Step 1c: y -> i after a vowel-bearing stem (battery, batteries -> batteri).
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    # Step 5: a final -e goes (capture, capturing -> captur), -ll becomes -l.
    if word.endswith("e"):
        m = _measure(word[:-1])
        if m > 1 or (m == 1 and not _ends_cvc(word[:-1])):
            word = word[:-1]
    if word.endswith("ll") and _measure(word) > 1:
        word = word[:-1]
    return word


class Vocabulary:
    """The domain concepts of vocabulary.txt, compiled for matching against analysed text."""

    def __init__(self, text: str):
        self.labels: list[str] = []
        # One-word entries in capitals (CCS, AD), matched case-sensitively: token -> concepts.
        self.exact: dict[str, list[int]] = {}
        # Phrases by their first stemmed word: first -> [(rest of the phrase, concept id)].
        self.phrases: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            label, sep, body = line.partition("=")
            if not sep:
                raise ValueError(f"vocabulary line {number}: expected 'label = phrase | ...'")
            concept = len(self.labels)
            self.labels.append(label.strip())
            for phrase in body.split("|"):
                phrase = phrase.strip()
                if not phrase:
                    continue
                raw = _raw_tokens(phrase)
                if len(raw) == 1 and raw[0].upper() == raw[0] and any(c.isalpha() for c in phrase):
                    self.exact.setdefault(raw[0], []).append(concept)
                    continue
                words = tuple(_analyse_words(phrase))
                if not words:
                    continue
                bucket = self.phrases.setdefault(words[0], [])
                if (words[1:], concept) not in bucket:
                    bucket.append((words[1:], concept))
        for bucket in self.phrases.values():
            bucket.sort(key=lambda item: -len(item[0]))  # longest phrase first


_STEM_CACHE: dict[str, str | None] = {}


def _word_key(token: str) -> str | None:
    """The analysed form of one raw token, or None for stop words, numbers and single letters."""
    key = _STEM_CACHE.get(token)
    if key is not None or token in _STEM_CACHE:
        return key
    lower = token.lower().replace("-", "")
    if len(lower) < 2 or lower[0].isdigit() or lower in STOP_WORDS:
        key = None
    else:
        key = stem(lower) if STEMMING else lower
    if len(_STEM_CACHE) < 2_000_000:
        _STEM_CACHE[token] = key
    return key


def _normalise(text: str) -> str:
    """Unicode compatibility forms folded ("CO₂" is "CO2"); plain ASCII needs nothing."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _raw_tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(_normalise(text))


def _analyse_words(text: str) -> list[str]:
    return [k for k in map(_word_key, _raw_tokens(text)) if k is not None]


_VOCABULARY: Vocabulary | None = None
_TERMS: _Terms | None = None


def vocabulary() -> Vocabulary:
    """The compiled domain vocabulary (read once from VOCABULARY_FILE)."""
    global _VOCABULARY
    if _VOCABULARY is None:
        _VOCABULARY = Vocabulary(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return _VOCABULARY


def _terms() -> _Terms:
    """The shared term counter of the current vocabulary (its numbering only ever grows)."""
    global _TERMS
    if _TERMS is None or _TERMS.vocab is not vocabulary():
        _TERMS = _Terms(vocabulary())
    return _TERMS


def _cluster_name(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ")


def _fields(doc: Doc) -> list[tuple[str, float]]:
    """The texts of a document that make its terms, each with the weight of one occurrence."""
    fields = [(doc.title, TITLE_WEIGHT), (doc.text, 1.0)]
    fields += [
        (THEME_NAMES.get(t, _cluster_name(t)), THEME_TEXT_WEIGHT) for t in sorted(doc.themes)
    ]
    fields += [(_cluster_name(c), CLUSTER_TEXT_WEIGHT) for c in sorted(doc.clusters)]
    return [(text, weight) for text, weight in fields if text and weight > 0]


class _Terms:
    """Numbers the terms of documents: analysed words, and "~label" for vocabulary concepts.

    Works on batches of documents with numpy rather than word by word in Python: the same
    counts as reading each text in turn, several times faster on a large corpus.
    """

    BATCH = 4000  # documents tokenised at once

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        self.lock = threading.Lock()
        self.ids: dict[str, int] = {}  # term -> number, growing with every text seen
        self.keys: list[str] = []  # number -> term
        # Every raw token seen (case kept): its number, and per number its term (or -1 for a
        # stop word) and the concepts it names in capitals (CCS, AD) if any.
        self.token_index: dict[str, int] = {}
        self.tokens: list[str] = []
        self.token_term = array("q")
        self.token_exact: dict[int, list[int]] = {}
        self.concept_ids = [self._id("~" + label) for label in vocab.labels]
        # Phrases as term ids. One-word phrases: sorted keys, and per key a range of concepts.
        single: dict[int, list[int]] = {}
        multi: dict[int, list[tuple[tuple[int, ...], int]]] = {}
        for first, bucket in vocab.phrases.items():
            first_id = self._id(first)
            for rest, concept in bucket:
                target = self.concept_ids[concept]
                if rest:
                    multi.setdefault(first_id, []).append((tuple(map(self._id, rest)), target))
                else:
                    single.setdefault(first_id, []).append(target)
        self.single_keys = np.array(sorted(single), dtype=np.int64)
        sizes = [len(single[k]) for k in self.single_keys.tolist()]
        self.single_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.single_targets = np.array(
            [t for k in self.single_keys.tolist() for t in single[k]], dtype=np.int64
        )
        self.multi = multi
        self.multi_keys = np.array(sorted(multi), dtype=np.int64)
        self.single_sets = {k: sorted(set(v)) for k, v in single.items()}

    def _id(self, key: str) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.keys)
            self.keys.append(key)
        return found

    def _learn_tokens(self, tokens: Iterable[str]) -> None:
        exact = self.vocab.exact
        for token in set(tokens).difference(self.token_index):
            number = self.token_index[token] = len(self.tokens)
            self.tokens.append(token)
            key = _word_key(token)
            self.token_term.append(-1 if key is None else self._id(key))
            hits = exact.get(token)
            if hits:
                self.token_exact[number] = [self.concept_ids[c] for c in hits]

    def count(
        self, docs: Sequence[Doc], token_counts: np.ndarray | None = None
    ) -> tuple[sp.csr_matrix, np.ndarray | None]:
        """Documents x terms (numbered as in self.keys): weighted occurrences of each word and
        each concept. With `token_counts` (an array, possibly empty) also returns it grown
        and added to: how often each raw token (numbered as in self.tokens) occurred."""
        with self.lock:  # numbering new words must not interleave between threads
            if token_counts is None and len(docs) <= 4:
                return self._count_few(docs), None
            return self._count_many(docs, token_counts)

    def _count_many(
        self, docs: Sequence[Doc], token_counts: np.ndarray | None
    ) -> tuple[sp.csr_matrix, np.ndarray | None]:
        parts: list[sp.csr_matrix] = []
        for start in range(0, len(docs), self.BATCH):
            batch = docs[start : start + self.BATCH]
            tokens: list[str] = []
            seg_doc: list[int] = []
            seg_weight: list[float] = []
            seg_len: list[int] = []
            for i, doc in enumerate(batch):
                for text, weight in _fields(doc):
                    raw = _raw_tokens(text)
                    tokens.extend(raw)
                    seg_doc.append(i)
                    seg_weight.append(weight)
                    seg_len.append(len(raw))
            get = self.token_index.get
            index = np.fromiter(map(get, tokens, itertools.repeat(-1)), np.int64, len(tokens))
            unknown = np.flatnonzero(index < 0)
            if len(unknown):  # learn the tokens never seen before, then number them
                self._learn_tokens([tokens[i] for i in unknown.tolist()])
                index[unknown] = [self.token_index[tokens[i]] for i in unknown.tolist()]
            if token_counts is not None:
                counted = np.bincount(index, minlength=len(self.tokens))
                counted[: len(token_counts)] += token_counts
                token_counts = counted
            ids = np.frombuffer(self.token_term, dtype=np.int64)[index]
            seg = np.repeat(np.arange(len(seg_len)), np.array(seg_len, dtype=np.int64))
            doc_of = np.array(seg_doc, dtype=np.int64)
            weight_of = np.array(seg_weight, dtype=np.float64)
            rows: list[np.ndarray] = []
            cols: list[np.ndarray] = []
            vals: list[np.ndarray] = []
            # Concepts named by one token in capitals (CCS, AD), before stop words go.
            if self.token_exact:
                keys = np.fromiter(self.token_exact, np.int64)
                for p in np.flatnonzero(np.isin(index, keys)).tolist():
                    for concept in self.token_exact[int(index[p])]:
                        rows.append(doc_of[seg[p : p + 1]])
                        cols.append(np.array([concept], dtype=np.int64))
                        vals.append(weight_of[seg[p : p + 1]])
            keep = ids >= 0
            ids, seg = ids[keep], seg[keep]
            rows.append(doc_of[seg])
            cols.append(ids)
            vals.append(weight_of[seg])
            found_pos, found_concept = self._phrase_hits(ids, seg)
            rows.append(doc_of[seg[found_pos]])
            cols.append(found_concept)
            vals.append(weight_of[seg[found_pos]] * CONCEPT_WEIGHT)
            part = sp.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(len(batch), len(self.keys)),
            )
            part.sum_duplicates()
            parts.append(part)
        n_terms = len(self.keys)
        if not parts:
            return sp.csr_matrix((len(docs), n_terms)), token_counts
        parts = [
            sp.csr_matrix((p.data, p.indices, p.indptr), shape=(p.shape[0], n_terms)) for p in parts
        ]
        matrix = sp.vstack(parts, format="csr")
        matrix.sort_indices()
        return matrix, token_counts

    def _count_few(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        """count() for a few documents (suggest_for), in plain Python: the same counts, in
        a fraction of the time numpy's set-up takes for one short text."""
        indptr, indices, data = [0], [], []
        for doc in docs:
            counts: dict[int, float] = {}
            for text, weight in _fields(doc):
                raw = _raw_tokens(text)
                unknown = [t for t in raw if t not in self.token_index]
                if unknown:
                    self._learn_tokens(unknown)
                words = []
                for token in raw:
                    number = self.token_index[token]
                    for concept in self.token_exact.get(number, ()):
                        counts[concept] = counts.get(concept, 0.0) + weight
                    term = self.token_term[number]
                    if term >= 0:
                        words.append(term)
                        counts[term] = counts.get(term, 0.0) + weight
                ids = np.array(words, dtype=np.int64)
                _, concepts = self._phrase_hits_small(ids, np.zeros(len(ids), dtype=np.int64))
                for concept in concepts.tolist():
                    counts[concept] = counts.get(concept, 0.0) + weight * CONCEPT_WEIGHT
            for term in sorted(counts):
                indices.append(term)
                data.append(counts[term])
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64), indptr),
            shape=(len(docs), len(self.keys)),
        )

    def _phrase_hits_small(self, ids: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """_phrase_hits for a short word stream, in plain Python."""
        words, segs = ids.tolist(), seg.tolist()
        n = len(words)
        found = set()
        singles = self.single_sets
        for p, word in enumerate(words):
            for concept in singles.get(word, ()):
                found.add((p, concept))
            for rest, concept in self.multi.get(word, ()):
                end = p + 1 + len(rest)
                if end <= n and segs[end - 1] == segs[p] and tuple(words[p + 1 : end]) == rest:
                    found.add((p, concept))
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        pairs = np.array(sorted(found), dtype=np.int64)
        return pairs[:, 0], pairs[:, 1]

    def _phrase_hits(self, ids: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position, concept term) for each vocabulary phrase found in the word stream, once per
        concept and position; a phrase never runs over from one text into the next."""
        pos = [np.zeros(0, dtype=np.int64)]
        hit = [np.zeros(0, dtype=np.int64)]
        n = len(ids)
        if n < 1000:  # one listing (suggest_for): plain Python is quicker than numpy here
            return self._phrase_hits_small(ids, seg)
        at = np.flatnonzero(np.isin(ids, self.single_keys))
        if len(at):
            key = np.searchsorted(self.single_keys, ids[at])
            first, sizes = self.single_ptr[key], np.diff(self.single_ptr)[key]
            offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            pos.append(np.repeat(at, sizes))
            hit.append(self.single_targets[np.repeat(first, sizes) + offsets])
        at = np.flatnonzero(np.isin(ids, self.multi_keys))
        if len(at):
            at = at[np.argsort(ids[at], kind="stable")]
            words = ids[at]
            present = np.unique(words)
            lows = np.searchsorted(words, present, side="left")
            highs = np.searchsorted(words, present, side="right")
            for word, lo, hi in zip(present.tolist(), lows.tolist(), highs.tolist(), strict=True):
                starts = at[lo:hi]
                for rest, concept in self.multi[word]:
                    length = len(rest)
                    p = starts[starts + length < n]
                    ok = seg[p + length] == seg[p]
                    for j, word_id in enumerate(rest, 1):
                        ok &= ids[p + j] == word_id
                    if ok.any():
                        pos.append(p[ok])
                        hit.append(np.full(int(ok.sum()), concept, dtype=np.int64))
        p, h = np.concatenate(pos), np.concatenate(hit)
        if not len(p):
            return p, h
        width = max(len(self.keys), 1)
        unique = np.unique(p * width + h)
        return unique // width, unique % width


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
def _settings_fingerprint() -> str:
    settings = {name: globals()[name] for name in _SCORE_SETTINGS}
    blob = json.dumps(settings, sort_keys=True) + VOCABULARY_FILE.read_text(encoding="utf-8")
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class Model:
    """A fitted vocabulary and the vectors of every document it was fitted on."""

    version: str
    refs: list[str]

    def __init__(
        self,
        *,
        version: str,
        refs: list[str],
        owners: list[str],
        kinds: np.ndarray,
        owner_kinds: list[str],
        partner_kinds: list[str],
        themes: list[frozenset[str]],
        clusters: list[frozenset[str]],
        challenges: list[str],
        features: list[str],
        labels: list[str],
        idf: np.ndarray,
        n_text: int,
        topics: np.ndarray,
        matrix: sp.csr_matrix,
        offsets: np.ndarray,
    ):
        self.version = version
        self.refs = refs
        self.owners = owners
        self.kinds = kinds
        self.owner_kinds = owner_kinds
        self.partner_kinds = partner_kinds
        self.themes = themes
        self.clusters = clusters
        self.challenges = challenges
        self.features = features  # column -> key: a term, "theme:x", "cluster:x", ...
        self.labels = labels  # column -> words a person would read
        self.idf = idf  # for the first n_text columns
        self.n_text = n_text
        self.topics = topics  # TOPICS x n_text: the latent topic directions (LSA)
        self.topic_directions = np.ascontiguousarray(topics.T)  # the same, terms x topics
        self.matrix = matrix  # documents x features, integer-valued float32
        self.offsets = offsets  # per document, added to its scores as a source (int32 units)
        self.index = {ref: i for i, ref in enumerate(refs)}
        self.feature_index = {key: i for i, key in enumerate(features)}
        self._cache: dict[str, object] = {}

    def __len__(self) -> int:
        return len(self.refs)

    # Sides: "rows" are needs and challenges (sources only: challenges are never targets),
    # "cols" are offers. Both in ref order, so that ties break by ref.
    def _sides(self):
        if "sides" not in self._cache:
            rows = np.flatnonzero(self.kinds != _OFFER)
            cols = np.flatnonzero(self.kinds == _OFFER)
            row_m = self.matrix[rows].tocsr()
            col_m = self.matrix[cols].tocsr()
            owners = np.array(self.owners, dtype=object)
            self._cache["sides"] = _Sides(
                rows=rows,
                cols=cols,
                row_matrix=row_m,
                col_matrix=col_m,
                row_offsets=self.offsets[rows].astype(np.float32),  # exact: below 2**24
                row_is_challenge=self.kinds[rows] == _CHALLENGE,
                row_owner=owners[rows],
                col_owner=owners[cols],
                row_pos={int(d): p for p, d in enumerate(rows)},
                col_pos={int(d): p for p, d in enumerate(cols)},
            )
        return self._cache["sides"]

    def dumps(self) -> bytes:
        meta = {
            "version": self.version,
            "refs": self.refs,
            "owners": self.owners,
            "owner_kinds": self.owner_kinds,
            "partner_kinds": self.partner_kinds,
            "themes": [sorted(t) for t in self.themes],
            "clusters": [sorted(c) for c in self.clusters],
            "challenges": self.challenges,
            "features": self.features,
            "labels": self.labels,
            "n_text": self.n_text,
            "shape": list(self.matrix.shape),
        }
        buffer = io.BytesIO()
        m = self.matrix
        np.savez_compressed(
            buffer,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            kinds=self.kinds.astype(np.int8),
            idf=self.idf,
            topics=self.topics,
            data=m.data.astype(np.int16),
            indices=m.indices.astype(np.int32),
            indptr=m.indptr.astype(np.int64),
            offsets=self.offsets.astype(np.int32),
        )
        return buffer.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> Model:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            if not str(meta["version"]).startswith(ENGINE_VERSION + ":"):
                raise ValueError(f"model version {meta['version']!r} is not {ENGINE_VERSION}")
            matrix = sp.csr_matrix(
                (z["data"].astype(np.float32), z["indices"], z["indptr"]),
                shape=tuple(meta["shape"]),
            )
            return cls(
                version=meta["version"],
                refs=meta["refs"],
                owners=meta["owners"],
                kinds=z["kinds"].astype(np.int8),
                owner_kinds=meta["owner_kinds"],
                partner_kinds=meta["partner_kinds"],
                themes=[frozenset(t) for t in meta["themes"]],
                clusters=[frozenset(c) for c in meta["clusters"]],
                challenges=meta["challenges"],
                features=meta["features"],
                labels=meta["labels"],
                idf=z["idf"],
                n_text=int(meta["n_text"]),
                topics=z["topics"],
                matrix=matrix,
                offsets=z["offsets"].astype(np.int64),
            )


@dataclass
class _Sides:
    rows: np.ndarray
    cols: np.ndarray
    row_matrix: sp.csr_matrix
    col_matrix: sp.csr_matrix
    row_offsets: np.ndarray
    row_is_challenge: np.ndarray
    row_owner: np.ndarray
    col_owner: np.ndarray
    row_pos: dict[int, int]
    col_pos: dict[int, int]


def _check_doc(doc: Doc) -> None:
    if doc.kind not in _KIND_CODES:
        raise ValueError(f"{doc.ref}: kind must be offer, need or challenge, not {doc.kind!r}")


def fit(docs: Sequence[Doc]) -> Model:
    """Fit the vocabulary on `docs` and vectorise them all. Deterministic: same docs, same model.

    Document order does not matter (documents are kept in ref order); refs must be unique.
    """
    docs = sorted(docs, key=lambda d: d.ref)
    for a, b in zip(docs, docs[1:], strict=False):
        if a.ref == b.ref:
            raise ValueError(f"duplicate ref {a.ref!r}")
    for doc in docs:
        _check_doc(doc)
    counter = _terms()
    counts, token_counts = counter.count(docs, np.zeros(0, dtype=np.int64))
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    terms = sorted(counter.keys[i] for i in np.flatnonzero(df >= max(1, MIN_DF)))
    old_ids = np.array([counter.ids[t] for t in terms], dtype=np.int64)
    counts = counts[:, old_ids].tocsr()  # columns in term order, rare terms gone
    counts.sort_indices()
    n_docs = len(docs)
    idf = np.log((1 + n_docs) / (1 + df[old_ids].astype(np.float64))) + 1.0

    # The readable form of each word: its most frequent spelling in the corpus (spellings
    # that differ only in capitals count together), shorter and then alphabetical on a tie.
    merged: Counter = Counter()
    for number in np.flatnonzero(token_counts).tolist():
        token = counter.tokens[number]
        key = _word_key(token)
        if key is not None:
            merged[(key, token.lower())] += int(token_counts[number])
    best_surface: dict[str, tuple[int, str]] = {}
    for (key, surface), n in merged.items():
        current = best_surface.get(key)
        if current is None or (n, -len(surface), _neg(surface)) > (
            current[0],
            -len(current[1]),
            _neg(current[1]),
        ):
            best_surface[key] = (n, surface)
    labels = [t[1:] if t.startswith("~") else best_surface.get(t, (0, t))[1] for t in terms]
    text = _text_vectors(counts, idf, np.array([t.startswith("~") for t in terms], dtype=bool))
    components = _fit_topics(text)

    features, extra_labels = _structured_features(docs, len(components))
    model = Model(
        version=f"{ENGINE_VERSION}:{_settings_fingerprint()}",
        refs=[d.ref for d in docs],
        owners=[d.owner for d in docs],
        kinds=np.array([_KIND_CODES[d.kind] for d in docs], dtype=np.int8),
        owner_kinds=[d.owner_kind for d in docs],
        partner_kinds=[d.partner_kind or "any" for d in docs],
        themes=[frozenset(d.themes) for d in docs],
        clusters=[frozenset(d.clusters) for d in docs],
        challenges=[d.challenge for d in docs],
        features=terms + features,
        labels=labels + extra_labels,
        idf=idf,
        n_text=len(terms),
        topics=components,
        matrix=sp.csr_matrix((0, len(terms) + len(features)), dtype=np.float32),
        offsets=np.zeros(0, dtype=np.int64),
    )
    model.matrix, model.offsets = _assemble(model, docs, text)
    return model


def _neg(text: str) -> tuple[int, ...]:
    """Sort key that prefers the alphabetically first string among equals."""
    return tuple(-ord(c) for c in text)


def _row_norms(matrix: sp.csr_matrix) -> np.ndarray:
    """Euclidean norm of each row, summed in the row's own order (the same for 1 row or many)."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return np.sqrt(np.bincount(rows, weights=matrix.data * matrix.data, minlength=matrix.shape[0]))


def _text_vectors(counts: sp.csr_matrix, idf: np.ndarray, concept: np.ndarray) -> sp.csr_matrix:
    """Unit-length TF-IDF rows (float64) from weighted counts: sublinear tf times idf
    (`concept` marks the columns that are vocabulary concepts)."""
    tf = counts.data
    # Sublinear term frequency, 1 + ln(tf), continued as tf below 1 (weighted fields).
    w = np.where(tf > 1.0, 1.0 + np.log(np.maximum(tf, 1.0)), tf) * idf[counts.indices]
    if CONCEPT_WEIGHT != 1.0:
        w = np.where(concept[counts.indices], w * CONCEPT_WEIGHT, w)
    matrix = sp.csr_matrix((w, counts.indices.copy(), counts.indptr.copy()), shape=counts.shape)
    norms = _row_norms(matrix)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    matrix.data /= np.where(norms > 0, norms, 1.0)[rows]
    return matrix


def _fit_topics(text: sp.csr_matrix) -> np.ndarray:
    """TOPICS latent directions of the text (LSA: a truncated SVD), fitted on a sample of rows.

    Words that keep company in many listings end up close together, so two listings can share
    a topic without sharing a word. Returns an array TOPICS x terms (empty if too few docs).
    """
    n_docs, n_terms = text.shape
    k = min(TOPICS, n_docs - 1, n_terms - 1)
    if W_TOPICS <= 0 or k < 2:
        return np.zeros((0, n_terms))
    from sklearn.decomposition import TruncatedSVD

    sample = text
    if n_docs > TOPIC_SAMPLE:  # evenly spread over the ref order, so deterministic
        sample = text[np.linspace(0, n_docs - 1, TOPIC_SAMPLE).astype(np.int64)]
    svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=5, random_state=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # degenerate corpora: no variance
        svd.fit(sample)
    return np.ascontiguousarray(svd.components_, dtype=np.float64)


def _topic_vectors(text: sp.csr_matrix, directions: np.ndarray) -> np.ndarray:
    """Unit-length topic coordinates of each row (zeros for a row with no known term), from
    the topic directions as a terms x topics array."""
    if not directions.shape[1]:
        return np.zeros((text.shape[0], 0))
    z = np.asarray(text @ directions)
    squares = z[:, 0] * z[:, 0]
    for j in range(1, z.shape[1]):  # column by column: the same sums for one row or many
        squares = squares + z[:, j] * z[:, j]
    norms = np.sqrt(squares)
    return z / np.where(norms > 0, norms, 1.0)[:, None]


def _structured_features(docs: Sequence[Doc], n_topics: int) -> tuple[list[str], list[str]]:
    themes = sorted({t for d in docs for t in d.themes})
    clusters = sorted({c for d in docs for c in d.clusters})
    kinds = sorted({d.owner_kind for d in docs if d.kind == "offer" and d.owner_kind})
    challenges = sorted({d.ref for d in docs if d.kind == "challenge"})
    features = (
        [f"topic:{j}" for j in range(n_topics)]
        + [f"theme:{t}" for t in themes]
        + [f"cluster:{c}" for c in clusters]
        + [f"kind:{k}" for k in kinds]
        + [f"challenge:{c}" for c in challenges]
    )
    labels = (
        ["" for _ in range(n_topics)]  # a latent topic has no name of its own
        + [f"theme: {THEME_LABELS.get(t, _cluster_name(t))}" for t in themes]
        + [f"cluster: {_cluster_name(c).title()}" for c in clusters]
        + [f"a partner of the kind sought ({k.replace('_', ' ')})" for k in kinds]
        + ["answers the challenge" for _ in challenges]
    )
    return features, labels


def _vectorise(model: Model, docs: Sequence[Doc]) -> tuple[sp.csr_matrix, np.ndarray]:
    """The vectors and source offsets of (new or edited) `docs` with the model's vocabulary."""
    counter = _terms()
    counts, _ = counter.count(docs)
    # Renumber the counter's terms as the model's columns; terms the fit never saw go.
    columns = model._cache.get("columns")
    if columns is None or columns[0] is not counter:
        columns = model._cache["columns"] = (counter, np.zeros(0, dtype=np.int64))
    mapping = columns[1]
    if len(mapping) < len(counter.keys):  # terms the counter met since: map them too
        index, n_text = model.feature_index, model.n_text
        more = [index.get(k, -1) for k in counter.keys[len(mapping) :]]
        more = np.array([c if c < n_text else -1 for c in more], dtype=np.int64)
        mapping = np.concatenate([mapping, more])
        model._cache["columns"] = (counter, mapping)
    new_cols = mapping[counts.indices]
    keep = new_cols >= 0
    rows = np.repeat(np.arange(len(docs)), np.diff(counts.indptr))[keep]
    cols, data = new_cols[keep], counts.data[keep]
    order = np.lexsort((cols, rows))  # each term once per row: no duplicates to add up
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(docs)))])
    counts = sp.csr_matrix((data[order], cols[order], indptr), shape=(len(docs), model.n_text))
    if "concepts" not in model._cache:
        model._cache["concepts"] = np.array(
            [t.startswith("~") for t in model.features[: model.n_text]], dtype=bool
        )
    text = _text_vectors(counts, model.idf, model._cache["concepts"])
    return _assemble(model, docs, text)


def _assemble(
    model: Model, docs: Sequence[Doc], text: sp.csr_matrix
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Weighted, integer-valued feature vectors of `docs` and their source offsets.

    Source-side documents (needs, challenges) carry the weights; offers carry unit vectors.
    """
    n = len(docs)
    fi = model.feature_index
    source = np.array([d.kind in _SOURCE_KINDS for d in docs], dtype=bool)
    text_rows = np.repeat(np.arange(n), np.diff(text.indptr))
    text_scale = np.where(source, W_TEXT, 1.0)[text_rows]
    parts_rows = [text_rows]
    parts_cols = [text.indices.astype(np.int64)]
    parts_vals = [text.data * text_scale]

    topics = _topic_vectors(text, model.topic_directions)
    if topics.shape[1]:
        first = fi["topic:0"]
        k = topics.shape[1]
        parts_rows.append(np.repeat(np.arange(n), k))
        parts_cols.append(np.tile(np.arange(first, first + k), n))
        parts_vals.append((topics * np.where(source, W_TOPICS, 1.0)[:, None]).ravel())

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    offsets = np.zeros(n, dtype=np.int64)
    any_offset = round(W_PARTNER * ANY_PARTNER_FIT * QUANT * QUANT)
    # The structured entries of a document depend on a few fields only: work each
    # combination out once (there are few), then copy it to every document that has it.
    known: dict[tuple, tuple[list[int], list[float]]] = {}

    def entries(key: tuple) -> tuple[list[int], list[float]]:
        is_source, themes, clusters, kind, challenge = key
        found: dict[int, float] = {}
        for prefix, values, weight in (
            ("theme:", themes, W_THEMES),
            ("cluster:", clusters, W_CLUSTERS),
        ):
            for v in values:
                col = fi.get(prefix + v)
                if col is not None:
                    found[col] = (weight if is_source else 1.0) / math.sqrt(len(values))
        if is_source:
            col = fi.get(f"kind:{kind}")
            if col is not None and kind != "any":
                found[col] = W_PARTNER
            doc_kind, ref = challenge
            col = fi.get(f"challenge:{ref}") if ref else None
            if col is not None:
                found[col] = (
                    W_CHALLENGE if doc_kind == "challenge" else (W_CHALLENGE * SHARED_CHALLENGE_FIT)
                )
        else:
            col = fi.get(f"kind:{kind}")
            if col is not None:
                found[col] = 1.0
            col = fi.get(f"challenge:{challenge[1]}") if challenge[1] else None
            if col is not None:
                found[col] = 1.0
        return list(found), list(found.values())

    for row, doc in enumerate(docs):
        is_source = doc.kind in _SOURCE_KINDS
        if is_source:
            kind = doc.partner_kind or "any"
            if kind == "any":
                offsets[row] = any_offset
            challenge = (doc.kind, doc.ref if doc.kind == "challenge" else doc.challenge)
        else:
            kind = doc.owner_kind
            challenge = ("offer", doc.challenge)
        key = (is_source, doc.themes, doc.clusters, kind, challenge)
        found = known.get(key)
        if found is None:
            found = known[key] = entries(key)
        rows.extend([row] * len(found[0]))
        cols.extend(found[0])
        vals.extend(found[1])
    parts_rows.append(np.array(rows, dtype=np.int64))
    parts_cols.append(np.array(cols, dtype=np.int64))
    parts_vals.append(np.array(vals, dtype=np.float64))

    all_rows = np.concatenate(parts_rows)
    all_cols = np.concatenate(parts_cols)
    all_vals = np.rint(np.concatenate(parts_vals) * QUANT)
    keep = all_vals != 0
    matrix = sp.csr_matrix(
        (all_vals[keep].astype(np.float32), (all_rows[keep], all_cols[keep])),
        shape=(n, len(model.features)),
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix, offsets


# ---------------------------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------------------------
_SCALE = 1.0 / (QUANT * QUANT)
_BLOCK_CELLS = 1 << 26  # scores a worker holds at once (256 MiB of float32; BLAS needs
# about 1,400 rows at a time to keep both cores busy at 100,000 listings)
DENSE_SHARE = 1 / 500  # a feature column shared by this share of pairs is scored dense (BLAS)
DENSE_COLUMNS = 1024  # at most this many dense columns
THREADS = int(
    os.environ.get("MATCHING_THREADS")
    or max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
)


def _min_int() -> float:
    return MIN_SCORE * QUANT * QUANT


class _Scorer:
    """Integer-valued scores of blocks of rows (needs, challenges) against offers.

    The busiest feature columns (the topics, themes, clusters and the commonest words, present
    in many documents on both sides) go through one dense float32 product (BLAS); the rest,
    rarer words, through a sparse product. Both sum integers exactly, so where a column goes
    changes the speed, never a score.
    """

    def __init__(self, sides: _Sides):
        left, right = sides.row_matrix, sides.col_matrix
        n_features = left.shape[1]
        work = np.bincount(left.indices, minlength=n_features).astype(np.float64)
        work *= np.bincount(right.indices, minlength=n_features)
        # Dense BLAS costs every pair a little for each column; a sparse product costs much
        # more, but only for the pairs that share the term: a column goes dense when it is
        # shared by at least DENSE_SHARE of all pairs (measured break-even, about 1 in 500).
        busy = np.flatnonzero(work >= DENSE_SHARE * left.shape[0] * right.shape[0])
        busy = busy[np.argsort(-work[busy], kind="stable")][:DENSE_COLUMNS]
        dense = np.zeros(n_features, dtype=bool)
        dense[busy] = True
        dense_cols, rest = np.flatnonzero(dense), np.flatnonzero(~dense)
        self.left_dense = np.ascontiguousarray(left[:, dense_cols].toarray(), dtype=np.float32)
        self.right_dense = np.asfortranarray(right[:, dense_cols].toarray(), dtype=np.float32)
        self.left_sparse = left[:, rest].tocsr()
        self.right_sparse_t = right[:, rest].T.tocsr()
        self.offsets = sides.row_offsets.astype(np.float32)
        self.tiles: dict[tuple[int, int], tuple[np.ndarray, sp.csr_matrix]] = {}

    def _right(self, cols: slice | np.ndarray | None):
        """The offers' dense part (Fortran order) and sparse part (transposed) for `cols`."""
        if cols is None:
            return self.right_dense, self.right_sparse_t
        if isinstance(cols, slice):  # a tile of all offers: the same few tiles again and again
            key = (cols.start, cols.stop)
            if key not in self.tiles:
                self.tiles[key] = (
                    np.asfortranarray(self.right_dense[cols]),
                    self.right_sparse_t[:, cols].tocsr(),
                )
            return self.tiles[key]
        return np.asfortranarray(self.right_dense[cols]), self.right_sparse_t[:, cols]

    def block(
        self,
        rows: slice | np.ndarray,
        cols: slice | np.ndarray | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Scores of `rows` against all offers, or the offers at `cols` (a slice or positions),
        written into `out` (a float32 buffer of at least that size, reused) if given."""
        from scipy.linalg.blas import sgemm

        right_dense, right_sparse_t = self._right(cols)
        left = self.left_dense[rows]
        n_rows, width = left.shape[0], right_dense.shape[0]
        if out is None or out.size < n_rows * width:
            out = np.empty((n_rows, width), dtype=np.float32)
        else:
            out = out.ravel()[: n_rows * width].reshape(n_rows, width)
        if left.shape[1] and out.size:
            # out.T (offers x rows, Fortran order) = right @ left.T; beta=0 ignores old values.
            sgemm(1.0, right_dense, np.ascontiguousarray(left).T, beta=0.0, c=out.T, overwrite_c=1)
        else:
            out.fill(0.0)
        _add_sparse(out, self.left_sparse[rows] @ right_sparse_t)
        out += self.offsets[rows][:, None]
        return out


def _add_sparse(out: np.ndarray, part: sp.csr_matrix) -> None:
    """out += part, in place, without a dense copy of `part`."""
    part = part.tocsr()
    try:
        from scipy.sparse import _sparsetools

        _sparsetools.csr_todense(*out.shape, part.indptr, part.indices, part.data, out)
    except (ImportError, AttributeError, TypeError, ValueError):  # private scipy helper moved
        out += part.toarray()


def _scorer(model: Model) -> _Scorer:
    if "scorer" not in model._cache:
        model._cache["scorer"] = _Scorer(model._sides())
    return model._cache["scorer"]


# A row of scores is cut into 16 * k segments to find its candidates, a block's columns into
# 4 * k (measured fastest at 100,000 listings).
_ROW_SEGMENTS_PER_K = 16
_COL_SEGMENTS_PER_K = 4


class _Floors:
    """Per row or per column of the scores, the k largest segment maxima seen so far.

    Each segment maximum is a different entry, so the k-th largest of them is a floor for the
    k-th best score: entries below it can be skipped, and so can whole segments whose maximum
    is below it. The floors rise as blocks of scores come in; several threads may feed one
    (merging takes a lock, and little time).
    """

    def __init__(self, n: int, k: int):
        self.k = k
        self.best = np.full((n, k), -np.inf, dtype=np.float32)
        self.lock = threading.Lock()

    def raise_to(self, seg: np.ndarray, at: slice) -> np.ndarray:
        """Merge segment maxima `seg` (entities x segments) for the entities `at`; their floors."""
        with self.lock:
            merged = np.concatenate([self.best[at], seg], axis=1)
            self.best[at] = np.partition(merged, merged.shape[1] - self.k, axis=1)[:, -self.k :]
            return self.best[at].min(axis=1)


def _row_candidates(
    block: np.ndarray, k: int, floor: float, floors: _Floors | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of every entry that may be among its row's k best (and reaches `floor`).

    Rows are cut into segments; the k-th largest segment maximum (with those of earlier tiles
    of the same rows, in `floors`) is a floor for the row's k-th best entry, so only segments
    whose maximum reaches it are searched.
    """
    b, m = block.shape
    seg_len = max(1, m // (_ROW_SEGMENTS_PER_K * k))
    n_seg = m // seg_len
    cut = block[:, : n_seg * seg_len].reshape(b, n_seg, seg_len)
    seg = cut.max(axis=2)
    if floors is not None:
        bound = floors.raise_to(seg, slice(None))
    elif n_seg >= k:
        bound = np.partition(seg, n_seg - k, axis=1)[:, n_seg - k]
    else:
        bound = np.full(b, -np.inf, dtype=np.float32)
    bound = np.maximum(bound, floor)
    rows, segs = np.nonzero(seg >= bound[:, None])
    i, j = np.nonzero(cut[rows, segs] >= bound[rows][:, None])
    r, c = rows[i], segs[i] * seg_len + j
    if n_seg * seg_len < m:
        tail_r, tail_c = np.nonzero(block[:, n_seg * seg_len :] >= bound[:, None])
        r = np.concatenate([r, tail_r])
        c = np.concatenate([c, tail_c + n_seg * seg_len])
    return r, c


def _col_candidates(
    block: np.ndarray, k: int, floor: float, floors: _Floors, first_col: int
) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of every entry that may be among its column's k best, with the columns'
    floors over all blocks of rows so far (the block's columns start at `first_col`)."""
    b, m = block.shape
    seg_len = max(1, b // (_COL_SEGMENTS_PER_K * k))
    n_seg = b // seg_len
    cut = block[: n_seg * seg_len].reshape(n_seg, seg_len, m)
    seg = cut.max(axis=1)
    bound = np.maximum(floors.raise_to(seg.T, slice(first_col, first_col + m)), floor)
    segs, cols = np.nonzero(seg >= bound[None, :])
    i, j = np.nonzero(cut[segs, :, cols] >= bound[cols][:, None])
    r, c = segs[i] * seg_len + j, cols[i]
    if n_seg * seg_len < b:
        tail_r, tail_c = np.nonzero(block[n_seg * seg_len :] >= bound[None, :])
        r = np.concatenate([r, tail_r + n_seg * seg_len])
        c = np.concatenate([c, tail_c])
    return r, c


def _select(
    source: np.ndarray, target: np.ndarray, values: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k best targets per source: value descending, then target position (= ref order)."""
    order = np.lexsort((target, -values.astype(np.float64), source))
    source, target, values = source[order], target[order], values[order]
    first = np.searchsorted(source, source, side="left")
    keep = (np.arange(len(source)) - first) < k
    return source[keep], target[keep], values[keep]


def _same_owner_pairs(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(row position, col position) of every need/offer pair of one organisation."""
    if "same_owner" not in model._cache:
        codes = _side_owner_codes(model)
        row_codes, col_codes = codes.rows, codes.cols
        cols_by_owner: dict[int, list[int]] = {}
        for c, code in enumerate(col_codes.tolist()):
            cols_by_owner.setdefault(code, []).append(c)
        rr: list[int] = []
        cc: list[int] = []
        for r, code in enumerate(row_codes.tolist()):
            for c in cols_by_owner.get(code, ()):
                rr.append(r)
                cc.append(c)
        model._cache["same_owner"] = (np.array(rr, dtype=np.int64), np.array(cc, dtype=np.int64))
    return model._cache["same_owner"]


def _blocked_pairs(
    model: Model, blocked: Mapping[str, Iterable[str]] | None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Pairs an owner blocked: (row, col) with the row's owner blocking the offer, and with the
    offer's owner blocking the need."""
    row_r: list[int] = []
    row_c: list[int] = []
    col_r: list[int] = []
    col_c: list[int] = []
    if blocked:
        sides = model._sides()
        rows_of: dict[str, list[int]] = {}
        cols_of: dict[str, list[int]] = {}
        wanted = set(blocked)
        for p, o in enumerate(sides.row_owner):
            if o in wanted:
                rows_of.setdefault(o, []).append(p)
        for p, o in enumerate(sides.col_owner):
            if o in wanted:
                cols_of.setdefault(o, []).append(p)
        for owner, refs in blocked.items():
            for ref in refs:
                d = model.index.get(ref)
                if d is None:
                    continue
                if d in sides.col_pos:
                    c = sides.col_pos[d]
                    for r in rows_of.get(owner, ()):
                        row_r.append(r)
                        row_c.append(c)
                elif d in sides.row_pos:
                    r = sides.row_pos[d]
                    for c in cols_of.get(owner, ()):
                        col_r.append(r)
                        col_c.append(c)

    def arrays(r: list[int], c: list[int]) -> tuple[np.ndarray, np.ndarray]:
        return np.array(r, dtype=np.int64), np.array(c, dtype=np.int64)

    return arrays(row_r, row_c), arrays(col_r, col_c)


class _PairsByBlock:
    """Excluded pairs, found quickly for a block of the rows being scored."""

    def __init__(self, pairs, row_list: np.ndarray, n_rows: int, col_list, n_cols: int):
        r, c = pairs
        row_at = np.full(n_rows, -1, dtype=np.int64)
        row_at[row_list] = np.arange(len(row_list))
        local_r = row_at[r] if len(r) else r
        if col_list is None:
            local_c = c
        else:
            col_at = np.full(n_cols, -1, dtype=np.int64)
            col_at[col_list] = np.arange(len(col_list))
            local_c = col_at[c] if len(c) else c
        ok = (local_r >= 0) & (local_c >= 0)
        order = np.argsort(local_r[ok], kind="stable")
        self.r = local_r[ok][order]
        self.c = local_c[ok][order]

    def within(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.searchsorted(self.r, [start, stop])
        return self.r[lo:hi] - start, self.c[lo:hi]


TILE_COLS = 1 << 16  # offers scored at once: blocks stay large in rows, bounded in memory


class _Pass:
    """One pass over blocks of rows: scores each block, tile by tile of offers, then keeps the
    candidates of the rows (needs and challenges as sources) and/or of the columns (offers as
    sources)."""

    def __init__(self, model, scorer, excluded, row_list, col_list, want_rows, want_cols, top):
        sides = model._sides()
        n_rows, n_cols = len(sides.rows), len(sides.cols)
        same_owner, blocked_rows, blocked_cols = excluded
        self.scorer = scorer
        self.row_list, self.col_list = row_list, col_list
        self.want_rows, self.want_cols = want_rows, want_cols
        self.top = top
        self.floor = np.float32(_min_int())
        self.width = n_cols if col_list is None else len(col_list)
        self.both = _PairsByBlock(same_owner, row_list, n_rows, col_list, n_cols)
        self.only_rows = _PairsByBlock(blocked_rows, row_list, n_rows, col_list, n_cols)
        self.only_cols = _PairsByBlock(blocked_cols, row_list, n_rows, col_list, n_cols)
        self.challenge = sides.row_is_challenge[row_list]
        self.contiguous = len(row_list) == n_rows
        self.col_floors = _Floors(self.width, top)
        self.buffers = threading.local()  # one block of scores per thread, reused
        self.tile = max(1, min(self.width, TILE_COLS))
        self.step = max(4 * top, _BLOCK_CELLS // self.tile)

    def starts(self) -> range:
        return range(0, len(self.row_list), self.step)

    def block(self, start: int):
        """(row candidates, column candidates) of the block of rows from `start`."""
        stop = min(len(self.row_list), start + self.step)
        rows = slice(start, stop) if self.contiguous else self.row_list[start:stop]
        if not hasattr(self.buffers, "out"):
            self.buffers.out = np.empty(self.step * self.tile, dtype=np.float32)
        pairs = {
            name: excluded.within(start, stop)
            for name, excluded in (
                ("both", self.both),
                ("rows", self.only_rows),
                ("cols", self.only_cols),
            )
        }
        tiles = range(0, self.width, self.tile)
        row_floors = _Floors(stop - start, self.top) if len(tiles) > 1 else None
        found_rows: list[tuple[np.ndarray, ...]] = []
        found_cols: list[tuple[np.ndarray, ...]] = []
        for first in tiles:
            last = min(self.width, first + self.tile)
            if self.col_list is not None:
                cols = self.col_list[first:last]
            else:
                cols = None if len(tiles) == 1 else slice(first, last)
            block = self.scorer.block(rows, cols, self.buffers.out)

            def within(name: str, first=first, last=last):
                r, c = pairs[name]
                inside = (c >= first) & (c < last)
                return r[inside], c[inside] - first

            block[within("both")] = -np.inf
            if self.want_rows:
                hide = within("rows")
                saved = block[hide]
                block[hide] = -np.inf
                r, c = _row_candidates(block, self.top, self.floor, row_floors)
                found_rows.append((self.row_list[start + r], first + c, block[r, c]))
                block[hide] = saved
            if self.want_cols:
                block[within("cols")] = -np.inf
                block[self.challenge[start:stop]] = -np.inf  # a challenge is never a target
                r, c = _col_candidates(block, self.top, self.floor, self.col_floors, first)
                targets = first + c if self.col_list is None else self.col_list[first + c]
                found_cols.append((targets, self.row_list[start + r], block[r, c]))

        def joined(found):
            return tuple(np.concatenate(x) for x in zip(*found, strict=True)) if found else None

        return joined(found_rows), joined(found_cols)


def _rank(
    model: Model,
    row_sources: np.ndarray,
    col_sources: np.ndarray,
    top: int,
    blocked: Mapping[str, Iterable[str]] | None,
):
    """Top pairs for row sources (against every offer) and col sources (against every need).

    Returns two triples of arrays (source position, target position, integer score), each
    sorted by source and then rank; positions are on the row and col sides. Every score is
    exact, and each source's list is exact too: the bounds used to skip entries never exceed
    the k-th best eligible score, and ties are broken by position, that is by ref.
    """
    sides = model._sides()
    n_rows, n_cols = len(sides.rows), len(sides.cols)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    if top <= 0 or not n_rows or not n_cols or (not len(row_sources) and not len(col_sources)):
        return empty, empty
    scorer = _scorer(model)
    excluded = (_same_owner_pairs(model), *_blocked_pairs(model, blocked))
    passes = []
    if len(row_sources) == n_rows and len(col_sources) == n_cols:
        passes.append((np.arange(n_rows), None, True, True))  # one pass serves both directions
    else:
        if len(row_sources):
            passes.append((np.asarray(row_sources, dtype=np.int64), None, True, False))
        if len(col_sources):
            passes.append((np.arange(n_rows), np.asarray(col_sources, dtype=np.int64), False, True))
    row_found: list[tuple[np.ndarray, ...]] = []
    col_found: list[tuple[np.ndarray, ...]] = []
    for row_list, col_list, want_rows, want_cols in passes:
        one = _Pass(model, scorer, excluded, row_list, col_list, want_rows, want_cols, top)
        starts = one.starts()
        if THREADS > 1 and len(starts) > 1:
            with ThreadPoolExecutor(THREADS) as pool:
                results = list(pool.map(one.block, starts))
        else:
            results = [one.block(start) for start in starts]
        for found_rows, found_cols in results:
            if found_rows is not None:
                row_found.append(found_rows)
            if found_cols is not None:
                col_found.append(found_cols)

    def finish(found):
        if not found:
            return empty
        return _select(*(np.concatenate(x) for x in zip(*found, strict=True)), top)

    return finish(row_found), finish(col_found)


def chunk_sources(model: Model, index: int, chunks: int) -> list[str]:
    """The refs of chunk `index` of `chunks`, for a rebuild shared by several workers: the
    sorted refs cut into equal runs. suggest() on every chunk gives what one call gives."""
    refs = sorted(model.refs)
    size = -(-len(refs) // chunks)
    return refs[index * size : (index + 1) * size]


def suggest(
    model: Model,
    sources: Sequence[str] | None = None,
    *,
    top: int = 10,
    blocked: Mapping[str, set[str]] | None = None,
) -> list[Suggestion]:
    """The `top` best targets of each source: offers for needs and challenges, needs for offers.

    Guarantees: never a target of the source's own organisation, never offer to offer or need
    to need, never a challenge as a target, never a target the source's owner blocked; pairs
    score at least MIN_SCORE. Deterministic (ties broken by ref), and calling it on chunks of
    the sources gives exactly what one call on all of them gives. Suggestions come grouped by
    source, in the order of `sources` (ref order by default), best first.
    """
    sides = model._sides()
    if sources is None:
        doc_ids = list(range(len(model)))
    else:
        doc_ids = []
        for ref in sources:
            if ref not in model.index:
                raise KeyError(f"{ref!r} is not in the model")
            doc_ids.append(model.index[ref])
    row_sources = np.array(sorted({sides.row_pos[d] for d in doc_ids if d in sides.row_pos}))
    col_sources = np.array(sorted({sides.col_pos[d] for d in doc_ids if d in sides.col_pos}))
    (rs, rt, rv), (cs, ct, cv) = _rank(
        model, row_sources.astype(np.int64), col_sources.astype(np.int64), top, blocked
    )
    # Source documents and target documents, as doc indices.
    src = np.concatenate([sides.rows[rs], sides.cols[cs]])
    tgt = np.concatenate([sides.cols[rt], sides.rows[ct]])
    val = np.concatenate([rv, cv])
    # Group by source, in the order asked for (stable: each source's list stays best first).
    position = np.full(len(model), len(doc_ids), dtype=np.int64)
    for p, d in reversed(list(enumerate(doc_ids))):
        position[d] = p
    order = np.argsort(position[src], kind="stable")
    src, tgt, val = src[order], tgt[order], val[order]
    reasons = _reasons(model, src, tgt)
    scores = _scores(val)
    refs = model.refs
    return [
        Suggestion(refs[s], refs[t], score, why)
        for s, t, score, why in zip(src.tolist(), tgt.tolist(), scores, reasons, strict=True)
    ]


def _scores(values) -> list[float]:
    """Integer pair scores as scores between 0 and 1, to 4 decimals."""
    scaled = np.asarray(values, dtype=np.float64) * _SCALE
    return np.round(np.clip(scaled, 0.0, 1.0), 4).tolist()


_WORD, _CONCEPT, _SIGNAL, _SILENT = 0, 1, 2, 3


@dataclass
class _ReasonTables:
    kinds: np.ndarray  # per feature column: _WORD, _CONCEPT, _SIGNAL or _SILENT
    labels: np.ndarray  # per feature column, the words shown (object array)
    hides_concept: sp.csr_matrix  # word x concept: a shared word says what the concept says
    hides_word: sp.csr_matrix  # concept x word: the concept's name already holds the word


def _reason_tables(model: Model) -> _ReasonTables:
    """Per feature column, what kind of reason it gives, and which reasons make others redundant."""
    if "reasons" not in model._cache:
        n = len(model.features)
        kinds = np.full(n, _SILENT, dtype=np.int8)
        vocab = vocabulary()
        words_of: dict[str, set[str]] = {}
        for word, bucket in vocab.phrases.items():
            for rest, concept in bucket:
                if not rest:
                    words_of.setdefault(vocab.labels[concept], set()).add(word)
        for token, concepts in vocab.exact.items():
            key = _word_key(token)
            for concept in concepts:
                if key:
                    words_of.setdefault(vocab.labels[concept], set()).add(key)
        fi = model.feature_index
        word_of_label: dict[str, list[int]] = {}
        for col in range(model.n_text):
            key, label = model.features[col], model.labels[col]
            if not label or key.startswith("~"):
                continue
            word_of_label.setdefault(label, []).append(col)
        hide_c: tuple[list[int], list[int]] = ([], [])
        hide_w: tuple[list[int], list[int]] = ([], [])
        for col, (key, label) in enumerate(zip(model.features, model.labels, strict=True)):
            if not label or key.startswith("cluster:"):
                continue  # latent topics have no words; clusters are too broad to explain
            if col >= model.n_text:
                kinds[col] = _SIGNAL
            elif key.startswith("~"):
                kinds[col] = _CONCEPT
                for w in words_of.get(key[1:], ()):
                    if fi.get(w, n) < model.n_text:
                        hide_c[0].append(fi[w])
                        hide_c[1].append(col)
                for part in label.split():
                    for w in word_of_label.get(part, ()):
                        hide_w[0].append(col)
                        hide_w[1].append(w)
            else:
                kinds[col] = _WORD

        def relation(pairs: tuple[list[int], list[int]]) -> sp.csr_matrix:
            ones = np.ones(len(pairs[0]), dtype=np.float32)
            return sp.csr_matrix((ones, pairs), shape=(n, n))

        model._cache["reasons"] = _ReasonTables(
            kinds=kinds,
            labels=np.array(model.labels, dtype=object),
            hides_concept=relation(hide_c),
            hides_word=relation(hide_w),
        )
    return model._cache["reasons"]


def _reasons(model: Model, left_rows: np.ndarray, right_rows: np.ndarray) -> list[tuple[str, ...]]:
    """Readable reasons for each pair of documents (left_rows[i], right_rows[i]), by index
    into the model's matrix; see _explain()."""
    tables = _reason_tables(model)
    rows = _reason_rows(model)
    chunk = 50_000  # pairs at once (below 2**17, see the sort key in _explain)

    def explain(start: int) -> list[tuple[str, ...]]:
        a = rows[left_rows[start : start + chunk]]
        b = rows[right_rows[start : start + chunk]]
        return _explain(tables, a.multiply(b).tocsr())

    starts = range(0, len(left_rows), chunk)
    if THREADS > 1 and len(starts) > 1:
        with ThreadPoolExecutor(THREADS) as pool:
            parts = list(pool.map(explain, starts))
    else:
        parts = [explain(start) for start in starts]
    return [why for part in parts for why in part]


def _explain(tables: _ReasonTables, product: sp.csr_matrix) -> list[tuple[str, ...]]:
    """Reasons from each row of `product`, the contribution of each shared feature of a pair.

    The shared features that added most to the pair's score: up to MAX_TEXT_REASONS terms of
    the text, best first, then the shared themes, the partner kind and the challenge, up to
    MAX_REASONS in all. A shared word beats the concepts it stands for ("kiln", not "cement
    and lime"); a concept beats the words of its own name ("carbon capture", not "capture").
    """
    product.eliminate_zeros()
    # Concepts said by a shared word, then words said by a remaining concept's name.
    for relation, kind in ((tables.hides_concept, _WORD), (tables.hides_word, _CONCEPT)):
        present = product.copy()
        present.data = (tables.kinds[present.indices] == kind).astype(np.float32)
        present.eliminate_zeros()
        hidden = (present @ relation).multiply(product) != 0
        product = product - product.multiply(hidden)
        product.eliminate_zeros()
    n = product.shape[0]
    pair = np.repeat(np.arange(n, dtype=np.int64), np.diff(product.indptr))
    cols = product.indices.astype(np.int64)
    signal = (tables.kinds[cols] == _SIGNAL).astype(np.int64)
    # One sort key: pair, then text before signals, then contribution (an integer below
    # 2**24) descending, then column.
    value = np.minimum(product.data, 2**24 - 1).astype(np.int64)
    if len(tables.kinds) <= 2**20 and n < 2**17:  # pair: 19 bits, value: 24, column: 20
        key = ((pair << 1 | signal) << 44) | ((2**24 - 1 - value) << 20) | cols
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((cols, -value, signal, pair))
    pair, cols, signal = pair[order], cols[order], signal[order].astype(bool)
    first = np.searchsorted(pair, pair, side="left")
    rank = np.arange(len(pair)) - first  # text terms first, so this is their own rank
    n_text = np.bincount(pair[~signal], minlength=n)[pair]
    shown_text = np.minimum(n_text, MAX_TEXT_REASONS)
    keep = np.where(signal, shown_text + (rank - n_text) < MAX_REASONS, rank < MAX_TEXT_REASONS)
    pair, cols = pair[keep], cols[keep]
    labels = tables.labels[cols].tolist()
    bounds = np.searchsorted(pair, np.arange(n + 1), side="left").tolist()
    return [tuple(labels[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _reason_rows(model: Model) -> sp.csr_matrix:
    """The model's rows with only what can be a reason: positive text terms and signals."""
    if "reason_rows" not in model._cache:
        tables = _reason_tables(model)
        matrix = model.matrix.copy()
        matrix.data[(tables.kinds[matrix.indices] == _SILENT) | (matrix.data < 0)] = 0
        matrix.eliminate_zeros()
        model._cache["reason_rows"] = matrix
    return model._cache["reason_rows"]


# ---------------------------------------------------------------------------------------------
# One new or edited document
# ---------------------------------------------------------------------------------------------
def suggest_for(
    model: Model,
    doc: Doc,
    *,
    changed: Sequence[Doc] = (),
    removed: frozenset[str] = frozenset(),
    top: int = 10,
    reverse_top: int = 200,
    blocked: Mapping[str, set[str]] | None = None,
    reverse_challenges_only: bool = False,
) -> tuple[list[Suggestion], list[Suggestion]]:
    """Score one new or edited `doc` against the model's documents without refitting.

    The doc is vectorised with the fitted vocabulary. `changed` are documents added or edited
    since the fit: their fresh vectors replace or extend the fitted ones. `removed` refs are no
    longer eligible, in either direction. Returns (forward, reverse): the doc's own `top`
    suggestions, and the best `reverse_top` suggestions in which the doc is the target of
    another document (so the caller can slot it into their lists). Same exclusions and the
    same pairwise scores as suggest(): for a doc already in the model, with nothing changed,
    forward equals suggest(model, [doc.ref]).

    With `reverse_challenges_only` (for an offer-like doc), reverse holds only challenges: the
    challenges the doc's text answers best, e.g. for an enquiry to the programme.
    """
    _check_doc(doc)
    latest = {d.ref: d for d in changed if d.ref != doc.ref}  # the last edit of a ref wins
    others = list(latest.values())
    for d in others:
        _check_doc(d)
    vectors, offsets = _vectorise(model, [doc, *others])
    vec = vectors[0].toarray().ravel().astype(np.float32)
    sides = model._sides()
    codes = _side_owner_codes(model)
    blocked = blocked or {}
    doc_is_source = doc.kind in _SOURCE_KINDS

    # The model's documents on the other side, with their scores against the doc.
    if doc_is_source:
        base, positions, owner_codes = sides.cols, sides.col_pos, codes.cols
        values = sides.col_matrix @ vec + np.float32(offsets[0])  # exact: integers < 2**24
        is_challenge = np.zeros(len(base), dtype=bool)
    else:
        base, positions, owner_codes = sides.rows, sides.row_pos, codes.rows
        values = sides.row_matrix @ vec + sides.row_offsets
        is_challenge = sides.row_is_challenge
    eligible = values >= _min_int()
    own_code = codes.index.get(doc.owner)
    if own_code is not None:
        eligible &= owner_codes != own_code
    for ref in set(removed) | set(latest) | {doc.ref}:  # gone, or scored from fresh text
        pos = positions.get(model.index.get(ref, -1))
        if pos is not None:
            eligible[pos] = False
    forward_ok = eligible & ~is_challenge
    for ref in blocked.get(doc.owner, ()):
        pos = positions.get(model.index.get(ref, -1))
        if pos is not None:
            forward_ok[pos] = False
    blockers = [
        codes.index[o] for o, refs in blocked.items() if doc.ref in refs and o in codes.index
    ]
    reverse_ok = eligible & ~np.isin(owner_codes, blockers) if doc.kind != "challenge" else None
    if reverse_ok is not None and reverse_challenges_only:
        reverse_ok &= is_challenge

    # Changed documents on the other side, scored from their fresh vectors.
    extra = [
        i
        for i, d in enumerate(others, 1)
        if (d.kind == "offer") == doc_is_source and d.ref not in removed and d.owner != doc.owner
    ]
    extra_values = np.asarray(vectors[extra] @ vec, dtype=np.float32) if extra else np.zeros(0)
    if extra:
        extra_values += (
            np.float32(offsets[0]) if doc_is_source else offsets[extra].astype(np.float32)
        )

    def best(ok: np.ndarray, extra_ok: list[bool], limit: int) -> list[tuple[float, str, int]]:
        """(score, ref, candidate) of the `limit` best, score descending then ref."""
        if limit <= 0:
            return []
        idx = np.flatnonzero(ok)
        if len(idx) > limit:
            kth = np.partition(values[idx], len(idx) - limit)[len(idx) - limit]
            idx = idx[values[idx] >= kth]  # ties with the k-th all stay, for the ref order
        picked = [(float(values[i]), model.refs[base[i]], int(i)) for i in idx.tolist()]
        picked += [
            (float(v), others[i - 1].ref, -1 - j)
            for j, (i, v, ok_) in enumerate(
                zip(extra, extra_values.tolist(), extra_ok, strict=True)
            )
            if ok_ and v >= _min_int()
        ]
        picked.sort(key=lambda item: (-item[0], item[1]))
        return picked[:limit]

    own_blocked = blocked.get(doc.owner, ())
    forward = best(
        forward_ok,
        [others[i - 1].kind != "challenge" and others[i - 1].ref not in own_blocked for i in extra],
        top,
    )
    reverse = (
        []
        if reverse_ok is None
        else best(
            reverse_ok,
            [
                doc.ref not in blocked.get(others[i - 1].owner, ())
                and (others[i - 1].kind == "challenge" or not reverse_challenges_only)
                for i in extra
            ],
            reverse_top,
        )
    )

    # Reasons for the picked pairs only: each candidate's row times the doc's vector.
    picked = forward + reverse
    model_rows = [base[c] for _, _, c in picked if c >= 0]
    fresh_rows = [extra[-1 - c] for _, _, c in picked if c < 0]
    stacked = sp.vstack(
        [model.matrix[np.array(model_rows, dtype=np.int64)], vectors[fresh_rows]], format="csr"
    )
    order, next_model, next_fresh = [], 0, len(model_rows)
    for _, _, c in picked:
        if c >= 0:
            order.append(next_model)
            next_model += 1
        else:
            order.append(next_fresh)
            next_fresh += 1
    product = stacked[np.array(order, dtype=np.int64)]
    tables = _reason_tables(model)
    product.data = product.data * vec[product.indices]
    product.data[(tables.kinds[product.indices] == _SILENT) | (product.data < 0)] = 0
    why = _explain(tables, product)
    scores = _scores([v for v, _, _ in picked])
    n = len(forward)
    out_forward = [
        Suggestion(doc.ref, ref, score, w)
        for (_, ref, _), score, w in zip(forward, scores[:n], why[:n], strict=True)
    ]
    out_reverse = [
        Suggestion(ref, doc.ref, score, w)
        for (_, ref, _), score, w in zip(reverse, scores[n:], why[n:], strict=True)
    ]
    return out_forward, out_reverse


@dataclass
class _OwnerCodes:
    index: dict[str, int]  # organisation ref -> code
    rows: np.ndarray  # code of each row's owner
    cols: np.ndarray  # code of each col's owner


def _side_owner_codes(model: Model) -> _OwnerCodes:
    if "owner_codes" not in model._cache:
        sides = model._sides()
        index: dict[str, int] = {}
        rows = np.array([index.setdefault(o, len(index)) for o in sides.row_owner], dtype=np.int64)
        cols = np.array([index.setdefault(o, len(index)) for o in sides.col_owner], dtype=np.int64)
        model._cache["owner_codes"] = _OwnerCodes(index, rows, cols)
    return model._cache["owner_codes"]


def strength(score: float) -> str:
    """The score in words: "strong", "good" or "possible"."""
    if score >= STRONG:
        return "strong"
    if score >= GOOD:
        return "good"
    return "possible"
