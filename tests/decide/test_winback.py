"""Win-back against independent computations: statsmodels' Logit for the reacquisition
model, a simulation with known truth, the SLTV series summed term by term, and the expected
value of every offer by hand / brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.decide import (
    ReacquisitionModel,
    WinbackPlan,
    fit_reacquisition,
    plan_winback,
    second_lifetime_value,
)

TRUTH = (-1.5, 0.08, -0.25)
"""intercept, per unit of offer, per month since lapse."""


def _attempts(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Win-back attempts with offers drawn at random from 0, 5, 10, 20 and lapse times of
    1-24 months; reacquisition drawn from the known logit TRUTH."""
    rng = np.random.default_rng(seed)
    offer = rng.choice([0.0, 5.0, 10.0, 20.0], n)
    lapse = rng.integers(1, 25, n).astype(float)
    eta = TRUTH[0] + TRUTH[1] * offer + TRUTH[2] * lapse
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return offer, lapse, y


def test_reacquisition_matches_statsmodels():
    """Estimates, standard errors and log-likelihood equal statsmodels' Logit."""
    offer, lapse, y = _attempts(2000, 4)
    model = fit_reacquisition(offer, lapse, y)
    ref = sm.Logit(y, sm.add_constant(np.column_stack([offer, lapse]))).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(model.coefficients, ref.params, rtol=1e-8)
    np.testing.assert_allclose(model.standard_errors, ref.bse, rtol=1e-6)
    assert model.log_likelihood == pytest.approx(ref.llf, rel=1e-12)
    np.testing.assert_allclose(model.probability(offer, lapse), ref.predict(), rtol=1e-8)
    assert ReacquisitionModel.from_json(model.to_json()) == model
    assert list(model.to_frame().index) == ["intercept", "offer", "time_since_lapse"]


def test_reacquisition_recovers_truth():
    """Simulation with known truth: each estimate within 4 standard errors of TRUTH; a richer
    offer raises, a longer lapse lowers the reacquisition probability."""
    offer, lapse, y = _attempts(30000, 5)
    model = fit_reacquisition(offer, lapse, y)
    z = (np.asarray(model.coefficients) - TRUTH) / np.asarray(model.standard_errors)
    assert np.all(np.abs(z) < 4)
    p = model.probability([0.0, 20.0, 0.0], [3.0, 3.0, 18.0])
    assert p[1] > p[0] > p[2]


def test_sltv_sums_the_series():
    """The closed forms equal the series sum_t m (r / (1 + d))^t summed term by term
    (2000 terms for no horizon, H terms with one); r = 1 with a horizon is m H."""
    m, r, d = np.array([100.0, 40.0, 0.0]), np.array([0.8, 0.95, 0.5]), 0.1
    want = [sum(mi * (ri / (1 + d)) ** t for t in range(2000)) for mi, ri in zip(m, r, strict=True)]
    np.testing.assert_allclose(second_lifetime_value(m, r, discount_rate=d), want, rtol=1e-12)
    want12 = [sum(mi * (ri / (1 + d)) ** t for t in range(12)) for mi, ri in zip(m, r, strict=True)]
    np.testing.assert_allclose(
        second_lifetime_value(m, r, discount_rate=d, periods=12), want12, rtol=1e-12
    )
    assert second_lifetime_value(50.0, 1.0, discount_rate=0.0, periods=6)[0] == 300.0
    # 100 * 1.1 / (1.1 - 0.8) = 366.67 (the docstring's example)
    assert second_lifetime_value(100, 0.8, discount_rate=0.1)[0] == pytest.approx(110 / 0.3)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0, 1e4, allow_nan=False),
    st.floats(0, 0.99),
    st.floats(0, 0.5),
    st.integers(1, 60),
)
def test_sltv_properties(m, r, d, h):
    """SLTV grows with the horizon up to the perpetuity, is at least one period's margin and
    scales with the margin."""
    inf = second_lifetime_value(m, r, discount_rate=d)[0]
    fin = second_lifetime_value(m, r, discount_rate=d, periods=h)[0]
    assert m - 1e-9 <= fin <= inf * (1 + 1e-12) + 1e-12
    assert second_lifetime_value(2 * m, r, discount_rate=d)[0] == pytest.approx(2 * inf)


MODEL = ReacquisitionModel(
    names=("intercept", "offer", "time_since_lapse"),
    coefficients=(-1.0, 0.05, -0.2),
    standard_errors=(0.1, 0.01, 0.05),
    log_likelihood=-100.0,
    customers=200,
    reacquired=60,
    iterations=5,
)


def _p(offer: float, lapse: float) -> float:
    return 1 / (1 + math.exp(-(-1.0 + 0.05 * offer - 0.2 * lapse)))


