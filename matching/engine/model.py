"""The model: fit() turns documents into one weighted, integer-valued sparse vector each."""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.sparse as sp

from .documents import (
    _CHALLENGE,
    _KIND_CODES,
    _OFFER,
    _SOURCE_KINDS,
    THEME_LABELS,
    Doc,
    _check_doc,
)
from .settings import DEFAULTS, Settings
from .text import _word_key
from .vocabulary import RowStack, _cluster_name, _terms, vocabulary

ENGINE_VERSION = "tfidf-1"

# Documents vectorised at a time by fit (a speed and memory setting: never changes a result).
FIT_BLOCK = 25_000


def _settings_fingerprint(settings: Settings) -> str:
    """Hash of the settings that shape a score and of the vocabulary's text."""
    values = settings.as_dict()
    del values["vocabulary_file"]  # its text counts, not where it lies
    blob = json.dumps(values, sort_keys=True) + vocabulary(settings).text
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class Model:
    """A fitted vocabulary and the vectors of every document it was fitted on."""

    version: str
    refs: list[str]

    def __init__(
        self,
        *,
        version: str,
        settings: Settings,
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
        self.settings = settings  # everything after the fit reads these
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
        self.topics = topics  # settings.topics x n_text: the latent topic directions (LSA)
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

    def digest(self) -> str:
        """A fingerprint of everything dumps() saves: two models with the same digest save
        the same bytes (bar the zip's timestamps). Hashing the arrays takes a fraction of
        compressing them, so a rebuild in which nothing changed need not store the model
        again (matching.services.save_model)."""
        h = hashlib.blake2b(digest_size=20)
        h.update(SAVED_FORMAT.encode())  # a change to how dumps() stores makes new bytes
        h.update(json.dumps(self._meta(), sort_keys=True).encode())
        m = self.matrix
        for array in (self.kinds, self.idf, self.topics, m.data, m.indices, m.indptr):
            h.update(str((array.dtype.str, array.shape)).encode())
            h.update(np.ascontiguousarray(array).data)
        h.update(np.ascontiguousarray(self.offsets.astype(np.int64)).data)
        return h.hexdigest()

    def _meta(self) -> dict:
        return {
            "version": self.version,
            "settings": self.settings.as_dict(),
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

    def dumps(self) -> bytes:
        meta = self._meta()
        buffer = io.BytesIO()
        m = self.matrix
        _savez(
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
                # A model saved before settings were stored was fitted with the defaults.
                settings=Settings.from_dict(meta.get("settings", {})),
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


# How dumps() stores a model: change it with any change to dumps(), so that a model stored
# the old way is not kept as "the same" by matching.services.save_model (review).
SAVED_FORMAT = "npz-int16-1"

# zlib level of a saved model. At 20,000 listings numpy's savez_compressed (level 6) took
# 0.7-1.0 s for 8.8 MB, level 1 0.4-0.5 s for 9.6 MB (a rebuild saves one model).
SAVE_LEVEL = 1


def _savez(buffer: io.BytesIO, **arrays: np.ndarray) -> None:
    """np.savez_compressed at SAVE_LEVEL: an .npz file that np.load reads as any other."""
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=SAVE_LEVEL) as z:
        for name, value in arrays.items():
            with z.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


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


def fit(docs: Sequence[Doc], settings: Settings = DEFAULTS) -> Model:
    """Fit the vocabulary on `docs` and vectorise them all. Deterministic: same docs, same model.

    The model keeps `settings` (model.settings): suggestions made with it follow them.

    Document order does not matter (documents are kept in ref order); refs must be unique.
    """
    docs = sorted(docs, key=lambda d: d.ref)
    for a, b in zip(docs, docs[1:], strict=False):
        if a.ref == b.ref:
            raise ValueError(f"duplicate ref {a.ref!r}")
    for doc in docs:
        _check_doc(doc)
    counter = _terms(settings)
    counts, token_counts = counter.count(docs, np.zeros(0, dtype=np.int64), settings)
    df = np.zeros(counts.shape[1], dtype=np.int64)  # documents per term
    for start in range(0, counts.nnz, 1 << 22):  # bincount copies its input to int64
        df += np.bincount(counts.indices[start : start + (1 << 22)], minlength=len(df))
    terms = sorted(counter.keys[i] for i in np.flatnonzero(df >= max(1, settings.min_df)))
    old_ids = np.array([counter.ids[t] for t in terms], dtype=np.int64)
    n_docs = len(docs)
    idf = np.log((1 + n_docs) / (1 + df[old_ids].astype(np.float64))) + 1.0

    # The readable form of each word: its most frequent spelling in the corpus (spellings
    # that differ only in capitals count together), shorter and then alphabetical on a tie.
    merged: Counter = Counter()
    spelled: Counter = Counter()  # exact spellings, capitals kept
    for number in np.flatnonzero(token_counts).tolist():
        token = counter.tokens[number]
        key = _word_key(token, settings.stemming)
        if key is not None:
            merged[(key, token.lower())] += int(token_counts[number])
            spelled[token] += int(token_counts[number])
    best_surface: dict[str, tuple[int, str]] = {}
    for (key, surface), n in merged.items():
        current = best_surface.get(key)
        if current is None or (n, -len(surface), _neg(surface)) > (
            current[0],
            -len(current[1]),
            _neg(current[1]),
        ):
            best_surface[key] = (n, surface)
    capitals = {**_names(spelled), **_acronyms(spelled)}
    labels = [
        " ".join(_shown(w, capitals) for w in t[1:].split(" "))  # a concept ("CO2 transport")
        if t.startswith("~")
        else _shown(best_surface.get(t, (0, t))[1], capitals)
        for t in terms
    ]
    concepts = np.array([t.startswith("~") for t in terms], dtype=bool)
    text_of = partial(_text_rows, counts, old_ids, idf, concepts, settings)
    # The topics are fitted on a sample of the documents' text vectors: only those are made.
    components = _fit_topics(text_of, n_docs, len(terms), settings)

    features, extra_labels = _structured_features(docs, len(components))
    model = Model(
        version=f"{ENGINE_VERSION}:{_settings_fingerprint(settings)}",
        settings=settings,
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
    # The vectors, a block of documents at a time: the whole corpus's text vectors and
    # float64 temporaries never exist at once. Rows are independent, so the matrix is the same
    # whatever the block size.
    rows = RowStack(np.float32)
    model.offsets = np.zeros(n_docs, dtype=np.int64)
    for start in range(0, n_docs, FIT_BLOCK):
        stop = min(start + FIT_BLOCK, n_docs)
        block, model.offsets[start:stop] = _assemble(
            model, docs[start:stop], text_of(slice(start, stop))
        )
        rows.add(block)
        del block
    del text_of, counts  # the counts go before the matrix's arrays take their final size
    model.matrix = rows.matrix(len(model.features))
    return model


def _names(spelled: Counter) -> dict[str, str]:
    """Lower-case spelling -> "Capitalised", for words never written in lower case in the
    corpus and capitalised at least twice: the names of places and things ("Talbot" of Port
    Talbot, "Drax"), which a reason showed as "talbot" (newcomer probe, stop 29). A word that
    starts sentences or titles ("Heat") is also written in lower case somewhere, and stays so.
    Only the spelling shown changes: the word is matched as before."""
    lower_seen = {token for token in spelled if token.islower()}
    return {
        token.lower(): token
        for token, n in spelled.items()
        if n >= 2
        and token[:1].isupper()
        and token[1:].islower()
        and token.isalpha()
        and token.lower() not in lower_seen
    }


def _acronyms(spelled: Counter) -> dict[str, str]:
    """Lower-case spelling -> its usual spelling, for words usually written as an acronym or
    a unit ("co2" -> "CO2", "mw" -> "MW", "kwh" -> "kWh"): a spelling of at most 6
    characters with a capital after its first letter that is the word's most frequent
    spelling and at least as frequent as its lower-case spelling ("co2"). A word
    in a title ("Heat") has only its first capital and stays in lower case; a word shouted
    once in a title ("STEAM") but written "steam" elsewhere stays in lower case too."""
    top: Counter = Counter()  # the count of the word's most frequent spelling
    best: dict[str, tuple[int, str]] = {}
    for token, n in spelled.items():
        lower = token.lower()
        top[lower] = max(top[lower], n)
        if len(token) <= 6 and any(c.isupper() for c in token[1:]):
            current = best.get(lower)
            if current is None or (n, _neg(token)) > (current[0], _neg(current[1])):
                best[lower] = (n, token)
    # The acronym is the word's most frequent spelling (a tie goes to the acronym: CCS 3,
    # ccs 3 is "CCS"), and at least as frequent as the word in lower case.
    return {
        lower: token
        for lower, (n, token) in best.items()
        if n >= top[lower] and n >= spelled.get(lower, 0)
    }


def _shown(label: str, capitals: dict[str, str]) -> str:
    return capitals.get(label, label)


def _neg(text: str) -> tuple[int, ...]:
    """Sort key that prefers the alphabetically first string among equals."""
    return tuple(-ord(c) for c in text)


def _row_norms(matrix: sp.csr_matrix) -> np.ndarray:
    """Euclidean norm of each row, summed in the row's own order (the same for 1 row or many)."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return np.sqrt(np.bincount(rows, weights=matrix.data * matrix.data, minlength=matrix.shape[0]))


def _text_vectors(
    counts: sp.csr_matrix, idf: np.ndarray, concept: np.ndarray, settings: Settings
) -> sp.csr_matrix:
    """Unit-length TF-IDF rows (float64) from weighted counts: sublinear tf times idf
    (`concept` marks the columns that are vocabulary concepts)."""
    tf = counts.data
    # Sublinear term frequency, 1 + ln(tf), continued as tf below 1 (weighted fields).
    w = np.where(tf > 1.0, 1.0 + np.log(np.maximum(tf, 1.0)), tf) * idf[counts.indices]
    if settings.concept_weight != 1.0:
        w = np.where(concept[counts.indices], w * settings.concept_weight, w)
    matrix = sp.csr_matrix((w, counts.indices.copy(), counts.indptr.copy()), shape=counts.shape)
    norms = _row_norms(matrix)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    matrix.data /= np.where(norms > 0, norms, 1.0)[rows]
    return matrix


def _text_rows(
    counts: sp.csr_matrix,
    old_ids: np.ndarray,
    idf: np.ndarray,
    concepts: np.ndarray,
    settings: Settings,
    rows: slice | np.ndarray,
) -> sp.csr_matrix:
    """The text vectors of some documents (a slice or an index array of rows) from the counts
    of all of them, numbered as by the counter (`old_ids`: the counter's number of each term)."""
    block = counts[rows][:, old_ids].tocsr()  # columns in term order, rare terms gone
    block.sort_indices()
    return _text_vectors(block, idf, concepts, settings)


def _fit_topics(text_of, n_docs: int, n_terms: int, settings: Settings) -> np.ndarray:
    """settings.topics latent directions of the text (LSA: a truncated SVD), fitted on a
    sample of rows; text_of(rows) gives the text vectors of some rows (a slice or indices).

    Words that keep company in many listings end up close together, so two listings can share
    a topic without sharing a word. Returns an array topics x terms (empty if too few docs).
    """
    k = min(settings.topics, n_docs - 1, n_terms - 1)
    if settings.w_topics <= 0 or k < 2:
        return np.zeros((0, n_terms))
    from sklearn.decomposition import TruncatedSVD

    if n_docs > settings.topic_sample:  # evenly spread over the ref order, so deterministic
        sample = text_of(np.linspace(0, n_docs - 1, settings.topic_sample).astype(np.int64))
    else:
        sample = text_of(slice(0, n_docs))
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
    counter = _terms(model.settings)
    counts, _ = counter.count(docs, settings=model.settings)
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
    text = _text_vectors(counts, model.idf, model._cache["concepts"], model.settings)
    return _assemble(model, docs, text)


def _assemble(
    model: Model, docs: Sequence[Doc], text: sp.csr_matrix
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Weighted, integer-valued feature vectors of `docs` and their source offsets.

    Source-side documents (needs, challenges) carry the weights; offers carry unit vectors.
    """
    n = len(docs)
    fi = model.feature_index
    s = model.settings
    source = np.array([d.kind in _SOURCE_KINDS for d in docs], dtype=bool)
    text_rows = np.repeat(np.arange(n), np.diff(text.indptr))
    text_scale = np.where(source, s.w_text, 1.0)[text_rows]
    parts_rows = [text_rows]
    parts_cols = [text.indices.astype(np.int64)]
    parts_vals = [text.data * text_scale]

    topics = _topic_vectors(text, model.topic_directions)
    if topics.shape[1]:
        first = fi["topic:0"]
        k = topics.shape[1]
        parts_rows.append(np.repeat(np.arange(n), k))
        parts_cols.append(np.tile(np.arange(first, first + k), n))
        parts_vals.append((topics * np.where(source, s.w_topics, 1.0)[:, None]).ravel())

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    offsets = np.zeros(n, dtype=np.int64)
    any_offset = round(s.w_partner * s.any_partner_fit * s.quant * s.quant)
    # The structured entries of a document depend on a few fields only: work each
    # combination out once per model (there are few), then copy it to every document that has
    # it. The model keeps them for the next block of fit and for suggest_for.
    known: dict[tuple, tuple[list[int], list[float]]] = model._cache.setdefault("structured", {})

    def entries(key: tuple) -> tuple[list[int], list[float]]:
        is_source, themes, clusters, kind, challenge = key
        found: dict[int, float] = {}
        for prefix, values, weight in (
            ("theme:", themes, s.w_themes),
            ("cluster:", clusters, s.w_clusters),
        ):
            for v in values:
                col = fi.get(prefix + v)
                if col is not None:
                    found[col] = (weight if is_source else 1.0) / math.sqrt(len(values))
        if is_source:
            col = fi.get(f"kind:{kind}")
            if col is not None and kind != "any":
                found[col] = s.w_partner
            doc_kind, ref = challenge
            col = fi.get(f"challenge:{ref}") if ref else None
            if col is not None:
                found[col] = (
                    s.w_challenge
                    if doc_kind == "challenge"
                    else (s.w_challenge * s.shared_challenge_fit)
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
    all_vals = np.rint(np.concatenate(parts_vals) * s.quant)
    keep = all_vals != 0
    matrix = sp.csr_matrix(
        (all_vals[keep].astype(np.float32), (all_rows[keep], all_cols[keep])),
        shape=(n, len(model.features)),
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix, offsets
