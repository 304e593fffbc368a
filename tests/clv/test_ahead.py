"""Conditional P(n purchases in (T, T+t]) and P(alive at T+t) of BG/NBD, MBG/NBD and
Pareto/NBD (issue 17, item 3).

The reference values below were computed once by two-dimensional mpmath quadrature
(``mp.dps = 20``, ``mp.quad`` over the individual-level model) of the *individual* likelihood
times the future, with nothing of relmark's derivation (no posterior update, no
hypergeometric function):

* BG/NBD and MBG/NBD (``shift`` 0 or 1), over :math:`\\lambda \\sim \\Gamma(r, \\alpha)` and
  :math:`p \\sim B(a, b)`: alive term :math:`A = (1-p)^{x+s}\\lambda^x e^{-\\lambda T}`, dead
  term :math:`D = p(1-p)^{x-1+s}\\lambda^x e^{-\\lambda t_x}` (0 for BG/NBD at x = 0); the
  future of an active customer is
  :math:`(1-p)^n \\mathrm{Pois}(n; \\lambda t) + p(1-p)^{n-1} P(\\mathrm{Pois}(\\lambda t) \\ge n)`
  for ``n`` purchases and :math:`e^{-\\lambda p t}` for survival;
* Pareto/NBD, over :math:`\\lambda \\sim \\Gamma(r, \\alpha)` and
  :math:`\\mu \\sim \\Gamma(s, \\beta)`:
  :math:`A = \\lambda^x e^{-(\\lambda+\\mu)T}`,
  :math:`D = \\lambda^x \\frac{\\mu}{\\lambda+\\mu}
  (e^{-(\\lambda+\\mu)t_x} - e^{-(\\lambda+\\mu)T})`,
  the future :math:`e^{-\\mu t}\\mathrm{Pois}(n;\\lambda t) + \\frac{\\mu}{\\lambda+\\mu}
  (\\frac{\\lambda}{\\lambda+\\mu})^n P(n+1, (\\lambda+\\mu)t)` and :math:`e^{-\\mu t}`;

each value is :math:`\\iint (A \\cdot \\text{future} + \\delta_{n0} D)\\,dG / \\iint (A + D)\\,dG`
(about 30 s each, hence stored). They agree with relmark to 1e-14 or better; the tests allow
1e-11.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import BGNBD, MBGNBD, ParetoNBD

PUBLISHED: dict[str, dict[str, float]] = {
    "BGNBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},  # FHL 2005, CDNOW
    "MBGNBD": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "ParetoNBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},  # FHL note 008
}
CLASSES: dict[str, Any] = {"BGNBD": BGNBD, "MBGNBD": MBGNBD, "ParetoNBD": ParetoNBD}

# (x, t_x, T, t) -> {n: P(Y(t) = n | history), "alive": P(alive at T + t | history)}
REFERENCE: dict[str, dict[tuple[float, float, float, float], dict[Any, float]]] = {
    "BGNBD": {
        (2, 30.43, 38.86, 39.0): {
            0: 0.4453728620829956,
            1: 0.23931893743502777,
            3: 0.08085005599575532,
            "alive": 0.56713803562793,
        },
        (7, 35.0, 38.0, 52.0): {
            0: 0.14062931024882652,
            1: 0.07632965520634889,
            3: 0.07818178392804957,
            "alive": 0.5281032432854214,
        },
    },
    "MBGNBD": {
        (2, 30.43, 38.86, 39.0): {
            0: 0.4400059091777069,
            1: 0.23422405642628646,
            3: 0.08386394775472357,
            "alive": 0.5308247157494278,
        },
        (0, 0.0, 20.0, 10.0): {
            0: 0.9282798869822704,
            1: 0.06016028264430727,
            3: 0.0017356499776395955,
            "alive": 0.4382406567378496,
        },
        (7, 35.0, 38.0, 52.0): {
            0: 0.15179375378753274,
            1: 0.08102865788694849,
            3: 0.07984978100226248,
            "alive": 0.4965381407983315,
        },
    },
    "ParetoNBD": {
        (2, 30.43, 38.86, 39.0): {
            0: 0.4080627236064648,
            1: 0.21928749790096402,
            3: 0.09565534629635028,
            "alive": 0.6145527296050615,
        },
        (0, 0.0, 20.0, 10.0): {
            0: 0.9381021015097961,
            1: 0.05013146725357383,
            3: 0.0019220179795410317,
            "alive": 0.3919035437633845,
        },
        (7, 35.0, 38.0, 52.0): {
            0: 0.11898952289444543,
            1: 0.06656016654089125,
            3: 0.07397505782754644,
            "alive": 0.6172929395611135,
        },
    },
}
CASES = [
    pytest.param(name, key, values, id=f"{name}-x{key[0]}")
    for name, table in REFERENCE.items()
    for key, values in table.items()
]


def model(name: str) -> Any:
    return CLASSES[name](**PUBLISHED[name])


@pytest.mark.parametrize(("name", "history", "reference"), CASES)
def test_against_mpmath_quadrature_of_the_individual_model(
    name: str, history: tuple[float, float, float, float], reference: dict[Any, float]
) -> None:
    x, tx, T, t = history
    m = model(name)
    counts = [k for k in reference if k != "alive"]
    got = m.conditional_prob_purchases(counts, x, tx, T, t=t)
    np.testing.assert_allclose(got, [reference[k] for k in counts], rtol=0, atol=1e-11)
    ahead = m.p_alive(x, tx, T, t=t)
    np.testing.assert_allclose(ahead, [reference["alive"]], rtol=0, atol=1e-11)


def test_bgnbd_without_repeat_purchases_is_the_new_customer_with_an_older_start() -> None:
    """BG/NBD at x = 0 is alive (P = 1), with lambda ~ Gamma(r, alpha + T): by hand, the new
    customer's P(X(t) = n) of a model whose alpha is alpha + T."""
    m = model("BGNBD")
    older = BGNBD(r=0.243, alpha=4.414 + 20.0, a=0.793, b=2.426)
    np.testing.assert_allclose(
        m.conditional_prob_purchases([0, 1, 3], 0, 0, 20.0, t=10.0),
        older.prob_purchases([0, 1, 3], t=10.0),
        rtol=1e-13,
    )
    assert m.p_alive(0, 0, 20.0, t=0) == pytest.approx(1.0)


