"""Why a pair matches: the shared features that added most to its score, in words."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .model import Model
from .text import _word_key
from .vocabulary import vocabulary

_WORD, _CONCEPT, _SIGNAL, _SILENT = 0, 1, 2, 3

# Words that are matched on but never shown as "why we suggest it": they say nothing of a
# topic (the newcomer probe of stop 26 found "across", "using", "two", "well", "keep",
# "pays" and the halves of hyphenated words, "mid", "pre", "post", among the reasons).
_VAGUE = """
    about above across after again against ago ahead all almost along already also although
    always among amount another any anyone anything around available away back based
    because become been before being below best better between beyond big both bring
    can case cases come comes could currently day days different do does done down
    due during each early easy either else end enough etc even ever every example fast few
    find first five following four from full further get give given go going good great half
    hand has have help helps high how however idea ideas include includes including into
    just keep kind kinds large last late latest least less like likely little long look
    looking looks lot lots low made mainly make makes making many may mean means
    might mid more most much must near nearly need needs new next non now number numbers
    offer offering offers often one only open other others our over own part parts pay pays
    per place point possible post pre put quick quickly rather ready real really
    right run running same say second see seek seeking set several short should show side
    since six small some something soon still such sure take takes taking ten term terms
    than that then there these thing things think third this those three through time
    times today together too top toward towards two type types under until up upon use used
    useful uses using very via want wants way ways well what when where whether which while
    who whole why wide will wish with within without work working works would year years yet
    final decision decisions partner partners partnership bid bids deliver delivered
    delivering
    happy ideal ideally keen glad
"""
# The last two lines: newcomer probe of stop 28 ("equity; final; decision", "flue; furnace;
# bid", "delivered; process heat"; the partner sought is a reason of its own).
# Newcomer probe of stop 27: "cluster; join; projects" for an enquiry; the words of a place
# ("south; wales"): like the clusters themselves (see _reason_tables), too broad to explain
# a match, and the cluster a listing is in is shown apart from its reasons.
# These are matched as written, not by stem: "joining" (welding), "tees" (pipe fittings) stay
# reasons (review).
_GENERIC = """
    cluster clusters join project projects programme programmes
    uk britain british england english scotland scottish wales welsh
    north south east west northern southern eastern western
    humber teesside grangemouth merseyside mersey southampton solent
    region regions regional local area areas
    immingham grimsby scunthorpe saltend killingholme drax goole stallingborough keadby
    lincolnshire easington brough middlesbrough redcar wilton billingham hartlepool teesworks
    stockton darlington clarence lackenby stanlow ellesmere runcorn widnes northwich helens
    padeswood deeside warrington liverpool birkenhead frodsham flintshire cheshire talbot
    milford pembroke pembrokeshire newport baglan swansea cardiff llanwern neath aberthaw
    bridgend llanelli falkirk mossmorran fergus peterhead fife aberdeen kincardine rosyth
    dundee cromarty invergordon stirling fawley hampshire marchwood forth waterside haven st
    produce produced produces producing complete completed hot
