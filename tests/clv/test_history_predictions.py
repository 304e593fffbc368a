"""P(alive) and expected-purchases matrices, the P(alive) path along a history, and the model-side
fixes of issue 17 item 5 (BG/BB's simulated ``alive``, Pareto/NBD's batch-independent
``prob_purchases`` and tabulated conditional P(n)).

The BG/NBD references are written here from Fader, Hardie & Lee (2005), "Counting your
customers the easy way", *Marketing Science* 24(2): P(alive) is their eq. (A1 of the note
"Computing P(alive)"), :math:`1 / (1 + \\delta_{x>0} \\frac{a}{b+x-1}
(\\frac{\\alpha+T}{\\alpha+t_x})^{r+x})`, and the conditional expectation their eq. (10), with
the Gauss hypergeometric function from mpmath; nothing of relmark's own formulas.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import BGBB, BGNBD, MBGNBD, ParetoNBD, paretonbd
from relmark.plot import plot_p_alive_matrix

FHL = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005, CDNOW (weeks)
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}  # FHL note 008
FHS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}  # FHS 2010, Table 2


def bgnbd_p_alive(x: float, tx: float, T: float) -> float:
    """FHL 2005 P(alive), by hand."""
    r, alpha, a, b = FHL.values()
    if x == 0:
        return 1.0
    return float(1.0 / (1.0 + a / (b + x - 1.0) * ((alpha + T) / (alpha + tx)) ** (r + x)))


def bgnbd_expected(x: float, tx: float, T: float, t: float) -> float:
    """FHL 2005 eq. (10) with mpmath's 2F1 at 30 digits."""
    mpmath.mp.dps = 30
    r, alpha, a, b = (mpmath.mpf(v) for v in FHL.values())
    x_, tx_, T_, t_ = (mpmath.mpf(v) for v in (x, tx, T, t))
    z = t_ / (alpha + T_ + t_)
    num = (
        (a + b + x_ - 1)
        / (a - 1)
        * (
            1
            - ((alpha + T_) / (alpha + T_ + t_)) ** (r + x_)
            * mpmath.hyp2f1(r + x_, b + x_, a + b + x_ - 1, z)
        )
    )
    den = 1 + (x_ > 0) * a / (b + x_ - 1) * ((alpha + T_) / (alpha + tx_)) ** (r + x_)
    return float(num / den)


def test_p_alive_matrix_is_fhl_p_alive_on_the_grid() -> None:
    """Every cell of the tidy frame is the hand-written FHL P(alive) at its (x, t_x, T)."""
    m = BGNBD(**FHL)
    grid = m.p_alive_matrix(T=38.86, max_frequency=12, points=9)
    assert list(grid.columns) == ["frequency", "recency", "T", "p_alive"]
    assert len(grid) == 1 + 12 * 9  # frequency 0 once, at recency 0
    for row in grid.itertuples():
        ref = bgnbd_p_alive(float(row.frequency), float(row.recency), float(row.T))  # type: ignore[arg-type]
        assert row.p_alive == pytest.approx(ref, rel=1e-12)


def test_p_alive_matrix_ahead_is_p_alive_at_t() -> None:
    """With t the cells hold P(alive at T + t): by hand for Pareto/NBD, P(alive at T) times
    ((beta + T) / (beta + T + t))^s (the memoryless lifetime, FHL note 008)."""
    m = ParetoNBD(**PARETO)
    now = m.p_alive_matrix(T=30.0, max_frequency=4, points=5)
    later = m.p_alive_matrix(T=30.0, max_frequency=4, points=5, t=10.0)
    s, beta = PARETO["s"], PARETO["beta"]
    np.testing.assert_allclose(
        later["p_alive"], now["p_alive"] * ((beta + 30.0) / (beta + 40.0)) ** s, rtol=1e-12
    )


def test_expected_purchases_matrix_is_fhl_eq_10() -> None:
    m = BGNBD(**FHL)
    grid = m.expected_purchases_matrix(t=52.0, T=38.86, max_frequency=6, points=4)
    assert list(grid.columns) == ["frequency", "recency", "T", "t", "expected_purchases"]
    for row in grid.itertuples():
        ref = bgnbd_expected(*(float(v) for v in row[1:5]))
        assert row.expected_purchases == pytest.approx(ref, rel=1e-10)


