"""One new or edited listing, scored against a fitted model without refitting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from .documents import _SOURCE_KINDS, Doc, Suggestion, _check_doc
from .model import Model, _vectorise
from .ranking import _min_int, _scores, _side_owner_codes
from .reasons import _SILENT, _explain, _reason_tables


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
    eligible = values >= _min_int(model)
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
            if ok_ and v >= _min_int(model)
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
    scores = _scores(model, [v for v, _, _ in picked])
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
