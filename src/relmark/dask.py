"""Distributed paths on Dask (the ``dask`` extra): summarise, fit and score beyond one machine.

The same definitions and options as :mod:`relmark.data` and :mod:`relmark.clv`, run partition
by partition:

- :func:`summarize` and :func:`calibration_holdout` build the per-customer summary from a Dask
  DataFrame of transactions (e.g. many Parquet or CSV files) without collecting the log: each
  partition is read with the in-memory rules (ids, dates in a time zone, amounts, returns,
  currencies; every problem collected) and reduced to one row per (customer, period); those
  rows are shuffled by customer and reduced to one row per customer on the cluster; only the
  summary and the problems found come back. The options are :func:`relmark.data.summarize`'s,
  with the same names and results; ``dayfirst`` is refused (as by the DuckDB and Spark
  engines): give ``date_format``.
- :func:`fit` gathers the *distinct* (frequency, recency, T) rows with their counts from the
  cluster and maximises the likelihood on them: exactly the in-memory estimate.
- :func:`score` applies a fitted model partition by partition and returns a Dask DataFrame; the
  model travels as its JSON, never as a pickled closure.

Nothing here is imported by the rest of relmark.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

try:
    import dask
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("relmark.dask needs dask: pip install 'relmark[dask]'") from exc

from relmark.clv import CLVModel, load_model
from relmark.clv import score as score_arrays
from relmark.clv._base import refuse_first_purchase
from relmark.data import RFMSummary
from relmark.data._read import (
    LINE_INDEX,
    LogOptions,
    _canonical,
    _day_month,
    _log_is_aware,
    _plural,
    _Problems,
    _read_amounts,
    _read_currency,
    _read_dates,
    _read_ids,
    _series,
    describe_rows,
    end_is_aware,
    end_zone_error,
    option_date,
    raise_problems,
)
from relmark.data.summary import FIRST_PURCHASE
from relmark.data.transactions import _check_finite_spend, _unit, refuse_empty_holdout
from relmark.engines._options import (
    check_clv_horizon,
    fit_grouped,
    log_options,
    summary_options,
)
from relmark.errors import ArgumentError, CurrencyError, DataError
from relmark.timeunit import Base, periods

__all__ = ["calibration_holdout", "fit", "score", "summarize"]

_SHOWN = 10
"""Offending row labels kept per problem and partition (DataError keeps the first ten)."""

_TWINS = "customer ids that differ only by spaces around them"
"""The start of relmark.data's message on padded ids: checked across partitions here."""

_UNZONED = "dates without a"
"""The start of relmark.data's messages on dates without an offset among dates with one."""

_IDS = 1 << 62
"""The partition number of keys that are customer ids, not rows (after every row)."""

_Key = tuple[int, int, Any]
"""A row: its partition, its position there, its label."""
_Problem = tuple[str | None, str, int, list[_Key]]
"""A problem: its column, message, the rows at fault and the first of them."""

_C = "customer"  # the internal frames' column names
_NUMBERS = ["buy", "ret", "total", "absum", "spent"]


@dataclass(frozen=True)
class _Spec:
    """What every partition needs to read its rows (plain values: sent to the workers)."""

    opts: LogOptions
    grid: Base
    multiple: float
    first: bool
    litt: bool
    end: np.datetime64 | None  # observation_end, read with the log's rules
    late_by_period: bool  # summarize: a later period is late; calibration_holdout: a later time
    cal_end: np.datetime64 | None
    number: int = 0  # the partition's position (set per partition)

    @property
    def net(self) -> bool:
        return self.opts.returns == "net" and self.opts.monetary_value is not None


# ---------------------------------------------------------------------- the metadata
def _check_columns(transactions: Any, opts: LogOptions) -> None:
    """Columns present and of usable types, from the frame's metadata (nothing computed), with
    the in-memory messages for what its reader refuses from the dtype alone."""
    wanted = [opts.customer_id, opts.datetime, opts.monetary_value, opts.currency]
    _require_columns(transactions, [c for c in wanted if c is not None], "transactions")
    ids = transactions[opts.customer_id].dtype
    if pd.api.types.is_bool_dtype(ids):  # relmark.data's message (it said 007 became 7.0)
        raise DataError("customer ids are booleans (True/False), not ids", column=opts.customer_id)
    if pd.api.types.is_float_dtype(ids):
        raise DataError(
            f"customer ids are {ids} (007 has become 7.0 already): read them as text",
            column=opts.customer_id,
        )
    dates = transactions[opts.datetime].dtype
    if pd.api.types.is_datetime64_any_dtype(dates) and opts.date_unit is not None:
        raise ArgumentError(
            f"date_unit is for dates given as numbers; column {opts.datetime!r} holds datetimes",
            argument="date_unit",
        )
    if pd.api.types.is_bool_dtype(dates):
        raise DataError("dates are booleans (True/False)", column=opts.datetime)
    numeric = pd.api.types.is_numeric_dtype(dates) and not pd.api.types.is_datetime64_any_dtype(
        dates
    )
    by_format = opts.date_format is not None and pd.api.types.is_integer_dtype(dates)
    if numeric and opts.date_unit is None and not by_format:
        raise DataError(
            "dates are numbers: name their unit with date_unit='excel' (Excel serial days), "
            "'s' or 'ms' (Unix epoch seconds or milliseconds), or, for numbers such as "
            "20240131, their format with date_format='%Y%m%d'",
            column=opts.datetime,
        )
    if opts.monetary_value is not None:
        amounts = transactions[opts.monetary_value].dtype
        if pd.api.types.is_bool_dtype(amounts) or amounts.kind in "cmM":
            raise DataError(f"amounts are {amounts}, not real numbers", column=opts.monetary_value)


def _require_columns(frame: Any, names: list[str], argument: str) -> None:
    """An ArgumentError naming ``argument`` when ``frame`` is not a Dask DataFrame; a DataError
    naming the first of ``names`` that it lacks (and the columns it has)."""
    if not isinstance(frame, dd.DataFrame):
        raise ArgumentError(
            "must be a Dask DataFrame (dd.read_parquet(...), dd.from_pandas(...)), got "
            f"{type(frame).__name__}",
            argument=argument,
        )
    missing = [c for c in names if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns))
        raise DataError(
            f"missing column(s) {', '.join(map(repr, missing))} (found: {found})",
            column=missing[0],
        )


def _dtype_of(transactions: dd.DataFrame, column: str) -> Any:
    """The dtype a partition's column has after relmark.data's ``_series`` (categories as
    their values)."""
    dtype = transactions[column].dtype
    return object if isinstance(dtype, pd.CategoricalDtype) else dtype


def _aware_from_meta(transactions: dd.DataFrame, opts: LogOptions) -> bool | None:
    """Whether the log's dates are instants, when the metadata says it (None: see the rows)."""
    dtype = transactions[opts.datetime].dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return getattr(dtype, "tz", None) is not None
    if opts.date_unit is not None:
        return opts.date_unit != "excel"
    return None


# ---------------------------------------------------------------------- one partition
def _group_meta(id_dtype: Any, net: bool) -> pd.DataFrame:
    columns: dict[str, pd.Series] = {
        _C: pd.Series(dtype=id_dtype),
        "period": pd.Series(dtype=np.int64),
        "side": pd.Series(dtype=bool),
        "buy": pd.Series(dtype=np.int64),
        "ret": pd.Series(dtype=np.int64),
        "total": pd.Series(dtype=np.float64),
        "absum": pd.Series(dtype=np.float64),
        "spent": pd.Series(dtype=np.float64),
    }
    if net:
        columns.update({name: pd.Series(dtype=np.float64) for name in _SEEN})
        columns.update({name: pd.Series(dtype=np.int64) for name in _KEY_COLUMNS})
    return pd.DataFrame(columns)


