"""Matplotlib figures of the CLV diagnostics (the ``plot`` extra).

Every function returns a :class:`matplotlib.figure.Figure` built with the object API (no pyplot
state, so figures can be made in threads and saved with ``fig.savefig``). Importing this module
without matplotlib raises an ImportError that says how to install it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

try:
    from matplotlib.figure import Figure
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


def plot_calibration_holdout(
    table: pd.DataFrame, *, title: str = "Calibration vs holdout"
) -> Figure:
    """Lines of actual and predicted mean holdout purchases by calibration frequency
    (the table of :func:`relmark.clv.diagnostics.calibration_holdout_table`)."""
    fig = Figure(figsize=(7, 4.5), dpi=100)
    ax = fig.add_subplot()
    x = np.arange(len(table))
    ax.plot(x, table["actual"], "k-o", label="actual")
    for name in [c for c in table.columns if c not in ("customers", "actual")]:
        ax.plot(x, table[name], "--s", label=name)
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean repeat purchases in holdout")
    ax.set_title(title)
    ax.legend()
    return fig


def plot_period_transactions(table: pd.DataFrame) -> Figure:
    """Bars of actual and expected customers by number of repeat purchases."""
    fig = Figure(figsize=(7, 4.5), dpi=100)
    ax = fig.add_subplot()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["actual"], width=0.4, label="actual")
    ax.bar(x + 0.2, table["expected"], width=0.4, label="model")
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("customers")
    ax.set_title("Frequency of repeat transactions")
    ax.legend()
    return fig


def _matrix(values: np.ndarray, title: str, label: str, max_recency: float) -> Figure:
    fig = Figure(figsize=(6.5, 5), dpi=100)
    ax = fig.add_subplot()
    image = ax.imshow(
        values, origin="lower", aspect="auto", extent=(0, max_recency, 0, values.shape[0] - 1)
    )
    ax.set_xlabel("recency (time of the last purchase)")
    ax.set_ylabel("frequency (repeat purchases)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=label)
    return fig


def _grid(max_frequency: int, T: float, points: int) -> tuple[np.ndarray, np.ndarray]:
    f = np.arange(0, max_frequency + 1, dtype=np.float64)
    r = np.linspace(0.0, T, points)
    return f, r


def _evaluate(fn: Any, max_frequency: int, T: float, points: int) -> np.ndarray:
    f, r = _grid(max_frequency, T, points)
    ff, rr = np.meshgrid(f, r, indexing="ij")
    rr = np.where(ff == 0, 0.0, np.maximum(rr, 1e-9))
    out: np.ndarray = fn(ff.ravel(), rr.ravel(), np.full(ff.size, T)).reshape(ff.shape)
    return out


def plot_p_alive_matrix(
    model: Any, *, T: float, max_frequency: int = 30, points: int = 60
) -> Figure:
    """Heat map of P(alive) over frequency and recency for customers of age ``T``."""
    values = _evaluate(model.p_alive, max_frequency, T, points)
    return _matrix(values, f"P(alive) at age {T:g}", "P(alive)", T)


def plot_expected_purchases_matrix(
    model: Any, *, t: float, T: float, max_frequency: int = 30, points: int = 60
) -> Figure:
    """Heat map of expected purchases in the next ``t`` over frequency and recency."""
    values = _evaluate(
        lambda x, tx, age: model.conditional_expected_purchases(t, x, tx, age),
        max_frequency,
        T,
        points,
    )
    return _matrix(values, f"Expected purchases in the next {t:g}", "purchases", T)


def plot_survival(model: Any, actual_percent: Any = None, *, periods: int = 12) -> Figure:
    """sBG survival curve (percent of the cohort), with the actual curve when given."""
    t = np.arange(0, periods + 1, dtype=np.float64)
    fig = Figure(figsize=(7, 4.5), dpi=100)
    ax = fig.add_subplot()
    ax.plot(t, 100 * model.survival(t), "b--", label="sBG")
    if actual_percent is not None:
        y = np.asarray(actual_percent, dtype=np.float64)
        ax.plot(np.arange(y.size), y, "k-o", label="actual")
    ax.set_xlabel("period")
    ax.set_ylabel("% surviving")
    ax.set_ylim(0, 100)
    ax.legend()
    return fig


def plot_tracking(table: pd.DataFrame, *, cumulative: bool = True) -> Figure:
    """Actual vs expected repeat transactions over time (the table of
    :func:`relmark.clv.diagnostics.tracking`), cumulative or per period."""
    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    suffix = "_cumulative" if cumulative else ""
    ax.plot(table.index, table["actual" + suffix], "k-", label="actual")
    ax.plot(table.index, table["expected" + suffix], "b--", label="model")
    if "calibration" in table.columns and (~table["calibration"]).any():
        ax.axvline(float(table.index[~table["calibration"]][0]), color="grey", linestyle=":")
    ax.set_xlabel("period")
    ax.set_ylabel("repeat transactions" + (" (cumulative)" if cumulative else ""))
    ax.legend()
    return fig
