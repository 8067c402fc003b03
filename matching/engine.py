"""The partnership matcher: TF-IDF text similarity plus structured signals. No Django here.

Plain data in, plain data out, so that it can be tested and benchmarked alone.

How a pair is scored
--------------------
Every document becomes one sparse vector. A need or a challenge (a "source side" document)
carries the weights below; an offer (the "target side") carries plain unit vectors, so that the
score of a need/offer pair is ONE dot product::

    score = W_TEXT      * cosine(text of need, text of offer)
          + W_THEMES    * cosine(themes of need, themes of offer)
          + W_CLUSTERS  * cosine(clusters of need, clusters of offer)
          + W_PARTNER   * partner fit (1 if the offer's organisation is the kind the need asks
                          for, ANY_PARTNER_FIT if the need says "any", 0 otherwise)
          + W_CHALLENGE * (1 if the offer answers that challenge)

The weights add up to 1, so a score lies between 0 and 1. The same pairwise score ranks offers
for a need and needs for an offer ("a match must make sense to both sides").

The text is TF-IDF over the title (counted TITLE_WEIGHT times), the description, the names of
the themes and the names of the clusters, with a light English stemmer and the domain
vocabulary in matching/vocabulary.txt: a listing that says "CCS" also gets the term "carbon
capture", one that says "kiln" also gets "cement and lime".

Exact arithmetic
----------------
Vector weights are rounded to integers (QUANT levels per unit), so every dot product is a sum of
integers below 2**24, which float32 represents exactly whatever the order of summation. A
score therefore does not depend on how a rebuild is split into blocks or chunks, on BLAS or on
sparse kernels: chunks give exactly what one call gives, and suggest_for() agrees with
suggest(). Rounding moves a cosine by about 1e-3 at most.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ENGINE_VERSION = "tfidf-1"

# ---------------------------------------------------------------------------------------------
# Weights: every number that shapes a score lives here.
# ---------------------------------------------------------------------------------------------
W_TEXT = 0.60  # cosine of the TF-IDF text vectors
W_CONCEPTS = 0.0  # cosine of the vocabulary concepts alone (0: concepts count as words)
W_THEMES = 0.15  # cosine of the theme sets (a need about hydrogen, an offer about hydrogen)
W_CLUSTERS = 0.05  # cosine of the cluster sets (both active in Humber)
W_PARTNER = 0.10  # the offering organisation is the kind of partner the need asks for
W_CHALLENGE = 0.10  # the offer was posted in answer to this challenge
ANY_PARTNER_FIT = 0.5  # partner fit when the need asks for "any" kind of partner (no preference)
SHARED_CHALLENGE_FIT = 0.5  # a need and an offer posted in answer to the same challenge

TITLE_WEIGHT = 2.0  # a word in the title counts as this many words of the description
THEME_TEXT_WEIGHT = 0.5  # the words of each theme's name, added to the text
CLUSTER_TEXT_WEIGHT = 0.25  # the words of each cluster's name, added to the text
CONCEPT_WEIGHT = 1.0  # a vocabulary concept ("carbon capture") against one word of text
STEMMING = True  # fold plurals and -ed/-ing endings ("capturing" = "capture")
CHAR_NGRAM_WEIGHT = 0.0  # character 3-5-grams of each word as extra terms (0 = off; measured)
MIN_DF = 1  # a term must occur in at least this many documents to enter the vocabulary

# Score bands shown to people ("strong", "good", "possible"); see strength().
STRONG = 0.5
GOOD = 0.3
MIN_SCORE = 0.0  # a pair scoring less is never suggested

MAX_REASONS = 4  # reasons shown with a suggestion
MAX_TEXT_REASONS = 3  # of which terms of the text
QUANT = 2896  # integer levels per unit weight: QUANT**2 * 2 < 2**24 keeps float32 sums exact

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
    """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn doing
    don down during each either etc even ever every few for from further get gets getting got
    had hadn has hasn have haven having he her here hers herself him himself his how however i
    if in into is isn it its itself just let ll may me might more most much must mustn my
    myself neither no nor not now of off often on once one only or other others otherwise ought
    our ours ourselves out over own per please quite rather re really same shall shan she
    should shouldn so some such than that the their theirs them themselves then there these
    they this those though through thus to too under until up upon us ve very via was wasn we
    well were weren what when where whether which while who whom whose why will with within
    without won would wouldn yet you your yours yourself yourselves
    """.split()
)

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:&[A-Za-z0-9]+)*")
_SINGLE_LETTER_PREFIX_RE = re.compile(r"\b([A-Za-z])-(?=[A-Za-z])")  # e-fuel -> efuel
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
    """A light English stemmer: Porter's step 1 (plurals, -ed, -ing) and -ize spelt -ise.

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
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies"):
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
    return word