_SEEN = ["seen", "seen_naive"]
"""With ``returns="net"``: per group, the returns already among the rows at fault of their
partition (``seen``), or also in a partition whose dates lack the offsets others have
(``seen_naive``): the driver counts each row at fault once."""
_KEY_COLUMNS = [f"k{j}" for j in range(_SHOWN)]
"""With ``returns="net"``: the first :data:`_SHOWN` codes of a group's returns, ascending,
-1 for none (fixed-width integer columns: merged without Python per group)."""


def _top_codes(
    group: npt.NDArray[np.intp], codes: npt.NDArray[np.int64], n_groups: int
) -> npt.NDArray[np.int64]:
    """The first :data:`_SHOWN` codes of each of ``n_groups`` groups, ascending (-1 after the
    last): ``codes`` is a (items, m) matrix (-1 for none) whose row ``i`` belongs to group
    ``group[i]``."""
    m = codes.shape[1] if codes.ndim == 2 else 1
    gi = np.repeat(np.asarray(group, dtype=np.intp), m)
    c = np.asarray(codes, dtype=np.int64).ravel()
    ok = c >= 0
    gi, c = gi[ok], c[ok]
    order = np.lexsort((c, gi))
    gi, c = gi[order], c[order]
    out = np.full((n_groups, _SHOWN), -1, dtype=np.int64)
    if gi.size == 0:
        return out
    start = np.flatnonzero(np.r_[True, gi[1:] != gi[:-1]])
    rank = np.arange(gi.size) - np.repeat(start, np.diff(np.r_[start, gi.size]))
    first = rank < _SHOWN
    out[gi[first], rank[first]] = c[first]
    return out


_PART = 1 << 32
"""Returns travel through the shuffle as ``partition * _PART + position`` (whole numbers
survive the Arrow round trip of a p2p shuffle; their labels are looked up on an error)."""


def _read_part(
    part: pd.DataFrame, number: int, spec: _Spec, id_dtype: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One partition read with relmark.data's rules: its fine rows reduced to one row per
    (customer, period, side of calibration_end), and what the driver needs to report (the
    problems with their first row labels, drops, currencies, the last date)."""
    opts = spec.opts
    n = len(part)
    labels = np.asarray(part.index, dtype=object)
    report = _Problems(labels=labels, is_csv=part.index.name == LINE_INDEX)
    info: dict[str, Any] = {"number": number, "rows": n}
    if n == 0:
        return _group_meta(id_dtype, spec.net), _info_frame(info, report)
    cid, dt, mv = opts.customer_id, opts.datetime, opts.monetary_value
    ids, missing_id = _read_ids(_series(part[cid], cid), cid, report)
    report.found = [f for f in report.found if not f[1].startswith(_TWINS)]  # see _twins
    present = ids[~missing_id]
    info["id_kind"] = pd.api.types.infer_dtype(present, skipna=True) if len(present) else "empty"
    info["id_rows"] = _where(~missing_id, labels, number)
    keep = np.ones(n, dtype=bool)
    if opts.missing_ids == "drop":
        info["dropped_ids"] = _where(missing_id, labels, number)
        keep &= ~missing_id
    else:
        report.add(
            cid,
            "missing customer ids (pass missing_ids='drop' to drop and count them)",
            missing_id,
        )
    amounts: npt.NDArray[np.float64] | None = None
    purchase: npt.NDArray[np.bool_] | None = None
    if mv is not None:
        amounts = _read_amounts(_series(part[mv], mv, n), keep, mv, report)
        negative = keep & (amounts < 0)
        if opts.returns == "refuse":
            report.add(
                mv,
                "negative amounts (returns): pass returns='drop' to drop them or "
                "returns='net' to net them against the purchases of their period",
                negative,
            )
        elif opts.returns == "drop":
            info["dropped_returns"] = _where(negative, labels, number)
            keep &= ~negative
        else:
            purchase = ~negative
    raw_dates = _series(part[dt], dt, n)
    date_keep = keep
    if opts.date_format is None and opts.date_unit is None:
        date_keep = keep & ~_day_month_rows(raw_dates, keep, dt, report)
    dates, date_ok = _read_dates(raw_dates, date_keep, dt, opts, report)
    dated = keep & raw_dates.notna().to_numpy()
    if dated.any():
        info["aware"] = _log_is_aware(raw_dates[dated], opts)
        info["dated"] = _where(dated, labels, number)
        info["mixed"] = any(f[1].startswith(_UNZONED) for f in report.found)
    if opts.currency is not None:
        _currencies(_series(part[opts.currency], opts.currency, n), keep, labels, info, report)
    amount_ok = np.ones(n, dtype=bool) if amounts is None else np.isfinite(amounts)
    fine = keep & date_ok & amount_ok & ~missing_id
    info["kept"] = int(keep.sum())
    if spec.end is not None and fine.any():
        if spec.late_by_period:
            after = periods(dates, spec.grid) > periods(np.array([spec.end]), spec.grid)[0]
        else:
            after = dates > spec.end
        report.add(
            dt,
            f"transactions after the end of observation {pd.Timestamp(spec.end)} (filter them "
            "out first, or move observation_end)",
            fine & after,
        )
    if purchase is not None:
        info["netted"] = int((~purchase & keep).sum())
    flagged = np.zeros(n, dtype=bool)  # the partition's rows at fault (every check is made)
    for _, _, positions in report.found:
        flagged[positions] = True
    cell = (~missing_id).astype(np.intp) * 4 + dated.astype(np.intp) * 2 + flagged
    info["cells"] = np.bincount(cell, minlength=8).tolist()  # by (id given, dated, at fault)
    naive = info.get("aware") is False and not info.get("mixed")
    rows = np.flatnonzero(fine)
    when = dates[rows]
    if rows.size:
        info["last"] = when.max()
    side = np.ones(rows.size, dtype=bool) if spec.cal_end is None else when <= spec.cal_end
    buy = np.ones(rows.size, dtype=bool) if purchase is None else purchase[rows]
    money = np.zeros(rows.size) if amounts is None else amounts[rows]
    info["cal_buys"] = int((side & buy).sum())
    if rows.size == 0:
        return _group_meta(id_dtype, spec.net), _info_frame(info, report)
    sums = {
        "buy": buy.astype(np.float64),
        "ret": (~buy).astype(np.float64),
        "total": money,
        "absum": np.abs(money),
        "spent": np.where(buy, money, 0.0),
    }
    codes = None
    if spec.net:
        seen = ~buy & flagged[rows]
        sums["seen"] = seen.astype(np.float64)
        sums["seen_naive"] = (~buy if naive else seen).astype(np.float64)
        codes = (number * _PART + rows[~buy].astype(np.int64))[:, None]
    groups = _reduce(
        ids.iloc[rows], periods(when, spec.grid), side, sums, ~buy if spec.net else None, codes
    )
    return groups, _info_frame(info, report)


def _reduce(
    customers: Any,
    per: npt.NDArray[np.int64],
    side: npt.NDArray[np.bool_],
    sums: dict[str, npt.NDArray[np.float64]],
    returned: npt.NDArray[np.bool_] | None,
    codes: npt.NDArray[np.int64] | None,
) -> pd.DataFrame:
    """One row per (customer, period, side), sorted by customer (in the order of
    ``pd.factorize``), period and side, with the sums of ``sums`` (added in row order) and,
    for the rows ``returned``, the first codes of ``codes`` (a row of codes per returned row,
    -1 for none) per group, in the columns :data:`_KEY_COLUMNS`."""
    cust, uniques = pd.factorize(customers, sort=False)  # ids need not compare
    pmin = int(per.min())
    span = int(per.max()) - pmin + 1
    key = (cust.astype(np.int64) * span + (per - pmin)) * 2 + side
    inverse, groups = pd.factorize(key, sort=True)
    n = len(groups)
    out: dict[str, Any] = {
        _C: uniques.take(groups // (2 * span)),
        "period": (groups // 2) % span + pmin,
        "side": (groups % 2).astype(bool),
    }
    for name, values in sums.items():
        total = np.bincount(inverse, weights=values, minlength=n)
        out[name] = total.astype(np.int64) if name in ("buy", "ret") else total
    if returned is not None and codes is not None:
        top = _top_codes(inverse[returned], codes, n)
        for j, name in enumerate(_KEY_COLUMNS):
            out[name] = top[:, j]
    return pd.DataFrame(out)


def _where(
    mask: npt.NDArray[np.bool_], labels: npt.NDArray[Any], number: int
) -> tuple[int, list[_Key]]:
    """How many rows ``mask`` marks and the keys of the first :data:`_SHOWN`."""
    return int(mask.sum()), _keys(np.flatnonzero(mask), labels, number)


def _keys(positions: npt.NDArray[np.intp], labels: npt.NDArray[Any], number: int) -> list[_Key]:
    return [(number, int(p), labels[p]) for p in positions[:_SHOWN]]


def _day_month_rows(
    raw: pd.Series, keep: npt.NDArray[np.bool_], column: str, report: _Problems
) -> npt.NDArray[np.bool_]:
    """Text dates written ``a/b/yyyy``: relmark.data infers their order from the whole column,
    which no partition sees; they are refused (with their rows) unless ``date_format`` says
    the order."""
    kind = pd.api.types.infer_dtype(raw, skipna=True)
    if kind not in ("string", "mixed"):
        return np.zeros(len(raw), dtype=bool)
    if kind == "string":
        is_text = raw.notna().to_numpy(dtype=bool)
    else:
        is_text = raw.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    text = raw.where(is_text, "").astype(str).str.strip()
    iso = ((text.str.slice(4, 5) == "-") & (text.str.slice(7, 8) == "-")).to_numpy(dtype=bool)
    candidates = keep & is_text & ~iso
    matched, _, _ = _day_month(text, candidates) if candidates.any() else (candidates, None, None)
    example = text[matched].iloc[0] if matched.any() else ""
    report.add(
        column,
        f"dates written day/month or month/day (such as {example!r}): the Dask path cannot "
        "infer their order from the whole column as relmark.data.summarize does: give it with "
        "date_format= ('%d/%m/%Y' or '%m/%d/%Y')",
        matched,
    )
    return matched


def _currencies(
    s: pd.Series,
    keep: npt.NDArray[np.bool_],
    labels: npt.NDArray[Any],
    info: dict[str, Any],
    report: _Problems,
) -> None:
    """The partition's currency problems (relmark.data's) and, per valid code, its rows."""
    _read_currency(s, keep, str(s.name), report)
    text = s.where(s.isna(), s.astype(str)).str.strip()
    code = text.str.fullmatch(r"[A-Z]{3}").fillna(False).to_numpy(dtype=bool)
    good = keep & code
    found: dict[str, tuple[int, list[tuple[int, int, object]]]] = {}
    values = text.to_numpy(dtype=object)
    for c in pd.unique(values[good]):
        rows = np.flatnonzero(good & (values == c))
        found[str(c)] = (int(rows.size), _keys(rows, labels, info["number"]))
    info["currencies"] = found


def _info_frame(info: dict[str, Any], report: _Problems) -> pd.DataFrame:
    """The partition's report as one row (an object column: the driver merges the rows)."""
    number = info["number"]
    info["problems"] = [
        (column, message, int(pos.size), _keys(pos, report.labels, number))
        for column, message, pos in report.found
    ]
    every = (
        np.unique(np.concatenate([p for _, _, p in report.found]))
        if report.found
        else np.zeros(0, dtype=np.intp)
    )
    info["union"] = (int(every.size), _keys(every, report.labels, number))
    info["is_csv"] = report.is_csv
    return pd.DataFrame({"info": [info]}, dtype=object)