def test_discrete_matrix_leaves_out_impossible_cells() -> None:
    """BG/BB at n = 3 opportunities: the possible (x, t_x) are x <= t_x and x = 0 only at
    t_x = 0, i.e. 1 + (1 + 2 + 3) = 7 cells, each the FHS 2010 eq. 11 value of p_alive."""
    m = BGBB(**FHS)
    grid = m.p_alive_matrix(T=3, max_frequency=5)
    cells = list(zip(grid["frequency"], grid["recency"], strict=True))
    assert cells == [(0, 0), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)]
    np.testing.assert_array_equal(grid["p_alive"], m.p_alive(grid["frequency"], grid["recency"], 3))


def test_plot_draws_the_frame_values() -> None:
    """The heat map's image holds exactly the matrix frame's values (one formula)."""
    m = BGNBD(**FHL).with_time_unit("W")
    fig = plot_p_alive_matrix(m, T=38.86, max_frequency=5, points=7)
    drawn = fig.axes[0].images[0].get_array()
    assert drawn is not None
    image = np.ma.getdata(drawn)
    grid = m.p_alive_matrix(T=38.86, max_frequency=5, points=7)
    assert image[0, 0] == grid["p_alive"].iloc[0]
    np.testing.assert_array_equal(image[1:].ravel(), grid["p_alive"].iloc[1:])


def brute_path(purchases: list[float], u: float, before: bool) -> tuple[int, float]:
    """(x, t_x) at time u from the purchase list, by a loop."""
    first = min(purchases)
    times = sorted({p - first for p in purchases})[1:]
    seen = [p for p in times if (p < u if before else p <= u)]
    return len(seen), (seen[-1] if seen else 0.0)


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD, ParetoNBD])
def test_p_alive_path_against_a_loop_over_the_purchases(cls: type) -> None:
    params = PARETO if cls is ParetoNBD else FHL
    m = cls(**params)
    purchases = [3.0, 5.5, 5.5, 12.0, 30.25]  # the first at 3: times since it 0, 2.5, 9, 27.25
    path = m.p_alive_path(purchases, end=40.0, points=9)
    assert path["time"].is_monotonic_increasing
    # each purchase time appears twice: before (old counts) and at (new counts)
    for tau in (2.5, 9.0, 27.25):
        rows = path[path["time"] == tau]
        assert rows["frequency"].tolist() == [
            brute_path(purchases, tau, True)[0],
            brute_path(purchases, tau, False)[0],
        ]
    for row in path.itertuples():
        x, tx = int(row.frequency), row.recency
        assert x in (
            brute_path(purchases, row.time, True)[0],
            brute_path(purchases, row.time, False)[0],
        )
        expect = float(m.p_alive(x, tx, row.time)[0])
        assert row.p_alive == pytest.approx(expect, rel=1e-13)
        if cls is BGNBD:
            assert row.p_alive == pytest.approx(bgnbd_p_alive(x, tx, row.time), rel=1e-12)


def test_p_alive_path_from_dates_uses_the_time_unit() -> None:
    """Dates two and five weeks after the first: the same path as times 0, 2, 5 in weeks."""
    m = BGNBD(**FHL).with_time_unit("W")
    by_date = m.p_alive_path(["2024-01-01", "2024-01-15", "2024-02-05"], end=8, points=5)
    by_time = m.p_alive_path([0.0, 2.0, 5.0], end=8, points=5)
    pd.testing.assert_frame_equal(by_date, by_time)


def test_bgbb_p_alive_path_counts_opportunities() -> None:
    m = BGBB(**FHS)
    path = m.p_alive_path([0, 2, 3], end=6, points=7)
    assert path["time"].tolist() == [0, 1, 2, 2, 3, 3, 4, 5, 6]
    assert path["frequency"].tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 2]


