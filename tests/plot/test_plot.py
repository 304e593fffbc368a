"""Figures: rendered to PNG files and checked as images, with the plotted data checked against
the diagnostics and independent formulas; shown by IPython without any matplotlib set-up."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from matplotlib.figure import Figure
from matplotlib.image import imread
from scipy.special import betaln

from relmark.clv import BGBB, BGNBD, SBG
from relmark.clv.diagnostics import calibration_holdout_table, period_transactions, tracking
from relmark.data import calibration_holdout
from relmark.datasets import load_cdnow_sample_transactions, load_cdnow_summary, load_retention
from relmark.plot import (
    plot_calibration_holdout,
    plot_expected_purchases_matrix,
    plot_p_alive_matrix,
    plot_period_transactions,
    plot_survival,
    plot_tracking,
)

from .strategies import calibration_tables, period_tables, tracking_tables

BG = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
"""The published CDNOW fit (Fader, Hardie & Lee 2005a), in weeks."""


@pytest.fixture(scope="module")
def split() -> Any:
    return calibration_holdout(
        load_cdnow_sample_transactions(),
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        freq_multiplier=7,
    )


def _check_image(img: np.ndarray) -> None:
    """A real figure: large enough, and not one colour (a blank canvas has std 0)."""
    assert img.shape[0] >= 400 and img.shape[1] >= 500
    assert img[..., :3].std() > 0.05
    # more than background and one ink: lines, text, fills
    assert np.unique(np.round(img[..., :3].reshape(-1, 3), 2), axis=0).shape[0] > 20


def _png(fig: Figure, path: Path) -> np.ndarray:
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 8_000
    img: np.ndarray = imread(path)
    _check_image(img)
    return img


def _title(fig: Figure) -> str:
    return fig.axes[0].get_title()


def test_calibration_holdout_figure(tmp_path: Path, split: Any) -> None:
    table = calibration_holdout_table({"BG/NBD": BG}, split)
    fig = plot_calibration_holdout(table)
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(np.asarray(lines[0].get_ydata(), dtype=float), table["actual"])
    np.testing.assert_allclose(np.asarray(lines[1].get_ydata(), dtype=float), table["BG/NBD"])
    # units and rounded numbers: the 39-week holdout, the 2,357 customers of the sample
    assert _title(fig) == (
        "Mean repeat purchases per customer in the holdout (39 weeks)\n"
        "by repeat purchases in calibration (2,357 customers)"
    )
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][-1] == "7+"
    _png(fig, tmp_path / "calibration.png")


def test_period_transactions_figure(tmp_path: Path) -> None:
    result = period_transactions(BG, load_cdnow_summary())
    table, stat, p = result
    fig = plot_period_transactions(result)  # the diagnostic's tuple, as it comes
    heights = [p.get_height() for p in fig.axes[0].patches]  # type: ignore[attr-defined]
    np.testing.assert_allclose(heights[:8], table["actual"])
    np.testing.assert_allclose(heights[8:], table["expected"])
    assert _title(fig).splitlines()[1] == f"2,357 customers, chi-square {stat:.3g}, p = {p:.3f}"
    # its table alone: the same bars, no statistic
    alone = plot_period_transactions(table)
    assert _title(alone).splitlines()[1] == "2,357 customers"
    _png(fig, tmp_path / "period.png")


def _bgnbd_p_alive(x: float, tx: float, T: float) -> float:
    """Fader, Hardie & Lee (2005a, eq. 11), written out here independently of relmark."""
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    if x == 0:
        return 1.0
    return float(1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)))


def _image(fig: Figure) -> np.ma.MaskedArray[Any, Any]:
    """The heat map's values (masked where no customer can be)."""
    values = fig.axes[0].images[0].get_array()
    assert values is not None
    return np.ma.asarray(values)


