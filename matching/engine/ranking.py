"""Ranking: the exact top pairs of a whole model, in blocks, tiles and threads.

The speed knobs below never change a result (see the package docstring); tests and
benchmarks may set them on this module.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .documents import Suggestion
from .model import Model, _Sides
from .reasons import _reasons

_BLOCK_CELLS = 1 << 26  # scores a worker holds at once (256 MiB of float32; BLAS needs
# about 1,400 rows at a time to keep both cores busy at 100,000 listings)
DENSE_SHARE = 1 / 500  # a feature column shared by this share of pairs is scored dense (BLAS)
DENSE_COLUMNS = 1024  # at most this many dense columns
THREADS = int(
    os.environ.get("MATCHING_THREADS")
    or max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
)


def _min_int(model: Model) -> float:
    """The model's minimum score in integer units."""
    s = model.settings
    return s.min_score * s.quant * s.quant


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
        self.floor = np.float32(_min_int(model))
        self.width = n_cols if col_list is None else len(col_list)
        self.both = _PairsByBlock(same_owner, row_list, n_rows, col_list, n_cols)
        self.only_rows = _PairsByBlock(blocked_rows, row_list, n_rows, col_list, n_cols)
        self.only_cols = _PairsByBlock(blocked_cols, row_list, n_rows, col_list, n_cols)
        self.challenge = sides.row_is_challenge[row_list]
        # A run of consecutive rows (all of them, or a chunk) is read by slices, not by copies.
        self.contiguous = len(row_list) > 0 and row_list[-1] - row_list[0] + 1 == len(row_list)
        self.first_row = int(row_list[0]) if len(row_list) else 0
        self.col_floors = _Floors(self.width, top)
        self.buffers = threading.local()  # one block of scores per thread, reused
        self.tile = max(1, min(self.width, TILE_COLS))
        self.step = max(4 * top, _BLOCK_CELLS // self.tile)

    def starts(self) -> range:
        return range(0, len(self.row_list), self.step)

    def block(self, start: int):
        """(row candidates, column candidates) of the block of rows from `start`."""
        stop = min(len(self.row_list), start + self.step)
        if self.contiguous:
            rows = slice(self.first_row + start, self.first_row + stop)
        else:
            rows = self.row_list[start:stop]
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
    passes = []
    if len(row_sources) == n_rows and len(col_sources) == n_cols:
        passes.append((np.arange(n_rows), None, True, True))  # one pass serves both directions
    else:
        if len(row_sources):
            passes.append((np.asarray(row_sources, dtype=np.int64), None, True, False))
        if len(col_sources):
            passes.append((np.arange(n_rows), np.asarray(col_sources, dtype=np.int64), False, True))
    return _run_passes(model, passes, top, blocked)


def _run_passes(model: Model, passes, top: int, blocked: Mapping[str, Iterable[str]] | None):
    """Run each (row_list, col_list, want_rows, want_cols) pass, blocks of rows on THREADS
    threads; the exact top pairs found for rows and for cols, as in _rank."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    scorer = _scorer(model)
    excluded = (_same_owner_pairs(model), *_blocked_pairs(model, blocked))
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


@dataclass(frozen=True, eq=False)  # arrays: no ==, no hash (numpy's == is elementwise)
class Ranked:
    """suggest()'s answer as columns, one row per suggestion (grouped by source, best first):
    for a caller that stores every suggestion of a rebuild (190,000 at 20,000 listings),
    without an object per row. `suggestions()` gives the same list suggest() gives."""

    refs: Sequence[str]  # the model's refs: src and tgt index them
    src: np.ndarray  # each row's source, as a document index
    tgt: np.ndarray  # each row's target
    scores: list[float]
    reasons: list[tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.src)

    def sources(self) -> set[str]:
        """The refs of the sources that have at least one suggestion."""
        return {self.refs[i] for i in np.unique(self.src).tolist()}

    def suggestions(self) -> list[Suggestion]:
        refs = self.refs
        return [
            Suggestion(refs[s], refs[t], score, why)
            for s, t, score, why in zip(
                self.src.tolist(), self.tgt.tolist(), self.scores, self.reasons, strict=True
            )
        ]


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
    score at least model.settings.min_score. Deterministic (ties broken by ref), and calling
    it on chunks of the sources gives exactly what one call on all of them gives. Suggestions
    come grouped by source, in the order of `sources` (ref order by default), best first.
    """
    return suggest_columns(model, sources, top=top, blocked=blocked).suggestions()


def suggest_columns(
    model: Model,
    sources: Sequence[str] | None = None,
    *,
    top: int = 10,
    blocked: Mapping[str, set[str]] | None = None,
) -> Ranked:
    """suggest(), as columns (Ranked)."""
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
    return _ranked(model, src[order], tgt[order], val[order])


def _suggestions(
    model: Model, src: np.ndarray, tgt: np.ndarray, val: np.ndarray
) -> list[Suggestion]:
    """Suggestions, with their reasons, for pairs of documents (indices) and integer scores."""
    return _ranked(model, src, tgt, val).suggestions()


def _ranked(model: Model, src: np.ndarray, tgt: np.ndarray, val: np.ndarray) -> Ranked:
    """The same pairs as columns, with their reasons and scores between 0 and 1."""
    return Ranked(model.refs, src, tgt, _scores(model, val), _reasons(model, src, tgt, THREADS))


# ---------------------------------------------------------------------------------------------
# A rebuild shared by several workers, as a map-reduce
# ---------------------------------------------------------------------------------------------
# Map: each chunk is a slice of the need side (needs and challenges, in ref order). It scores
# its rows once against every offer and keeps both directions from that one product: its
# rows' own top lists (final), and for every offer its best rows among the chunk's
# (candidates). Reduce: each offer's exact top list from the union of the candidates. So W
# workers do 1/W of the pair work each, where chunks of all sources (chunk_sources) scored
# every pair twice.


@dataclass
class OfferCandidates:
    """Offers' best needs among some of the need side: one entry per (offer, need) pair, by
    offer and then best first. Positions are on the model's sides (its offers, its needs and
    challenges, each in ref order), so they are read with the same model."""

    offers: np.ndarray  # offer positions
    needs: np.ndarray  # need-side positions
    values: np.ndarray  # integer scores (exact in float32)

    def __len__(self) -> int:
        return len(self.offers)

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            offers=self.offers.astype(np.int32),
            needs=self.needs.astype(np.int32),
            values=self.values.astype(np.float32),
        )
        return buffer.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> OfferCandidates:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return cls(
                offers=z["offers"].astype(np.int64),
                needs=z["needs"].astype(np.int64),
                values=z["values"],
            )