# ---------------------------------------------------------------------- one customer
def _customer_meta(id_dtype: Any, spec: _Spec) -> pd.DataFrame:
    names = ["first", "last", "count", "rep_total", "rep_abs"]
    floats = ["rep_total", "rep_abs"]
    if spec.litt:
        names.append("litt")
        floats.append("litt")
    if spec.cal_end is not None:
        names += ["h_freq", "h_total", "h_abs", "h_tx"]
        floats += ["h_total", "h_abs"]
    if spec.net:
        names += ["orphan", "over", "split"] + [
            f"{b}_{s}" for b in ("orphan", "over") for s in _SEEN
        ]
    columns = {n: pd.Series(dtype=np.float64 if n in floats else np.int64) for n in names}
    if spec.net:
        columns["bad_keys"] = pd.Series(dtype=object)
    return pd.DataFrame(columns, index=pd.Index([], dtype=id_dtype, name=_C))


def _per_customer(part: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    """Every customer of a partition after the shuffle by customer (all of a customer's
    (customer, period, side) rows are here): the sums relmark.data computes from the rows."""
    meta = _customer_meta(part[_C].dtype, spec)
    if part.empty:
        return meta
    returned = part["ret"].to_numpy() > 0 if spec.net else None
    summed = _NUMBERS + (_SEEN if spec.net else [])
    g = _reduce(
        part[_C],
        part["period"].to_numpy(dtype=np.int64),
        part["side"].to_numpy(dtype=bool),
        {n: part[n].to_numpy(dtype=np.float64) for n in summed},
        returned,
        None if returned is None else part[_KEY_COLUMNS].to_numpy(dtype=np.int64)[returned],
    )
    codes, uniques = pd.factorize(g[_C], sort=False)  # g is sorted by customer already
    k = len(uniques)
    per = g["period"].to_numpy(dtype=np.int64)
    side = g["side"].to_numpy(dtype=bool)
    buy = g["buy"].to_numpy(dtype=np.int64)
    total = g["total"].to_numpy(dtype=np.float64)
    absum = g["absum"].to_numpy(dtype=np.float64)
    cal_buy = side & (buy > 0)
    first = np.full(k, np.iinfo(np.int64).max)
    last = np.full(k, np.iinfo(np.int64).min)
    np.minimum.at(first, codes[cal_buy], per[cal_buy])
    np.maximum.at(last, codes[cal_buy], per[cal_buy])
    count = np.bincount(codes[cal_buy], minlength=k)
    repeat = side if spec.first else side & (per != first[codes])
    out: dict[str, Any] = {
        "first": first,
        "last": last,
        "count": count.astype(np.int64),
        "rep_total": np.bincount(codes, weights=np.where(repeat, total, 0.0), minlength=k),
        "rep_abs": np.bincount(codes, weights=np.where(repeat, absum, 0.0), minlength=k),
    }
    if spec.litt:
        c, p = codes[cal_buy], per[cal_buy]
        same = c[1:] == c[:-1]
        gaps = (p[1:] - p[:-1])[same] / spec.multiple
        out["litt"] = np.bincount(c[1:][same], weights=np.log(gaps), minlength=k)
    if spec.cal_end is not None:
        hold = ~side
        out["h_freq"] = np.bincount(codes[hold & (buy > 0)], minlength=k).astype(np.int64)
        out["h_total"] = np.bincount(codes[hold], weights=total[hold], minlength=k)
        out["h_abs"] = np.bincount(codes[hold], weights=absum[hold], minlength=k)
        out["h_tx"] = np.bincount(codes[hold], weights=buy[hold], minlength=k).astype(np.int64)
    if spec.net:
        _net_checks(g, codes, k, spec, out)
    return pd.DataFrame(out, index=pd.Index(uniques, name=_C))


def _net_checks(
    g: pd.DataFrame, codes: npt.NDArray[np.intp], k: int, spec: _Spec, out: dict[str, Any]
) -> None:
    """relmark.data's checks of netted returns per customer: returns in a period without a
    purchase (``orphan``), returns exceeding their period's purchases (``over``), and, with a
    calibration end inside a period, returns whose purchase is on its other side (``split``);
    with the first keys of the offending returns and, per kind, the offending returns already
    at fault otherwise (``orphan_seen``, ...). ``g`` is sorted by customer (``codes``) and
    period: a (customer, period) is a run of its rows, summed with ``bincount``, no Python per
    group (only the offending groups' keys are listed)."""
    ret = g["ret"].to_numpy(dtype=np.int64)
    keys: list[list[Any]] = [[] for _ in range(k)]
    counts = {name: np.zeros(k, np.int64) for name in ("orphan", "over", "split")}
    for b in ("orphan", "over"):
        for name in _SEEN:
            counts[f"{b}_{name}"] = np.zeros(k, np.int64)
    if ret.any():
        per = g["period"].to_numpy(dtype=np.int64)
        starts = np.r_[True, (codes[1:] != codes[:-1]) | (per[1:] != per[:-1])]
        run = np.cumsum(starts) - 1
        n_runs = int(run[-1]) + 1

        def summed(name: str) -> npt.NDArray[np.float64]:
            weights = g[name].to_numpy(dtype=np.float64)
            return np.asarray(np.bincount(run, weights, n_runs), dtype=np.float64)

        buy, rets, total, spent = summed("buy"), summed("ret"), summed("total"), summed("spent")
        run_code = codes[starts]
        excess = total < -1e-9 * (1.0 + np.abs(spent))
        top = None
        for name, bad in (
            ("orphan", (rets > 0) & (buy == 0)),
            ("over", (rets > 0) & (buy > 0) & excess),
        ):
            if not bad.any():
                continue
            counts[name] = np.bincount(run_code[bad], weights=rets[bad], minlength=k).astype(
                np.int64
            )
            for seen in _SEEN:
                counts[f"{name}_{seen}"] = np.bincount(
                    run_code[bad], weights=summed(seen)[bad], minlength=k
                ).astype(np.int64)
            if top is None:
                rows = ret > 0
                top = _top_codes(run[rows], g[_KEY_COLUMNS].to_numpy(dtype=np.int64)[rows], n_runs)
            for r in np.flatnonzero(bad):
                keys[run_code[r]].extend((name, int(c)) for c in top[r] if c >= 0)
        if spec.cal_end is not None:
            sided = ret > 0
            split = sided & (
                (g["buy"].to_numpy() == 0)
                | (
                    g["total"].to_numpy(dtype=np.float64)
                    < -1e-9 * (1.0 + np.abs(g["spent"].to_numpy(dtype=np.float64)))
                )
            )
            counts["split"] = np.bincount(codes[split], weights=ret[split], minlength=k).astype(
                np.int64
            )
            listed = g[_KEY_COLUMNS].to_numpy(dtype=np.int64)
            for r in np.flatnonzero(split):
                keys[codes[r]].extend(("split", int(c)) for c in listed[r] if c >= 0)
    out.update(counts)
    out["bad_keys"] = [sorted(ks, key=lambda t: t[1])[: 3 * _SHOWN] for ks in keys]


# ---------------------------------------------------------------------- the driver
@dataclass
class _Merged:
    """The partitions' reports merged, in the order of the partitions."""

    problems: list[_Problem]
    union: tuple[int, list[_Key]]  # the partitions' rows at fault (see _union_count)
    is_csv: bool
    mixed_ids: bool = False  # the integer partitions' ids are at fault (text elsewhere)
    naive_dates: bool = False  # the dates of the partitions without offsets are at fault

    def add(
        self,
        column: str | None,
        message: str,
        count: int,
        keys: list[_Key],
        *,
        before: Callable[[_Problem], bool] | None = None,
    ) -> None:
        """A problem found across partitions; rows of one kind join an existing problem, a
        new one goes before the first problem ``before`` picks (relmark.data's order of
        checks), else last. Its rows' first keys join the union's (customer ids, as of padded
        twins, do not)."""
        for i, (c, m, n, ks) in enumerate(self.problems):
            if c == column and _kind(m) == _kind(message):
                self.problems[i] = (c, m, n + count, sorted(ks + keys, key=_order)[:_SHOWN])
                break
        else:
            at = next(
                (i for i, p in enumerate(self.problems) if before is not None and before(p)),
                len(self.problems),
            )
            entry = (column, message, count, sorted(keys, key=_order)[:_SHOWN])
            self.problems.insert(at, entry)
        rows = [k for k in keys if k[0] != _IDS]
        n, ks = self.union
        self.union = (n, sorted(set(ks + rows), key=_order)[:_SHOWN])


def _kind(message: str) -> str:
    """A problem's message without its examples (partitions show their own)."""
    return message.split("such as ")[0]


def _order(key: _Key) -> tuple[int, int]:
    return key[0], key[1]


def _merge_problems(infos: list[dict[str, Any]]) -> _Merged:
    """One problem per (column, kind of message) across partitions, in the order of
    relmark.data's checks (each partition lists its problems in that order), with the total
    count, the first row labels and the first three examples ("such as [...]")."""
    merged: dict[tuple[str | None, str], list[Any]] = {}
    order: list[tuple[str | None, str]] = []
    union_n, union_keys = 0, list[_Key]()
    for info in infos:
        listed = [(column, _kind(message)) for column, message, _, _ in info.get("problems", [])]
        for i, key in enumerate(listed):
            if key not in order:  # before the next problem of this partition already placed
                later = [order.index(k) for k in listed[i + 1 :] if k in order]
                order.insert(min(later) if later else len(order), key)
        for column, message, count, keys in info.get("problems", []):
            entry = merged.setdefault((column, _kind(message)), [column, message, 0, []])
            entry[1] = _examples(entry[1], message) if entry[2] else message
            entry[2] += count
            entry[3] = (entry[3] + keys)[:_SHOWN]
        n, keys = info.get("union", (0, []))
        union_n += n
        union_keys = (union_keys + keys)[:_SHOWN]
    return _Merged(
        [tuple(merged[key]) for key in order],
        (union_n, union_keys),
        any(info.get("is_csv", False) for info in infos),
    )


_EXAMPLES = re.compile(r"such as (\[.*?\])(?= \(|$|:)")


def _examples(first: str, other: str) -> str:
    """``first`` with the examples of ``other`` appended, the first three kept (relmark.data
    shows the first three offending values of the log)."""
    a, b = _EXAMPLES.search(first), _EXAMPLES.search(other)
    if a is None or b is None:
        return first
    try:
        values = ast.literal_eval(a.group(1)) + ast.literal_eval(b.group(1))
    except (ValueError, SyntaxError, TypeError):
        return first
    return first[: a.start(1)] + repr(values[:3]) + first[a.end(1) :]


def _raise(merged: _Merged, count: int) -> None:
    """relmark.data's DataError over the merged problems; ``count`` distinct rows at fault."""
    raise_problems(
        [(c, m, n, [k[2] for k in keys]) for c, m, n, keys in merged.problems],
        (count, [k[2] for k in merged.union[1]]),
        is_csv=merged.is_csv,
    )


def _union_count(infos: list[dict[str, Any]], table: pd.DataFrame, merged: _Merged) -> int:
    """The distinct rows at fault over every problem, each row once: the partitions' own
    (their ``cells``: rows by id given, dated, at fault), the rows of the checks across
    partitions (ids of two kinds: every row with an id of an integer partition; dates with
    and without offsets: every dated row of a partition without them) and the netted returns
    at fault (less those already counted: ``orphan_seen``, ...). Padded twins are named by
    customer id, not by row: not counted here."""
    total = 0
    for info in infos:
        mixed = merged.mixed_ids and info.get("id_kind") == "integer"
        naive = merged.naive_dates and info.get("aware") is False and not info.get("mixed")
        for cell, n in enumerate(info.get("cells", [])):
            given, dated, fault = bool(cell & 4), bool(cell & 2), bool(cell & 1)
            if fault or (mixed and given) or (naive and dated):
                total += int(n)
    if "orphan" in table.columns:
        seen = "seen_naive" if merged.naive_dates else "seen"
        integer = np.zeros(len(table), dtype=bool)
        if merged.mixed_ids:  # an integer id's rows are in integer partitions, or at fault
            integer = np.array(
                [isinstance(v, int | np.integer) and not isinstance(v, bool) for v in table.index],
                dtype=bool,
            )
        for kind in ("orphan", "over"):
            extra = table[kind].to_numpy() - table[f"{kind}_{seen}"].to_numpy()
            total += int(extra[~integer].sum())
    return total


def _log_wide(
    infos: list[dict[str, Any]],
    table: pd.DataFrame,
    merged: _Merged,
    opts: LogOptions,
    aware_meta: bool | None,
    resolve: Callable[[list[int]], dict[int, _Key]],
) -> tuple[str | None, str | None]:
    """The checks no partition can make alone, added to ``merged``: ids of two kinds, dates
    with and without UTC offsets in different partitions, padded twins of ids, nothing left
    after dropping, netted returns; and the one currency (or the message on mixed ones)."""
    kinds = {i["id_kind"] for i in infos if i.get("id_kind") not in (None, "empty")}
    if "integer" in kinds and len(kinds) > 1:
        # partitions of whole numbers beside partitions with text (whose own mixes are
        # reported already): the numbers are the other values
        other = [i["id_rows"] for i in infos if i.get("id_kind") == "integer"]
        merged.add(
            opts.customer_id,
            "customer ids mix text and other values (numbers or objects): give every id "
            "as text ('007' and 7 would be two customers, or one)",
            sum(n for n, _ in other),
            [k for _, keys in other for k in keys],
            before=lambda p: True,  # the ids are read first
        )
        merged.mixed_ids = True
    if aware_meta is None and any(i.get("aware") or i.get("mixed") for i in infos):
        # a partition that mixes has named its own rows without an offset
        naive = [i["dated"] for i in infos if i.get("aware") is False and not i.get("mixed")]
        if naive:
            merged.add(
                opts.datetime,
                f"{_UNZONED} UTC offset while others have one: give every date an offset, or none",
                sum(n for n, _ in naive),
                [k for _, keys in naive for k in keys],
                before=lambda p: p[0] not in (opts.customer_id, opts.monetary_value),
            )
            merged.naive_dates = True
    _twins(table, opts.customer_id, merged)
    if sum(i.get("kept", 0) for i in infos) == 0:
        merged.add(None, "no transactions left after dropping (see the notes)", 0, [])
    if "orphan" in table.columns:
        keys = [k for ks in table["bad_keys"] for k in ks]
        first = {
            name: sorted(k[1] for k in keys if k[0] == name)[:_SHOWN] for name in ("orphan", "over")
        }
        rows = resolve(first["orphan"] + first["over"]) if keys else {}
        for name, message in (
            (
                "orphan",
                "returns (negative amounts) in a period without a purchase by the customer: "
                "nothing to net them against (returns='drop' drops them)",
            ),
            (
                "over",
                "returns exceed the purchases of their customer in their period (net spend < 0)",
            ),
        ):
            n = int(table[name].sum())
            if n:
                merged.add(opts.monetary_value, message, n, [rows[c] for c in first[name]])
    if opts.currency is None:
        return None, None
    codes: dict[str, list[Any]] = {}
    for info in infos:
        for code, (n, keys) in info.get("currencies", {}).items():
            entry = codes.setdefault(code, [0, []])
            entry[0] += n
            entry[1] = (entry[1] + keys)[:_SHOWN]
    if len(codes) == 0:
        return None, None
    if len(codes) == 1:
        return next(iter(codes)), None
    order = sorted(codes, key=lambda c: (-codes[c][0], _order(codes[c][1][0])))
    main = order[0]
    others = sorted((k for c in order[1:] for k in codes[c][1]), key=_order)[:_SHOWN]
    n_others = sum(codes[c][0] for c in order[1:])
    listed = ", ".join(f"{c} ({codes[c][0]} rows)" for c in order)
    word = "CSV lines" if merged.is_csv else "rows"
    message = (
        f"column {opts.currency!r}: the log mixes currencies: {listed}; amounts in different "
        "currencies cannot be added (summarise each currency separately) "
        f"[first rows not in {main}: {describe_rows([k[2] for k in others], n_others, word)}]"
    )
    return None, message


def _twins(table: pd.DataFrame, column: str, merged: _Merged) -> None:
    """Text ids that differ only by spaces around them (or zero-width characters, or Unicode
    normal form), across the whole log: relmark.data's rule, naming the customer ids."""
    ids = pd.Series(table.index.to_numpy(dtype=object))
    if len(ids) == 0 or pd.api.types.infer_dtype(ids, skipna=True) != "string":
        return
    stripped = _canonical(ids)
    padded = (ids != stripped).to_numpy(dtype=bool)
    if not padded.any():
        return
    suspects = stripped.isin(stripped[padded].unique()).to_numpy(dtype=bool)
    spellings = ids[suspects].groupby(stripped[suspects]).transform("nunique")
    twins = np.zeros(len(ids), dtype=bool)
    twins[np.flatnonzero(suspects)] = spellings.to_numpy() > 1
    if not twins.any():
        return
    named = ids[twins].head(_SHOWN).tolist()
    merged.add(
        column,
        "customer ids that differ only by spaces around them (or zero-width characters, or "
        f"Unicode normal form), such as {ids[twins].iloc[0]!r}: strip them, or make them "
        "distinct (rows are customer ids)",
        int(twins.sum()),
        [(_IDS, i, v) for i, v in enumerate(named)],
    )


def _notes(infos: list[dict[str, Any]], is_csv: bool) -> tuple[str, ...]:
    """relmark.data's notes: what was dropped or netted, counted, with the first rows."""
    word = "CSV lines" if is_csv else "rows"
    notes = []
    for key, what, suffix in (
        ("dropped_ids", "transaction", " with a missing customer id"),
        ("dropped_returns", "return", ""),
    ):
        n = sum(i[key][0] for i in infos if key in i)
        if n:
            labels = [k[2] for i in infos if key in i for k in i[key][1]]
            where = describe_rows(labels, n, word)
            if key == "dropped_ids":
                notes.append(f"dropped {_plural(n, what)}{suffix} ({where})")
            else:
                notes.append(f"dropped {_plural(n, what)} (negative amounts; {where})")
    if any("netted" in i for i in infos):
        n = sum(i.get("netted", 0) for i in infos)
        notes.append(f"netted {_plural(n, 'return')} against the purchases of their period")
    return tuple(notes)


def _options(
    transactions: Any,
    *,
    time_unit: object,
    freq_multiplier: object,
    sum_log_interpurchase: object,
    holdout_spend: object,
    include_first_purchase: object,
    **log: Any,
) -> tuple[LogOptions, Base, float, Any, Any]:
    """Every option checked as relmark.data checks it (the same messages), before any work."""
    grid, multiple, unit = _unit(time_unit, freq_multiplier)
    chosen = summary_options(
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )
    log_options("Dask", nets_returns=True, **log)
    opts = LogOptions.check(**log)
    _check_columns(transactions, opts)
    return opts, grid, multiple, unit, chosen


_LOCAL = ("sync", "synchronous", "single-threaded", "threads", "threading", "processes")


def _shuffle_method() -> str | None:
    """Dask's choice (p2p with a distributed client), except under a local scheduler chosen
    with ``dask.config.set(scheduler=...)`` while a client exists (p2p would fail there)."""
    return "tasks" if dask.config.get("scheduler", None) in _LOCAL else None


def _run(transactions: dd.DataFrame, spec: _Spec) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """The partitions read and the customers summed on the cluster: one compute."""
    id_dtype = _dtype_of(transactions, spec.opts.customer_id)
    with dask.config.set({"dataframe.convert-string": False}):  # keep ids and keys as given
        parts = transactions.to_delayed()  # type: ignore[no-untyped-call]
        read = dask.delayed(_read_part, nout=2, pure=True)  # type: ignore[attr-defined]
        outs = [read(p, i, spec, id_dtype) for i, p in enumerate(parts)]
        groups = dd.from_delayed(
            [o[0] for o in outs], meta=_group_meta(id_dtype, spec.net), verify_meta=False
        )
        infos = dd.from_delayed(
            [o[1] for o in outs],
            meta=pd.DataFrame({"info": pd.Series(dtype=object)}),
            verify_meta=False,
        )
        customers = groups.shuffle(on=_C, shuffle_method=_shuffle_method()).map_partitions(
            _per_customer, spec, meta=_customer_meta(id_dtype, spec)
        )
        got, table = dask.compute(infos, customers)  # type: ignore[attr-defined,no-untyped-call]
    with contextlib.suppress(TypeError):  # ids that do not compare: the checks refuse them
        table = table.sort_index()
    return list(got["info"]), table


def _read(
    transactions: dd.DataFrame,
    spec: _Spec,
    ends: list[tuple[str, object]],
) -> tuple[list[dict[str, Any]], pd.DataFrame, str | None, tuple[str, ...]]:
    """Run, then report as relmark.data does: an empty log, an end with a zone against
    wall-clock dates, every problem of the log at once, mixed currencies."""
    opts = spec.opts
    aware_meta = _aware_from_meta(transactions, opts)
    zoned = [(name, value) for name, value in ends if value is not None and end_is_aware(value)]
    if zoned and aware_meta is False:
        raise end_zone_error(*zoned[0])
    infos, table = _run(transactions, spec)
    if sum(i["rows"] for i in infos) == 0:
        raise DataError("the transaction log is empty")
    if zoned and aware_meta is None:
        seen = [bool(i["aware"]) for i in infos if "aware" in i]
        if seen and not seen[0]:
            raise end_zone_error(*zoned[0])
    merged = _merge_problems(infos)
    currency, mixed = _log_wide(
        infos, table, merged, opts, aware_meta, lambda codes: _resolve(transactions, codes)
    )
    if mixed is not None and not merged.problems:
        raise CurrencyError(mixed)
    if mixed is not None:
        merged.add(opts.currency, mixed.split(": ", 1)[1], 0, [])
    _raise(merged, _union_count(infos, table, merged))
    return infos, table, currency, _notes(infos, merged.is_csv)


def _resolve(transactions: dd.DataFrame, codes: list[int]) -> dict[int, _Key]:
    """The row keys of returns' codes: their labels read from their partitions (on the error
    path only: the partitions holding the first offending returns are read again)."""
    wanted = sorted(set(codes))
    numbers = sorted({c // _PART for c in wanted})
    indexes = dask.compute(  # type: ignore[attr-defined,no-untyped-call]
        *[transactions.partitions[n].index for n in numbers]
    )
    found = dict(zip(numbers, indexes, strict=True))
    return {c: (c // _PART, c % _PART, found[c // _PART][c % _PART]) for c in wanted}


def _spend(
    total: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
    count: npt.NDArray[Any],
    net: bool,
) -> npt.NDArray[np.float64]:
    """relmark.data's mean spend: ``total / count`` (0 without purchases); netted sums within
    1e-12 of the amounts summed are zero."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    if net:
        mean = np.where(np.abs(total) <= 1e-12 * scale, 0.0, mean)
    out: npt.NDArray[np.float64] = mean.astype(np.float64)
    return out


def _period_of(stamp: np.datetime64, grid: Base) -> int:
    return int(periods(np.array([stamp], dtype="datetime64[ns]"), grid)[0])


def summarize(
    transactions: dd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    currency: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    observation_end: Any = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: Literal["excel", "s", "ms"] | None = None,
    timezone: str | None = None,
    returns: Literal["refuse", "drop", "net"] = "refuse",
    missing_ids: Literal["refuse", "drop"] = "refuse",
    sum_log_interpurchase: bool = False,
    include_first_purchase: bool = False,
) -> RFMSummary:
    """Per-customer summary of a Dask DataFrame of transactions: :func:`relmark.data.summarize`
    computed on the cluster, with its options and its results.

    Each partition is read with the in-memory rules and reduced to one row per (customer,
    period) with the period's purchases, returns and sums; these rows are shuffled by
    customer and reduced to one row per customer. Only the summary and each partition's
    problems (counts and first row labels) reach the driver.

    Parameters
    ----------
    transactions
        A Dask DataFrame, one row per transaction (``dd.read_parquet``, ``dd.from_pandas``).
        Its index labels name the rows in errors, as in memory.
    customer_id, datetime, monetary_value, currency
        Column names, as for :func:`relmark.data.summarize`: the currency column must hold
        one ISO 4217 code (a :class:`~relmark.errors.CurrencyError` otherwise).
    time_unit, freq_multiplier, observation_end
        The period grid (``"D"``, ``"W"``, ``"h"``, ``"M"``), the multiple of the summary's
        time unit and the end of observation (default: the last transaction's date), as in
        memory.
    date_format, date_unit, timezone
        How dates are read and binned, as in memory: datetimes (zoned ones converted to
        ``timezone``, default UTC, and binned by their local day there; naive ones taken as
        written), text (ISO 8601, with or without a UTC offset, other text pandas reads, or
        ``date_format``), numbers with ``date_unit``.
    dayfirst
        Refused unless None (as by the DuckDB and Spark engines): relmark.data infers the
        day/month order of ``01/02/2024`` from the whole column, which no partition sees;
        give ``date_format`` (``"%d/%m/%Y"``). Such dates without ``date_format`` are refused
        by row.
    returns, missing_ids
        Negative amounts refused, dropped or netted against their period's purchases (a
        return needs a purchase of its customer in its period and may not exceed it); missing
        ids refused or dropped; drops and nets counted in ``notes``, as in memory.
    sum_log_interpurchase, include_first_purchase
        As for :func:`relmark.data.summarize`.

    Returns
    -------
    RFMSummary
        Equal to :func:`relmark.data.summarize` of the same rows: ids, counts and times
        exactly; spend means exactly when the sums are exact (amounts in binary fractions),
        else to the last bits (sums in another order), with the currency and the notes.

    Raises
    ------
    ArgumentError
        An option relmark.data refuses, naming it (the same checks); ``dayfirst``;
        ``transactions`` that is not a Dask DataFrame.
    DataError
        Before any work, for what the metadata shows: a missing column, float or boolean ids,
        boolean dates, numbers as dates without ``date_unit``. Then, in one error naming every
        problem and its first rows, relmark.data's checks of the rows (missing ids or dates,
        unparseable dates, dates with and without offsets, NaN, infinite or text amounts,
        returns per ``returns``, padded twins of ids (named by id), transactions after
        ``observation_end``), and an empty log.
    CurrencyError
        The ``currency`` column holds two or more currencies (and nothing else is wrong).

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                     "date": ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-03"],
    ...                     "amount": [10.0, 5.0, 20.0, -7.0]})
    >>> s = summarize(dd.from_pandas(log, npartitions=2), monetary_value="amount",
    ...               returns="drop", observation_end="2024-01-15")
    >>> s.to_frame()
                 frequency  recency     T  monetary_value
    customer_id
    a                  1.0      7.0  14.0            20.0
    >>> s.notes
    ('dropped 1 return (negative amounts; rows 3)',)
    """
    opts, grid, multiple, unit, chosen = _options(
        transactions,
        time_unit=time_unit,
        freq_multiplier=freq_multiplier,
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend="period",
        include_first_purchase=include_first_purchase,
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
    end = None if observation_end is None else option_date(observation_end, "observation_end", opts)
    spec = _Spec(opts, grid, multiple, chosen.first, chosen.litt, end, True, None)
    infos, table, code, notes = _read(transactions, spec, [("observation_end", observation_end)])
    if end is None:
        end = max(i["last"] for i in infos if "last" in i)
    present = table[table["count"] > 0]
    return _summary(present, spec, end, unit, code, notes, opts)


def _summary(
    present: pd.DataFrame,
    spec: _Spec,
    end: np.datetime64,
    unit: Any,
    currency: str | None,
    notes: tuple[str, ...],
    opts: LogOptions,
    **holdout: Any,
) -> RFMSummary:
    count = present["count"].to_numpy(dtype=np.float64)
    frequency = count if spec.first else count - 1.0
    first = present["first"].to_numpy(dtype=np.int64)
    ids = present.index.to_numpy()
    monetary = None
    if opts.monetary_value is not None:
        monetary = _spend(
            present["rep_total"].to_numpy(),
            present["rep_abs"].to_numpy(),
            frequency,
            spec.net,
        )
        _check_finite_spend(monetary, ids, opts.monetary_value)
    end_p = _period_of(end, spec.grid)
    return RFMSummary(
        customer_id=ids,
        frequency=frequency,
        recency=((present["last"].to_numpy(dtype=np.int64) - first) / spec.multiple).astype(
            np.float64
        ),
        T=((end_p - first) / spec.multiple).astype(np.float64),
        monetary_value=monetary,
        time_unit=unit,
        currency=currency,
        notes=notes,
        sum_log_interpurchase=(present["litt"].to_numpy(dtype=np.float64) if spec.litt else None),
        include_first_purchase=spec.first,
        **holdout,
    )


def calibration_holdout(
    transactions: dd.DataFrame,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    currency: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: Literal["excel", "s", "ms"] | None = None,
    timezone: str | None = None,
    returns: Literal["refuse", "drop", "net"] = "refuse",
    missing_ids: Literal["refuse", "drop"] = "refuse",
    sum_log_interpurchase: bool = False,
    holdout_spend: Literal["period", "transaction"] = "period",
    include_first_purchase: bool = False,
) -> RFMSummary:
    """Calibration summary with the holdout columns, computed on the cluster:
    :func:`relmark.data.calibration_holdout` with its options and its results.

    The calibration columns are :func:`summarize`'s over the transactions up to
    ``calibration_end`` (inclusive); for the customers seen there, ``frequency_holdout``
    counts the holdout purchase periods in ``(calibration_end, observation_end]``,
    ``monetary_value_holdout`` their mean spend (per period, or per transaction with
    ``holdout_spend="transaction"``) and ``duration_holdout`` the holdout length.

    Parameters
    ----------
    transactions
        As for :func:`summarize`.
    calibration_end
        Last moment of the calibration period (read like the dates of the log).
    observation_end
        End of the holdout period (default: the last transaction's date); later transactions
        are an error.
    customer_id, datetime, monetary_value, currency, time_unit, freq_multiplier
        As for :func:`summarize`.
    date_format, dayfirst, date_unit, timezone, returns, missing_ids
        As for :func:`summarize`.
    sum_log_interpurchase, holdout_spend, include_first_purchase
        As for :func:`relmark.data.calibration_holdout` (the first purchase counts in the
        calibration columns only).

    Returns
    -------
    RFMSummary
        Equal to :func:`relmark.data.calibration_holdout` of the same rows (spend means as
        for :func:`summarize`).

    Raises
    ------
    ArgumentError
        As for :func:`summarize`; also a missing ``calibration_end``, an ``observation_end``
        not after it, or a log whose last transaction is not after it.
    DataError
        As for :func:`summarize`; also no purchase up to ``calibration_end``, and netted
        returns whose purchase is on the other side of ``calibration_end`` in their period.
    CurrencyError
        As for :func:`summarize`.
    """
    opts, grid, multiple, unit, chosen = _options(
        transactions,
        time_unit=time_unit,
        freq_multiplier=freq_multiplier,
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
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
    cal_end = option_date(calibration_end, "calibration_end", opts)
    obs_end = (
        None if observation_end is None else option_date(observation_end, "observation_end", opts)
    )
    if obs_end is not None and obs_end <= cal_end:
        raise ArgumentError(
            f"must be after calibration_end {pd.Timestamp(cal_end)}, got {observation_end!r}",
            argument="observation_end",
        )
    given = obs_end is not None
    if obs_end is not None:  # before any work
        refuse_empty_holdout(
            calibration_end=cal_end,
            end=obs_end,
            given=True,
            periods_apart=_period_of(obs_end, grid) - _period_of(cal_end, grid),
            time_unit=grid,
        )
    spec = _Spec(opts, grid, multiple, chosen.first, chosen.litt, obs_end, False, cal_end)
    ends = [("calibration_end", calibration_end), ("observation_end", observation_end)]
    infos, table, code, notes = _read(transactions, spec, ends)
    if obs_end is None:
        obs_end = max(i["last"] for i in infos if "last" in i)
        if obs_end <= cal_end:
            raise ArgumentError(
                f"the last transaction ({pd.Timestamp(obs_end)}) is not after calibration_end: "
                "there is no holdout period",
                argument="calibration_end",
            )
    refuse_empty_holdout(
        calibration_end=cal_end,
        end=obs_end,
        given=given,
        periods_apart=_period_of(obs_end, grid) - _period_of(cal_end, grid),
        time_unit=grid,
    )
    if sum(i.get("cal_buys", 0) for i in infos) == 0:
        raise DataError(f"no purchases up to calibration_end {pd.Timestamp(cal_end)}")
    if spec.net and int(table["split"].sum()):
        codes = sorted(k[1] for ks in table["bad_keys"] for k in ks if k[0] == "split")
        rows = _resolve(transactions, codes[:_SHOWN])
        raise DataError(
            f"returns whose purchases fall on the other side of calibration_end "
            f"{pd.Timestamp(cal_end)} in their period: each part must net its own returns "
            "(put calibration_end on a period boundary, or returns='drop')",
            column=opts.monetary_value,
            rows=[rows[c][2] for c in codes[:_SHOWN]],
            count=int(table["split"].sum()),
        )
    present = table[table["count"] > 0]
    money_h = None
    if opts.monetary_value is not None:
        counts = present["h_freq" if chosen.holdout_spend == "period" else "h_tx"].to_numpy()
        total = present["h_total"].to_numpy(dtype=np.float64)
        scale = present["h_abs"].to_numpy(dtype=np.float64)
        # relmark.data zeroes netted residues in the holdout whatever returns= is
        total = np.where(np.isfinite(total) & (np.abs(total) <= 1e-12 * scale), 0.0, total)
        money_h = _spend(total, scale, counts, False)
        _check_finite_spend(money_h, present.index.to_numpy(), opts.monetary_value)
    duration = (_period_of(obs_end, grid) - _period_of(cal_end, grid)) / multiple
    return _summary(
        present,
        spec,
        cal_end,
        unit,
        code,
        notes,
        opts,
        frequency_holdout=present["h_freq"].to_numpy(dtype=np.float64),
        monetary_value_holdout=money_h,
        duration_holdout=np.full(len(present), float(duration)),
    )


def fit(model: type[CLVModel], summary: dd.DataFrame, **options: Any) -> CLVModel:
    """Fit ``model`` to a Dask DataFrame of per-customer rows: the distinct rows and their
    counts are computed on the cluster, the likelihood maximised locally on them (exactly the
    in-memory estimate, whose checks the rows then pass).

    Parameters
    ----------
    model
        A model class, e.g. :class:`relmark.clv.BGNBD`.
    summary
        One row per customer with the model's data columns (``frequency``, ``recency``, ``T``).
    **options
        Passed to ``model.fit``.

    Returns
    -------
    CLVModel
        The fitted model.

    Raises
    ------
    ArgumentError
        When ``model`` is not a relmark model class, or ``summary`` not a Dask DataFrame.
    DataError
        For a missing column, a column that is not numbers (checked before any work), rows
        the in-memory fit refuses, or a summary that counts the first purchase (a column
        ``include_first_purchase`` holding True).
    """
    if not (isinstance(model, type) and issubclass(model, CLVModel)):
        raise ArgumentError(
            f"must be a relmark model class such as BGNBD, got {model!r}", argument="model"
        )
    fields = list(model.data_fields)
    _require_columns(summary, fields, "summary")
    for name in fields:
        dtype = summary[name].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise DataError(f"values are {dtype}, not numbers (text is not converted)", column=name)
    if FIRST_PURCHASE in summary.columns:  # a flag column, as the Spark engine writes it
        refuse_first_purchase({FIRST_PURCHASE: summary[FIRST_PURCHASE].unique().compute().tolist()})
    # dropna=False: a row with a missing value is counted, and refused by model.fit (it was
    # dropped by the grouping, silently)
    grouped = summary[fields].groupby(fields, dropna=False)
    counts = grouped.size().compute().rename("weights").reset_index()
    data = {f: counts[f].to_numpy(dtype=np.float64) for f in fields}
    weights = counts["weights"].to_numpy(dtype=np.float64)
    return fit_grouped(model, data, weights, where="the summary", **options)


def _score_partition(
    part: pd.DataFrame,
    purchases_json: str,
    spend_json: str | None,
    horizon: float,
    clv_options: dict[str, Any],
) -> pd.DataFrame:
    purchases = load_model(purchases_json)
    spend = None if spend_json is None else load_model(spend_json)
    columns = score_arrays(
        purchases,  # type: ignore[arg-type]
        spend,  # type: ignore[arg-type]
        part["frequency"].to_numpy(dtype=np.float64),
        part["recency"].to_numpy(dtype=np.float64),
        part["T"].to_numpy(dtype=np.float64),
        None if spend is None else part["monetary_value"].to_numpy(dtype=np.float64),
        horizon=horizon,
        **clv_options,
    )
    return pd.DataFrame(columns, index=part.index)


def score(
    purchases: CLVModel,
    customers: dd.DataFrame,
    *,
    horizon: float,
    spend: CLVModel | None = None,
    periods: int = 12,
    period_length: float | None = None,
    discount_rate: float = 0.01,
) -> dd.DataFrame:
    """P(alive) and expected purchases over ``horizon`` per customer (with ``spend``, also the
    expected spend and the CLV over ``periods`` periods, as :func:`relmark.clv.score`), as a
    lazy Dask DataFrame computed partition by partition; the models travel as JSON.

    Parameters
    ----------
    purchases, spend
        A fitted purchase model and, optionally, a spend model.
    customers
        Per-customer rows with ``frequency``, ``recency``, ``T`` (and ``monetary_value`` with
        ``spend``).
    horizon, periods, period_length, discount_rate
        As for :func:`relmark.clv.score`.

    Returns
    -------
    dask.dataframe.DataFrame
        ``p_alive``, ``expected_purchases`` (and ``expected_spend``, ``clv``).

    Raises
    ------
    ArgumentError
        At once, for the arguments :func:`relmark.clv.score` refuses (they are checked on one
        customer before any work): a negative or NaN horizon, periods that are not whole
        numbers >= 1, a discount rate <= -1, models of the wrong kind; ``customers`` that is
        not a Dask DataFrame.
    DataError
        At once for a missing column; when computed, for the rows of a partition that
        :func:`relmark.clv.score` refuses.
    """
    fields = ["frequency", "recency", "T"] + (["monetary_value"] if spend is not None else [])
    _require_columns(customers, fields, "customers")
    options: dict[str, Any] = {
        "periods": periods,
        "period_length": period_length,
        "discount_rate": discount_rate,
    }
    # The in-memory checks of the models and every argument, on one customer, before any work
    # (the CLV horizon's also without a spend model, which clv.score does not read then):
    score_arrays(
        purchases,  # type: ignore[arg-type]
        spend,  # type: ignore[arg-type]
        [1.0],
        [1.0],
        [2.0],
        None if spend is None else [1.0],
        horizon=horizon,
        **options,
    )
    check_clv_horizon(purchases, spend, **options)
    names = ["p_alive", "expected_purchases"] + (
        ["expected_spend", "clv"] if spend is not None else []
    )
    meta = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in names})
    result: dd.DataFrame = customers.map_partitions(  # type: ignore[no-untyped-call]
        _score_partition,
        purchases.to_json(indent=None),
        None if spend is None else spend.to_json(indent=None),
        float(horizon),
        options,
        meta=meta,
    )
    return result
