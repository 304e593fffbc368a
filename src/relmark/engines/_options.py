"""The summary options every engine checks the same way (DuckDB, Spark, Dask): one place, one
message, so that the engines cannot drift apart.

:func:`log_options` checks the log-reading options as :func:`relmark.data.summarize` does
(:meth:`relmark.data._read.LogOptions.check`, the same messages) and refuses, naming the
engine, those the engine does not compute exactly; :func:`summary_options` checks the options
of the summary itself (``sum_log_interpurchase``, ``holdout_spend``,
``include_first_purchase``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from relmark._validation import check_choice, check_flag
from relmark.data._read import LogOptions
from relmark.data.summary import FIRST_PURCHASE
from relmark.errors import ArgumentError, DataError
from relmark.typing import FloatArray

if TYPE_CHECKING:
    from relmark.clv._base import CLVModel

HOLDOUT_SPEND: Final[tuple[str, ...]] = ("period", "transaction")
"""The holdout mean spend per purchase period or per transaction."""


@dataclass(frozen=True)
class SummaryOptions:
    """The checked options of the summary query (``relmark.engines.sql._query``'s ``litt``,
    ``holdout_spend`` and ``first``)."""

    litt: bool
    holdout_spend: str
    first: bool


def summary_options(
    *, sum_log_interpurchase: object, holdout_spend: object, include_first_purchase: object
) -> SummaryOptions:
    """The summary options checked (flags are real booleans, ``holdout_spend`` one of
    :data:`HOLDOUT_SPEND`), an :class:`~relmark.errors.ArgumentError` naming the option
    otherwise.

    >>> summary_options(sum_log_interpurchase=False, holdout_spend="period",
    ...                 include_first_purchase=True).first
    True
    """
    return SummaryOptions(
        litt=check_flag(sum_log_interpurchase, "sum_log_interpurchase"),
        holdout_spend=check_choice(holdout_spend, "holdout_spend", HOLDOUT_SPEND),
        first=check_flag(include_first_purchase, "include_first_purchase"),
    )


def log_options(engine: str, *, nets_returns: bool, **options: Any) -> LogOptions:
    """Check the log options as :func:`relmark.data.summarize` checks them, then refuse those
    ``engine`` cannot compute exactly, naming the engine and what to use instead:
    ``dayfirst`` (pandas infers the order from the other dates; an engine reads a
    ``date_format``) and, unless ``nets_returns``, ``returns="net"``. Returns the checked
    options (the rules by which :func:`relmark.data._read.option_date` reads an end date).

    Raises
    ------
    ArgumentError
        Naming the option.

    Examples
    --------
    >>> log_options("Spark", nets_returns=True, customer_id="id", datetime="date",
    ...             monetary_value=None, currency=None, date_format=None, dayfirst=True,
    ...             date_unit=None, timezone=None, returns="refuse", missing_ids="refuse")
    Traceback (most recent call last):
    ...
    relmark.errors.ArgumentError: argument 'dayfirst': dayfirst is not supported by the Spark \
engine (pandas infers the format of the other dates): give the format with date_format= (e.g. \
'%d/%m/%Y', read exactly), or use relmark.data.summarize
    """
    checked = LogOptions.check(**options)
    if options["returns"] == "net" and not nets_returns:
        raise ArgumentError(
            f"returns='net' is not supported by the {engine} engine (each return is checked "
            "against its period's purchases and netted in memory): use relmark.data.summarize "
            "or the Spark engine, or returns='drop'",
            argument="returns",
        )
    if options["dayfirst"] is not None:
        raise ArgumentError(
            f"dayfirst is not supported by the {engine} engine (pandas infers the format of the "
            "other dates): give the format with date_format= (e.g. '%d/%m/%Y', read exactly), "
            "or use relmark.data.summarize",
            argument="dayfirst",
        )
    return checked


def refuse_counted_first(values: Sequence[object]) -> None:
    """Refuse a summary whose ``include_first_purchase`` column (as an engine writes it:
    :data:`relmark.data.summary.FIRST_PURCHASE`) holds ``True``, as the models refuse an
    in-memory one; ``values`` are the column's distinct values (not a bool: a DataError).

    >>> refuse_counted_first([False])
    >>> refuse_counted_first([True])
    Traceback (most recent call last):
    ...
    relmark.errors.DataError: column 'frequency': the summary counts the first purchase \