def _need_chunk_rows(model: Model, index: int, chunks: int) -> np.ndarray:
    n = len(model._sides().rows)
    size = -(-n // max(1, chunks))
    return np.arange(min(n, index * size), min(n, (index + 1) * size), dtype=np.int64)


def need_chunk(model: Model, index: int, chunks: int) -> list[str]:
    """The refs of chunk `index` of `chunks` of the need side: its needs and challenges in ref
    order, cut into equal runs."""
    rows = model._sides().rows[_need_chunk_rows(model, index, chunks)]
    return [model.refs[d] for d in rows.tolist()]


def offer_refs(model: Model) -> list[str]:
    """The model's offers in ref order: the order of offer positions (OfferCandidates)."""
    return [model.refs[d] for d in model._sides().cols.tolist()]


def suggest_need_chunk(
    model: Model,
    index: int,
    chunks: int,
    *,
    top: int = 10,
    blocked: Mapping[str, set[str]] | None = None,
) -> tuple[list[Suggestion], OfferCandidates]:
    """The map step: chunk `index` of `chunks` of the need side, scored once against every
    offer.

    Returns the chunk's needs and challenges with their `top` best offers, exactly as
    suggest() gives them (final), and for every offer its `top` best needs among the chunk's
    (candidates for merge_offer_candidates). The chunks of one model together score each
    pair once.
    """
    sides = model._sides()
    rows = _need_chunk_rows(model, index, chunks)
    none = OfferCandidates(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    if top <= 0 or not len(rows) or not len(sides.cols):
        return [], none
    (rs, rt, rv), (cs, ct, cv) = _run_passes(model, [(rows, None, True, True)], top, blocked)
    needs = _suggestions(model, sides.rows[rs], sides.cols[rt], rv)
    return needs, OfferCandidates(offers=cs, needs=ct, values=cv)


def merge_offer_candidates(parts: Iterable[OfferCandidates], *, top: int = 10) -> OfferCandidates:
    """The reduce step: each offer's `top` best needs from the candidates of every chunk.

    Exact: a need among an offer's best overall is among its best in its own chunk. Ties are
    broken by position (ref), as suggest() breaks them.
    """
    parts = list(parts)
    if not parts:
        return OfferCandidates(
            np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
        )
    offers, needs, values = _select(
        np.concatenate([p.offers for p in parts]),
        np.concatenate([p.needs for p in parts]),
        np.concatenate([p.values for p in parts]),
        top,
    )
    return OfferCandidates(offers=offers, needs=needs, values=values)


def offer_suggestions(
    model: Model, candidates: OfferCandidates, offers: slice = slice(None)
) -> list[Suggestion]:
    """Suggestions, with reasons, for the offers at positions `offers` (a slice of
    offer_refs(model)) from merged candidates: grouped by offer in ref order, best first."""
    start, stop, _ = offers.indices(len(model._sides().cols))
    lo, hi = np.searchsorted(candidates.offers, [start, stop])
    sides = model._sides()
    return _suggestions(
        model,
        sides.cols[candidates.offers[lo:hi]],
        sides.rows[candidates.needs[lo:hi]],
        candidates.values[lo:hi],
    )


def _scores(model: Model, values) -> list[float]:
    """Integer pair scores as scores between 0 and 1, to 4 decimals."""
    s = model.settings
    scaled = np.asarray(values, dtype=np.float64) * (1.0 / (s.quant * s.quant))
    return np.round(np.clip(scaled, 0.0, 1.0), 4).tolist()


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
