"""Cohort retention and revenue matrices from a transaction log.

A customer's *cohort* is the calendar month of their first purchase (acquisition month); the
*age* of a later month is the number of calendar months since it (the acquisition month is age
0). Cell ``(c, a)`` of the matrices counts the customers of cohort ``c`` who bought in month
``c + a`` (``active``) and sums what the cohort spent that month (``revenue``):

.. math:: \\text{retention}_{c,a} = \\frac{\\#\\{i \\in c: i \\text{ bought in month } c+a\\}}
    {\\#c}, \\qquad
    \\text{revenue per customer}_{c,a} = \\frac{\\sum_{i \\in c} \\text{spend}_{i, c+a}}{\\#c}

The retention curve of a cohort is the classic "layer cake" / cohort chart of the customer-base
literature (Fader & Hardie 2010, "Customer-base valuation in a contractual setting: the perils
of ignoring heterogeneity", *Marketing Science* 29(1); Gupta, Lehmann & Stuart 2004, "Valuing
customers", *JMR* 41(1)). The log is read exactly as :func:`relmark.data.summarize` reads it
(same columns, dates, time zones, returns and missing-id options, same errors).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from relmark._validation import check_choice
from relmark.data._read import LogOptions, check_end_zone, option_date, read_log
from relmark.errors import SchemaError

__all__ = ["CohortTable", "cohort_table"]

_KINDS = ("active", "retention", "revenue", "revenue_per_customer")


@dataclass(frozen=True)
class CohortTable:
    """Cohort matrices: acquisition month x age in months.

    Cells after the end of observation (cohort month + age beyond the month of
    ``observation_end``) were not observed: they are ``None`` (``null`` in JSON, ``<NA>`` in
    :meth:`to_frame`), never 0 nor NaN.

    Parameters
    ----------
    cohorts
        Acquisition months with at least one new customer, ``"YYYY-MM"``, in order.
    ages
        Ages in months, ``0 .. (last month - first cohort)``.
    sizes
        Customers acquired in each cohort.
    active
        ``active[c][a]``: customers of cohort ``c`` with a purchase at age ``a``.
    revenue
        ``revenue[c][a]``: the cohort's spend at age ``a`` (netted returns included), or
        ``None`` for a log without amounts.
    observation_end
        The end of observation (ISO text).
    currency
        The amounts' currency, if the log named one.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                     "date": ["2024-01-05", "2024-02-07", "2024-02-01"]})
    >>> t = cohort_table(log)
    >>> t.cohorts, t.sizes, t.active
    (('2024-01', '2024-02'), (1, 1), ((1, 1), (1, None)))
    """

    cohorts: tuple[str, ...]
    ages: tuple[int, ...]
    sizes: tuple[int, ...]
    active: tuple[tuple[int | None, ...], ...]
    revenue: tuple[tuple[float | None, ...], ...] | None
    observation_end: str
    currency: str | None = None

    @property
    def retention(self) -> tuple[tuple[float | None, ...], ...]:
        """Share of each cohort active at each age (``active / size``; age 0 is 1)."""
        return tuple(
            tuple(None if v is None else v / n for v in row)
            for row, n in zip(self.active, self.sizes, strict=True)
        )

    @property
    def revenue_per_customer(self) -> tuple[tuple[float | None, ...], ...] | None:
        """Each cohort's spend at each age per customer acquired (``revenue / size``)."""
        if self.revenue is None:
            return None
        return tuple(
            tuple(None if v is None else v / n for v in row)
            for row, n in zip(self.revenue, self.sizes, strict=True)
        )

    def to_frame(
        self,
        kind: Literal["active", "retention", "revenue", "revenue_per_customer"] = "retention",
    ) -> pd.DataFrame:
        """One matrix as a frame: rows the cohorts, columns the ages.

        Parameters
        ----------
        kind
            ``"active"`` (counts), ``"retention"`` (shares), ``"revenue"`` or
            ``"revenue_per_customer"``.

        Returns
        -------
        pandas.DataFrame
            Nullable dtype (``Int64`` or ``Float64``), ``<NA>`` where not observed; index
            ``cohort``, columns ``age``.

        Raises
        ------
        ArgumentError
            Naming ``kind`` when it is unknown, or a revenue kind for a log without amounts.
        """
        from relmark.errors import ArgumentError

        check_choice(kind, "kind", _KINDS)
        cells = {
            "active": self.active,
            "retention": self.retention,
            "revenue": self.revenue,
            "revenue_per_customer": self.revenue_per_customer,
        }[kind]
        if cells is None:
            raise ArgumentError(
                "the log had no amounts (pass monetary_value= to cohort_table)", argument="kind"
            )
        frame = pd.DataFrame(
            [[pd.NA if v is None else v for v in row] for row in cells],
            index=pd.Index(self.cohorts, name="cohort"),
            columns=pd.Index(self.ages, name="age"),
        )
        return frame.astype("Int64" if kind == "active" else "Float64")

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers (unobserved cells ``None``), for JSON.

        Returns
        -------
        dict
            The fields, with the matrices as lists of lists.
        """
        out = asdict(self)
        out["cohorts"] = list(self.cohorts)
        return json.loads(json.dumps(out))  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text.

        Returns
        -------
        str
            Strict JSON (no NaN).
        """
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> CohortTable:
        """Load a table saved by :meth:`to_json`, checked.

        Parameters
        ----------
        text
            The JSON text (``str`` or UTF-8 ``bytes``).

        Returns
        -------
        CohortTable
            Equal to the table saved.

        Raises
        ------
        SchemaError
            Not JSON, not an object, a missing or extra key, a value of the wrong type
            (``"3"`` is not a count), matrices whose shape is not cohorts x ages, counts that
            are negative or above the cohort's size, an age-0 count other than the size, an
            observed cell where another matrix has none (or the reverse), a month that is
            not ``YYYY-MM`` or out of order, an unreadable ``observation_end``; naming the key
            (``active.1.2`` for a cell).

        Examples
        --------
        >>> import pandas as pd
        >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"],
        ...                     "date": ["2024-01-05", "2024-02-07", "2024-02-01"]})
        >>> t = cohort_table(log)
        >>> CohortTable.from_json(t.to_json()) == t
        True
        """
        if not isinstance(text, str | bytes | bytearray):
            raise SchemaError(f"expected JSON text, got {type(text).__name__}")
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SchemaError(f"not valid JSON: {exc}") from None
        if not isinstance(d, dict):
            raise SchemaError("expected a JSON object")
        fields = [f.name for f in dataclass_fields(cls)]
        for key in fields:
            if key not in d:
                raise SchemaError("missing", key=key)
        for key in d:
            if key not in fields:
                raise SchemaError(f"unknown key (expected {', '.join(fields)})", key=str(key))
        cohorts = _text_list(d["cohorts"], "cohorts")
        for i, month in enumerate(cohorts):
            if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month) is None:
                raise SchemaError(f"must be a month 'YYYY-MM', got {month!r}", key=f"cohorts.{i}")
            if i and month <= cohorts[i - 1]:
                raise SchemaError("months must be distinct and in order", key=f"cohorts.{i}")
        ages = _int_list(d["ages"], "ages")
        if ages != list(range(len(ages))) or not ages:
            raise SchemaError("must be 0, 1, ..., n - 1 (ages in months)", key="ages")
        sizes = _int_list(d["sizes"], "sizes")
        if len(sizes) != len(cohorts):
            raise SchemaError(f"has {len(sizes)} values for {len(cohorts)} cohorts", key="sizes")
        for i, n in enumerate(sizes):
            if n < 1:
                raise SchemaError(f"a cohort has at least one customer, got {n}", key=f"sizes.{i}")
        active = _matrix(d["active"], "active", len(cohorts), len(ages), whole=True)
        for c, row in enumerate(active):
            if row[0] != sizes[c]:
                raise SchemaError(
                    f"age 0 counts the whole cohort ({sizes[c]}), got {row[0]}",
                    key=f"active.{c}.0",
                )
            for a, v in enumerate(row):
                if v is not None and not 0 <= v <= sizes[c]:
                    raise SchemaError(
                        f"must be a count in [0, {sizes[c]}] (the cohort's size), got {v}",
                        key=f"active.{c}.{a}",
                    )
        revenue = None
        if d["revenue"] is not None:
            revenue = _matrix(d["revenue"], "revenue", len(cohorts), len(ages), whole=False)
            for c, (r_row, a_row) in enumerate(zip(revenue, active, strict=True)):
                for a, (r, n) in enumerate(zip(r_row, a_row, strict=True)):
                    if (r is None) != (n is None):
                        raise SchemaError(
                            "observed here but not in active (or the reverse)",
                            key=f"revenue.{c}.{a}",
                        )
        end = d["observation_end"]
        if not isinstance(end, str):
            raise SchemaError(f"must be an ISO date, got {end!r}", key="observation_end")
        try:
            pd.Timestamp(end)
        except (ValueError, TypeError):
            raise SchemaError(f"must be an ISO date, got {end!r}", key="observation_end") from None
        currency = d["currency"]
        if currency is not None and (
            not isinstance(currency, str) or re.fullmatch(r"[A-Z]{3}", currency) is None
        ):
            raise SchemaError(f"must be an ISO 4217 code or null, got {currency!r}", key="currency")
        return cls(
            cohorts=tuple(cohorts),
            ages=tuple(ages),
            sizes=tuple(sizes),
            active=tuple(tuple(row) for row in active),
            revenue=None if revenue is None else tuple(tuple(row) for row in revenue),
            observation_end=end,
            currency=currency,
        )