def test_p_alive_matrix_values(tmp_path: Path) -> None:
    fig = plot_p_alive_matrix(BG, T=38.86, max_frequency=20, points=30)
    data = np.ma.getdata(_image(fig))
    assert data.shape == (21, 30)
    recency = np.linspace(0, 38.86, 30)
    for x, j in [(1, 0), (1, 29), (5, 10), (20, 3), (20, 29)]:
        expected = _bgnbd_p_alive(x, max(recency[j], 1e-9), 38.86)
        assert data[x, j] == pytest.approx(expected, rel=1e-9)
    assert data[0].tolist() == [1.0] * 30  # no repeat purchase: alive under BG/NBD
    assert _title(fig) == "P(alive) by frequency and recency\ncustomers aged 38.9 weeks"
    assert fig.axes[0].get_xlabel() == "recency: time of the last repeat purchase (weeks)"
    # pixel centres on the grid: frequency rows at 0..20, recency columns from 0 to T
    assert list(fig.axes[0].images[0].get_extent())[2:] == [-0.5, 20.5]
    _png(fig, tmp_path / "p_alive.png")


def test_expected_purchases_matrix(tmp_path: Path) -> None:
    fig = plot_expected_purchases_matrix(BG, t=52, T=38.86, max_frequency=20, points=30)
    data = np.ma.getdata(_image(fig))
    recency = np.linspace(0, 38.86, 30)
    np.testing.assert_allclose(
        data[7], BG.conditional_expected_purchases(7, np.maximum(recency, 1e-9), 38.86, t=52)
    )
    assert data[20, -1] > data[1, -1]
    assert _title(fig) == "Expected purchases in the next 52 weeks\ncustomers aged 38.9 weeks"
    _png(fig, tmp_path / "expected.png")


