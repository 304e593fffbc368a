"""Matplotlib figures of the CLV diagnostics (the ``plot`` extra).

Every function returns a :class:`matplotlib.figure.Figure` that **shows itself in Jupyter**: put
the call last in a cell and the figure appears, with no ``%matplotlib`` magic and no pyplot.
The figures are built with the object API (no pyplot state: nothing is registered, nothing must
be closed, figures can be made in threads) and carry a ``_repr_png_`` method, which IPython
calls to display an object; ``fig.savefig("name.png")`` writes a file as usual. When a notebook
has turned matplotlib's inline backend on (``%matplotlib inline``, or by importing pyplot), that
backend draws the figure instead, once.

Each function takes what its diagnostic returns:

- :func:`plot_calibration_holdout`: the table of
  :func:`relmark.clv.diagnostics.calibration_holdout_table`.
- :func:`plot_period_transactions`: the ``(table, chi_square, p_value)`` of
  :func:`relmark.clv.diagnostics.period_transactions`, or its table.
- :func:`plot_tracking`: the table of :func:`relmark.clv.diagnostics.tracking`.
- :func:`plot_p_alive_matrix`, :func:`plot_expected_purchases_matrix`: a purchase model (its
  ``p_alive`` and ``conditional_expected_purchases``).
- :func:`plot_survival`: a retention model (its ``survival``) and the actual percentages
  (``load_retention("regular")["percent_alive"]``).

Bad input raises relmark's own errors: :class:`~relmark.errors.ArgumentError` naming the
argument (a table that is not a DataFrame, ``T=nan``, ``points=1``), and
:class:`~relmark.errors.DataError` naming the column (a missing or text column, NaN or negative
counts, an empty table). Importing this module without matplotlib raises an ImportError that
says how to install it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import as_numbers, check_number
from relmark.errors import ArgumentError, DataError
from relmark.typing import FloatArray

try:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("relmark.plot needs matplotlib: pip install 'relmark[plot]'") from exc

__all__ = [
    "plot_calibration_holdout",
    "plot_expected_purchases_matrix",
    "plot_p_alive_matrix",
    "plot_period_transactions",
    "plot_survival",
    "plot_tracking",
]


class _InlineFigure(Figure):
    """A :class:`~matplotlib.figure.Figure` that IPython displays as a PNG.

    IPython shows the last expression of a cell through its ``_repr_*_`` methods; a plain
    Figure made without pyplot has none unless matplotlib's inline backend has registered a
    formatter for Figures (``%matplotlib inline``), so it showed as ``<Figure size ...>``.
    """

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes (what Jupyter shows inline)."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    return _InlineFigure(figsize=(width, height), dpi=100, layout="constrained")


# -- validation -----------------------------------------------------------------------------

_UNITS = {"D": ("day", "days"), "W": ("week", "weeks"), "h": ("hour", "hours")}
_UNITS["M"] = ("month", "months")


def _unit_names(unit: object) -> tuple[str, str]:
    """Singular and plural name of a time unit (``"W"`` -> week, weeks; ``"7D"`` -> 7-day
    period(s); ``None`` -> period(s)); a label relmark does not know is shown as it is."""
    if unit is None:
        return "period", "periods"
    text = str(getattr(unit, "label", unit))
    match = re.fullmatch(r"(\d+(?:\.\d+)?)?\s*([DWhM])", text)
    if match is None:
        return text, text
    multiple, base = match.groups()
    one, many = _UNITS[base]
    if multiple is None or float(multiple) == 1:
        return one, many
    return f"{float(multiple):g}-{one} period", f"{float(multiple):g}-{one} periods"


def _days_unit(unit_days: float | None) -> tuple[str, str]:
    if unit_days is None:
        return "period", "periods"
    if unit_days == 1:
        return "day", "days"
    if unit_days == 7:
        return "week", "weeks"
    return f"{unit_days:g}-day period", f"{unit_days:g}-day periods"


def _check_title(title: object) -> str | None:
    if title is not None and not isinstance(title, str):
        raise ArgumentError(
            f"must be text or None, got {title!r} of type {type(title).__name__}",
            argument="title",
        )
    return title


def _check_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ArgumentError(f"must be True or False, got {value!r}", argument=name)
    return bool(value)


def _method(model: object, name: str, what: str) -> Callable[..., Any]:
    """The model's ``name`` method, or an ArgumentError saying the figure needs one."""
    method: Callable[..., Any] | None = getattr(model, name, None)
    if isinstance(model, type):
        raise ArgumentError(
            f"needs {what}, got the class {model.__name__}: fit it or give its parameters "
            f"first ({model.__name__}.fit(...) or {model.__name__}(...))",
            argument="model",
        )
    if method is None or not callable(method):
        raise ArgumentError(
            f"needs {what} with a {name}() method (e.g. a fitted relmark model), "
            f"got {type(model).__name__}",
            argument="model",
        )
    return method