def test_bgbb_simulated_alive_is_the_state_p_alive_reports() -> None:
    """FHS 2010 (Table 6 of the BG/BB paper, the test lifetimes runs): among simulated
    customers of one history (x, t_x, n) the share still alive is P(alive at n + 1). 200,000
    customers with n = 6 and n = 3; a chi-square over the histories' standardised gaps, on
    about 29 histories, must be unremarkable (p > 0.001); before the fix the flag was the
    state at opportunity n, whose share exceeds P(alive) by the factor 1/(1 - E[theta])."""
    m = BGBB(**FHS)
    sim = m.simulate(np.array([6.0] * 160_000 + [3.0] * 40_000), rng=11)
    frame = pd.DataFrame(sim)
    groups = frame.groupby(["frequency", "recency", "T"])["alive"].agg(["mean", "size"])
    groups = groups[groups["size"] >= 500].reset_index()
    p = m.p_alive(groups["frequency"], groups["recency"], groups["T"])
    z = (groups["mean"] - p) / np.sqrt(p * (1 - p) / groups["size"])
    from scipy.stats import chi2

    assert chi2.sf(float((z**2).sum()), len(z)) > 1e-3


@settings(max_examples=40, deadline=None)
@given(
    n=st.lists(st.integers(0, 30), min_size=1, max_size=40),
    t=st.floats(0.0, 500.0),
    extra=st.integers(1, 5000),
    seed=st.integers(0, 2**16),
)
def test_pareto_prob_purchases_rows_are_independent_of_the_batch(
    n: list[int], t: float, extra: int, seed: int
) -> None:
    """Equal inputs give equal bits, whatever else is in the batch (issue 17 item 5)."""
    params = np.array(list(PARETO.values()))
    rng = np.random.default_rng(seed)
    counts = np.array(n, dtype=np.float64)
    alone = paretonbd.prob_purchases(params, counts, np.full(counts.shape, t))
    others = rng.integers(0, 30, extra).astype(np.float64)
    batch_n = np.concatenate([others[: extra // 2], counts, others[extra // 2 :]])
    batch_t = np.concatenate(
        [
            rng.uniform(0, 500, extra // 2),
            np.full(counts.shape, t),
            rng.uniform(0, 500, extra - extra // 2),
        ]
    )
    got = paretonbd.prob_purchases(params, batch_n, batch_t)[extra // 2 : extra // 2 + len(n)]
    np.testing.assert_array_equal(got, alone)
    for i in range(len(n)):  # and each one alone
        one = paretonbd.prob_purchases(params, counts[i : i + 1], np.array([t]))
        assert one[0] == alone[i]


def test_pareto_conditional_p_n_is_exactly_the_row_by_row_value() -> None:
    """The tabulated conditional P(n) over 12,000 customers of 40 distinct histories equals,
    bit for bit, the value of each history's rows computed in a batch of their own (the
    tabulation changes the speed, not the numbers)."""
    rng = np.random.default_rng(3)
    m = ParetoNBD(**PARETO)
    hist = np.array([(x, min(x * 3.0, 30.0), 30.0 + k) for x in range(10) for k in range(4)])
    hist[hist[:, 0] == 0, 1] = 0.0
    pick = rng.integers(0, hist.shape[0], 12_000)
    n = rng.integers(0, 4, 12_000).astype(np.float64)
    x, tx, T = hist[pick].T
    got = m.conditional_prob_purchases(n, x, tx, T, t=39.0)
    for j in range(hist.shape[0]):
        for k in range(4):
            rows = (pick == j) & (n == k)
            if rows.any():
                own = m.conditional_prob_purchases(
                    np.full(2, float(k)),
                    np.full(2, hist[j, 0]),
                    np.full(2, hist[j, 1]),
                    np.full(2, hist[j, 2]),
                    t=39.0,
                )
                np.testing.assert_array_equal(got[rows], own[0])


@pytest.mark.parametrize(
    ("cls", "params"), [(BGNBD, FHL), (MBGNBD, FHL), (ParetoNBD, PARETO), (BGBB, FHS)]
)
def test_prob_purchases_sums_to_one_over_n(cls: type, params: dict[str, float]) -> None:
    """P(X(t) = n) over n = 0..999 sums to 1 (to 1e-10), for horizons short and long."""
    m = cls(**params)
    for t in (1.0, 39.0, 78.0) if cls is not BGBB else (1, 6, 11):
        total = float(m.prob_purchases(np.arange(1000.0), t=t).sum())
        assert math.isclose(total, 1.0, abs_tol=1e-10)
