"""Item-level purchases: which products each basket and each customer bought.

A transaction log with a product column (and optionally a category column) is read into an
:class:`ItemLog`: one row per purchased line, coded to customers, items and baskets. A *basket*
is one shopping trip: the rows sharing a ``basket`` id when the log has one; else the rows of
one customer on one calendar day when a ``datetime`` column is given; else all the rows of a
customer. Market-basket analysis (:mod:`relmark.decide.association`) works on the baskets ×
items matrix, item-to-item recommendations (:mod:`relmark.decide.recommend`) on the customers ×
items matrix.

Nothing is dropped or coerced: a missing customer, item or basket id, an item filed under two
categories or a basket shared by two customers raises :class:`~relmark.errors.DataError` naming
the column and the first rows. Dates are read by the same reader as
:func:`relmark.data.summarize` (with its messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from relmark.data._read import LogOptions, _canonical, read_log
from relmark.errors import ArgumentError, DataError
from relmark.timeunit import periods
from relmark.typing import IntArray

__all__ = ["ItemLog", "read_items"]


@dataclass(frozen=True)
class ItemLog:
    """Purchased lines coded to customers, items and baskets.

    Attributes
    ----------
    customers, items
        The distinct customer and item ids, sorted.
    categories
        The category of each item (aligned with ``items``), or ``None``.
    customer, item, basket
        Per line: the code (position) of its customer in ``customers``, of its item in
        ``items`` and of its basket (0 .. ``n_baskets`` − 1).
    basket_customer
        Per basket: the code of its customer.
    """

    customers: npt.NDArray[Any]
    items: npt.NDArray[Any]
    categories: npt.NDArray[Any] | None
    customer: IntArray
    item: IntArray
    basket: IntArray
    basket_customer: IntArray

    @property
    def n_baskets(self) -> int:
        """The number of baskets."""
        return int(self.basket_customer.shape[0])

    def basket_matrix(self) -> sp.csr_matrix:
        """Baskets × items, 1 where the basket holds the item (repeated lines count once).

        Returns
        -------
        scipy.sparse.csr_matrix
            ``int8``, shape ``(n_baskets, len(items))``.
        """
        return _binary(self.basket, self.item, (self.n_baskets, self.items.shape[0]))

    def customer_matrix(self) -> sp.csr_matrix:
        """Customers × items, 1 where the customer bought the item at least once.

        Returns
        -------
        scipy.sparse.csr_matrix
            ``int8``, shape ``(len(customers), len(items))``.
        """
        return _binary(self.customer, self.item, (self.customers.shape[0], self.items.shape[0]))


def _binary(rows: IntArray, cols: IntArray, shape: tuple[int, int]) -> sp.csr_matrix:
    m = sp.csr_matrix(
        (np.ones(rows.shape[0], dtype=np.int8), (rows, cols)), shape=shape, dtype=np.int8
    )
    m.sum_duplicates()
    m.data[:] = 1
    return m


def _column(table: Any, name: str, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise ArgumentError(f"must be a column name (text), got {name!r}", argument=role)
    columns = [str(c) for c in getattr(table, "columns", table.keys())]
    if name not in columns:
        raise DataError(f"missing column {name!r} (found: {', '.join(columns)})", column=name)
    raw = table[name]
    if isinstance(raw, pd.Series):
        return raw.reset_index(drop=True)
    values = np.asarray(raw, dtype=object) if isinstance(raw, list | tuple) else np.asarray(raw)
    if values.ndim != 1:
        raise DataError(f"must be one-dimensional, got shape {values.shape}", column=name)
    return pd.Series(values)


def _codes(
    s: pd.Series, column: str, labels: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
    """Sorted distinct ids and each row's code; missing, blank, boolean or floating-point ids
    refused, and text ids that differ only by spaces around them or Unicode normal form (as
    :func:`relmark.data.summarize` reads customer ids)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        raise DataError("ids are booleans (True/False), not ids", column=column)
    if pd.api.types.is_float_dtype(s.dtype):
        raise DataError(
            "ids are floating-point numbers (pandas reads an id column with blanks as floats, "
            "and 007 as 7.0): read the ids as text",
            column=column,
        )
    missing = s.isna().to_numpy(dtype=bool, copy=True)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        text = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if text.any():
            raw = s[text].astype(str)
            canon = _canonical(raw)
            missing[text] |= (canon == "").to_numpy(dtype=bool)
            if raw[canon != ""].nunique() != canon[canon != ""].nunique():
                raise DataError(
                    "ids that differ only by spaces around them (or zero-width characters, or "
                    "Unicode normal form): strip them, or make them distinct",
                    column=column,
                )
    if missing.any():
        rows = labels[missing].tolist()
        raise DataError("missing (empty) ids", column=column, rows=rows, count=len(rows))
    kind = pd.api.types.infer_dtype(s, skipna=False)
    if kind in ("mixed", "mixed-integer"):  # 1 and "1" would be two ids
        raise DataError(
            f"ids mix kinds ({kind}: numbers and text): give them one type", column=column
        )
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.intp), np.asarray(uniques)