@dataclass(frozen=True)
class _Concept:
    label: str
    phrases: tuple[tuple[str, ...], ...]


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

    def concepts(self, raw_tokens: Sequence[str], words: Sequence[str]) -> list[int]:
        """Concept ids found in a text, once per occurrence (raw tokens, analysed words)."""
        found = []
        for token in raw_tokens:
            hit = self.exact.get(token)
            if hit:
                found.extend(hit)
        phrases = self.phrases
        n = len(words)
        for i, word in enumerate(words):
            bucket = phrases.get(word)
            if not bucket:
                continue
            seen = set()
            for rest, concept in bucket:
                if concept in seen:
                    continue
                if not rest or tuple(words[i + 1 : i + 1 + len(rest)]) == rest:
                    if i + len(rest) < n or not rest:
                        found.append(concept)
                        seen.add(concept)
        return found


_STEM_CACHE: dict[str, str | None] = {}


def _word_key(token: str) -> str | None:
    """The analysed form of one raw token, or None for stop words, numbers and single letters."""
    key = _STEM_CACHE.get(token)
    if key is not None or token in _STEM_CACHE:
        return key
    lower = token.lower()
    if len(lower) < 2 or lower[0].isdigit() or lower in STOP_WORDS:
        key = None
    else:
        key = stem(lower) if STEMMING else lower
    if len(_STEM_CACHE) < 2_000_000:
        _STEM_CACHE[token] = key
    return key


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _SINGLE_LETTER_PREFIX_RE.sub(r"\1", text)


def _raw_tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(_normalise(text))


def _analyse_words(text: str) -> list[str]:
    return [k for k in map(_word_key, _raw_tokens(text)) if k is not None]