"""
# The third line on: the towns of the six clusters (newcomer probe, stop 30: "Talbot; port;
# carbon" for a steelworks' need), and "Forth", "Waterside", "Haven", "St" (St Fergus)
# (re-probe). A town names where, as a cluster does; "port" stays, for ports and shipping.
# "Hull" (a ship's) and "Tees" (pipe fittings) stay words. The last line of _VAGUE: words
# that open a sentence ("Happy to share", "Ideal for") (re-probe, stop 30). The last line of
# _GENERIC: verbs and adjectives shown alone as reasons ("hot; waste heat recovery; gas",
# "equity; funding; completed", newcomer probe, stop 31), as written: "production",
# "product" and "hot water" (a phrase of the vocabulary) stay.
VAGUE_WORDS = frozenset(_VAGUE.split()) | frozenset(_GENERIC.split())
# Words whose stem is a vague word's but which name a thing: "wells" (CO2 injection), not
# "well"; "settings", "findings" (review).
TOPICAL_WORDS = frozenset({"wells", "settings", "findings", "sets"})


def _vague(key: str, label: str, vague_stems: set) -> bool:
    """A vague word, by its stem (so "helping", "points", "sides" are vague too), unless the
    word as written is a topical one (TOPICAL_WORDS)."""
    word = label.lower()
    return word in VAGUE_WORDS or (key in vague_stems and word not in TOPICAL_WORDS)


def _fragment(label: str) -> bool:
    """Two letters in lower case: the first half of a word split at its hyphen ("co" of
    "co-investment", "re" of "re-use"), which says nothing as a reason (newcomer probe, stop
    30). Acronyms ("AD", "UK") keep their capitals in labels; one with a digit ("h2", "o2",
    "5g") is a term, though "h2".islower() is true (review)."""
    return len(label) <= 2 and label.isalpha() and label.islower()


@dataclass
class _ReasonTables:
    kinds: np.ndarray  # per feature column: _WORD, _CONCEPT, _SIGNAL or _SILENT
    labels: np.ndarray  # per feature column, the words shown (object array)
    hides_concept: sp.csr_matrix  # word x concept: a shared word says what the concept says
    hides_word: sp.csr_matrix  # concept x word: the concept's name already holds the word
    max_reasons: int  # the model's settings: reasons shown with a suggestion
    max_text_reasons: int  # of which terms of the text


def _reason_tables(model: Model) -> _ReasonTables:
    """Per feature column, what kind of reason it gives, and which reasons make others redundant."""
    if "reasons" not in model._cache:
        n = len(model.features)
        kinds = np.full(n, _SILENT, dtype=np.int8)
        vocab = vocabulary(model.settings)
        words_of: dict[str, set[str]] = {}
        for word, bucket in vocab.phrases.items():
            for rest, concept in bucket:
                if not rest:
                    words_of.setdefault(vocab.labels[concept], set()).add(word)
        for token, concepts in vocab.exact.items():
            key = _word_key(token, model.settings.stemming)
            for concept in concepts:
                if key:
                    words_of.setdefault(vocab.labels[concept], set()).add(key)
        vague_stems = {_word_key(w, model.settings.stemming) for w in _VAGUE.split()} - {None}
        fi = model.feature_index
        word_of_label: dict[str, list[int]] = {}
        for col in range(model.n_text):
            key, label = model.features[col], model.labels[col]
            if not label or key.startswith("~"):
                continue
            word_of_label.setdefault(label.lower(), []).append(col)
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
                    for w in word_of_label.get(part.lower(), ()):
                        hide_w[0].append(col)
                        hide_w[1].append(w)
            elif not _vague(key, label, vague_stems) and not _fragment(label):
                kinds[col] = _WORD
            # A vague word ("using", "across", "two") still counts in the score, but is
            # never given as a reason: it says nothing of what the two have in common.

        def relation(pairs: tuple[list[int], list[int]]) -> sp.csr_matrix:
            ones = np.ones(len(pairs[0]), dtype=np.float32)
            return sp.csr_matrix((ones, pairs), shape=(n, n))

        model._cache["reasons"] = _ReasonTables(
            kinds=kinds,
            labels=np.array(model.labels, dtype=object),
            hides_concept=relation(hide_c),
            hides_word=relation(hide_w),
            max_reasons=model.settings.max_reasons,
            max_text_reasons=model.settings.max_text_reasons,
        )
    return model._cache["reasons"]


def _reasons(
    model: Model, left_rows: np.ndarray, right_rows: np.ndarray, threads: int = 1
) -> list[tuple[str, ...]]:
    """Readable reasons for each pair of documents (left_rows[i], right_rows[i]), by index
    into the model's matrix, on `threads` threads; see _explain()."""
    tables = _reason_tables(model)
    rows = _reason_rows(model)
    chunk = 50_000  # pairs at once (below 2**17, see the sort key in _explain)

    def explain(start: int) -> list[tuple[str, ...]]:
        a = rows[left_rows[start : start + chunk]]
        b = rows[right_rows[start : start + chunk]]
        return _explain(tables, a.multiply(b).tocsr())

    starts = range(0, len(left_rows), chunk)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(explain, starts))
    else:
        parts = [explain(start) for start in starts]
    return [why for part in parts for why in part]


def _explain(tables: _ReasonTables, product: sp.csr_matrix) -> list[tuple[str, ...]]:
    """Reasons from each row of `product`, the contribution of each shared feature of a pair.

    The shared features that added most to the pair's score: up to max_text_reasons terms of
    the text, best first, then the shared themes, the partner kind and the challenge, up to
    max_reasons in all (the model's settings). A shared word beats the concepts it stands for
    ("kiln", not "cement and lime"); a concept beats the words of its own name ("carbon
    capture", not "capture").
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
    max_text, max_all = tables.max_text_reasons, tables.max_reasons
    shown_text = np.minimum(n_text, max_text)
    keep = np.where(signal, shown_text + (rank - n_text) < max_all, rank < max_text)
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