def read_items(
    transactions: Any,
    *,
    customer_id: str = "customer_id",
    item: str = "item",
    basket: str | None = None,
    datetime: str | None = None,
    category: str | None = None,
    date_format: str | None = None,
) -> ItemLog:
    """Read a transaction log with a product column into an :class:`ItemLog`.

    Parameters
    ----------
    transactions
        A pandas DataFrame (e.g. from :func:`relmark.data.read_transactions`) or a mapping of
        columns, one row per purchased line.
    customer_id, item
        The customer and product columns.
    basket
        The basket (order, receipt) column; without it a basket is a customer's purchases on
        one calendar day of ``datetime``, or all of a customer's purchases without dates.
    datetime
        The date column (read like :func:`relmark.data.summarize` reads it); optional.
    category
        The product-category column; each item must have one category.
    date_format
        A strftime format for the dates, as in :func:`relmark.data.summarize`.

    Returns
    -------
    ItemLog

    Raises
    ------
    ArgumentError
        Naming the argument: ``transactions`` not a table, a column name that is not text.
    DataError
        Naming the column: a missing column, an empty log, missing or boolean ids, ids mixing
        numbers and text, bad dates, an item under two categories, a basket of two customers.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "item": ["milk", "bread", "milk"],
    ...                     "order": [1, 1, 2]})
    >>> items = read_items(log, basket="order")
    >>> items.items.tolist(), items.n_baskets
    (['bread', 'milk'], 2)
    >>> items.basket_matrix().toarray().tolist()
    [[1, 1], [0, 1]]
    """
    if not isinstance(transactions, pd.DataFrame | Mapping):
        raise ArgumentError(
            f"must be a pandas DataFrame or a mapping of columns, got "
            f"{type(transactions).__name__}",
            argument="transactions",
        )
    ids = _column(transactions, customer_id, "customer_id")
    products = _column(transactions, item, "item")
    n = len(ids)
    if n == 0:
        raise DataError("the transaction log is empty", column=customer_id)
    first = transactions[customer_id]
    labels = np.asarray(first.index if isinstance(first, pd.Series) else np.arange(n), dtype=object)
    if len(products) != n:
        raise DataError(f"has {len(products)} values for {n} transactions", column=item)
    customer, customers = _codes(ids, customer_id, labels)
    item_code, items = _codes(products, item, labels)
    if basket is not None:
        b = _column(transactions, basket, "basket")
        if len(b) != n:
            raise DataError(f"has {len(b)} values for {n} transactions", column=basket)
        key, _ = _codes(b, basket, labels)
    elif datetime is not None:
        if not isinstance(datetime, str):
            raise ArgumentError(
                f"must be a column name (text) or None, got {datetime!r}", argument="datetime"
            )
        opts = LogOptions.check(
            customer_id=customer_id,
            datetime=datetime,
            monetary_value=None,
            currency=None,
            date_format=date_format,
            dayfirst=None,
            date_unit=None,
            timezone=None,
            returns="refuse",
            missing_ids="refuse",
        )
        dates = read_log(transactions, opts, grid="D").dates
        days = periods(dates, "D")  # (numpy's cast wraps on 1677-09-22)
        key = pd.factorize(customer.astype(np.int64) * (1 << 32) + (days - days.min()))[0]
    else:
        key = customer
    basket_code, first_row = _first(key)
    basket_customer = customer[first_row]
    shared = basket_customer[basket_code] != customer
    if shared.any():
        raise DataError(
            "a basket holds purchases of two customers",
            column=basket,
            rows=labels[shared].tolist(),
            count=int(shared.sum()),
        )
    categories = None
    if category is not None:
        c = _column(transactions, category, "category")
        if len(c) != n:
            raise DataError(f"has {len(c)} values for {n} transactions", column=category)
        cat_code, cat_values = _codes(c, category, labels)
        per_item = np.full(items.shape[0], -1, dtype=np.intp)
        per_item[item_code] = cat_code
        twice = per_item[item_code] != cat_code
        if twice.any():
            raise DataError(
                "an item is filed under two categories",
                column=category,
                rows=labels[twice].tolist(),
                count=int(twice.sum()),
            )
        categories = cat_values[per_item]
    return ItemLog(
        customers=customers,
        items=items,
        categories=categories,
        customer=customer.astype(np.int64),
        item=item_code.astype(np.int64),
        basket=basket_code.astype(np.int64),
        basket_customer=basket_customer.astype(np.int64),
    )


def _first(key: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Basket codes in order of first appearance, and each basket's first row."""
    codes, _ = pd.factorize(key)
    first = np.full(int(codes.max()) + 1, key.shape[0], dtype=np.intp)
    np.minimum.at(first, codes, np.arange(key.shape[0]))
    return codes.astype(np.intp), first