_VOCABULARY: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    """The compiled domain vocabulary (read once from VOCABULARY_FILE)."""
    global _VOCABULARY
    if _VOCABULARY is None:
        _VOCABULARY = Vocabulary(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return _VOCABULARY


def _cluster_name(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ")


def _doc_terms(doc: Doc, vocab: Vocabulary, surfaces: Counter | None = None) -> dict[str, float]:
    """Term -> weighted count for one document (title counted TITLE_WEIGHT times)."""
    counts: dict[str, float] = {}
    fields = [(doc.title, TITLE_WEIGHT), (doc.text, 1.0)]
    fields += [
        (THEME_NAMES.get(t, _cluster_name(t)), THEME_TEXT_WEIGHT) for t in sorted(doc.themes)
    ]
    fields += [(_cluster_name(c), CLUSTER_TEXT_WEIGHT) for c in sorted(doc.clusters)]
    labels = vocab.labels
    for text, weight in fields:
        if not text or weight <= 0:
            continue
        raw = _raw_tokens(text)
        words = []
        for token in raw:
            key = _word_key(token)
            if key is not None:
                words.append(key)
                counts[key] = counts.get(key, 0.0) + weight
                if surfaces is not None:
                    surfaces[(key, token.lower())] += 1
        for concept in vocab.concepts(raw, words):
            key = "~" + labels[concept]
            counts[key] = counts.get(key, 0.0) + weight * CONCEPT_WEIGHT
        if CHAR_NGRAM_WEIGHT > 0:
            for word in words:
                padded = f" {word} "
                grams = [padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
                share = weight * CHAR_NGRAM_WEIGHT / len(grams)
                for gram in grams:
                    key = "#" + gram
                    counts[key] = counts.get(key, 0.0) + share
    return counts


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
def _settings_fingerprint() -> str:
    settings = {
        name: value
        for name, value in globals().items()
        if name.isupper() and isinstance(value, (int, float, str)) and name != "ENGINE_VERSION"
    }
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
            col_t = col_m.T.tocsr()
            owners = np.array(self.owners, dtype=object)
            self._cache["sides"] = _Sides(
                rows=rows,
                cols=cols,
                row_matrix=row_m,
                col_matrix=col_m,
                col_matrix_t=col_t,
                row_offsets=self.offsets[rows],
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
                matrix=matrix,
                offsets=z["offsets"].astype(np.int64),
            )


@dataclass
class _Sides:
    rows: np.ndarray
    cols: np.ndarray
    row_matrix: sp.csr_matrix
    col_matrix: sp.csr_matrix
    col_matrix_t: sp.csr_matrix
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
    vocab = vocabulary()
    surfaces: Counter = Counter()
    term_counts = [_doc_terms(doc, vocab, surfaces) for doc in docs]
    df: Counter = Counter()
    for counts in term_counts:
        df.update(counts.keys())
    terms = sorted(t for t, n in df.items() if n >= MIN_DF)
    n_docs = len(docs)
    idf = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float64)

    best_surface: dict[str, tuple[int, str]] = {}
    for (key, surface), n in surfaces.items():
        current = best_surface.get(key)
        if current is None or (n, _neg(surface)) > (current[0], _neg(current[1])):
            best_surface[key] = (n, surface)
    labels = [
        t[1:] if t.startswith("~") else "" if t.startswith("#") else best_surface.get(t, (0, t))[1]
        for t in terms
    ]

    features, extra_labels = _structured_features(docs)
    features = terms + features
    labels = labels + extra_labels
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
        features=features,
        labels=labels,
        idf=idf,
        n_text=len(terms),
        matrix=sp.csr_matrix((0, len(features)), dtype=np.float32),
        offsets=np.zeros(0, dtype=np.int64),
    )
    model.matrix, model.offsets = _vectorise(model, docs, term_counts)
    return model


def _neg(text: str) -> tuple[int, ...]:
    """Sort key that prefers the alphabetically first string among equals."""
    return tuple(-ord(c) for c in text)


def _structured_features(docs: Sequence[Doc]) -> tuple[list[str], list[str]]:
    themes = sorted({t for d in docs for t in d.themes})
    clusters = sorted({c for d in docs for c in d.clusters})
    kinds = sorted({d.owner_kind for d in docs if d.kind == "offer" and d.owner_kind})
    challenges = sorted({d.ref for d in docs if d.kind == "challenge"})
    features = (
        [f"theme:{t}" for t in themes]
        + [f"cluster:{c}" for c in clusters]
        + [f"kind:{k}" for k in kinds]
        + [f"challenge:{c}" for c in challenges]
    )
    labels = (
        [f"theme: {THEME_LABELS.get(t, _cluster_name(t))}" for t in themes]
        + [f"cluster: {_cluster_name(c).title()}" for c in clusters]
        + [f"a partner of the kind sought ({k.replace('_', ' ')})" for k in kinds]
        + ["answers the challenge" for _ in challenges]
    )
    return features, labels


def _vectorise(
    model: Model, docs: Sequence[Doc], term_counts: Sequence[dict[str, float]] | None = None
) -> tuple[sp.csr_matrix, np.ndarray]:
    """The integer-valued vectors and source offsets of `docs` in the model's feature space."""
    vocab = vocabulary()
    if term_counts is None:
        term_counts = [_doc_terms(doc, vocab) for doc in docs]
    fi = model.feature_index
    idf = model.idf
    n_text = model.n_text
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    offsets = np.zeros(len(docs), dtype=np.int64)
    for row, (doc, counts) in enumerate(zip(docs, term_counts, strict=True)):
        source = doc.kind in _SOURCE_KINDS
        cols = sorted(i for i in (fi.get(t) for t in counts) if i is not None and i < n_text)
        if cols:
            keys = [model.features[i] for i in cols]
            w = np.array([counts[k] for k in keys], dtype=np.float64)
            # Sublinear term frequency, 1 + ln(tf), continued as tf below 1 (weighted fields).
            w = np.where(w > 1.0, 1.0 + np.log(np.maximum(w, 1.0)), w) * idf[cols]
            concept = np.array([k.startswith("~") for k in keys])
            w[concept] *= CONCEPT_WEIGHT
            if W_CONCEPTS > 0:
                # Concepts as a channel of their own: a cosine of topics beside that of words.
                for part, share in ((~concept, W_TEXT), (concept, W_CONCEPTS)):
                    norm = math.sqrt(float(np.dot(w[part], w[part])))
                    if norm > 0:
                        w[part] *= (share if source else 1.0) / norm
            else:
                w /= math.sqrt(float(np.dot(w, w)))
                w *= W_TEXT if source else 1.0
        else:
            w = np.zeros(0)
        entries = dict(zip(cols, w.tolist(), strict=True))

        def add_set(prefix: str, values: Iterable[str], weight: float, entries=entries) -> None:
            values = sorted(values)
            if not values:
                return
            share = weight / math.sqrt(len(values))
            for v in values:
                col = fi.get(f"{prefix}{v}")
                if col is not None:
                    entries[col] = share

        add_set("theme:", doc.themes, W_THEMES if source else 1.0)
        add_set("cluster:", doc.clusters, W_CLUSTERS if source else 1.0)
        if source:
            partner = doc.partner_kind or "any"
            col = fi.get(f"kind:{partner}")
            if partner == "any":
                offsets[row] = round(W_PARTNER * ANY_PARTNER_FIT * QUANT * QUANT)
            elif col is not None:
                entries[col] = W_PARTNER
            if doc.kind == "challenge":
                col = fi.get(f"challenge:{doc.ref}")
                if col is not None:
                    entries[col] = W_CHALLENGE
            elif doc.challenge:
                col = fi.get(f"challenge:{doc.challenge}")
                if col is not None:
                    entries[col] = W_CHALLENGE * SHARED_CHALLENGE_FIT
        else:
            col = fi.get(f"kind:{doc.owner_kind}")
            if col is not None:
                entries[col] = 1.0
            if doc.challenge:
                col = fi.get(f"challenge:{doc.challenge}")
                if col is not None:
                    entries[col] = 1.0
        for col in sorted(entries):
            value = round(entries[col] * QUANT)
            if value > 0:
                indices.append(col)
                data.append(value)
        indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr)),
        shape=(len(docs), len(model.features)),
    )
    return matrix, offsets