def _values(result: object, shape: tuple[int, ...], name: str) -> FloatArray:
    """What the model's ``name`` method returned, as finite floats of ``shape`` (a model
    giving NaN drew an empty figure; a wrong shape raised numpy's ValueError)."""
    try:
        values = np.broadcast_to(np.asarray(result, dtype=np.float64), shape)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"its {name}() returned values of shape {getattr(result, 'shape', '?')} for "
            f"inputs of shape {shape}",
            argument="model",
        ) from None
    if not np.isfinite(values).all():
        raise ArgumentError(f"its {name}() returned NaN or infinite values", argument="model")
    return values


MAX_CELLS = 10_000
"""The most frequencies, recency points or periods a figure draws (each one is a pixel at
most: a larger grid only takes memory and time)."""


def _table(
    table: object,
    name: str,
    source: str,
    columns: Sequence[str],
    *,
    counts: Sequence[str] = (),
    nan_where_empty: str | None = None,
    every_column: bool = False,
    whole: Sequence[str] = (),
) -> pd.DataFrame:
    """``table`` as a non-empty DataFrame with finite numeric ``columns`` (``counts`` also
    >= 0; with ``every_column``, every column of the table is a count or mean of counts to
    plot: all checked, all >= 0).
    With ``nan_where_empty``, NaN is allowed in rows where that column is 0 (a frequency no
    customer has: no mean to plot)."""
    if not isinstance(table, pd.DataFrame):
        raise ArgumentError(
            f"must be the DataFrame that {source} returns, got {type(table).__name__}",
            argument=name,
        )
    if len(table) == 0:
        raise DataError(f"the {name} has no rows: nothing to plot ({source} of no customers?)")
    repeated = table.columns[table.columns.duplicated()]
    if len(repeated):
        raise DataError(f"two columns of the {name} have this name", column=str(repeated[0]))
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(
            f"missing from the {name} (its columns: {', '.join(map(str, table.columns))}); "
            f"pass the table that {source} returns",
            column=missing[0],
        )
    empty = None
    if nan_where_empty is not None:
        empty = as_numbers(table[nan_where_empty].to_numpy(), nan_where_empty) == 0
    labels = list(table.index)
    for column in dict.fromkeys([*columns, *table.columns]):
        if column not in columns and not every_column:
            continue  # not plotted
        if pd.api.types.is_bool_dtype(table[column]):
            raise DataError("values are True/False, not numbers", column=str(column))
        values = as_numbers(table[column].to_numpy(), str(column))
        if values.ndim != 1:
            raise DataError(f"expected one number per row, got shape {values.shape}", column=column)
        bad = ~np.isfinite(values)
        if empty is not None:
            bad &= ~(np.isnan(values) & empty)
        if bad.any():
            raise DataError(
                "missing (NaN) or infinite values",
                column=str(column),
                rows=[labels[i] for i in np.flatnonzero(bad)],
            )
        if (column in counts or every_column) and (values < 0).any():
            raise DataError(
                "cannot be negative (a count of customers or purchases)",
                column=str(column),
                rows=[labels[i] for i in np.flatnonzero(values < 0)],
            )
        if column in whole and (values != np.round(values)).any():
            raise DataError(
                "must be whole numbers (a count of customers)",
                column=str(column),
                rows=[labels[i] for i in np.flatnonzero(values != np.round(values))],
            )
        with np.errstate(over="ignore"):
            total = float(np.nansum(values))
        if not np.isfinite(total):
            raise DataError("values too large: their total is infinite", column=str(column))
    return table