def test_discrete_model_matrix_uses_whole_periods(tmp_path: Path) -> None:
    """BG/BB counts opportunities: recency 0..n, and no more purchases than opportunities
    (those cells are masked, not computed); the continuous grid would be refused."""
    model = BGBB(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    fig = plot_p_alive_matrix(model, T=6, max_frequency=6)
    image = _image(fig)
    assert image.shape == (7, 7)
    mask = np.ma.getmaskarray(image)
    f, r = np.meshgrid(np.arange(7), np.arange(7), indexing="ij")
    np.testing.assert_array_equal(mask, (f > r) | ((f == 0) & (r > 0)))
    expected = model.p_alive(3, np.arange(3.0, 7.0), 6)
    np.testing.assert_allclose(np.ma.getdata(image)[3, 3:], expected, rtol=1e-12)
    assert "customers aged 6 periods" in _title(fig)  # BG/BB has no time unit here
    _png(fig, tmp_path / "bgbb.png")


def test_survival_figure(tmp_path: Path) -> None:
    table = load_retention("regular")
    model = SBG(alpha=0.704, beta=1.182)
    fig = plot_survival(model, table["percent_alive"])
    ydata = np.asarray(fig.axes[0].get_lines()[0].get_ydata(), dtype=float)
    t = np.arange(13.0)
    np.testing.assert_allclose(ydata, 100 * np.exp(betaln(0.704, 1.182 + t) - betaln(0.704, 1.182)))
    # Fader & Hardie (2007): 17.0 % of the regular cohort projected at year 12 (actual 17.3)
    assert (
        _title(fig)
        == "SBG survival\nalpha 0.704, beta 1.18: 17.0% still customers after 12 periods"
    )
    _png(fig, tmp_path / "survival.png")


def test_tracking_figure(tmp_path: Path) -> None:
    table = tracking(BG, load_cdnow_sample_transactions(), calibration_end="1997-09-30")
    fig = plot_tracking(table)
    ax = fig.axes[0]
    ydata = np.asarray(ax.get_lines()[1].get_ydata(), dtype=float)
    np.testing.assert_allclose(ydata, table["expected_cumulative"])
    assert ax.get_xlabel() == "weeks since the first purchase of the cohort"
    total = table["actual_cumulative"].iloc[-1]
    assert f"after {len(table)} weeks: actual {total:,.0f}" in _title(fig)
    cut = np.asarray(ax.get_lines()[2].get_xdata(), dtype=float)[
        0
    ]  # the end of calibration, marked
    assert cut == table.index[~table["calibration"]][0]
    per_period = plot_tracking(table, cumulative=False)
    np.testing.assert_allclose(
        np.asarray(per_period.axes[0].get_lines()[0].get_ydata(), dtype=float), table["actual"]
    )
    assert per_period.axes[0].get_ylabel() == "repeat transactions per week"
    _png(fig, tmp_path / "tracking.png")


def _every_figure() -> dict[str, Figure]:
    table = pd.DataFrame({"customers": [5, 3], "actual": [0.1, 1.0], "m": [0.2, 0.9]})
    track = pd.DataFrame(
        {"actual": [1.0, 2.0], "expected": [1.5, 1.5]}, index=pd.Index([0, 1], name="period")
    )
    track["actual_cumulative"] = track["actual"].cumsum()
    track["expected_cumulative"] = track["expected"].cumsum()
    return {
        "calibration_holdout": plot_calibration_holdout(table),
        "period_transactions": plot_period_transactions(table.rename(columns={"m": "expected"})),
        "tracking": plot_tracking(track),
        "p_alive": plot_p_alive_matrix(BG, T=30, max_frequency=5, points=10),
        "expected": plot_expected_purchases_matrix(BG, t=10, T=30, max_frequency=5, points=10),
        "survival": plot_survival(SBG(alpha=0.704, beta=1.182)),
    }


@pytest.mark.parametrize("name", list(_every_figure()))
def test_every_figure_displays_itself_in_ipython(name: str) -> None:
    """What Jupyter does with the last expression of a cell, in a shell where matplotlib was
    never set up (no %matplotlib, no pyplot): the figure must give an image/png, a real one."""
    from IPython.core.formatters import DisplayFormatter

    fig = _every_figure()[name]
    data, _ = DisplayFormatter().format(fig)
    assert "image/png" in data
    png = data["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    _check_image(imread(io.BytesIO(png)))


def test_no_pyplot_state() -> None:
    """A library figure registers nothing with pyplot and changes no matplotlib settings: in a
    fresh interpreter, making and showing a figure leaves pyplot unimported and rcParams as
    they were."""
    code = (  # (reading rcParams["backend"] would itself import pyplot: left out)
        "import sys, matplotlib\n"
        "def settings():\n"
        "    return {k: matplotlib.rcParams[k] for k in matplotlib.rcParams if k != 'backend'}\n"
        "before = settings()\n"
        "from relmark.clv import SBG\n"
        "from relmark.plot import plot_survival\n"
        "fig = plot_survival(SBG(alpha=0.7, beta=1.2))\n"
        "assert fig._repr_png_()[:4] == b'\\x89PNG'\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "assert settings() == before\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@settings(max_examples=20)
@given(calibration_tables())
def test_any_calibration_table_is_drawn_as_given(table: pd.DataFrame) -> None:
    fig = plot_calibration_holdout(table)
    lines = fig.axes[0].get_lines()
    assert len(lines) == table.shape[1] - 1  # actual and each model
    for line, column in zip(lines, table.columns[1:], strict=True):
        np.testing.assert_array_equal(np.asarray(line.get_ydata(), dtype=float), table[column])
    assert f"({int(table['customers'].sum()):,} customers)" in _title(fig)


@settings(max_examples=20)
@given(period_tables())
def test_any_period_table_is_drawn_as_given(table: pd.DataFrame) -> None:
    fig = plot_period_transactions(table)
    heights = [p.get_height() for p in fig.axes[0].patches]  # type: ignore[attr-defined]
    np.testing.assert_array_equal(heights, [*table["actual"], *table["expected"]])


@settings(max_examples=20)
@given(tracking_tables())
def test_any_tracking_table_is_drawn_as_given(table: pd.DataFrame) -> None:
    fig = plot_tracking(table)
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(
        np.asarray(lines[0].get_ydata(), dtype=float), table["actual_cumulative"]
    )
    has_holdout = bool((~table["calibration"]).any())
    assert len(lines) == 2 + has_holdout


def test_shown_exactly_once_in_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a real Jupyter kernel: one image per figure with no set-up, after pyplot is imported
    (matplotlib's inline backend then formats Figures), after ``%matplotlib inline``, when
    changed and shown again, and through ``display``; never none, never twice."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.delenv("MPLBACKEND", raising=False)
    cells = [
        "from relmark.clv import SBG\nfrom relmark.plot import plot_survival\n"
        "m = SBG(alpha=0.7, beta=1.2)",
        "plot_survival(m)",
        "import matplotlib.pyplot as plt\nplot_survival(m)",
        "%matplotlib inline\nplot_survival(m)",
        "fig = plot_survival(m)\nfig.axes[0].set_xlim(0, 5)\nfig",
        "from IPython.display import display\ndisplay(plot_survival(m))\n1",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    images = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in nb.cells]
    assert images == [0, 1, 1, 1, 1, 1]