def _text_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise SchemaError("must be a non-empty list", key=key)
    for i, v in enumerate(value):
        if not isinstance(v, str):
            raise SchemaError(f"must be text, got {v!r}", key=f"{key}.{i}")
    return value


def _int_list(value: object, key: str) -> list[int]:
    if not isinstance(value, list):
        raise SchemaError("must be a list", key=key)
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, int):
            raise SchemaError(f"must be a whole number, got {v!r}", key=f"{key}.{i}")
    return value


def _matrix(value: object, key: str, rows: int, columns: int, *, whole: bool) -> list[list[Any]]:
    """A cohorts x ages list of lists of numbers or null; SchemaError naming the cell."""
    if not isinstance(value, list) or len(value) != rows:
        raise SchemaError(f"must be a list of {rows} rows (one per cohort)", key=key)
    for c, row in enumerate(value):
        if not isinstance(row, list) or len(row) != columns:
            raise SchemaError(f"must be a list of {columns} cells (one per age)", key=f"{key}.{c}")
        seen_none = False
        for a, v in enumerate(row):
            where = f"{key}.{c}.{a}"
            if v is None:
                seen_none = True
                continue
            if seen_none:
                raise SchemaError("an observed cell after an unobserved one", key=where)
            kinds = (int,) if whole else (int, float)
            if isinstance(v, bool) or not isinstance(v, kinds):
                what = "a whole number" if whole else "a number"
                raise SchemaError(f"must be {what} or null, got {v!r}", key=where)
            if not whole and not math.isfinite(v):
                raise SchemaError(f"must be finite, got {v!r}", key=where)
    return value