def _numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column)) and not pd.api.types.is_bool_dtype(column)


def _fmt(x: float) -> str:
    """A number rounded for a title: three significant digits, thousands separated."""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


# -- figures ------------------------------------------------------------------------------


def plot_calibration_holdout(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Actual and predicted mean holdout repeat purchases by calibration frequency.

    The check of Fader, Hardie & Lee (2005, Figure 3): customers grouped by their repeat
    purchases in the calibration period; for each group, the mean number of repeat purchases
    they made in the holdout period (black) against each model's conditional expectation.

    Parameters
    ----------
    table
        What :func:`relmark.clv.diagnostics.calibration_holdout_table` returns: columns
        ``customers``, ``actual`` and one column per model. A frequency no customer has
        (``customers`` 0, means NaN) is left out of the lines.
    title
        The title; by default it says what is plotted, the number of customers and, when the
        table records them, the length and unit of the holdout period.

    Returns
    -------
    matplotlib.figure.Figure
        Shows itself in Jupyter; ``savefig`` writes it to a file.

    Raises
    ------
    ArgumentError
        ``table`` is not a DataFrame, ``title`` is not text.
    DataError
        The table is empty, a column is missing or not numeric, or has infinite values,
        negative values, or NaN where there are customers.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {"customers": [50, 30], "actual": [0.2, 1.1], "BG/NBD": [0.25, 1.0]}, index=["0", "1+"]
    ... )
    >>> fig = plot_calibration_holdout(table)
    >>> fig.axes[0].get_ylabel()
    'mean repeat purchases per customer in the holdout'
    """
    frame = _table(
        table,
        "table",
        "relmark.clv.diagnostics.calibration_holdout_table",
        ("customers", "actual"),
        counts=("customers",),
        nan_where_empty="customers",
        every_column=True,
        whole=("customers",),
    )
    if not (frame["customers"].to_numpy(dtype=np.float64) > 0).any():
        raise DataError("no row has customers: nothing to plot", column="customers")
    title = _check_title(title)
    models = [c for c in frame.columns if c not in ("customers", "actual")]
    customers = int(frame["customers"].sum())
    if title is None:
        duration = frame.attrs.get("duration_holdout")
        period = "the holdout"
        if duration is not None:
            length = check_number(duration, "duration_holdout", low=0.0, low_open=True)
            unit = _unit_names(frame.attrs.get("time_unit"))[1]
            period = f"the holdout ({_fmt(length)} {unit})"
        title = (
            f"Mean repeat purchases per customer in {period}\n"
            f"by repeat purchases in calibration ({customers:,} customers)"
        )
    fig = _figure(7, 4.5)
    ax = fig.add_subplot()
    x = np.arange(len(frame))
    ax.plot(x, frame["actual"].to_numpy(dtype=np.float64), "k-o", label="actual")
    for name in models:
        ax.plot(x, frame[name].to_numpy(dtype=np.float64), "--s", label=str(name))
    ax.set_xticks(x, [str(i) for i in frame.index])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean repeat purchases per customer in the holdout")
    ax.set_title(title)
    ax.legend()
    return fig


def plot_period_transactions(
    result: pd.DataFrame | tuple[pd.DataFrame, float, float], *, title: str | None = None
) -> Figure:
    """Bars of actual and expected numbers of customers by repeat purchases in calibration.

    Parameters
    ----------
    result
        What :func:`relmark.clv.diagnostics.period_transactions` returns: the tuple
        ``(table, chi_square, p_value)`` (the statistic goes into the title) or its table alone
        (columns ``actual`` and ``expected``).
    title
        The title; by default it names the plot, the number of customers and, given the tuple,
        the chi-square statistic and its p-value, rounded.

    Returns
    -------
    matplotlib.figure.Figure
        Shows itself in Jupyter; ``savefig`` writes it to a file.

    Raises
    ------
    ArgumentError
        ``result`` is neither the tuple nor a DataFrame, the statistic or p-value is not a
        finite number (p in [0, 1]), ``title`` is not text.
    DataError
        The table is empty, a column is missing, not numeric, NaN, infinite or negative.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"actual": [60, 25, 15], "expected": [58.0, 27.5, 14.5]})
    >>> plot_period_transactions((table, 0.31, 0.58)).axes[0].get_title().splitlines()[1]
    '100 customers, chi-square 0.31, p = 0.580'
    """
    stat: float | None = None
    p_value: float | None = None
    if isinstance(result, tuple):
        if len(result) != 3:
            raise ArgumentError(
                f"a tuple must be (table, chi_square, p_value) as period_transactions returns, "
                f"got {len(result)} items",
                argument="result",
            )
        table, raw_stat, raw_p = result
        stat = check_number(raw_stat, "chi_square", low=0.0)
        p_value = check_number(raw_p, "p_value", low=0.0, high=1.0)
    else:
        table = result
    frame = _table(
        table,
        "result",
        "relmark.clv.diagnostics.period_transactions",
        ("actual", "expected"),
        counts=("actual", "expected"),
    )
    title = _check_title(title)
    actual = frame["actual"].to_numpy(dtype=np.float64)
    expected = frame["expected"].to_numpy(dtype=np.float64)
    if title is None:
        numbers = f"{_fmt(float(actual.sum()))} customers"
        if stat is not None and p_value is not None:
            numbers += f", chi-square {_fmt(stat)}, {_p(p_value)}"
        title = f"Customers by repeat purchases in calibration\n{numbers}"
    fig = _figure(7, 4.5)
    ax = fig.add_subplot()
    x = np.arange(len(frame))
    ax.bar(x - 0.2, actual, width=0.4, label="actual")
    ax.bar(x + 0.2, expected, width=0.4, label="model")
    ax.set_xticks(x, [str(i) for i in frame.index])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("customers")
    ax.set_title(title)
    ax.legend()
    return fig


def _matrix_args(
    model: Any, T: object, max_frequency: object, points: object
) -> tuple[float, int, int]:
    age = check_number(T, "T", low=0.0, low_open=True)
    if getattr(model, "discrete", False):
        age = check_number(T, "T", low=1.0, high=MAX_CELLS, whole=True)
    return (
        age,
        int(check_number(max_frequency, "max_frequency", low=1, high=MAX_CELLS, whole=True)),
        int(check_number(points, "points", low=2, high=MAX_CELLS, whole=True)),
    )


def _evaluate(
    fn: Callable[[FloatArray, FloatArray, FloatArray], Any],
    model: Any,
    T: float,
    max_frequency: int,
    points: int,
    name: str,
) -> tuple[np.ma.MaskedArray[Any, Any], FloatArray]:
    # the grid and its impossible cells are the model's own (p_alive_matrix and
    # expected_purchases_matrix give the same values as data)
    from relmark.clv._rfm import history_matrix

    _, rr, values, impossible = history_matrix(
        lambda x, tx, a: _values(fn(x, tx, a), (x.shape[0],), name),
        T=T,
        max_frequency=max_frequency,
        points=points,
        discrete=bool(getattr(model, "discrete", False)),
    )
    return np.ma.masked_array(values, mask=impossible), rr[-1]


def _matrix(
    values: np.ma.MaskedArray[Any, Any], recency: FloatArray, title: str, label: str, units: str
) -> Figure:
    fig = _figure(6.5, 5)
    ax = fig.add_subplot()
    step = float(recency[1] - recency[0]) if recency.size > 1 else 1.0
    image = ax.imshow(
        values,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=(-step / 2, float(recency[-1]) + step / 2, -0.5, values.shape[0] - 0.5),
    )
    ax.set_xlabel(f"recency: time of the last repeat purchase ({units})")
    ax.set_ylabel("frequency: repeat purchases")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole purchases: no 2.5 tick
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=label)
    return fig


def plot_p_alive_matrix(
    model: Any, *, T: float, max_frequency: int = 30, points: int = 60
) -> Figure:
    """Heat map of P(alive) over frequency and recency for customers of age ``T``.

    Parameters
    ----------
    model
        A purchase model with ``p_alive(frequency, recency, T)`` (BG/NBD, MBG/NBD,
        Pareto/NBD, BG/BB), in the time unit of its data (``model.time_unit``, shown on the
        axes and in the title).
    T
        The customers' age, > 0 (a whole number of periods for a discrete model).
    max_frequency
        The largest frequency shown, a whole number >= 1.
    points
        Recency values from 0 to ``T``, a whole number >= 2 (a discrete model uses each
        period).

    Returns
    -------
    matplotlib.figure.Figure
        Shows itself in Jupyter; ``savefig`` writes it to a file.

    Raises
    ------
    ArgumentError
        ``model`` has no ``p_alive``; ``T``, ``max_frequency`` or ``points`` is NaN, text, a
        boolean, out of range or fractional where whole.

    Examples
    --------
    >>> from relmark.clv import BGNBD
    >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    >>> plot_p_alive_matrix(model, T=38.86, max_frequency=10, points=20).axes[0].get_title()
    'P(alive) by frequency and recency\\ncustomers aged 38.9 weeks'
    """
    fn = _method(model, "p_alive", "a purchase model")
    age, max_f, n = _matrix_args(model, T, max_frequency, points)
    values, recency = _evaluate(fn, model, age, max_f, n, "p_alive")
    units = _unit_names(getattr(model, "time_unit", None))[1]
    title = f"P(alive) by frequency and recency\ncustomers aged {_fmt(age)} {units}"
    return _matrix(values, recency, title, "P(alive)", units)


def plot_expected_purchases_matrix(
    model: Any, *, t: float, T: float, max_frequency: int = 30, points: int = 60
) -> Figure:
    """Heat map of the expected purchases in the next ``t`` over frequency and recency.

    For customers of age ``T``: what each history (frequency, recency) predicts.

    Parameters
    ----------
    model
        A purchase model with ``conditional_expected_purchases(frequency, recency, T, *, t)``,
        in the time unit of its data (``model.time_unit``).
    t
        The horizon, > 0 (a whole number of periods for a discrete model).
    T
        The customers' age, > 0 (whole for a discrete model).
    max_frequency
        The largest frequency shown, a whole number >= 1.
    points
        Recency values from 0 to ``T``, a whole number >= 2.

    Returns
    -------
    matplotlib.figure.Figure
        Shows itself in Jupyter; ``savefig`` writes it to a file.

    Raises
    ------
    ArgumentError
        ``model`` has no ``conditional_expected_purchases``; ``t``, ``T``, ``max_frequency``
        or ``points`` is NaN, text, a boolean, out of range or fractional where whole.

    Examples
    --------
    >>> from relmark.clv import BGNBD
    >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    >>> fig = plot_expected_purchases_matrix(model, t=52, T=38.86, max_frequency=10, points=20)
    >>> fig.axes[0].get_title()
    'Expected purchases in the next 52 weeks\\ncustomers aged 38.9 weeks'
    """
    fn = _method(model, "conditional_expected_purchases", "a purchase model")
    horizon = check_number(t, "t", low=0.0, low_open=True, whole=getattr(model, "discrete", False))
    age, max_f, n = _matrix_args(model, T, max_frequency, points)
    values, recency = _evaluate(
        lambda x, tx, a: fn(x, tx, a, t=horizon),
        model,
        age,
        max_f,
        n,
        "conditional_expected_purchases",
    )
    units = _unit_names(getattr(model, "time_unit", None))[1]
    title = (
        f"Expected purchases in the next {_fmt(horizon)} {units}\n"
        f"customers aged {_fmt(age)} {units}"
    )
    return _matrix(values, recency, title, "expected purchases", units)


def plot_survival(
    model: Any, actual_percent: npt.ArrayLike | None = None, *, periods: int = 12
) -> Figure:
    """A retention model's survival curve (percent of the cohort), with the actual curve.

    Parameters
    ----------
    model
        A model with ``survival(t)`` (the share of a cohort still a customer after ``t``
        periods), e.g. :class:`relmark.clv.SBG`; its parameters are shown in the title.
    actual_percent
        The actual percentages surviving at periods 0, 1, 2, ... (e.g.
        ``load_retention("regular")["percent_alive"]``), each in [0, 100]; optional.
    periods
        The curve is drawn for periods 0..``periods``, a whole number >= 1.

    Returns
    -------
    matplotlib.figure.Figure
        Shows itself in Jupyter; ``savefig`` writes it to a file.

    Raises
    ------
    ArgumentError
        ``model`` has no ``survival``; ``periods`` is NaN, text, a boolean, < 1 or fractional.
    DataError
        ``actual_percent`` (the column named) is empty, not 1-d, text, NaN, infinite or
        outside [0, 100].

    Examples
    --------
    >>> from relmark.clv import SBG
    >>> fig = plot_survival(SBG(alpha=0.704, beta=1.182), [100.0, 63.1, 46.8], periods=12)
    >>> fig.axes[0].get_title().splitlines()[1]
    'alpha 0.704, beta 1.18: 17.0% still customers after 12 periods'
    """
    fn = _method(model, "survival", "a retention model")
    n = int(check_number(periods, "periods", low=1, high=MAX_CELLS, whole=True))
    actual: FloatArray | None = None
    if actual_percent is not None:
        actual = as_numbers(actual_percent, "actual_percent")
        if actual.ndim != 1 or actual.size == 0:
            raise DataError(
                f"expected a 1-d list of percentages, got shape {actual.shape}",
                column="actual_percent",
            )
        bad = ~np.isfinite(actual) | (actual < 0) | (actual > 100)
        if bad.any():
            raise DataError(
                "percentages must be finite and within [0, 100]",
                column="actual_percent",
                rows=np.flatnonzero(bad).tolist(),
            )
        if actual.max() <= 1.0:
            raise DataError(
                "percentages (0 to 100), not shares: these are all <= 1 (multiply by 100)",
                column="actual_percent",
            )
    t = np.arange(0, n + 1, dtype=np.float64)
    curve = 100 * _values(fn(t), t.shape, "survival")
    one, many = _unit_names(getattr(model, "time_unit", None))
    params = getattr(model, "params", {})
    shown = ", ".join(
        f"{k} {_fmt(float(v)) if isinstance(v, int | float | np.number) else v}"
        for k, v in dict(params).items()
    )
    name = getattr(model, "name", type(model).__name__)
    fig = _figure(7, 4.5)
    ax = fig.add_subplot()
    ax.plot(t, curve, "b--", label=str(name))
    if actual is not None:
        ax.plot(np.arange(actual.size), actual, "k-o", label="actual")
    ax.set_xlabel(f"tenure ({many})")
    ax.set_ylabel("% of the cohort still customers")
    ax.set_ylim(0, 100)
    ax.set_title(
        f"{name} survival\n{shown + ': ' if shown else ''}"
        f"{curve[-1]:.1f}% still customers after {n} {one if n == 1 else many}"
    )
    ax.legend()
    return fig


def plot_tracking(
    table: pd.DataFrame, *, cumulative: bool = True, title: str | None = None
) -> Figure:
    """Actual vs expected repeat transactions of the cohort over calendar time.

    Cumulative or per period (Fader, Hardie & Lee 2005, Figure 4), with the end of
    calibration marked.

    Parameters
    ----------
    table
        What :func:`relmark.clv.diagnostics.tracking` returns: columns ``actual``,
        ``expected``, ``actual_cumulative``, ``expected_cumulative`` and optionally
        ``calibration`` (booleans), indexed by period; the period length is read from
        ``table.attrs["unit_days"]`` when the table records it.
    cumulative
        Cumulative totals (True) or transactions per period (False).
    title
        The title; by default it says what is plotted, with the actual and expected totals at
        the last period, rounded.

    Returns
    -------
    matplotlib.figure.Figure
        Shows itself in Jupyter; ``savefig`` writes it to a file.

    Raises
    ------
    ArgumentError
        ``table`` is not a DataFrame, ``cumulative`` is not a boolean, ``title`` not text.
    DataError
        The table is empty, a column is missing, not numeric, NaN, infinite or negative, or
        ``calibration`` is not boolean.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {"actual": [0.0, 3.0, 5.0], "expected": [0.5, 2.5, 4.0]},
    ...     index=pd.Index([0, 1, 2], name="period"),
    ... )
    >>> table["actual_cumulative"] = table["actual"].cumsum()
    >>> table["expected_cumulative"] = table["expected"].cumsum()
    >>> table.attrs["unit_days"] = 7.0
    >>> plot_tracking(table).axes[0].get_xlabel()
    'weeks since the first purchase of the cohort'
    """
    columns = ("actual", "expected", "actual_cumulative", "expected_cumulative")
    frame = _table(table, "table", "relmark.clv.diagnostics.tracking", columns, counts=columns)
    cumulative = _check_flag(cumulative, "cumulative")
    title = _check_title(title)
    if "calibration" in frame.columns and not pd.api.types.is_bool_dtype(frame["calibration"]):
        raise DataError(
            "must be True (calibration) or False (holdout) in every row", column="calibration"
        )
    if frame.index.dtype.kind not in "iuf":
        raise DataError(
            f"the index must be the period numbers, got {frame.index.dtype} values",
            column="period",
        )
    x = as_numbers(frame.index.to_numpy(), "period")
    if x.ndim != 1 or not np.isfinite(x).all() or (np.diff(x) <= 0).any():
        raise DataError(
            "the index must be the period numbers, increasing, each once", column="period"
        )
    raw = frame.attrs.get("unit_days")
    unit_days = None if raw is None else check_number(raw, "unit_days", low=0.0, low_open=True)
    one, many = _days_unit(unit_days)
    suffix = "_cumulative" if cumulative else ""
    actual = frame["actual" + suffix].to_numpy(dtype=np.float64)
    expected = frame["expected" + suffix].to_numpy(dtype=np.float64)
    if title is None:
        total_a = float(frame["actual_cumulative"].iloc[-1])
        total_e = float(frame["expected_cumulative"].iloc[-1])
        kind = "Cumulative repeat transactions" if cumulative else f"Repeat transactions per {one}"
        title = (
            f"{kind}, actual vs model\n"
            f"after {_fmt(float(x[-1]) + 1)} {many}: actual {_fmt(total_a)}, model {_fmt(total_e)}"
        )
    fig = _figure(8, 4.5)
    ax = fig.add_subplot()
    ax.plot(x, actual, "k-", label="actual")
    ax.plot(x, expected, "b--", label="model")
    if "calibration" in frame.columns and (~frame["calibration"]).any():
        cut = float(x[~frame["calibration"].to_numpy(dtype=bool)][0])
        ax.axvline(cut, color="grey", linestyle=":", label="end of calibration")
    ax.set_xlabel(f"{many} since the first purchase of the cohort")
    ax.set_ylabel("repeat transactions" + (" (cumulative)" if cumulative else f" per {one}"))
    ax.set_title(title)
    ax.legend()
    return fig
