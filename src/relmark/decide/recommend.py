r"""Item-to-item recommendations from co-purchase ("customers who bought this also bought").

From the binary customers × items matrix :math:`X` (:math:`x_{ci} = 1` if customer :math:`c`
bought item :math:`i`), the co-purchase counts are :math:`C = X^\top X` (:math:`C_{ij}`
customers who bought both, :math:`n_i = C_{ii}` who bought :math:`i`, :math:`N` customers).
The similarity of item :math:`j` to item :math:`i` is one of

.. math:: \text{cosine}_{ij} = \frac{C_{ij}}{\sqrt{n_i n_j}}, \quad
    \text{lift}_{ij} = \frac{N\,C_{ij}}{n_i n_j}, \quad
    \text{confidence}_{ij} = \frac{C_{ij}}{n_i} = \hat P(j \mid i)

(Linden, Smith & York 2003 for cosine item-to-item filtering; lift and confidence as in
:mod:`relmark.decide.association`, over customers instead of baskets). Each item keeps its
``top_k`` most similar items. A customer's score of an item they have not bought aggregates the
similarities from the items they bought, by sum (the classic item-based score) or by max (for
confidence: the best single rule :math:`i \to j`, a co-purchase estimate of
:math:`P(\text{buys } j)`); ``because`` is the bought item that contributed most.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from relmark._validation import check_choice, check_count, is_json_number
from relmark.data.items import ItemLog
from relmark.decide.association import (
    _MAX_WHOLE,
    _is_json_whole,
    _json_items,
    _json_label,
    _read,
    _same_fields,
    _whole,
    item_matrix,
)
from relmark.errors import ArgumentError, DataError, SchemaError
from relmark.typing import FloatArray, IntArray

__all__ = ["ItemSimilarity", "item_similarity", "recommend_items"]

_MEASURES = ("cosine", "lift", "confidence")
_CELLS = 1_000_000  # customers x items cells scored at a time (the accumulators stay in cache)


@dataclass(frozen=True)
class ItemSimilarity:
    """Each item's ``top_k`` most similar items, in CSR layout.

    Attributes
    ----------
    items
        Item labels.
    indptr
        Item :math:`i`'s neighbours are positions ``indptr[i]:indptr[i+1]`` of the arrays.
    neighbor, score, count
        The neighbour's position, its similarity and the co-purchase count :math:`C_{ij}`, by
        descending score.
    measure, top_k, min_count, n_customers
        The settings and :math:`N`.
    """

    items: tuple[object, ...]
    indptr: IntArray
    neighbor: IntArray
    score: FloatArray
    count: IntArray
    measure: str
    top_k: int
    min_count: int
    n_customers: int

    def __eq__(self, other: object) -> bool:
        """Equal fields, the arrays element by element (the dataclass's ``==`` raised
        numpy's ValueError on them)."""
        if type(other) is not type(self):
            return NotImplemented
        return _same_fields(self, other)

    __hash__ = None  # type: ignore[assignment]

    def matrix(self) -> sp.csr_matrix:
        """Items × items, the kept similarities.

        Returns
        -------
        scipy.sparse.csr_matrix
        """
        m = len(self.items)
        return sp.csr_matrix((self.score, self.neighbor, self.indptr), shape=(m, m))

    def to_frame(self) -> pd.DataFrame:
        """One row per (item, neighbour): ``item``, ``rank`` (1 = most similar),
        ``neighbor``, ``score``, ``count``.

        Returns
        -------
        pandas.DataFrame
        """
        labels = np.asarray(self.items, dtype=object)
        deg = np.diff(self.indptr)
        src = np.repeat(np.arange(len(self.items)), deg)
        rank = np.arange(self.neighbor.shape[0]) - np.repeat(self.indptr[:-1], deg) + 1
        return pd.DataFrame(
            {
                "item": labels[src],
                "rank": rank,
                "neighbor": labels[self.neighbor],
                "score": self.score,
                "count": self.count,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers for JSON.

        Returns
        -------
        dict
        """
        return {
            "schema": 1,
            "items": _json_items(self.items),
            "indptr": self.indptr.tolist(),
            "neighbor": self.neighbor.tolist(),
            "score": self.score.tolist(),
            "count": self.count.tolist(),
            "measure": self.measure,
            "top_k": self.top_k,
            "min_count": self.min_count,
            "n_customers": self.n_customers,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text.

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> ItemSimilarity:
        """Rebuild from :meth:`to_json`.

        Parameters
        ----------
        text
            JSON text.

        Returns
        -------
        ItemSimilarity

        Raises
        ------
        SchemaError
            Naming the key that is missing or inconsistent.
        """
        keys: tuple[str, ...] = ("schema", "items", "indptr", "neighbor", "score", "count")
        keys += ("measure", "top_k", "min_count", "n_customers")
        d, items = _read(text, keys)
        m = len(items)
        measure = d["measure"]
        if measure not in _MEASURES:
            raise SchemaError(f"unknown measure {measure!r}", key="measure")
        top_k = _whole(d["top_k"], "top_k", low=1)
        min_count = _whole(d["min_count"], "min_count", low=1)
        n_customers = _whole(d["n_customers"], "n_customers", low=1)
        arrays: dict[str, npt.NDArray[Any]] = {}
        for key in ("indptr", "neighbor", "count", "score"):
            values = d[key]
            whole = key != "score"
            if not isinstance(values, list) or not all(
                _is_json_whole(v, low=-_MAX_WHOLE)  # negative: the messages below
                if whole
                else is_json_number(v, allow_nan=True)  # NaN: the message below
                for v in values
            ):
                raise SchemaError(f"must be a list of {'whole ' if whole else ''}numbers", key=key)
            arrays[key] = np.asarray(values, dtype=np.int64 if whole else np.float64)
        indptr, neighbor, count, score = (
            arrays[k] for k in ("indptr", "neighbor", "count", "score")
        )
        nnz = neighbor.shape[0]
        if (
            indptr.shape != (m + 1,)
            or indptr[0] != 0
            or indptr[-1] != nnz
            or (np.diff(indptr) < 0).any()
            or (np.diff(indptr) > top_k).any()
        ):
            raise SchemaError(
                f"must rise from 0 to the {nnz} neighbours, at most top_k per item", key="indptr"
            )
        own = np.repeat(np.arange(m), np.diff(indptr))
        if nnz and (neighbor.min() < 0 or neighbor.max() >= m or (neighbor == own).any()):
            raise SchemaError("must be positions of other items", key="neighbor")
        for key, a in (("score", score), ("count", count)):
            if a.shape != (nnz,):
                raise SchemaError(f"has {a.shape[0]} values for {nnz} neighbours", key=key)
        if not np.isfinite(score).all() or (score <= 0).any():
            raise SchemaError("must be finite similarities > 0", key="score")
        if ((count < min_count) | (count > n_customers)).any():
            raise SchemaError("must be within [min_count, n_customers]", key="count")
        return cls(
            items=items,
            indptr=indptr,
            neighbor=neighbor,
            score=score,
            count=count,
            measure=measure,
            top_k=top_k,
            min_count=min_count,
            n_customers=n_customers,
        )


def _customer_matrix(
    data: object, items: Sequence[object] | None
) -> tuple[sp.csr_matrix, npt.NDArray[Any], npt.NDArray[Any] | None]:
    if isinstance(data, ItemLog):
        if items is not None:
            raise ArgumentError("an ItemLog has its own item labels", argument="items")
        return data.customer_matrix(), data.items, data.customers
    if not sp.issparse(data):
        raise ArgumentError(
            f"must be an ItemLog or a scipy sparse customers x items matrix, got "
            f"{type(data).__name__}",
            argument="purchases",
        )
    m, labels = item_matrix(data, items, name="purchases")
    return m, labels, None


def _csr_top_k(
    indptr: IntArray, data: FloatArray, cols: IntArray, k: int, *, budget: int = 4_000_000
) -> tuple[IntArray, npt.NDArray[np.intp]]:
    """The ``k`` best entries of each CSR row (highest score, then lowest column), without a
    global sort: rows are padded into blocks of at most ``budget`` cells, partitioned
    (``argpartition``), ties at the cut go to the lowest columns (``cols`` ascending within
    each row), and the ``k`` kept are sorted per row. Returns the row of each kept entry and
    its position in ``data``, in row then rank order."""
    n_rows = indptr.shape[0] - 1
    lengths = np.diff(indptr)
    rows_out: list[IntArray] = []
    pos_out: list[npt.NDArray[np.intp]] = []
    start = 0
    while start < n_rows:
        end = min(n_rows, start + 65_536)
        width = int(lengths[start:end].max(initial=0))
        while (end - start) * width > budget and end - start > 1:
            end = start + max(1, (end - start) // 2)
            width = int(lengths[start:end].max(initial=0))
        a, b = int(indptr[start]), int(indptr[end])
        r = end - start
        if b > a:
            local = np.repeat(np.arange(r), lengths[start:end])
            within = np.arange(b - a) - np.repeat(indptr[start:end] - a, lengths[start:end])
            score = np.full((r, width), -np.inf)
            score[local, within] = data[a:b]
            where = np.full((r, width), -1, dtype=np.intp)
            where[local, within] = np.arange(a, b)
            if width > k:
                cut = -np.partition(-score, k - 1, axis=1)[:, k - 1 : k]
                valid = where >= 0
                above = valid & (score > cut)
                tie = valid & (score == cut)
                need = k - above.sum(axis=1, keepdims=True)
                keep = above | (tie & (np.cumsum(tie, axis=1) <= need))
                n_keep = keep.sum(axis=1)
                # the kept cells of each row, left-aligned in an r x k block
                slot = np.cumsum(keep, axis=1) - 1
                kr, kc = np.nonzero(keep)
                block_pos = np.full((r, k), -1, dtype=np.intp)
                block_pos[kr, slot[kr, kc]] = where[kr, kc]
            else:
                block_pos = where
                n_keep = lengths[start:end]
            filled = block_pos >= 0
            s2 = np.where(filled, data[np.where(filled, block_pos, 0)], -np.inf)
            c2 = np.where(filled, cols[np.where(filled, block_pos, 0)], np.iinfo(np.int64).max)
            order = np.lexsort((c2, -s2), axis=1)
            block_pos = np.take_along_axis(block_pos, order, axis=1)
            rank_ok = np.arange(block_pos.shape[1])[None, :] < n_keep[:, None]
            rr, _ = np.nonzero(rank_ok)
            rows_out.append((rr + start).astype(np.int64))
            pos_out.append(block_pos[rank_ok])
        start = end
    if not rows_out:
        return np.zeros(0, np.int64), np.zeros(0, np.intp)
    return np.concatenate(rows_out), np.concatenate(pos_out)


def item_similarity(
    purchases: object,
    *,
    measure: str = "cosine",
    top_k: int = 20,
    min_count: int = 1,
    items: Sequence[object] | None = None,
) -> ItemSimilarity:
    """The ``top_k`` most similar items of every item, from co-purchases.

    Parameters
    ----------
    purchases
        An :class:`relmark.data.ItemLog` (its customers × items matrix) or a scipy sparse
        customers × items matrix (nonzero = bought).
    measure
        ``"cosine"``, ``"lift"`` or ``"confidence"`` (formulas in the module docstring).
    top_k
        Neighbours kept per item, >= 1.
    min_count
        Pairs bought together by fewer customers are not neighbours (lift on one co-purchase
        is noise), >= 1.
    items
        Labels of the matrix columns (a sparse matrix only).

    Returns
    -------
    ItemSimilarity

    Raises
    ------
    ArgumentError
        An unknown ``measure``, ``top_k`` or ``min_count`` not a whole number >= 1, a
        ``purchases`` of another kind, ``items`` of the wrong length.
    DataError
        Negative, NaN or non-numeric matrix entries; no customers.

    References
    ----------
    Linden, G., Smith, B. & York, J. (2003). Amazon.com recommendations: item-to-item
    collaborative filtering. *IEEE Internet Computing* 7(1), 76-80. Sarwar, B., Karypis, G.,
    Konstan, J. & Riedl, J. (2001). Item-based collaborative filtering recommendation
    algorithms. *WWW 10*, 285-295.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> bought = sp.csr_matrix([[1, 1, 0], [1, 1, 1], [0, 0, 1], [1, 0, 0]])
    >>> sim = item_similarity(bought, items=["tea", "cups", "jam"], top_k=1)
    >>> sim.to_frame()
       item  rank neighbor     score  count
    0   tea     1     cups  0.816497      2
    1  cups     1      tea  0.816497      2
    2   jam     1     cups  0.500000      1
    """
    how = check_choice(measure, "measure", _MEASURES)
    k = check_count(top_k, "top_k", minimum=1)
    least = check_count(min_count, "min_count", minimum=1)
    x, labels, _ = _customer_matrix(purchases, items)
    n = x.shape[0]
    if n == 0:
        raise DataError("no customers", column="purchases")
    xc = sp.csr_matrix(x, dtype=np.int32)
    n_i = np.bincount(xc.indices, minlength=x.shape[1]).astype(np.float64)
    co = sp.csr_matrix(xc.T @ xc)
    co.sort_indices()
    r_all = np.repeat(np.arange(co.shape[0], dtype=np.int64), np.diff(co.indptr))
    off = (r_all != co.indices) & (co.data >= least)
    r, c, cnt = r_all[off], co.indices[off].astype(np.int64), co.data[off]
    both = cnt.astype(np.float64)
    if how == "cosine":
        score = both / np.sqrt(n_i[r] * n_i[c])
    elif how == "lift":
        score = n * both / (n_i[r] * n_i[c])
    else:
        score = both / n_i[r]
    row_ptr = np.zeros(x.shape[1] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=x.shape[1]), out=row_ptr[1:])
    kept_rows, keep = _csr_top_k(row_ptr, score, c, k)
    indptr = np.zeros(x.shape[1] + 1, dtype=np.int64)
    np.cumsum(np.bincount(kept_rows, minlength=x.shape[1]), out=indptr[1:])
    return ItemSimilarity(
        items=tuple(_json_label(v) for v in labels),
        indptr=indptr,
        neighbor=c[keep],
        score=score[keep],
        count=cnt[keep].astype(np.int64),
        measure=how,
        top_k=k,
        min_count=least,
        n_customers=int(n),
    )


def recommend_items(
    similarity: ItemSimilarity,
    purchases: object,
    *,
    top_k: int = 10,
    aggregate: str = "sum",
    customer_ids: Sequence[object] | None = None,
    block: int = 100_000,
) -> pd.DataFrame:
    """Each customer's ``top_k`` items not bought yet, by the similarity to what they bought.

    Parameters
    ----------
    similarity
        From :func:`item_similarity` (on the same items).
    purchases
        The customers to score: an :class:`relmark.data.ItemLog` or a scipy sparse customers
        × items matrix with the similarity's items as columns.
    top_k
        Items per customer, >= 1.
    aggregate
        ``"sum"`` or ``"max"`` of the similarities from the bought items.
    customer_ids
        Labels of the matrix rows (an ItemLog has its own; positions by default).
    block
        Customers scored at a time (memory), >= 1.

    Returns
    -------
    pandas.DataFrame
        One row per recommendation: ``customer_id``, ``rank`` (1 = best), ``item``,
        ``score``, ``because`` (the bought item contributing most); customers with no scored
        item have no rows.

    Raises
    ------
    ArgumentError
        ``similarity`` not an :class:`ItemSimilarity`, counts not whole numbers >= 1, an
        unknown ``aggregate``, a matrix whose columns or ``customer_ids`` do not match.
    DataError
        Negative, NaN or non-numeric matrix entries.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> bought = sp.csr_matrix([[1, 1, 0], [1, 1, 1], [0, 0, 1], [1, 0, 0]])
    >>> sim = item_similarity(bought, items=["tea", "cups", "jam"])
    >>> recommend_items(sim, bought, top_k=1, customer_ids=["ann", "bob", "cy", "dee"])
      customer_id  rank  item     score because
    0         ann     1   jam  0.908248    cups
    1          cy     1  cups  0.500000     jam
    2         dee     1  cups  0.816497     tea
    """
    if not isinstance(similarity, ItemSimilarity):
        raise ArgumentError(
            f"must be an ItemSimilarity (from item_similarity), got {type(similarity).__name__}",
            argument="similarity",
        )
    k = check_count(top_k, "top_k", minimum=1)
    how = check_choice(aggregate, "aggregate", ("sum", "max"))
    size = check_count(block, "block", minimum=1)
    if isinstance(purchases, ItemLog):
        if customer_ids is not None:
            raise ArgumentError("an ItemLog has its own customer ids", argument="customer_ids")
        if tuple(_json_label(v) for v in purchases.items) != similarity.items:
            raise ArgumentError(
                "the log's items differ from the similarity's", argument="purchases"
            )
    m = len(similarity.items)
    shape = tuple(getattr(purchases, "shape", ())) if sp.issparse(purchases) else None
    if shape is not None and (len(shape) != 2 or shape[1] != m):
        raise ArgumentError(f"has shape {shape} for {m} items", argument="purchases")
    x, _, ids = _customer_matrix(
        purchases, None if isinstance(purchases, ItemLog) else similarity.items
    )
    if x.shape[1] != m:
        raise ArgumentError(f"has {x.shape[1]} columns for {m} items", argument="purchases")
    if ids is None:
        ids = np.arange(x.shape[0]) if customer_ids is None else np.asarray(customer_ids)
        if ids.shape != (x.shape[0],):
            raise ArgumentError(
                f"has {ids.shape[0] if ids.ndim else 0} ids for {x.shape[0]} customers",
                argument="customer_ids",
            )
        if pd.Index(ids).has_duplicates:
            raise ArgumentError("ids repeat", argument="customer_ids")
    deg = np.diff(similarity.indptr)
    rows_per_block = max(1, min(size, 65_535, _CELLS // max(m, 1)))
    cells = rows_per_block * m
    acc = np.zeros(cells)  # per (customer in block, item): the aggregated score
    best = np.zeros(cells)  # the largest single similarity (scores are > 0)
    because_of = np.full(cells, np.iinfo(np.int64).max, dtype=np.int64)
    owned = np.zeros(cells, dtype=bool)
    stamp = np.zeros(cells, dtype=np.int64)
    parts: list[tuple[IntArray, IntArray, FloatArray, IntArray]] = []
    for start in range(0, x.shape[0], rows_per_block):
        sub = x[start : start + rows_per_block]
        bought_row = np.repeat(np.arange(sub.shape[0], dtype=np.int64), np.diff(sub.indptr))
        bought = sub.indices.astype(np.int64)
        d = deg[bought]
        total = int(d.sum())
        if total == 0:
            continue
        src = np.repeat(bought, d)
        offset = np.arange(total) - np.repeat(np.cumsum(d) - d, d)
        pos = similarity.indptr[src] + offset
        key = np.repeat(bought_row, d) * m + similarity.neighbor[pos]
        score = similarity.score[pos]
        own = bought_row * m + bought
        owned[own] = True
        new = ~owned[key]
        owned[own] = False
        key, score, src = key[new], score[new], src[new]
        if key.shape[0] == 0:
            continue
        np.maximum.at(best, key, score)
        top = score == best[key]
        np.minimum.at(because_of, key[top], src[top])
        if how == "sum":
            np.add.at(acc, key, score)
        stamp[key] = np.arange(key.shape[0])
        distinct = np.sort(key[stamp[key] == np.arange(key.shape[0])])
        agg = acc[distinct] if how == "sum" else best[distinct]
        reason = because_of[distinct]
        acc[key], best[key], because_of[key] = 0.0, 0.0, np.iinfo(np.int64).max
        g_cust, g_item = distinct // m, distinct % m
        indptr = np.zeros(sub.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(g_cust, minlength=sub.shape[0]), out=indptr[1:])
        _, kept = _csr_top_k(indptr, agg, g_item, k)
        parts.append((g_cust[kept] + start, g_item[kept], agg[kept], reason[kept]))
    labels = np.asarray(similarity.items, dtype=object)
    if not parts:
        return pd.DataFrame(
            {
                "customer_id": ids[:0],
                "rank": np.zeros(0, np.int64),
                "item": labels[:0],
                "score": np.zeros(0),
                "because": labels[:0],
            }
        )
    cust = np.concatenate([p[0] for p in parts])
    item = np.concatenate([p[1] for p in parts])
    score = np.concatenate([p[2] for p in parts])
    because = np.concatenate([p[3] for p in parts])
    first = np.r_[0, np.flatnonzero(np.diff(cust)) + 1]
    rank = np.arange(cust.shape[0]) - np.repeat(first, np.diff(np.r_[first, cust.shape[0]])) + 1
    return pd.DataFrame(
        {
            "customer_id": ids[cust],
            "rank": rank,
            "item": labels[item],
            "score": score,
            "because": labels[because],
        }
    )