HISTORIES = [(0, 0.0, 30.0), (2, 30.43, 38.86), (7, 35.0, 38.0), (40, 70.0, 78.0)]


@pytest.mark.parametrize("name", list(CLASSES))
@pytest.mark.parametrize("history", HISTORIES)
@pytest.mark.parametrize("t", [1.0, 39.0, 150.0])
def test_sums_to_one_and_its_mean_is_the_conditional_expectation(
    name: str, history: tuple[float, float, float], t: float
) -> None:
    m = model(name)
    x, tx, T = history
    counts = np.arange(4000)
    p = m.conditional_prob_purchases(counts, x, tx, T, t=t)
    assert np.all(p >= 0)
    assert abs(p.sum() - 1.0) < 1e-10
    mean = float(counts @ p)
    expected = float(m.conditional_expected_purchases(x, tx, T, t=t)[0])
    assert mean == pytest.approx(expected, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("name", list(CLASSES))
def test_p_alive_ahead_starts_at_p_alive_and_decreases(name: str) -> None:
    m = model(name)
    now = m.p_alive([2, 7], [30.43, 35.0], [38.86, 38.0])
    np.testing.assert_array_equal(m.p_alive([2, 7], [30.43, 35.0], [38.86, 38.0], t=0.0), now)
    np.testing.assert_array_equal(m.p_alive([2, 7], [30.43, 35.0], [38.86, 38.0], t=[0, 0]), now)
    path = m.p_alive(2, 30.43, 38.86, t=[0, 1, 10, 100, 1e4, 1e8])
    assert path[0] == pytest.approx(now[0], rel=1e-14)
    assert np.all(np.diff(path) < 0) and np.all(np.isfinite(path)) and path[-1] < 0.05


@pytest.mark.parametrize("name", list(CLASSES))
def test_shapes_broadcast_one_customer_many_counts_or_one_count_per_customer(name: str) -> None:
    m = model(name)
    grid = m.conditional_prob_purchases([0, 1, 2], 2, 30.43, 38.86, t=39)
    per_customer = m.conditional_prob_purchases([0, 1, 2], [2, 2, 2], 30.43, 38.86, t=39)
    np.testing.assert_allclose(grid, per_customer, rtol=1e-14)
    assert m.conditional_prob_purchases(1, [0, 2, 7], [0, 30.43, 35], 38.86, t=39).shape == (3,)
    assert m.p_alive([0, 2, 7], [0, 30.43, 35], 38.86, t=39).shape == (3,)


@pytest.mark.parametrize("name", list(CLASSES))
def test_extreme_histories_stay_finite(name: str) -> None:
    m = model(name)
    p = m.conditional_prob_purchases(
        [0, 5, 1000], [0, 1000, 1e5], [0, 60, 77.9], [1e4, 78, 78], t=[1e-9, 39, 1e4]
    )
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    a = m.p_alive([0, 1000, 1e5], [0, 60, 77.9], [1e4, 78, 78], t=[1e-9, 39, 1e6])
    assert np.all(np.isfinite(a)) and np.all((a >= 0) & (a <= 1))
    # horizons where t / (alpha + T + t) rounds to 1 (log1p(-1) warned before): gone by then
    far = m.p_alive([2, 2, 2], [3, 3, 3], [6, 6, 6], t=[1e15, 1e17, 1e300])
    assert np.all(np.diff(far) <= 0) and 0 <= far[-1] < 1e-10
    assert np.isfinite(m.conditional_prob_purchases(0, 2, 3, 6, t=1e300)).all()


def test_pareto_conditional_distribution_over_long_horizons() -> None:
    """The lifetime integral is taken in the lifetime's distribution function: over 1e4 weeks
    (850 times beta + T) the probabilities still sum to 1 and the mean is the closed-form
    conditional expectation (a rule uniform in time: off by 2.5e-11 here, measured, and at
    t = 1e300 it gave P(Y = 0) = 1 instead of the limit 0.2953)."""
    m = model("ParetoNBD")
    counts = np.arange(20000)
    p = m.conditional_prob_purchases(counts, 2, 30.43, 38.86, t=1e4)
    assert abs(p.sum() - 1.0) < 1e-12
    expected = float(m.conditional_expected_purchases(2, 30.43, 38.86, t=1e4)[0])
    assert float(counts @ p) == pytest.approx(expected, rel=1e-8)
    far = m.conditional_prob_purchases(0, 2, 30.43, 38.86, t=[1e8, 1e300])
    assert far[1] == pytest.approx(far[0], abs=1e-6) and 0.29 < far[1] < 0.30


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(list(CLASSES)),
    x=st.integers(0, 30),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.5, 100.0),
    t=st.floats(0.1, 80.0),
)
def test_property_conditional_distribution_is_a_distribution(
    name: str, x: int, share: float, T: float, t: float
) -> None:
    m = model(name)
    tx = 0.0 if x == 0 else max(share * T, 1e-6)
    p = m.conditional_prob_purchases(np.arange(3000), x, tx, T, t=t)
    assert abs(p.sum() - 1.0) < 1e-9
    # P(Y = 0) is at least the share of customers already inactive
    alive = float(m.p_alive(x, tx, T)[0])
    assert p[0] >= 1.0 - alive - 1e-12
    ahead = m.p_alive(x, tx, T, t=[t, 2 * t])
    assert 0.0 <= ahead[1] <= ahead[0] <= alive + 1e-15
