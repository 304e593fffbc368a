r"""Market-basket analysis: frequent itemsets and association rules.

For baskets :math:`T_1, \dots, T_N` and itemsets :math:`X, Y` (Agrawal, Imieliński & Swami
1993; Brin, Motwani, Ullman & Tsur 1997 for lift and conviction; Piatetsky-Shapiro 1991 for
leverage):

.. math:: s(X) = \frac{|\{n : X \subseteq T_n\}|}{N}, \quad
    \text{conf}(X \to Y) = \frac{s(X \cup Y)}{s(X)}, \quad
    \text{lift}(X \to Y) = \frac{\text{conf}(X \to Y)}{s(Y)},

.. math:: \text{leverage}(X \to Y) = s(X \cup Y) - s(X)\,s(Y), \quad
    \text{conviction}(X \to Y) = \frac{1 - s(Y)}{1 - \text{conf}(X \to Y)}

(conviction is infinite when the confidence is 1; JSON stores it as ``null``).

Frequent itemsets are found by depth-first projection of the sparse baskets × items matrix (the
vertical, Eclat-like search of Zaki 2000, with the conditional databases of FP-growth, Han, Pei
& Yin 2000, held as row subsets of a CSR matrix): items are ordered by ascending support; an
itemset's extensions are counted in one ``bincount`` over the rows that hold it; rows of an
extension are the matching rows of that count. Each frequent itemset costs one pass over the
baskets that contain it, so the work is the sum of supports, not the number of candidates.
mlxtend and efficient-apriori are not dependencies: this search is exact, vectorised and
memory-bounded by the matrix; the tests check it against brute-force enumeration.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from relmark._validation import check_count, check_number, is_json_number
from relmark.data.items import ItemLog
from relmark.errors import ArgumentError, DataError, SchemaError
from relmark.typing import FloatArray, IntArray

__all__ = ["AssociationRules", "FrequentItemsets", "association_rules", "frequent_itemsets"]

_SCHEMA = 1


def _json_label(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _json_items(items: Sequence[object]) -> list[object]:
    """The item labels for JSON: text or numbers, else DataError naming ``items``."""
    out = [_json_label(i) for i in items]
    for v in out:
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise DataError(
                f"cannot store the item label {v!r} ({type(v).__name__}) as JSON: give text or "
                "numbers",
                column="items",
            )
    return out


def item_matrix(
    data: object, items: Sequence[object] | None, *, name: str
) -> tuple[sp.csr_matrix, npt.NDArray[Any]]:
    """A binary CSR matrix (rows × items) and the item labels from an ItemLog's baskets, a
    scipy sparse matrix or a sequence of baskets (iterables of items)."""
    if isinstance(data, ItemLog):
        if items is not None:
            raise ArgumentError("an ItemLog has its own item labels", argument="items")
        return data.basket_matrix(), data.items
    if sp.issparse(data):
        m = sp.csr_matrix(data)  # type: ignore[call-overload]
        if m.ndim != 2:
            raise DataError("must be a 2-d matrix", column=name)
        if m.dtype.kind not in "biuf":
            raise DataError(f"must hold numbers, got {m.dtype}", column=name)
        if m.dtype.kind == "f" and not np.isfinite(m.data).all():
            raise DataError("holds NaN or infinite values", column=name)
        if (m.data < 0).any():
            raise DataError("holds negative values (use 1 for a purchase)", column=name)
        m.sum_duplicates()
        m = sp.csr_matrix(m != 0, dtype=np.int8)  # nonzero = bought (0.3, 256 and 1e300 too)
        m.eliminate_zeros()
        m.sort_indices()
        if items is None:
            labels = np.arange(m.shape[1])
        else:
            if isinstance(items, str | bytes) or not isinstance(items, Iterable):
                raise ArgumentError(
                    f"must be a sequence of column labels, got {type(items).__name__}",
                    argument="items",
                )
            given = list(items)
            labels = np.empty(len(given), dtype=object)  # 1-d even for tuple labels
            for i, v in enumerate(given):
                labels[i] = v  # type: ignore[call-overload]
            if labels.shape != (m.shape[1],):
                raise ArgumentError(
                    f"has {labels.shape[0]} labels for {m.shape[1]} columns", argument="items"
                )
            try:
                distinct = len(set(labels.tolist()))
            except TypeError:
                raise ArgumentError(
                    "labels must be hashable (text or numbers)", argument="items"
                ) from None
            if distinct != labels.shape[0]:
                raise ArgumentError("repeats a label", argument="items")
        return m, labels
    if isinstance(data, np.ndarray | pd.DataFrame):
        raise ArgumentError(
            f"a dense {type(data).__name__} is ambiguous (rows of item labels, or a 0/1 "
            "matrix?): pass a 0/1 matrix as scipy.sparse.csr_matrix(...), or a list of baskets",
            argument=name,
        )
    if isinstance(data, str | bytes) or not isinstance(data, Iterable):
        raise ArgumentError(
            "must be an ItemLog, a scipy sparse matrix or a sequence of baskets, got "
            f"{type(data).__name__}",
            argument=name,
        )
    if items is not None:
        raise ArgumentError("only for a sparse matrix", argument="items")
    baskets = list(data)
    rows: list[int] = []
    cols: list[object] = []
    for r, basket in enumerate(baskets):
        if isinstance(basket, str | bytes) or not isinstance(basket, Iterable):
            raise DataError(
                f"basket {r} is not a collection of items: {basket!r}", column=name, rows=[r]
            )
        for it in basket:
            if _missing(it):
                raise DataError(f"basket {r} holds a missing item", column=name, rows=[r])
            rows.append(r)
            cols.append(it)
    if not baskets:
        raise DataError("no baskets", column=name)
    values = pd.Series(cols, dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind in ("mixed", "mixed-integer"):  # 1 and "1" would be two items
        raise DataError(f"items mix kinds ({kind}): give them one type", column=name)
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError as exc:  # lists or dicts as items
        raise DataError(f"items must be hashable (text or numbers): {exc}", column=name) from None
    m = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.int8), (np.asarray(rows, dtype=np.int64), codes)),
        shape=(len(baskets), len(uniques)),
    )
    m.sum_duplicates()
    m.data[:] = 1
    return m, np.asarray(uniques, dtype=object)


def _missing(value: object) -> bool:
    """None, NaN of any float type, pd.NA or NaT (not a collection)."""
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # an array-like: not a missing scalar
        return False


def _keys(d: dict[str, Any], keys: tuple[str, ...]) -> None:
    """SchemaError naming the first missing key (in ``keys`` order), then any unknown one."""
    for key in keys:
        if key not in d:
            raise SchemaError("missing", key=key)
    for key in d:
        if key not in keys:
            raise SchemaError("unknown key", key=key)


_MAX_WHOLE = 2**53 - 1
"""The largest whole number a saved result holds (counts, positions, sizes): every integer up
to it is exact in a float, and a 400-digit literal is no count (it overflowed the int64 arrays
and the float arithmetic)."""


def _is_json_whole(value: object, *, low: int = 0) -> bool:
    """Whether a JSON value is a whole number in ``low..2^53 - 1`` (not a boolean, not a
    float, not text)."""
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= _MAX_WHOLE


def _whole(value: object, key: str, *, low: int = 0) -> int:
    """A JSON whole number in ``low..2^53 - 1`` (not a boolean, not text), else SchemaError
    naming it."""
    if not _is_json_whole(value, low=low):
        raise SchemaError(
            f"must be a whole number in {low}..2^53 - 1, got {value!r}"[:200], key=key
        )
    return value  # type: ignore[return-value]


def _labels(value: object) -> tuple[object, ...]:
    """JSON item labels: a list of distinct text or finite numbers."""
    if not isinstance(value, list) or not all(
        isinstance(v, str) or is_json_number(v) for v in value
    ):
        raise SchemaError("must be a list of text or number labels", key="items")
    if len(set(value)) != len(value):
        raise SchemaError("repeats a label", key="items")
    return tuple(value)


def _positions(value: object, key: str, m: int) -> tuple[tuple[int, ...], ...]:
    """JSON itemsets: lists of strictly increasing item positions below ``m``."""
    if not isinstance(value, list):
        raise SchemaError("must be a list of itemsets", key=key)
    out = []
    for s in value:
        if not isinstance(s, list) or not s:
            raise SchemaError(f"an itemset must be a non-empty list, got {s!r}", key=key)
        t = tuple(_whole(i, key) for i in s)
        if any(b <= a for a, b in itertools.pairwise(t)) or t[-1] >= m:
            raise SchemaError(
                f"an itemset must hold increasing positions below {m}, got {s!r}", key=key
            )
        out.append(t)
    return tuple(out)


def _fraction(value: object, key: str, *, low: float, high: float, open_low: bool) -> float:
    if not isinstance(value, int | float) or not is_json_number(value):
        raise SchemaError(f"must be a finite number, got {value!r}", key=key)
    if value < low or value > high or (open_low and value == low):
        raise SchemaError(f"must be in {'(' if open_low else '['}{low}, {high}]", key=key)
    return float(value)


@dataclass(frozen=True)
class FrequentItemsets:
    """The itemsets of support >= ``min_support``.

    Attributes
    ----------
    items
        The item labels; itemsets hold positions into it.
    itemsets
        Each frequent itemset as a sorted tuple of item positions.
    counts
        Baskets holding each itemset.
    n_baskets
        :math:`N`.
    min_support, max_len
        The search settings.
    """

    items: tuple[object, ...]
    itemsets: tuple[tuple[int, ...], ...]
    counts: tuple[int, ...]
    n_baskets: int
    min_support: float
    max_len: int | None

    def to_frame(self) -> pd.DataFrame:
        """One row per itemset: ``itemset`` (a tuple of item labels), ``length``, ``count``,
        ``support``; by descending support.

        Returns
        -------
        pandas.DataFrame
        """
        frame = pd.DataFrame(
            {
                "itemset": [tuple(self.items[i] for i in s) for s in self.itemsets],
                "length": [len(s) for s in self.itemsets],
                "count": np.asarray(self.counts, dtype=np.int64),
                "support": np.asarray(self.counts, dtype=np.float64) / self.n_baskets,
            }
        )
        frame = frame.sort_values(["support", "length"], ascending=[False, True], kind="stable")
        return frame.reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers for JSON.

        Returns
        -------
        dict
        """
        return {
            "schema": _SCHEMA,
            "items": _json_items(self.items),
            "itemsets": [list(s) for s in self.itemsets],
            "counts": list(self.counts),
            "n_baskets": self.n_baskets,
            "min_support": self.min_support,
            "max_len": self.max_len,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text.

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> FrequentItemsets:
        """Rebuild from :meth:`to_json`.

        Parameters
        ----------
        text
            JSON text.

        Returns
        -------
        FrequentItemsets

        Raises
        ------
        SchemaError
            Naming the key that is missing or inconsistent.
        """
        keys = ("schema", "items", "itemsets", "counts", "n_baskets", "min_support", "max_len")
        d, items = _read(text, keys)
        sets = _positions(d["itemsets"], "itemsets", len(items))
        n = _whole(d["n_baskets"], "n_baskets", low=1)
        if not isinstance(d["counts"], list) or len(d["counts"]) != len(sets):
            raise SchemaError(f"must be a list of {len(sets)} counts", key="counts")
        counts = tuple(_whole(c, "counts") for c in d["counts"])
        support = _fraction(d["min_support"], "min_support", low=0.0, high=1.0, open_low=True)
        longest = None if d["max_len"] is None else _whole(d["max_len"], "max_len", low=1)
        need = max(1, math.ceil(support * n - 1e-9 * n))
        count = dict(zip(sets, counts, strict=True))
        if len(count) != len(sets):
            raise SchemaError("repeats an itemset", key="itemsets")
        for s, c in count.items():
            if c < need or c > n:
                raise SchemaError(
                    f"itemset {list(s)}: count {c} outside [{need}, {n}] (min_support x "
                    "n_baskets .. n_baskets)",
                    key="counts",
                )
            if longest is not None and len(s) > longest:
                raise SchemaError(f"itemset {list(s)} is longer than max_len", key="itemsets")
            for sub in itertools.combinations(s, len(s) - 1) if len(s) > 1 else ():
                if sub not in count or count[sub] < c:
                    raise SchemaError(
                        f"itemset {list(s)}: its subset {list(sub)} is missing or has a smaller "
                        "count (subsets of frequent itemsets are frequent)",
                        key="itemsets",
                    )
        return cls(items, sets, counts, n, support, longest)


def _key(exc: Exception) -> str:
    """The JSON key a KeyError names (empty for other errors)."""
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else ""


def _read(text: object, keys: tuple[str, ...]) -> tuple[dict[str, Any], tuple[object, ...]]:
    """The JSON object of a saved result with exactly ``keys`` and its item labels: the
    opening of every ``from_json`` here and in :mod:`relmark.decide.recommend`."""
    d = _load(text)
    _keys(d, keys)
    return d, _labels(d["items"])


def _same_fields(a: object, b: object) -> bool:
    """Whether two dataclasses of one type hold equal fields (numpy arrays: same shape and
    values)."""
    for f in dataclasses.fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        same = np.array_equal(x, y) if isinstance(x, np.ndarray) else bool(x == y)
        if not same:
            return False
    return True


def _load(text: object) -> dict[str, Any]:
    if not isinstance(text, str | bytes):
        raise SchemaError("must be JSON text", key="")
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"not JSON ({exc})", key="") from None
    # type(): true and 1.0 equal 1 but are no schema version
    if not isinstance(d, dict) or type(d.get("schema")) is not int or d["schema"] != _SCHEMA:
        raise SchemaError(f"expected schema version {_SCHEMA}", key="schema")
    return d