(include_first_purchase=True): the CLV models need repeat purchases only; summarize again \
with include_first_purchase=False (the default)
    """
    from relmark.clv._base import refuse_first_purchase

    refuse_first_purchase({FIRST_PURCHASE: list(values)})


def check_clv_horizon(
    purchases: object,
    spend: object,
    *,
    periods: object,
    period_length: object,
    discount_rate: object,
) -> None:
    """The CLV horizon's options checked as :func:`relmark.clv.score` checks them with a
    spend model, with one or not (without, the engines accepted a bad ``periods`` or
    ``discount_rate`` that nothing used); without a spend model no ``period_length`` is
    needed. An ArgumentError naming the option.

    >>> from relmark.clv import BGNBD
    >>> check_clv_horizon(BGNBD(r=1, alpha=1, a=1, b=1), None, periods=0, period_length=None,
    ...                   discount_rate=0.01)
    Traceback (most recent call last):
    ...
    relmark.errors.ArgumentError: argument 'periods': must be >= 1, got 0
    """
    from relmark.clv.value import check_horizon_options

    check_horizon_options(purchases, spend, periods, period_length, discount_rate)


def _value_text(value: float) -> str:
    """A value as a row names it: short (``%g``) when that is the value, else every digit
    (``recency=10.0000001`` beside ``T=10``, not ``recency=10``)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def fit_grouped(
    model: type[CLVModel],
    data: dict[str, FloatArray],
    weights: FloatArray,
    *,
    where: str,
    **options: Any,
) -> CLVModel:
    """``model.fit`` on the distinct rows of a summary and their counts (the engines' grouped
    sufficient statistics), its errors stated in the user's terms.

    The in-memory fit names the rows it refuses by their position, here a position among the
    distinct rows the grouping made, which the user's summary does not have ("rows: 2" for a
    negative T in its first row). A refused row is named by its values and how many of the
    summary's customers hold them instead (``"frequency=1, recency=4, T=-3 (2 customers)"``),
    every digit of a value that ``%g`` would round, and the message counts the distinct rows at
    fault (the error's ``count``) and, when all are listed, their customers.

    Parameters
    ----------
    model
        The relmark model class.
    data
        The distinct rows, a float array per data field.
    weights
        The number of customers of each row.
    where
        The summary, as the errors name it.
    **options
        Passed to ``model.fit`` (``compress`` is False: the rows are distinct).

    Returns
    -------
    CLVModel
        The fitted model.

    Raises
    ------
    DataError
        What the fit raises, the offending rows named by their values.
    """
    try:
        fitted: CLVModel = model.fit(data, weights=weights, compress=False, **options)
        return fitted
    except DataError as exc:
        if not exc.rows or not all(isinstance(r, int | np.integer) for r in exc.rows):
            raise
        text = str(exc).split(" [first offending rows:", 1)[0]
        if exc.column is not None:
            text = text.removeprefix(f"column {exc.column!r}: ")
        positions = [int(r) for r in exc.rows if isinstance(r, int | np.integer)]
        named = [
            ", ".join(f"{f}={_value_text(float(col[r]))}" for f, col in data.items())
            + f" ({int(weights[r])} customer{'s' if weights[r] != 1 else ''})"
            for r in positions
        ]
        # the count is of distinct rows; their customers in all when every one is listed
        customers = int(sum(weights[r] for r in positions))
        total = (
            f"; {exc.count} distinct row{'s' if exc.count != 1 else ''} of "
            f"{customers} customer{'s' if customers != 1 else ''}"
            if len(positions) == exc.count
            else f"; {exc.count} distinct rows"
        )
        raise DataError(
            f"{text} (in {where}, read as distinct rows with their counts: each named by its "
            f"values and customers{total})",
            column=exc.column,
            rows=named,
            count=exc.count,
        ) from None