# ---------------------------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------------------------
_SCALE = 1.0 / (QUANT * QUANT)
_BLOCK_CELLS = 1 << 24  # scores computed at once (64 MiB of float32)


def _min_int() -> float:
    return MIN_SCORE * QUANT * QUANT


def _row_lower_bounds(block: np.ndarray, k: int) -> np.ndarray:
    """Per row, a value that at least k entries of the row reach (-inf if none is known)."""
    b, m = block.shape
    if m < k:
        return np.full(b, -np.inf, dtype=np.float32)
    seg_len = max(1, m // (4 * k))
    n_seg = m // seg_len
    if n_seg < k:
        return np.full(b, -np.inf, dtype=np.float32)
    seg = block[:, : n_seg * seg_len].reshape(b, n_seg, seg_len).max(axis=2)
    return np.partition(seg, n_seg - k, axis=1)[:, n_seg - k]


def _col_lower_bounds(block: np.ndarray, k: int) -> np.ndarray:
    return _row_lower_bounds(np.ascontiguousarray(block.T), k) if block.shape[0] else None


def _select(
    owner: np.ndarray, other: np.ndarray, values: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k best (value desc, then `other` asc) per `owner` group, sorted by owner."""
    order = np.lexsort((other, -values.astype(np.float64), owner))
    owner, other, values = owner[order], other[order], values[order]
    first = np.searchsorted(owner, owner, side="left")
    keep = (np.arange(len(owner)) - first) < k
    return owner[keep], other[keep], values[keep]


class _Exclusions:
    """Pairs (row position, col position) never suggested in one direction or both."""

    def __init__(self, sides: _Sides, blocked: Mapping[str, Iterable[str]] | None, model: Model):
        self.sides = sides
        both_r, both_c = _same_owner_pairs(model, sides)
        row_r, row_c, col_r, col_c = [], [], [], []
        if blocked:
            index = model.index
            row_of_owner: dict[str, list[int]] = {}
            for p, o in enumerate(sides.row_owner):
                row_of_owner.setdefault(o, []).append(p)
            col_of_owner: dict[str, list[int]] = {}
            for p, o in enumerate(sides.col_owner):
                col_of_owner.setdefault(o, []).append(p)
            for owner, refs in blocked.items():
                for ref in refs:
                    d = index.get(ref)
                    if d is None:
                        continue
                    if d in sides.col_pos:  # an offer blocked by a need's or challenge's owner
                        c = sides.col_pos[d]
                        for r in row_of_owner.get(owner, ()):
                            row_r.append(r)
                            row_c.append(c)
                    elif d in sides.row_pos:  # a need blocked by an offer's owner
                        r = sides.row_pos[d]
                        for c in col_of_owner.get(owner, ()):
                            col_r.append(r)
                            col_c.append(c)
        self.both = (both_r, both_c)
        self.row_only = (np.array(row_r, dtype=np.int64), np.array(row_c, dtype=np.int64))
        self.col_only = (np.array(col_r, dtype=np.int64), np.array(col_c, dtype=np.int64))


def _same_owner_pairs(model: Model, sides: _Sides) -> tuple[np.ndarray, np.ndarray]:
    key = "same_owner"
    if key not in model._cache:
        cols_of: dict[str, list[int]] = {}
        for p, o in enumerate(sides.col_owner):
            cols_of.setdefault(o, []).append(p)
        rr, cc = [], []
        for r, o in enumerate(sides.row_owner):
            for c in cols_of.get(o, ()):
                rr.append(r)
                cc.append(c)
        model._cache[key] = (np.array(rr, dtype=np.int64), np.array(cc, dtype=np.int64))
    return model._cache[key]


def _in_block(pairs: tuple[np.ndarray, np.ndarray], r0: int, r1: int, cols=None):
    r, c = pairs
    sel = (r >= r0) & (r < r1)
    r, c = r[sel] - r0, c[sel]
    if cols is not None:  # restrict to a subset of columns, renumbered
        pos = np.searchsorted(cols, c)
        pos = np.minimum(pos, len(cols) - 1) if len(cols) else pos
        ok = (cols[pos] == c) if len(cols) else np.zeros(len(c), dtype=bool)
        r, c = r[ok], pos[ok]
    return r, c


def _scores(sides: _Sides, r0: int, r1: int, cols: np.ndarray | None) -> np.ndarray:
    """Integer-valued scores of rows r0:r1 against all columns (or `cols`), float32."""
    right = sides.col_matrix_t if cols is None else sides.col_matrix_t[:, cols]
    block = (sides.row_matrix[r0:r1] @ right).toarray()
    block += sides.row_offsets[r0:r1, None].astype(np.float32)
    return block


def _rank(
    model: Model,
    row_sources: np.ndarray,
    col_sources: np.ndarray,
    top: int,
    blocked: Mapping[str, Iterable[str]] | None,
):
    """Top pairs for the given row sources (against all cols) and col sources (all rows).

    Returns two triples (source position, target position, integer score), sorted by source
    then rank. Positions are within the row and col sides.
    """
    sides = model._sides()
    excl = _Exclusions(sides, blocked, model)
    n_rows, n_cols = len(sides.rows), len(sides.cols)
    floor = np.float32(_min_int())
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    row_result, col_result = empty, empty
    if top <= 0 or n_rows == 0 or n_cols == 0:
        return row_result, col_result

    # Needs and challenges as sources: blocks of rows against every offer.
    if len(row_sources):
        found = []
        sub = sides.row_matrix[row_sources]
        sub_sides = _Sides(
            rows=sides.rows[row_sources],
            cols=sides.cols,
            row_matrix=sub,
            col_matrix=sides.col_matrix,
            col_matrix_t=sides.col_matrix_t,
            row_offsets=sides.row_offsets[row_sources],
            row_is_challenge=sides.row_is_challenge[row_sources],
            row_owner=sides.row_owner[row_sources],
            col_owner=sides.col_owner,
            row_pos={},
            col_pos=sides.col_pos,
        )
        remap = np.full(n_rows, -1, dtype=np.int64)
        remap[row_sources] = np.arange(len(row_sources))
        step = max(1, _BLOCK_CELLS // n_cols)
        for r0 in range(0, len(row_sources), step):
            r1 = min(len(row_sources), r0 + step)
            block = _scores(sub_sides, r0, r1, None)
            for pairs in (excl.both, excl.row_only):
                r, c = pairs
                mapped = remap[r] if len(r) else r
                ok = mapped >= 0
                rr, cc = _in_block((mapped[ok], c[ok]), r0, r1)
                block[rr, cc] = -np.inf
            bound = np.maximum(_row_lower_bounds(block, top), floor)
            rr, cc = np.nonzero(block >= bound[:, None])
            found.append((row_sources[rr + r0], cc, block[rr, cc]))
        if found:
            r, c, v = (np.concatenate(x) for x in zip(*found, strict=True))
            row_result = _select(r, c, v, top)

    # Offers as sources: every need (challenges are never targets) against those offers.
    if len(col_sources):
        cols = np.asarray(col_sources, dtype=np.int64)
        order = np.argsort(cols, kind="stable")
        cols_sorted = cols[order]
        eligible = np.flatnonzero(~sides.row_is_challenge)
        running = np.full(len(cols), -np.inf, dtype=np.float32)
        found = []
        step = max(1, _BLOCK_CELLS // max(1, len(cols)))
        for r0 in range(0, n_rows, step):
            r1 = min(n_rows, r0 + step)
            block = _scores(sides, r0, r1, cols_sorted)
            for pairs in (excl.both, excl.col_only):
                rr, cc = _in_block(pairs, r0, r1, cols_sorted)
                block[rr, cc] = -np.inf
            block[sides.row_is_challenge[r0:r1]] = -np.inf
            bounds = _col_lower_bounds(block, top)
            if bounds is not None:
                running = np.maximum(running, bounds)
            limit = np.maximum(running, floor)
            rr, cc = np.nonzero(block >= limit[None, :])
            found.append((cols_sorted[cc], rr + r0, block[rr, cc]))
        del eligible
        if found:
            c, r, v = (np.concatenate(x) for x in zip(*found, strict=True))
            col_result = _select(c, r, v, top)
    return row_result, col_result


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
    reasons = _reasons(model, model.matrix, src, model.matrix, tgt)
    by_source: dict[int, list[Suggestion]] = {}
    refs = model.refs
    for s, t, v, why in zip(src.tolist(), tgt.tolist(), val.tolist(), reasons, strict=True):
        by_source.setdefault(s, []).append(Suggestion(refs[s], refs[t], _score(v), why))
    out: list[Suggestion] = []
    seen = set()
    for d in doc_ids:
        if d in seen:
            continue
        seen.add(d)
        out.extend(by_source.get(d, ()))
    return out


def _score(value: float) -> float:
    return round(min(1.0, max(0.0, value * _SCALE)), 4)


def _reasons(
    model: Model,
    left: sp.csr_matrix,
    left_rows: np.ndarray,
    right: sp.csr_matrix,
    right_rows: np.ndarray,
) -> list[tuple[str, ...]]:
    """Readable reasons per pair: the shared features that contributed most to the score."""
    out: list[tuple[str, ...]] = []
    n_text = model.n_text
    labels = model.labels
    chunk = 20000
    for start in range(0, len(left_rows), chunk):
        a = left[left_rows[start : start + chunk]]
        b = right[right_rows[start : start + chunk]]
        product = a.multiply(b).tocsr()
        product.sort_indices()
        for i in range(product.shape[0]):
            lo, hi = product.indptr[i], product.indptr[i + 1]
            cols = product.indices[lo:hi]
            vals = product.data[lo:hi]
            order = np.lexsort((cols, -vals))
            out.append(_pick_reasons([int(cols[j]) for j in order], n_text, labels))
    return out


def _pick_reasons(cols: list[int], n_text: int, labels: list[str]) -> tuple[str, ...]:
    """Up to MAX_TEXT_REASONS terms (best first), then the structured signals the pair shares.

    A concept wins over its own words: "carbon capture" hides "carbon" and "capture".
    """
    words: list[str] = []
    structured: list[str] = []
    for col in cols:
        label = labels[col]
        if col >= n_text:
            if not label.startswith("cluster:") and label not in structured:
                structured.append(label)
            continue
        if not label or label in words:
            continue
        parts = label.split()
        if len(parts) == 1 and any(label in w.split() for w in words):
            continue
        words = [w for w in words if not (" " not in w and w in parts)]
        words.append(label)
    return tuple(words[:MAX_TEXT_REASONS] + structured)[:MAX_REASONS]


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
) -> tuple[list[Suggestion], list[Suggestion]]:
    """Score one new or edited `doc` against the model's documents without refitting.

    `changed` are documents added or edited since the fit (their fresh vectors replace or
    extend the fitted ones); `removed` refs are no longer eligible in either direction.
    Returns (forward, reverse): the doc's own `top` suggestions, and the best `reverse_top`
    suggestions in which the doc is the target of another document. For a doc already in the
    model and nothing changed, forward equals suggest(model, [doc.ref]).
    """
    _check_doc(doc)
    others = [d for d in changed if d.ref != doc.ref]
    for d in others:
        _check_doc(d)
    fresh, fresh_offsets = _vectorise(model, [doc, *others])
    vec = fresh[0]
    kind = doc.kind
    target_side_is_offer = kind in _SOURCE_KINDS
    sides = model._sides()
    drop = set(removed) | {d.ref for d in others} | {doc.ref}

    # Candidates on the other side: the model's (minus replaced and removed) plus changed docs.
    if target_side_is_offer:
        base_docs = sides.cols
        base_matrix = sides.col_matrix
    else:
        base_docs = sides.rows
        base_matrix = sides.row_matrix
    # Scores as ints: need-side vector . offer-side vector (+ the need-side offset).
    base_values = np.asarray(base_matrix @ vec.T.toarray()).ravel()
    if target_side_is_offer:
        base_values = base_values + fresh_offsets[0]
    else:
        base_values = base_values + sides.row_offsets
    keep = np.ones(len(base_docs), dtype=bool)
    for ref in drop:
        d = model.index.get(ref)
        if d is not None:
            pos = (sides.col_pos if target_side_is_offer else sides.row_pos).get(d)
            if pos is not None:
                keep[pos] = False
    owners = np.array(model.owners, dtype=object)[base_docs]
    keep &= owners != doc.owner
    cand_refs = [model.refs[d] for d in base_docs]
    cand_owner = list(owners)
    cand_kind = [int(k) for k in model.kinds[base_docs]]
    cand_values = base_values
    cand_source = [("model", int(d)) for d in base_docs]

    extra = [
        (i + 1, d)
        for i, d in enumerate(others)
        if d.ref not in removed
        and d.owner != doc.owner
        and ((d.kind == "offer") == target_side_is_offer)
    ]
    if extra:
        rows = fresh[[i for i, _ in extra]]
        if target_side_is_offer:
            vals = np.asarray(rows @ vec.T.toarray()).ravel() + fresh_offsets[0]
        else:
            vals = np.asarray(vec @ rows.T.toarray()).ravel() + fresh_offsets[[i for i, _ in extra]]
        cand_values = np.concatenate([cand_values[keep], vals])
        cand_refs = [r for r, k in zip(cand_refs, keep, strict=True) if k] + [
            d.ref for _, d in extra
        ]
        cand_owner = [o for o, k in zip(cand_owner, keep, strict=True) if k] + [
            d.owner for _, d in extra
        ]
        cand_kind = [c for c, k in zip(cand_kind, keep, strict=True) if k] + [
            _KIND_CODES[d.kind] for _, d in extra
        ]
        cand_source = [s for s, k in zip(cand_source, keep, strict=True) if k] + [
            ("fresh", i) for i, _ in extra
        ]
    else:
        cand_values = cand_values[keep]
        cand_refs = [r for r, k in zip(cand_refs, keep, strict=True) if k]
        cand_owner = [o for o, k in zip(cand_owner, keep, strict=True) if k]
        cand_kind = [c for c, k in zip(cand_kind, keep, strict=True) if k]
        cand_source = [s for s, k in zip(cand_source, keep, strict=True) if k]

    floor = _min_int()
    blocked = blocked or {}
    refs_arr = np.array(cand_refs, dtype=object)
    is_challenge = np.array([k == _CHALLENGE for k in cand_kind], dtype=bool)

    def best(mask: np.ndarray, limit: int) -> list[int]:
        idx = np.flatnonzero(mask & (cand_values >= floor))
        if not len(idx) or limit <= 0:
            return []
        if len(idx) > limit:
            kth = np.partition(cand_values[idx], len(idx) - limit)[len(idx) - limit]
            idx = idx[cand_values[idx] >= kth]
        order = sorted(idx.tolist(), key=lambda i: (-cand_values[i], cand_refs[i]))
        return order[:limit]

    # Forward: the doc's own targets (challenges are never targets).
    own_blocked = blocked.get(doc.owner, set())
    fwd_mask = ~is_challenge & np.array([r not in own_blocked for r in cand_refs], dtype=bool)
    if kind == "challenge" or target_side_is_offer:
        fwd_mask &= True
    forward_idx = best(fwd_mask, top)
    # Reverse: the doc as a target (a challenge is never one).
    if kind == "challenge":
        reverse_idx = []
    else:
        rev_mask = np.array([doc.ref not in blocked.get(o, ()) for o in cand_owner], dtype=bool)
        reverse_idx = best(rev_mask, reverse_top)

    def matrix_row(source):
        origin, i = source
        return (model.matrix, i) if origin == "model" else (fresh, i)

    def build(indices: list[int], doc_is_source: bool) -> list[Suggestion]:
        if not indices:
            return []
        reasons = []
        for i in indices:
            m, row = matrix_row(cand_source[i])
            left, right = (vec, m[row]) if doc_is_source else (m[row], vec)
            reasons.extend(_reasons(model, left, np.array([0]), right, np.array([0])))
        out = []
        for i, why in zip(indices, reasons, strict=True):
            if doc_is_source:
                out.append(Suggestion(doc.ref, cand_refs[i], _score(cand_values[i]), why))
            else:
                out.append(Suggestion(cand_refs[i], doc.ref, _score(cand_values[i]), why))
        return out

    del refs_arr
    return build(forward_idx, True), build(reverse_idx, False)


def strength(score: float) -> str:
    """The score in words: "strong", "good" or "possible"."""
    if score >= STRONG:
        return "strong"
    if score >= GOOD:
        return "good"
    return "possible"