def frequent_itemsets(
    baskets: object,
    *,
    min_support: float,
    max_len: int | None = None,
    items: Sequence[object] | None = None,
) -> FrequentItemsets:
    r"""Every itemset held by at least ``min_support`` of the baskets.

    Parameters
    ----------
    baskets
        An :class:`relmark.data.ItemLog` (its baskets), a scipy sparse baskets × items matrix
        (nonzero = bought) or a sequence of baskets (each an iterable of items).
    min_support
        The minimum support :math:`s(X)`, in (0, 1]; a count of at least
        :math:`\lceil \text{min\_support} \cdot N \rceil` baskets.
    max_len
        The longest itemset searched (``None``: no limit).
    items
        Labels of the matrix columns (a sparse matrix only; positions by default).

    Returns
    -------
    FrequentItemsets

    Raises
    ------
    ArgumentError
        ``min_support`` outside (0, 1], ``max_len`` not a whole number >= 1, ``baskets`` of an
        unknown kind, ``items`` of the wrong length or repeating a label.
    DataError
        Negative, NaN or non-numeric matrix entries, a basket that is not a collection, a
        missing item, no baskets.

    References
    ----------
    Agrawal, R., Imieliński, T. & Swami, A. (1993). Mining association rules between sets of
    items in large databases. *SIGMOD* 22(2), 207-216. Zaki, M. J. (2000). Scalable
    algorithms for association mining. *IEEE TKDE* 12(3), 372-390. Han, J., Pei, J. & Yin,
    Y. (2000). Mining frequent patterns without candidate generation. *SIGMOD* 29(2), 1-12.

    Examples
    --------
    >>> baskets = [["milk", "bread"], ["milk"], ["milk", "bread", "eggs"], ["eggs"]]
    >>> frequent_itemsets(baskets, min_support=0.5).to_frame()
             itemset  length  count  support
    0        (milk,)       1      3     0.75
    1       (bread,)       1      2     0.50
    2        (eggs,)       1      2     0.50
    3  (bread, milk)       2      2     0.50
    """
    support = check_number(min_support, "min_support", low=0.0, high=1.0, low_open=True)
    longest = None if max_len is None else check_count(max_len, "max_len", minimum=1)
    x, labels = item_matrix(baskets, items, name="baskets")
    n = x.shape[0]
    if n == 0:
        raise DataError("no baskets", column="baskets")
    need = max(1, math.ceil(support * n - 1e-9 * n))
    found = sorted(zip(*_search(x, need, longest), strict=True), key=lambda t: (len(t[0]), t[0]))
    sets = [s for s, _ in found]
    counts = [c for _, c in found]
    return FrequentItemsets(
        items=tuple(_json_label(v) for v in labels),
        itemsets=tuple(sets),
        counts=tuple(counts),
        n_baskets=int(n),
        min_support=support,
        max_len=longest,
    )


