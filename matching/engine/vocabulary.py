"""The domain vocabulary (matching/vocabulary.txt) and the term counter built on it."""

from __future__ import annotations

import itertools
import threading
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .documents import THEME_NAMES, Doc
from .settings import DEFAULTS, Settings
from .text import _analyse_words, _raw_tokens, _word_key

# The vocabulary stays beside the Django app's files, where people edit it.
VOCABULARY_FILE = Path(__file__).resolve().parent.parent / "vocabulary.txt"


class Vocabulary:
    """The domain concepts of vocabulary.txt, compiled for matching against analysed text."""

    def __init__(self, text: str, stemming: bool = True):
        self.text = text
        self.stemming = stemming
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
                words = tuple(_analyse_words(phrase, stemming))
                if not words:
                    continue
                bucket = self.phrases.setdefault(words[0], [])
                if (words[1:], concept) not in bucket:
                    bucket.append((words[1:], concept))
        for bucket in self.phrases.values():
            bucket.sort(key=lambda item: -len(item[0]))  # longest phrase first


def vocabulary_path(settings: Settings = DEFAULTS) -> Path:
    """The vocabulary file the settings name (matching/vocabulary.txt by default)."""
    return Path(settings.vocabulary_file) if settings.vocabulary_file else VOCABULARY_FILE


# Compiled vocabularies and their term counters, by (file, stemming): read once per process.
_VOCABULARIES: dict[tuple[str, bool], Vocabulary] = {}
_TERMS: dict[tuple[str, bool], _Terms] = {}
_LOCK = threading.Lock()


def _key(settings: Settings) -> tuple[str, bool]:
    return str(vocabulary_path(settings)), bool(settings.stemming)


def vocabulary(settings: Settings = DEFAULTS) -> Vocabulary:
    """The compiled domain vocabulary of `settings` (read once from its file)."""
    key = _key(settings)
    found = _VOCABULARIES.get(key)
    if found is None:
        with _LOCK:
            found = _VOCABULARIES.get(key)
            if found is None:
                text = vocabulary_path(settings).read_text(encoding="utf-8")
                found = _VOCABULARIES[key] = Vocabulary(text, settings.stemming)
    return found


def _terms(settings: Settings = DEFAULTS) -> _Terms:
    """The shared term counter of a vocabulary (its numbering only ever grows)."""
    key = _key(settings)
    found = _TERMS.get(key)
    if found is None:
        vocab = vocabulary(settings)
        with _LOCK:
            found = _TERMS.get(key)
            if found is None:
                found = _TERMS[key] = _Terms(vocab)
    return found


def _cluster_name(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ")


def _fields(doc: Doc, settings: Settings) -> list[tuple[str, float]]:
    """The texts of a document that make its terms, each with the weight of one occurrence."""
    fields = [(doc.title, settings.title_weight), (doc.text, 1.0)]
    theme_weight, cluster_weight = settings.theme_text_weight, settings.cluster_text_weight
    fields += [(THEME_NAMES.get(t, _cluster_name(t)), theme_weight) for t in sorted(doc.themes)]
    fields += [(_cluster_name(c), cluster_weight) for c in sorted(doc.clusters)]
    return [(text, weight) for text, weight in fields if text and weight > 0]


class RowStack:
    """A csr matrix built a block of rows at a time, like sp.vstack of the blocks, in arrays
    that grow in place (realloc): neither a list of blocks nor a second copy of the matrix is
    ever held, and no long-lived block sits between a batch's temporaries on the heap."""

    def __init__(self, dtype):
        self.data = np.zeros(1, dtype=dtype)
        self.indices = np.zeros(1, dtype=np.int32)  # column numbers: far below 2**31
        self.ends: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]  # indptr, block by block
        self.nnz = 0

    def add(self, block: sp.csr_matrix) -> None:
        end = self.nnz + block.nnz
        if end > len(self.data):
            # Exactly to size: numpy zero-fills new room, so spare capacity would be resident;
            # a large array is mmapped, and realloc then moves pages (mremap), never copies.
            self.data.resize(end, refcheck=False)  # owned, never viewed: safe to resize
            self.indices.resize(end, refcheck=False)
        self.data[self.nnz : end] = block.data
        self.indices[self.nnz : end] = block.indices
        self.ends.append(block.indptr[1:].astype(np.int64) + self.nnz)
        self.nnz = end

    def matrix(self, n_cols: int) -> sp.csr_matrix:
        """The rows added so far as one csr matrix (the builder is emptied)."""
        data, indices, self.data, self.indices = self.data, self.indices, None, None
        data.resize(self.nnz, refcheck=False)
        indices.resize(self.nnz, refcheck=False)
        indptr = np.concatenate(self.ends)
        return sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, n_cols))


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
            key = _word_key(token, self.vocab.stemming)
            self.token_term.append(-1 if key is None else self._id(key))
            hits = exact.get(token)
            if hits:
                self.token_exact[number] = [self.concept_ids[c] for c in hits]

    def count(
        self,
        docs: Sequence[Doc],
        token_counts: np.ndarray | None = None,
        settings: Settings = DEFAULTS,
    ) -> tuple[sp.csr_matrix, np.ndarray | None]:
        """Documents x terms (numbered as in self.keys): weighted occurrences of each word and
        each concept. With `token_counts` (an array, possibly empty) also returns it grown
        and added to: how often each raw token (numbered as in self.tokens) occurred."""
        with self.lock:  # numbering new words must not interleave between threads
            if token_counts is None and len(docs) <= 4:
                return self._count_few(docs, settings), None
            return self._count_many(docs, token_counts, settings)

    def _count_many(
        self, docs: Sequence[Doc], token_counts: np.ndarray | None, settings: Settings
    ) -> tuple[sp.csr_matrix, np.ndarray | None]:
        parts = RowStack(np.float64)
        for start in range(0, len(docs), self.BATCH):
            batch = docs[start : start + self.BATCH]
            tokens: list[str] = []
            seg_doc: list[int] = []
            seg_weight: list[float] = []
            seg_len: list[int] = []
            for i, doc in enumerate(batch):
                for text, weight in _fields(doc, settings):
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
            vals.append(weight_of[seg[found_pos]] * settings.concept_weight)
            part = sp.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(len(batch), len(self.keys)),
            )
            part.sum_duplicates()
            parts.add(part)
        n_terms = len(self.keys)
        if not len(docs):
            return sp.csr_matrix((len(docs), n_terms)), token_counts
        matrix = parts.matrix(n_terms)
        matrix.sort_indices()
        return matrix, token_counts

    def _count_few(self, docs: Sequence[Doc], settings: Settings) -> sp.csr_matrix:
        """count() for a few documents (suggest_for), in plain Python: the same counts, in
        a fraction of the time numpy's set-up takes for one short text."""
        indptr, indices, data = [0], [], []
        for doc in docs:
            counts: dict[int, float] = {}
            for text, weight in _fields(doc, settings):
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
                    counts[concept] = counts.get(concept, 0.0) + weight * settings.concept_weight
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
