"""The maximum-likelihood engine: large fits (subsample warm starts, chord Newton steps) give the
standard errors of the Hessian at the optimum."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import BGNBD, MBGNBD, ParetoNBD, Prior
from relmark.clv._engine import _Customers, _prior_hessian, _stratified
from relmark.clv._rfm import RFMModel
from relmark.errors import RelmarkError


def _hessian_at(
    model: type[RFMModel], params: np.ndarray, data: tuple[np.ndarray, ...]
) -> np.ndarray:
    """Central differences of the summed analytic gradient on the natural scale."""
    lik = model.likelihood
    assert lik.value_and_grad is not None
    k = params.size
    hess = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * params[i]
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        g_up = lik.value_and_grad(up, *data)[1].sum(axis=0)
        g_down = lik.value_and_grad(down, *data)[1].sum(axis=0)
        hess[:, i] = (g_up - g_down) / (2 * h)
    out: np.ndarray = 0.5 * (hess + hess.T)
    return out


@pytest.mark.parametrize(
    ("model", "truth"),
    [
        (BGNBD, (0.243, 4.414, 0.793, 2.426)),
        (MBGNBD, (0.525, 6.183, 0.891, 1.614)),
        (ParetoNBD, (0.553, 10.578, 0.606, 11.669)),
    ],
)
def test_large_fit_standard_errors_are_those_at_the_optimum(
    model: type[RFMModel], truth: tuple[float, ...]
) -> None:
    """On 100,000 customers the engine warm-starts from subsamples and steers Newton steps with
    a subsample's Hessian; the reported standard errors must still be those of the full-data
    Hessian at the estimates (computed here afresh by central differences of the summed
    gradient, natural scale: the delta method is exact at a zero gradient), to 1e-3."""
    rng = np.random.default_rng(72)
    sim = model(**dict(zip(model.param_set.names, truth, strict=True))).simulate(
        rng.uniform(27.0, 39.0, 100_000), rng=rng
    )
    data = (sim["frequency"], sim["recency"], sim["T"])
    fitted = model.fit(dict(zip(("frequency", "recency", "T"), data, strict=True)))
    assert fitted.fit_result.converged
    cov = np.linalg.inv(-_hessian_at(model, fitted.params_array, data))
    want = np.sqrt(np.diag(cov))
    got = np.array(list(fitted.fit_result.bse.values()))
    np.testing.assert_allclose(got, want, rtol=1e-3)


@given(
    n=st.integers(1, 400),
    top=st.sampled_from([0, 1, 30, 2**14 - 1, 2**14, 10**6]),
    integer=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=80, deadline=None)
def test_stratified_order_is_a_permutation_sorted_by_frequency(
    n: int, top: int, integer: bool, seed: int
) -> None:
    """The warm-start order is a permutation of the rows, sorted by the first column (the
    frequency) and, for integer frequencies, by the second column within it, whatever the
    range (all zero, the 16-bit limits, beyond them, or non-integer values)."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, top + 1, n).astype(float)
    if not integer:
        first += 0.5
    second = rng.uniform(0.0, 50.0, n)
    order = _stratified((first, second))
    assert np.array_equal(np.sort(order), np.arange(n))
    assert np.all(np.diff(first[order]) >= 0)
    if integer and top < 2**14:
        runs = np.split(second[order], np.flatnonzero(np.diff(first[order])) + 1)
        bins = (2**15 - 1) // (top + 1)
        for run in runs:  # sorted within a frequency up to the width of one bin
            assert np.all(np.diff(run) >= -50.0 / max(bins - 1, 1) - 1e-9)


@st.composite
def tiny_histories(draw: st.DrawFn) -> tuple[list[float], list[float], list[float]]:
    """Two to six customers, often all still buying at the end (t_x = T): data that do not
    identify the parameters, so the optimiser runs towards the edges of the domain."""
    n = draw(st.integers(2, 6))
    x = [float(draw(st.integers(0, 5))) for _ in range(n)]
    T = [draw(st.floats(1.0, 20.0)) for _ in range(n)]
    at_end = draw(st.booleans())
    tx = [
        0.0 if xi == 0 else (Ti if at_end else draw(st.floats(0.05, 1.0)) * Ti)
        for xi, Ti in zip(x, T, strict=True)
    ]
    return x, tx, T


