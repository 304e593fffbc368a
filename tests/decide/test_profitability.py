"""Cost to serve and the whale curve: a hand-computed worked example, brute force over
orderings for the whale curve's peak, properties."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.decide.profitability import (
    LOW_MARGIN,
    CustomerProfitability,
    WhaleCurve,
    customer_profitability,
    whale_curve,
)

RATES = {"orders": 4.0, "returns": 12.0, "tickets": 25.0, "contacts": 1.5}
ACTS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e"],
        "margin": [300.0, 120.0, 80.0, 60.0, 10.0],
        "orders": [10, 8, 5, 20, 1],
        "returns": [1, 0, 6, 1, 0],
        "tickets": [0, 1, 0, 0, 0],
        "contacts": [4, 10, 2, 2, 6],
    }
)


def test_worked_example_by_hand() -> None:
    """a: 40 + 12 + 0 + 6 = 58 -> 242; b: 32 + 0 + 25 + 15 = 72 -> 48; c: 20 + 72 + 0 + 3 = 95
    -> -15; d: 80 + 12 + 0 + 3 = 95 -> -35; e: 4 + 0 + 0 + 9 = 13 -> -3. Profitable a, b: mean
    costs orders 36, returns 6, tickets 12.5, contacts 10.5. c's excess: returns 66 -> returns;
    d: orders 44 -> orders; e: all below (4-36, 0-6, 0-12.5, 9-10.5) -> low margin."""
    p = customer_profitability(ACTS, RATES, currency="EUR")
    assert p.cost_to_serve == pytest.approx((58.0, 72.0, 95.0, 95.0, 13.0))
    assert p.profit == pytest.approx((242.0, 48.0, -15.0, -35.0, -3.0))
    assert p.reasons == (None, None, "returns", "orders", LOW_MARGIN)
    assert p.unprofitable == ("d", "c", "e")
    frame = p.to_frame()
    assert frame.loc["c", "cost_returns"] == 72.0
    assert frame["unprofitable"].tolist() == [False, False, True, True, True]
    assert CustomerProfitability.from_json(p.to_json()) == p


def test_whale_curve_by_hand() -> None:
    """Ranked 242, 48, -3, -15, -35: cumulative 0, 242, 290, 287, 272, 237; total 237; peak
    290 = 122.4% at 2 of 5 customers; loss 53."""
    w = whale_curve(customer_profitability(ACTS, RATES, currency="EUR"))
    assert w.cumulative_profit == pytest.approx((0, 242, 290, 287, 272, 237))
    assert w.peak_share == pytest.approx(290 / 237)
    assert w.peak_customer_share == pytest.approx(0.4)
    assert (w.unprofitable_customers, w.currency) == (3, "EUR")
    assert w.loss == pytest.approx(53.0)
    assert w.cumulative_share is not None and w.cumulative_share[-1] == pytest.approx(1.0)
    assert WhaleCurve.from_json(w.to_json()) == w


def test_whale_curve_peak_is_the_best_prefix_over_all_orderings() -> None:
    """Brute force: the peak is the largest cumulative profit of any subset taken in any
    order, i.e. the max over permutations of the max prefix sum."""
    profits = [5.0, -2.0, 7.5, -9.0, 1.0, 0.0]
    best = max(
        max(itertools.accumulate(perm, initial=0.0)) for perm in itertools.permutations(profits)
    )
    assert whale_curve(profits).peak_profit == pytest.approx(best)


def test_whale_curve_without_positive_total() -> None:
    w = whale_curve([-5.0, 2.0, -1.0])
    assert w.peak_share is None and w.cumulative_share is None
    assert w.total_profit == -4.0 and w.peak_profit == 2.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40))
def test_whale_curve_properties(profits: list[float]) -> None:
    """The curve is concave (sorted descending: increments fall), the peak is the sum of the
    positive profits, the end is the total."""
    w = whale_curve(profits)
    steps = np.diff(w.cumulative_profit)
    assert np.all(np.diff(steps) <= 1e-9)
    assert w.peak_profit == pytest.approx(sum(p for p in profits if p > 0), abs=1e-6)
    assert w.cumulative_profit[-1] == pytest.approx(sum(profits), abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-500, 500), st.integers(0, 30), st.integers(0, 10)),
        min_size=1,
        max_size=20,
    )
)
def test_profit_is_margin_minus_rates_times_quantities(rows: list[tuple[float, int, int]]) -> None:
    frame = pd.DataFrame(rows, columns=["margin", "orders", "returns"])
    frame["customer_id"] = [f"c{i}" for i in range(len(rows))]
    p = customer_profitability(frame, {"orders": 3.0, "returns": 7.0})
    want = frame["margin"] - 3.0 * frame["orders"] - 7.0 * frame["returns"]
    np.testing.assert_allclose(p.profit, want, atol=1e-9)
    assert all((r is None) == (pi >= 0) for r, pi in zip(p.reasons, p.profit, strict=True))
