"""Customer equity: the Blattberg-Deighton formula against its original (unsimplified) form by
hand, the exact optimum against a fine grid and the first-order conditions, customer equity of
the base plus cohorts by hand and with an sBG's DEL summed term by term."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import SBG
from relmark.decide.equity import (
    BudgetOptimum,
    CustomerEquity,
    SpendResponse,
    customer_equity,
    customer_equity_per_prospect,
    optimal_budget,
)

ACQ = SpendResponse(ceiling=0.4, efficiency=0.02)
RET = SpendResponse(ceiling=0.8, efficiency=0.05)


def _bd_original(a_s: float, r_s: float, m: float, d: float) -> float:
    """Blattberg & Deighton's written form: a m - A + a (m - R/r) r'/(1 - r'), r' = r/(1+d)."""
    a = 0.4 * (1 - math.exp(-0.02 * a_s))
    r = 0.8 * (1 - math.exp(-0.05 * r_s))
    rp = r / (1 + d)
    return a * m - a_s + a * (m - r_s / r) * rp / (1 - rp)


def test_formula_equals_the_papers_form() -> None:
    for a_s, r_s in [(10.0, 5.0), (60.0, 40.0), (200.0, 1.0)]:
        got = customer_equity_per_prospect(
            a_s, r_s, acquisition=ACQ, retention=RET, margin=100.0, discount_rate=0.1
        )
        assert float(got[0]) == pytest.approx(_bd_original(a_s, r_s, 100.0, 0.1), rel=1e-12)


def test_optimum_beats_a_fine_grid_and_meets_the_first_order_conditions() -> None:
    """A 0.05-step grid over [0, 100]^2 never beats the exact optimum and its best cell is
    within a grid step of it; at the optimum a'(A) V = 1 and r'(R) V = 1 (the marginal cost of
    one more customer, acquired or retained, is the value of a customer)."""
    best = optimal_budget(ACQ, RET, margin=100.0, discount_rate=0.1)
    grid = np.arange(0, 100, 0.05)
    ce = customer_equity_per_prospect(
        grid[:, None],
        grid[None, :],
        acquisition=ACQ,
        retention=RET,
        margin=100.0,
        discount_rate=0.1,
    )
    i, j = np.unravel_index(np.argmax(ce), ce.shape)
    assert ce.max() <= best.customer_equity + 1e-12
    assert abs(grid[i] - best.acquisition_spend) < 0.1
    assert abs(grid[j] - best.retention_spend) < 0.1
    v = best.value_of_a_customer
    assert 0.4 * 0.02 * math.exp(-0.02 * best.acquisition_spend) * v == pytest.approx(1, rel=1e-9)
    assert 0.8 * 0.05 * math.exp(-0.05 * best.retention_spend) * v == pytest.approx(1, rel=1e-9)
    # costs per customer from the curves at the optimum, by hand
    assert best.cost_per_acquired_customer == pytest.approx(
        best.acquisition_spend / best.acquisition_rate
    )
    assert best.acquisition_to_retention_cost == pytest.approx(
        (best.acquisition_spend / best.acquisition_rate)
        / (best.retention_spend / best.retention_rate)
    )
    assert BudgetOptimum.from_json(best.to_json()) == best


def test_corner_solutions() -> None:
    """m r-bar k_r <= 1: retention spending never pays (R* = 0); a tiny acquisition ceiling
    times efficiency times V <= 1: no acquisition (A* = 0, no cost per acquired customer)."""
    weak = SpendResponse(ceiling=0.5, efficiency=0.01)  # 100 * 0.5 * 0.01 = 0.5 <= 1
    best = optimal_budget(ACQ, weak, margin=100.0, discount_rate=0.1)
    assert best.retention_spend == 0.0
    assert best.cost_per_retained_customer is None
    assert best.value_of_a_customer == pytest.approx(100.0)
    none = optimal_budget(
        SpendResponse(ceiling=0.01, efficiency=0.01), weak, margin=100.0, discount_rate=0.1
    )
    assert none.acquisition_spend == 0.0 and none.customer_equity == 0.0
    assert none.cost_per_acquired_customer is None


def test_from_points_calibration() -> None:
    """Blattberg-Deighton's decision calculus: 20% at 50 per prospect under a 40% ceiling:
    k = -ln(1 - 0.5)/50."""
    curve = SpendResponse.from_points(50.0, 0.2, ceiling=0.4)
    assert curve.efficiency == pytest.approx(math.log(2) / 50)
    assert curve.rate(50.0) == pytest.approx(0.2)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.05, 1.0),
    st.floats(0.001, 0.5),
    st.floats(0.05, 1.0),
    st.floats(0.001, 0.5),
    st.floats(1.0, 1000.0),
    st.floats(0.01, 0.5),
)
def test_optimum_is_never_beaten_by_random_spends(
    ca: float, ka: float, cr: float, kr: float, m: float, d: float
) -> None:
    acq = SpendResponse(ceiling=ca, efficiency=ka)
    ret = SpendResponse(ceiling=cr, efficiency=kr)
    best = optimal_budget(acq, ret, margin=m, discount_rate=d)
    rng = np.random.default_rng(0)
    a_s = np.concatenate([[best.acquisition_spend], rng.uniform(0, 5 / ka, 200)])
    r_s = np.concatenate([[best.retention_spend], rng.uniform(0, 5 / kr, 200)])
    ce = customer_equity_per_prospect(
        a_s, r_s, acquisition=acq, retention=ret, margin=m, discount_rate=d
    )
    assert ce[0] == pytest.approx(best.customer_equity, rel=1e-9, abs=1e-9)
    assert (ce[1:] <= best.customer_equity + 1e-9 * max(1.0, abs(best.customer_equity))).all()
    assert best.customer_equity >= 0.0  # spending nothing is always possible


def test_customer_equity_by_hand() -> None:
    """Base 100 + 50; cohorts of 10 worth 80 - 30 each: 500/1.25 + 500/1.5625 = 400 + 320."""
    ce = customer_equity(
        [100.0, 50.0],
        new_customers=[10, 10],
        new_customer_value=80.0,
        acquisition_cost=30.0,
        discount_rate=0.25,
    )
    assert ce.future_cohorts == pytest.approx((400.0, 320.0))
    assert ce.total == pytest.approx(870.0)
    assert (ce.customers, ce.new_customers) == (2, 20.0)
    assert CustomerEquity.from_json(ce.to_json()) == ce


def test_customer_equity_from_an_sbg_by_direct_summation() -> None:
    """Fader & Hardie's (2007) 'regular' cohort: the new-customer value is margin x DEL, DEL the
    sum of S(t)/(1+d)^t (summed here term by term to 5,000 periods); the base's value the
    model's residual value (DERL), checked as a sum over survivors of S(n+1+t)/S(n)/(1+d)^t."""
    model = SBG.fit_survival([1000, 631, 468, 382, 326, 289, 262, 241])
    d, margin = 0.1, 50.0
    t = np.arange(0, 5000, dtype=float)
    del_sum = float((model.survival(t) / (1 + d) ** t).sum())
    counts = [0, 0, 0, 0, 0, 0, 0, 241]  # the survivors after 7 renewals
    base = model.residual_value(counts, value_per_period=margin, discount_rate=d)
    s7 = model.survival(np.array([7.0]))[0]
    # FH 2010 eq. 5: the next renewal's payment is undiscounted, sum S(n+1+t)/S(n)/(1+d)^t
    derl_sum = float((model.survival(8 + t) / s7 / (1 + d) ** t).sum())
    ce = customer_equity(
        [base],
        new_customers=[1000] * 3,
        new_customer_value=margin * del_sum,
        acquisition_cost=60.0,
        discount_rate=d,
    )
    want_future = sum(1000 * (margin * del_sum - 60.0) / 1.1**k for k in (1, 2, 3))
    assert ce.future_total == pytest.approx(want_future, rel=1e-9)
    assert model.discounted_expected_lifetime(d) == pytest.approx(del_sum, rel=1e-9)
    assert ce.current_base == pytest.approx(241 * margin * derl_sum, rel=1e-6)