@pytest.mark.filterwarnings("ignore::relmark.errors.ConvergenceWarning")
@pytest.mark.parametrize("model", [BGNBD, MBGNBD, ParetoNBD], ids=lambda m: m.name)
@settings(max_examples=30, deadline=None)
@given(data=tiny_histories())
def test_unidentified_data_give_a_result_or_a_relmark_error(
    model: type[RFMModel], data: tuple[list[float], list[float], list[float]]
) -> None:
    """A step to extreme unconstrained values rounded a parameter to 0 (ZeroDivisionError in
    Pareto/NBD's pair table) or left a NaN Hessian (LinAlgError in its eigenvalues): the engine
    now treats parameters rounded onto a bound as outside the model, and a non-finite Hessian
    as giving no standard errors. Either a result with parameters inside the domain (flagged
    when not converged) or a typed error."""
    x, tx, T = data
    try:
        fitted = model.fit(frequency=x, recency=tx, T=T)
    except RelmarkError:
        return
    # (the estimates lie in the domain by construction: the model's constructor checks them)
    result = fitted.fit_result
    total = float(fitted.log_likelihood(frequency=x, recency=tx, T=T).sum())
    assert np.isfinite(result.log_likelihood)
    start = model(**dict(zip(model.param_set.names, model.param_set.default_start(), strict=True)))
    at_start = float(start.log_likelihood(frequency=x, recency=tx, T=T).sum())
    assert result.log_likelihood >= at_start - 1e-9  # the optimiser never ends below its start
    if result.converged:
        # (a fit drifting to parameters ~1e14 is flagged; there Pareto/NBD's fitting path and
        # its plain likelihood differ by a few per cent: known, reported)
        assert result.grad_norm <= 1e-6
        assert result.log_likelihood == pytest.approx(total, rel=1e-7, abs=1e-9)
    else:
        assert result.log_likelihood == pytest.approx(total, rel=0.05)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 3_000), min_size=1, max_size=400),
    st.integers(1, 5_000),
    st.randoms(use_true_random=False),
)
def test_customer_samples_take_every_kth_customer(
    weights: list[int], size: int, rnd: object
) -> None:
    """Weighted rows are sampled by their customers: laid out in the rows' (stratified)
    order, every k-th customer, k = total / size (at least 1). Against that layout built
    customer by customer: the rows taken and their counts, which sum to about ``size``."""
    w = np.array(weights, dtype=float)
    order = np.arange(w.shape[0])
    rnd.shuffle(order)  # type: ignore[attr-defined]
    if w.sum() == w.shape[0]:
        w[0] += 1.0  # (all-ones weights take the unweighted path: every k-th row)
    picked, counts = _Customers(order, w).every(size)
    assert counts is not None
    step = max(w.sum() / size, 1.0)
    owner = np.repeat(order, w[order].astype(int))  # the customers, in the rows' order
    # (the quotient rounded, then floored, as the engine does: Python's // floors the exact one)
    taken = [o for j, o in enumerate(owner) if math.floor((j + 1) / step) > math.floor(j / step)]
    rows, times = np.unique(taken, return_counts=True)
    got = dict(zip(picked.tolist(), counts.tolist(), strict=True))
    assert got == {int(r): float(c) for r, c in zip(rows, times, strict=True)}
    assert abs(counts.sum() - min(size, w.sum())) <= 1


def test_grouped_whole_day_fit_finds_the_optimum_of_its_customers() -> None:
    """300,000 whole-day BG/NBD customers (CDNOW's published parameters, two years, recency
    rounded up to days: ~116k distinct rows with counts). Its subsample levels took every k-th
    *row*: a level's customers were those of the few heavy rows it happened to take, its
    optimum ran off towards a, b -> infinity, and the fit stalled there (not converged, 5,416
    below the maximum). Taking every k-th *customer*, the grouped fit equals the fit on one
    row per customer (``compress=False``, which samples rows of one customer each)."""
    rng = np.random.default_rng(104)
    truth = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    n = 300_000
    t_days = rng.integers(1, 730, size=n).astype(float)
    d = truth.simulate(t_days / 7.0, rng=rng)
    recency = np.where(d["frequency"] > 0, np.minimum(np.ceil(d["recency"] * 7.0), t_days), 0.0)
    data = {"frequency": d["frequency"], "recency": recency, "T": t_days}
    grouped = BGNBD.fit(data)
    assert grouped.fit_result.n_unique < n / 2  # the grouped path
    each = BGNBD.fit(data, compress=False)
    assert grouped.fit_result.converged and each.fit_result.converged
    assert grouped.fit_result.log_likelihood == pytest.approx(
        each.fit_result.log_likelihood, abs=1e-4
    )
    for name in ("r", "alpha", "a", "b"):
        assert grouped.params[name] == pytest.approx(each.params[name], rel=1e-4)
    assert grouped.params["a"] == pytest.approx(0.793, rel=0.1)


@pytest.mark.parametrize(
    ("prior", "theta", "exact"),
    [
        # d2/dt2 of (k-1) ln t - lambda t: -(k-1)/t^2
        (Prior("gamma", 2.0, 2.0), 1e-12, -1.0 / 1e-24),
        (Prior("gamma", 3.0, 0.5), 4e5, -2.0 / 4e5**2),
        # d2/dt2 of (a-1) ln t + (b-1) ln(1-t): -(a-1)/t^2 - (b-1)/(1-t)^2
        # (1 - theta of the float theta, exact by Sterbenz: 9.9999997e-10)
        (
            Prior("beta", 2.0, 3.0),
            1.0 - 1e-9,
            -1.0 / (1.0 - 1e-9) ** 2 - 2.0 / (1e-9 - 2.83e-17) ** 2,
        ),
        (Prior("lognormal", 0.0, 1.0), 1e-9, (math.log(1e-9) - 0.0) / 1e-18),
    ],
)
def test_prior_hessian_stays_in_the_support(prior: Prior, theta: float, exact: float) -> None:
    """The prior's Hessian by central differences steps relative to the parameter (and to
    1 - it in (0, 1)): the absolute step 1e-6 left the support at a = 1e-12 (a MAP fit of
    BG/NBD with a gamma prior on a, 120,000 whole-day customers, raised the prior's
    ``argument 'value': must be > 0``) and at 1 - 1e-9 for a beta prior. Against the second
    derivative of the log density in closed form."""

    def log_prior(t: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        v, g = prior.log_density_and_grad(float(t[0]))
        return v, np.array([g])

    got = _prior_hessian(log_prior, np.array([theta]))
    assert float(got[0, 0]) == pytest.approx(exact, rel=1e-6)