def _search(
    x: sp.csr_matrix, need: int, longest: int | None
) -> tuple[list[tuple[int, ...]], list[int]]:
    counts1 = np.bincount(x.indices, minlength=x.shape[1])
    frequent = np.flatnonzero(counts1 >= need)
    frequent = frequent[np.argsort(counts1[frequent], kind="stable")]  # ascending support
    xr = sp.csr_matrix(x[:, frequent])  # columns by rank
    xr.sort_indices()
    csc = xr.tocsc()
    sets: list[tuple[int, ...]] = []
    counts: list[int] = []
    stack: list[tuple[tuple[int, ...], IntArray]] = []
    for rank in range(frequent.shape[0] - 1, -1, -1):
        rows = csc.indices[csc.indptr[rank] : csc.indptr[rank + 1]].astype(np.int64)
        stack.append(((rank,), rows))
    width = frequent.shape[0]
    while stack:
        prefix, rows = stack.pop()
        sets.append(prefix)
        counts.append(int(rows.shape[0]))
        if (longest is not None and len(prefix) >= longest) or prefix[-1] == width - 1:
            continue
        sub = xr[rows]
        ind = sub.indices
        pos = np.repeat(np.arange(rows.shape[0]), np.diff(sub.indptr))
        keep = ind > prefix[-1]
        ind, pos = ind[keep], pos[keep]
        c = np.bincount(ind, minlength=width)
        ext = np.flatnonzero(c >= need)
        if ext.shape[0] == 0:
            continue
        order = np.argsort(ind, kind="stable")
        starts = np.searchsorted(ind[order], ext)
        grouped = pos[order]
        for e, s in zip(ext[::-1].tolist(), starts[::-1].tolist(), strict=True):
            stack.append(((*prefix, e), rows[grouped[s : s + c[e]]]))
    out = [tuple(sorted(int(frequent[r]) for r in s)) for s in sets]
    return out, counts


