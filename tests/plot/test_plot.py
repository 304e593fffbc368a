"""Figures rendered to PNG files and checked, with the plotted data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from relmark.clv import BGNBD, SBG
from relmark.clv.diagnostics import calibration_holdout_table, period_transactions
from relmark.data import calibration_holdout
from relmark.datasets import load_cdnow_sample_transactions, load_cdnow_summary, load_retention
from relmark.plot import (
    plot_calibration_holdout,
    plot_expected_purchases_matrix,
    plot_p_alive_matrix,
    plot_period_transactions,
    plot_survival,
)

BG = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _png(fig: object, path: Path) -> np.ndarray:
    fig.savefig(path)  # type: ignore[attr-defined]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 8_000
    img: np.ndarray = imread(path)
    assert img.shape[0] >= 400
    assert img[..., :3].std() > 0.05  # not a blank canvas
    return img


def test_calibration_holdout_figure(tmp_path: Path) -> None:
    s = calibration_holdout(
        load_cdnow_sample_transactions(),
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        freq_multiplier=7,
    )
    table = calibration_holdout_table({"BG/NBD": BG}, s)
    fig = plot_calibration_holdout(table)
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(np.asarray(lines[0].get_ydata(), dtype=float), table["actual"])
    np.testing.assert_allclose(np.asarray(lines[1].get_ydata(), dtype=float), table["BG/NBD"])
    _png(fig, tmp_path / "calibration.png")


def test_period_transactions_figure(tmp_path: Path) -> None:
    table, _, _ = period_transactions(BG, load_cdnow_summary())
    fig = plot_period_transactions(table)
    heights = [p.get_height() for p in fig.axes[0].patches]  # type: ignore[attr-defined]
    np.testing.assert_allclose(heights[:8], table["actual"])
    np.testing.assert_allclose(heights[8:], table["expected"])
    _png(fig, tmp_path / "period.png")


@pytest.mark.parametrize("kind", ["p_alive", "expected"])
def test_matrices(tmp_path: Path, kind: str) -> None:
    if kind == "p_alive":
        fig = plot_p_alive_matrix(BG, T=38.86, max_frequency=20, points=30)
        data = np.asarray(fig.axes[0].images[0].get_array())
        assert data.min() >= 0
        assert data.max() <= 1
        assert data[0].tolist() == [1.0] * 30  # no repeat purchase: alive under BG/NBD
    else:
        fig = plot_expected_purchases_matrix(BG, t=52, T=38.86, max_frequency=20, points=30)
        data = np.asarray(fig.axes[0].images[0].get_array())
        assert data[20, -1] > data[1, -1]
    _png(fig, tmp_path / f"{kind}.png")


def test_survival_figure(tmp_path: Path) -> None:
    table = load_retention("regular")
    model = SBG(alpha=0.704, beta=1.182)
    fig = plot_survival(model, table["percent_alive"])
    ydata = np.asarray(fig.axes[0].get_lines()[0].get_ydata(), dtype=float)
    np.testing.assert_allclose(ydata, 100 * model.survival(np.arange(13.0)))
    _png(fig, tmp_path / "survival.png")


def test_tracking_figure(tmp_path: Path) -> None:
    from relmark.clv.diagnostics import tracking
    from relmark.plot import plot_tracking

    table = tracking(BG, load_cdnow_sample_transactions(), calibration_end="1997-09-30")
    fig = plot_tracking(table)
    ydata = np.asarray(fig.axes[0].get_lines()[1].get_ydata(), dtype=float)
    np.testing.assert_allclose(ydata, table["expected_cumulative"])
    _png(fig, tmp_path / "tracking.png")