def test_plan_by_hand():
    """Customer a (1 month, SLTV 200): offer 0: P = 1/(1+e^1.2) = 0.2315, EV = 0.2315 * 200
    - 5 = 41.30; offer 20: P = 1/(1+e^0.2) = 0.4502, EV = 0.4502 * 180 - 5 = 76.03: offer 20.
    Customer b (24 months): offer 0: 0.00302 * 200 - 5 = -4.40; offer 20: 0.00816 * 180 - 5 =
    -3.53: not worth an offer (the best is offer 20). Customer c (6 months, SLTV 30): offer 0:
    P = 1/(1+e^2.2) = 0.0998, 0.0998 * 30 - 5 = -2.01; offer 20: P = 1/(1+e^1.2) = 0.2315 *
    10 - 5 = -2.69: not worth, offer 0."""
    plan = plan_winback(
        MODEL,
        time_since_lapse=[1, 24, 6],
        second_lifetime_value=[200, 200, 30],
        offers=[20, 0],
        contact_cost=5,
        customer_ids=["a", "b", "c"],
    )
    want_ev = [
        _p(20, 1) * 180 - 5,
        _p(20, 24) * 180 - 5,
        _p(0, 6) * 30 - 5,
    ]
    assert want_ev[0] == pytest.approx(76.03, abs=0.01)
    assert want_ev[1] == pytest.approx(-3.53, abs=0.01)
    assert want_ev[2] == pytest.approx(-2.01, abs=0.01)
    np.testing.assert_allclose(plan.expected_value, want_ev, rtol=1e-12)
    assert plan.offer == (20.0, 20.0, 0.0)
    assert plan.worth_an_offer == (True, False, False)
    assert plan.customers_worth == 1
    assert plan.total_expected_value == pytest.approx(want_ev[0])
    assert plan.offers == (0.0, 20.0)
    assert "make the offer" in plan.reasons[0] and "not worth" in plan.reasons[1]
    assert list(plan.to_frame().index) == ["a", "b", "c"]
    assert WinbackPlan.from_json(plan.to_json()) == plan


def test_plan_single_free_offer_is_the_plain_rule():
    """With one offer of 0 the rule is SLTV x P - contact cost > 0: P(0, 3) = 1/(1+e^1.6) =
    0.1680; 0.1680 * 100 - 15 = 1.80 > 0, and with contact 20: -3.20."""
    p = _p(0, 3)
    a = plan_winback(
        MODEL, time_since_lapse=[3], second_lifetime_value=100, offers=[0], contact_cost=15
    )
    b = plan_winback(
        MODEL, time_since_lapse=[3], second_lifetime_value=100, offers=[0], contact_cost=20
    )
    assert a.expected_value[0] == pytest.approx(p * 100 - 15)
    assert a.worth_an_offer == (True,) and b.worth_an_offer == (False,)
    assert a.customer_ids == (0,)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 36), min_size=1, max_size=8),
    st.floats(0, 500),
    st.lists(st.sampled_from([0.0, 5.0, 10.0, 25.0, 50.0]), min_size=1, max_size=5, unique=True),
    st.floats(0, 20),
)
def test_plan_is_best_of_every_offer(lapse, sltv, offers, cost):
    """Brute force over the offers: the chosen offer's EV is the largest, and the decision
    is EV > 0."""
    plan = plan_winback(
        MODEL, time_since_lapse=lapse, second_lifetime_value=sltv, offers=offers, contact_cost=cost
    )
    for i, t in enumerate(lapse):
        best = max(_p(o, t) * (sltv - o) - cost for o in offers)
        assert plan.expected_value[i] == pytest.approx(best, rel=1e-9, abs=1e-9)
        assert plan.worth_an_offer[i] == (plan.expected_value[i] > 0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 36), min_size=1, max_size=6),
    st.floats(0, 500),
    st.lists(st.sampled_from([5.0, 10.0, 25.0, 50.0]), min_size=1, max_size=4, unique=True),
    st.floats(0, 20),
)
def test_more_offers_never_lower_the_value(lapse, sltv, offers, cost):
    """Adding offers to the menu can only raise each customer's best expected value, and the
    customers worth an offer can only grow."""
    few = plan_winback(
        MODEL, time_since_lapse=lapse, second_lifetime_value=sltv, offers=[0.0], contact_cost=cost
    )
    many = plan_winback(
        MODEL,
        time_since_lapse=lapse,
        second_lifetime_value=sltv,
        offers=[0.0, *offers],
        contact_cost=cost,
    )
    assert all(b >= a - 1e-12 for a, b in zip(few.expected_value, many.expected_value, strict=True))
    assert many.customers_worth >= few.customers_worth


def test_plan_with_sltv_by_offer_by_hand():
    """A deep discount that brings back bargain hunters who leave soon: SLTV 200 after no
    offer, 60 after the 20 offer. Lapsed 1 month: offer 0: 0.2315 x 200 - 5 = 41.30; offer 20:
    0.4502 x (60 - 20) - 5 = 13.01: offer 0 now wins (with one SLTV of 200 it was offer 20).
    Rows follow the offers as given ([20, 0]: the 20 row first)."""
    plan = plan_winback(
        MODEL,
        time_since_lapse=[1.0],
        second_lifetime_value=[[60.0], [200.0]],
        offers=[20, 0],
        contact_cost=5,
    )
    assert plan.offer == (0.0,)
    assert plan.expected_value[0] == pytest.approx(_p(0, 1) * 200 - 5)
    assert plan.expected_value[0] == pytest.approx(41.30, abs=0.01)
    assert _p(20, 1) * 40 - 5 == pytest.approx(13.01, abs=0.01)
    assert plan.second_lifetime_value == (200.0,)