@dataclass(frozen=True)
class AssociationRules:
    """Rules :math:`X \\to Y` with their support, confidence, lift, leverage and conviction.

    Attributes
    ----------
    items
        The item labels; antecedents and consequents hold positions into it.
    antecedents, consequents
        Each rule's sides, sorted tuples of item positions.
    antecedent_support, consequent_support, support, confidence, lift, leverage, conviction
        Per rule (conviction ``inf`` when the confidence is 1).
    n_baskets, min_confidence, min_lift
        The data size and the filters.
    """

    items: tuple[object, ...]
    antecedents: tuple[tuple[int, ...], ...]
    consequents: tuple[tuple[int, ...], ...]
    antecedent_support: FloatArray
    consequent_support: FloatArray
    support: FloatArray
    confidence: FloatArray
    lift: FloatArray
    leverage: FloatArray
    conviction: FloatArray
    n_baskets: int
    min_confidence: float
    min_lift: float | None

    def __eq__(self, other: object) -> bool:
        """Equal fields, the arrays element by element (the dataclass's ``==`` raised
        numpy's ValueError on them)."""
        if type(other) is not type(self):
            return NotImplemented
        return _same_fields(self, other)

    __hash__ = None  # type: ignore[assignment]

    _METRICS = (
        "antecedent_support",
        "consequent_support",
        "support",
        "confidence",
        "lift",
        "leverage",
        "conviction",
    )

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: ``antecedents``, ``consequents`` (tuples of labels) and the
        metrics, by descending lift then confidence.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.DataFrame(
            {
                "antecedents": [tuple(self.items[i] for i in s) for s in self.antecedents],
                "consequents": [tuple(self.items[i] for i in s) for s in self.consequents],
                **{k: getattr(self, k) for k in self._METRICS},
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers for JSON (an infinite conviction as ``None``).

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {
            "schema": _SCHEMA,
            "items": _json_items(self.items),
            "antecedents": [list(s) for s in self.antecedents],
            "consequents": [list(s) for s in self.consequents],
            "n_baskets": self.n_baskets,
            "min_confidence": self.min_confidence,
            "min_lift": self.min_lift,
        }
        for k in self._METRICS:
            out[k] = [None if math.isinf(v) else v for v in getattr(self, k).tolist()]
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text.

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> AssociationRules:
        """Rebuild from :meth:`to_json`.

        Parameters
        ----------
        text
            JSON text.

        Returns
        -------
        AssociationRules

        Raises
        ------
        SchemaError
            Naming the key that is missing or inconsistent.
        """
        keys: tuple[str, ...] = ("schema", "items", "antecedents", "consequents", *cls._METRICS)
        keys += ("n_baskets", "min_confidence", "min_lift")
        d, items = _read(text, keys)
        ante = _positions(d["antecedents"], "antecedents", len(items))
        cons = _positions(d["consequents"], "consequents", len(items))
        n_rules = len(ante)
        if len(cons) != n_rules:
            raise SchemaError(
                f"has {len(cons)} rules, antecedents has {n_rules}", key="consequents"
            )
        if any(set(x) & set(y) for x, y in zip(ante, cons, strict=True)):
            raise SchemaError("a rule has an item on both sides", key="consequents")
        metrics: dict[str, FloatArray] = {}
        for k in cls._METRICS:
            values = d[k]
            if not isinstance(values, list) or len(values) != n_rules:
                raise SchemaError(f"must be a list of {n_rules} numbers", key=k)
            if k == "conviction":
                values = [math.inf if v is None else v for v in values]
            bad = [
                v
                for v in values
                if not (is_json_number(v) or (k == "conviction" and v == math.inf))
            ]
            if bad:
                raise SchemaError(f"must hold finite numbers, got {bad[0]!r}", key=k)
            metrics[k] = np.asarray(values, dtype=np.float64)
        for k in ("antecedent_support", "consequent_support", "support", "confidence"):
            a = metrics[k]
            if ((a < 0) | (a > 1) | ((a == 0) & (k != "confidence"))).any():
                raise SchemaError("must be in (0, 1]", key=k)
        for k in ("lift", "conviction"):
            if (metrics[k] < 0).any():
                raise SchemaError("must be >= 0", key=k)
        m = metrics
        if not np.allclose(m["confidence"], m["support"] / m["antecedent_support"], rtol=1e-9):
            raise SchemaError("differs from support / antecedent_support", key="confidence")
        if not np.allclose(m["lift"], m["confidence"] / m["consequent_support"], rtol=1e-9):
            raise SchemaError("differs from confidence / consequent_support", key="lift")
        confidence = _fraction(d["min_confidence"], "min_confidence", low=0, high=1, open_low=False)
        lift = d["min_lift"]
        if lift is not None:
            lift = _fraction(lift, "min_lift", low=0.0, high=math.inf, open_low=False)
        return cls(
            items=items,
            antecedents=ante,
            consequents=cons,
            n_baskets=_whole(d["n_baskets"], "n_baskets", low=1),
            min_confidence=confidence,
            min_lift=lift,
            **metrics,
        )


def association_rules(
    itemsets: FrequentItemsets,
    *,
    min_confidence: float = 0.5,
    min_lift: float | None = None,
) -> AssociationRules:
    r"""Every rule :math:`X \to Y` from the frequent itemsets, with its metrics.

    Each frequent itemset :math:`S` of two or more items gives the rules
    :math:`X \to S \setminus X` for every non-empty proper subset :math:`X` (whose support is
    known: subsets of frequent itemsets are frequent).

    Parameters
    ----------
    itemsets
        From :func:`frequent_itemsets`.
    min_confidence
        Keep rules with confidence >= this, in [0, 1].
    min_lift
        Keep rules with lift >= this (>= 0), or all.

    Returns
    -------
    AssociationRules
        Sorted by descending lift, then confidence, then support.

    Raises
    ------
    ArgumentError
        ``itemsets`` not a :class:`FrequentItemsets`, ``min_confidence`` outside [0, 1], a
        negative or non-finite ``min_lift``.

    References
    ----------
    Agrawal, Imieliński & Swami (1993), see :func:`frequent_itemsets`. Brin, S., Motwani, R.,
    Ullman, J. D. & Tsur, S. (1997). Dynamic itemset counting and implication rules for market
    basket data. *SIGMOD* 26(2), 255-264.

    Examples
    --------
    >>> baskets = [["milk", "bread"], ["milk"], ["milk", "bread", "eggs"], ["eggs"]]
    >>> rules = association_rules(frequent_itemsets(baskets, min_support=0.5))
    >>> rules.to_frame()[["antecedents", "consequents", "confidence", "lift"]]
      antecedents consequents  confidence      lift
    0    (bread,)     (milk,)        1.00  1.333333
    1     (milk,)    (bread,)        0.67  1.333333
    """
    if not isinstance(itemsets, FrequentItemsets):
        raise ArgumentError(
            f"must be a FrequentItemsets (from frequent_itemsets), got {type(itemsets).__name__}",
            argument="itemsets",
        )
    conf_min = check_number(min_confidence, "min_confidence", low=0.0, high=1.0)
    lift_min = None if min_lift is None else check_number(min_lift, "min_lift", low=0.0)
    count = dict(zip(itemsets.itemsets, itemsets.counts, strict=True))
    n = float(itemsets.n_baskets)
    if not n >= 1:
        raise ArgumentError(f"has n_baskets {itemsets.n_baskets}, not >= 1", argument="itemsets")
    closed = all(
        sub in count for s in count if len(s) > 1 for sub in itertools.combinations(s, len(s) - 1)
    )
    if not closed:
        raise ArgumentError(
            "an itemset's subset is missing (subsets of frequent itemsets are frequent): not "
            "from frequent_itemsets",
            argument="itemsets",
        )
    ante: list[tuple[int, ...]] = []
    cons: list[tuple[int, ...]] = []
    rows: list[tuple[float, float, float]] = []
    for s, c in count.items():
        if len(s) < 2:
            continue
        for k in range(1, len(s)):
            for x in itertools.combinations(s, k):
                y = tuple(i for i in s if i not in x)
                ante.append(x)
                cons.append(y)
                rows.append((count[x] / n, count[y] / n, c / n))
    m = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    s_x, s_y, s_xy = m[:, 0], m[:, 1], m[:, 2]
    conf = s_xy / s_x
    lift = conf / s_y
    leverage = s_xy - s_x * s_y
    with np.errstate(divide="ignore"):
        conviction = np.where(conf >= 1.0, np.inf, (1.0 - s_y) / np.maximum(1.0 - conf, 1e-300))
    keep = conf >= conf_min - 1e-12
    if lift_min is not None:
        keep &= lift >= lift_min - 1e-12
    idx = np.flatnonzero(keep)
    idx = idx[np.lexsort((-s_xy[idx], -conf[idx], -lift[idx]))]
    return AssociationRules(
        items=itemsets.items,
        antecedents=tuple(ante[i] for i in idx),
        consequents=tuple(cons[i] for i in idx),
        antecedent_support=s_x[idx],
        consequent_support=s_y[idx],
        support=s_xy[idx],
        confidence=conf[idx],
        lift=lift[idx],
        leverage=leverage[idx],
        conviction=conviction[idx],
        n_baskets=itemsets.n_baskets,
        min_confidence=conf_min,
        min_lift=lift_min,
    )