def cohort_table(
    transactions: Any,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    currency: str | None = None,
    observation_end: Any = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: Literal["excel", "s", "ms"] | None = None,
    timezone: str | None = None,
    returns: Literal["refuse", "drop", "net"] = "refuse",
    missing_ids: Literal["refuse", "drop"] = "refuse",
) -> CohortTable:
    """Cohort retention (and revenue) matrices by acquisition month and age in months.

    Each customer belongs to the calendar month of their first purchase; a customer is active
    at age ``a`` when they bought in the ``a``-th month after it. Months are calendar months
    of the dates as :func:`relmark.data.summarize` reads them: dates with a UTC offset are
    binned by their UTC month, or by the local month of ``timezone``; wall-clock dates as
    written. Netted returns (``returns="net"``) are not purchases but reduce their month's
    revenue.

    Parameters
    ----------
    transactions
        A pandas or polars DataFrame, or a mapping of columns, one row per transaction.
    customer_id, datetime, monetary_value, currency
        Column names (as for :func:`relmark.data.summarize`); with ``monetary_value`` the
        revenue matrix is computed.
    observation_end
        End of observation (default: the last transaction). Its month is the last observed
        (possibly partly); later cells are ``None``. Later transactions are an error.
    date_format, dayfirst, date_unit, timezone, returns, missing_ids
        Reading options, as for :func:`relmark.data.summarize`.

    Returns
    -------
    CohortTable
        Sizes, active counts, retention shares and, with amounts, revenue.

    Raises
    ------
    ArgumentError
        A reading option is invalid, naming it (as :func:`relmark.data.summarize`).
    DataError
        The log is invalid (missing columns, unparseable dates, negative amounts, ...),
        naming the column and the first rows.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...                     "date": ["2024-01-05", "2024-03-01", "2024-01-20", "2024-02-02"],
    ...                     "amount": [10.0, 4.0, 6.0, 8.0]})
    >>> t = cohort_table(log, monetary_value="amount")
    >>> t.to_frame("retention")
    age        0    1     2
    cohort
    2024-01  1.0  0.0   0.5
    2024-02  1.0  0.0  <NA>
    >>> t.revenue
    ((16.0, 0.0, 4.0), (8.0, 0.0, None))
    """
    opts = LogOptions.check(
        customer_id=customer_id,
        datetime=datetime,
        monetary_value=monetary_value,
        currency=currency,
        date_format=date_format,
        dayfirst=dayfirst,
        date_unit=date_unit,
        timezone=timezone,
        returns=returns,
        missing_ids=missing_ids,
    )
    if observation_end is not None:
        check_end_zone(observation_end, "observation_end", transactions, opts)
    end = None if observation_end is None else option_date(observation_end, "observation_end", opts)
    log = read_log(transactions, opts, grid="M", late=None if end is None else (end, False))
    if end is None:
        end = log.dates.max()
    month = log.dates.astype("datetime64[M]").astype(np.int64)
    end_month = int(np.array([end]).astype("datetime64[M]").astype(np.int64)[0])
    bought = np.ones(month.shape[0], dtype=bool) if log.purchase is None else log.purchase
    n_ids = log.ids.shape[0]
    first = np.full(n_ids, np.iinfo(np.int64).max)
    np.minimum.at(first, log.codes[bought], month[bought])
    present = first < np.iinfo(np.int64).max  # customers with a purchase (not only returns)
    keep = present[log.codes]
    codes, month, bought = log.codes[keep], month[keep], bought[keep]
    cohort_months = np.unique(first[present])
    row_of = np.searchsorted(cohort_months, first[codes])
    age = month - first[codes]
    n_rows, n_ages = cohort_months.shape[0], end_month - int(cohort_months[0]) + 1
    sizes = np.bincount(np.searchsorted(cohort_months, first[present]), minlength=n_rows)
    # distinct (customer, month) purchase pairs
    key = np.unique(codes[bought].astype(np.int64) * n_ages + age[bought])
    cust, cust_age = key // n_ages, key % n_ages
    cust_row = np.searchsorted(cohort_months, first[cust])
    active = np.zeros((n_rows, n_ages), dtype=np.int64)
    np.add.at(active, (cust_row, cust_age), 1)
    observed = (cohort_months[:, None] + np.arange(n_ages)[None, :]) <= end_month
    revenue: tuple[tuple[float | None, ...], ...] | None = None
    if log.amounts is not None:
        money = np.zeros((n_rows, n_ages))
        np.add.at(money, (row_of, age), log.amounts[keep])
        revenue = tuple(
            tuple(float(v) if ok else None for v, ok in zip(r, o, strict=True))
            for r, o in zip(money, observed, strict=True)
        )
    labels = tuple(str(np.datetime64(int(m), "M")) for m in cohort_months)
    return CohortTable(
        cohorts=labels,
        ages=tuple(range(n_ages)),
        sizes=tuple(int(s) for s in sizes),
        active=tuple(
            tuple(int(v) if ok else None for v, ok in zip(r, o, strict=True))
            for r, o in zip(active, observed, strict=True)
        ),
        revenue=revenue,
        observation_end=str(pd.Timestamp(end).isoformat()),
        currency=log.currency,
    )
