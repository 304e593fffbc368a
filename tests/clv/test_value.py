"""CLV against lifetimes and an independent computation."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.clv import BGNBD, MBGNBD, GammaGamma, ParetoNBD, clv, clv_interval, score
from relmark.clv._rfm import RFMModel
from relmark.datasets import load_cdnow_summary
from relmark.errors import ArgumentError, DataError

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def lifetimes_clv(
    fitter: str, params: dict[str, float], *history: object, freq: str = "W"
) -> np.ndarray:
    """lifetimes' GammaGammaFitter.customer_lifetime_value (12 periods, 1 % a period) with its
    purchase model ``fitter`` at ``params``: an independent implementation to compare with."""
    import lifetimes

    purchases = getattr(lifetimes, fitter)()
    purchases.params_ = pd.Series(params)
    purchases.predict = purchases.conditional_expected_number_of_purchases_up_to_time
    ggf = lifetimes.GammaGammaFitter()
    ggf.params_ = pd.Series({"p": GG["p"], "q": GG["q"], "v": GG["gamma"]})
    x, tx, T, m = (pd.Series(np.atleast_1d(np.asarray(v, dtype=float))) for v in history)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = ggf.customer_lifetime_value(
            purchases, x, tx, T, m, time=12, discount_rate=0.01, freq=freq
        )
    return np.asarray(value, dtype=float)


def test_matches_lifetimes_customer_lifetime_value() -> None:
    """lifetimes' GammaGammaFitter.customer_lifetime_value (12 months of 4.345 weeks, 1% per
    month) at the same parameters, on all 2357 CDNOW customers, to 1e-10."""
    s = load_cdnow_summary(with_monetary=True)
    assert s.monetary_value is not None
    theirs = lifetimes_clv("BetaGeoFitter", BG, s.frequency, s.recency, s.T, s.monetary_value)
    ours = clv(
        BGNBD(**BG).with_time_unit("W"),
        GammaGamma(**GG),
        s.frequency,
        s.recency,
        s.T,
        s.monetary_value,
        period_length=4.345,  # lifetimes' weekly month; relmark's default is 365.25 / 12 days
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_equals_brute_force_monte_carlo_free_sum() -> None:
    """Independent path: E[Y] at each month end by the closed form for a *new* customer equals
    the conditional one at x = t_x = T = 0; CLV is then a plain discounted sum."""
    bg = BGNBD(**BG)
    gg = GammaGamma(**GG)
    months = np.arange(0, 13) * 4.345
    cum = bg.expected_purchases_new_customer(t=months)
    want = gg.mean_spend * float(np.sum(np.diff(cum) / 1.01 ** np.arange(1, 13)))
    got = clv(bg, gg, 0, 0.0, 0.0, 0.0, period_length=4.345)[0]
    assert got == pytest.approx(want, rel=1e-12)


def test_chunking_does_not_change_values() -> None:
    s = load_cdnow_summary(with_monetary=True)
    assert s.monetary_value is not None
    bg, gg = BGNBD(**BG).with_time_unit("W"), GammaGamma(**GG)
    args = (s.frequency, s.recency, s.T, s.monetary_value)
    np.testing.assert_allclose(clv(bg, gg, *args), clv(bg, gg, *args, chunk_size=100), rtol=1e-14)


def test_interval_brackets_estimate() -> None:
    s = load_cdnow_summary(with_monetary=True)
    assert s.monetary_value is not None
    bg = BGNBD.fit(s)
    gg = GammaGamma.fit(s)
    iv = clv_interval(
        bg, gg, s.frequency[:20], s.recency[:20], s.T[:20], s.monetary_value[:20], n_draws=50, rng=1
    )
    assert np.all(iv.lower <= iv.estimate + 1e-9)
    assert np.all(iv.estimate <= iv.upper + 1e-9)
    assert np.all(iv.upper > iv.lower)


def test_unknown_time_unit_needs_a_period_length() -> None:
    with pytest.raises(ArgumentError, match="period_length") as err:
        clv(BGNBD(**BG), GammaGamma(**GG), 1, 1.0, 2.0, 10.0)
    assert err.value.argument == "period_length"


@pytest.mark.parametrize(
    "purchases",
    [
        BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426),
        MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614),
        ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    ],
    ids=lambda m: m.name,
)
@pytest.mark.parametrize("n", [500, 45_000])
def test_score_equals_the_separate_predictions(purchases: RFMModel, n: int) -> None:
    """score() (P(alive) computed once, reused for the horizon and the CLV; interpolated at
    45,000 customers) equals the separate calls, each evaluated exactly on small chunks."""
    model = purchases.with_time_unit("W")
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    rng = np.random.default_rng(n)
    d = model.simulate(rng.uniform(1.0, 80.0, n), rng=rng)
    x, tx, T = d["frequency"], d["recency"], d["T"]
    m = spend.simulate(x, rng=rng)["monetary_value"]
    got = score(model, spend, x, tx, T, m, horizon=52.0, chunk_size=20_000)
    step = 5_000  # below the interpolation threshold: exact evaluation
    for lo in range(0, n, step):
        sl = slice(lo, lo + step)
        args = (x[sl], tx[sl], T[sl])
        np.testing.assert_allclose(got["p_alive"][sl], model.p_alive(*args), rtol=1e-14)
        np.testing.assert_allclose(
            got["expected_purchases"][sl],
            model.conditional_expected_purchases(*args, t=52.0),
            rtol=1e-11,
        )
        np.testing.assert_allclose(got["expected_spend"][sl], spend.expected_spend(x[sl], m[sl]))
        np.testing.assert_allclose(got["clv"][sl], clv(model, spend, *args, m[sl]), rtol=1e-11)


def test_score_without_spend_and_bad_arguments() -> None:
    """Without a spend model score() returns the two purchase columns; a spend model without
    spend data, or several horizons, are refused with the argument named."""
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    out = score(bg, None, [2.0], [30.43], [38.86], horizon=39.0)
    assert sorted(out) == ["expected_purchases", "p_alive"]
    assert out["expected_purchases"][0] == pytest.approx(1.226, abs=5e-4)  # FHL 2005, sec. 5
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    with pytest.raises(ArgumentError) as aerr:
        score(bg, gg, [2.0], [30.43], [38.86], horizon=39.0)
    assert aerr.value.argument == "monetary_value"
    with pytest.raises(ArgumentError) as aerr:
        score(bg, None, [2.0], [30.43], [38.86], horizon=[13.0, 39.0])  # type: ignore[arg-type]
    assert aerr.value.argument == "horizon"
    rfm = ([0, 2], [0, 30.43], [38.86, 38.86], [0, 22.35, 3.0])  # one spend too many
    with pytest.raises(DataError, match="3 values for 2 customers") as err:
        score(bg, gg, *rfm, horizon=39.0)
    assert err.value.column == "monetary_value"
    with pytest.raises(DataError, match="3 values for 2 customers") as err:
        clv(bg, gg, *rfm)
    assert err.value.column == "monetary_value"


@pytest.mark.parametrize(
    ("purchases", "fitter"),
    [
        (BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426), "BetaGeoFitter"),
        (MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614), "ModifiedBetaGeoFitter"),
        (ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669), "ParetoNBDFitter"),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
@pytest.mark.parametrize(
    ("x", "tx", "T", "m"),
    [(2, 30.43, 38.86, 22.35), (0, 0.0, 38.86, 0.0), (1, 0.5, 77.0, 9.0), (40, 38.0, 38.0, 61.5)],
)
def test_one_customer_given_as_numbers_matches_lifetimes(
    purchases: RFMModel, fitter: str, x: int, tx: float, T: float, m: float
) -> None:
    """A service's request (one customer, Python numbers: the scalar fast paths of the purchase
    and spend models) against lifetimes' customer_lifetime_value, an independent implementation,
    to 1e-9; including x = 0 and t_x = T."""
    theirs = lifetimes_clv(fitter, purchases.params, x, tx, T, m)
    ours = clv(purchases.with_time_unit("W"), GammaGamma(**GG), x, tx, T, m, period_length=4.345)
    assert ours.shape == (1,)
    assert ours[0] == pytest.approx(float(theirs[0]), rel=1e-9)


@pytest.mark.parametrize(
    ("history", "column"),
    [
        ((1.5, 3.0, 9.0, 10.0), "frequency"),
        ((2, 10.0, 9.0, 10.0), "recency"),
        ((2, 3.0, 9.0, -1.0), "monetary_value"),
        ((2, 3.0, 9.0, float("nan")), "monetary_value"),
        ((2, 3.0, float("inf"), 10.0), "T"),
    ],
)
def test_one_customer_bad_history_names_the_field(
    history: tuple[float, float, float, float], column: str
) -> None:
    """The one-customer fast paths refuse what the array path refuses, naming the field."""
    bg = BGNBD(**BG).with_time_unit("W")
    with pytest.raises(DataError) as err:
        clv(bg, GammaGamma(**GG), *history)
    assert err.value.column == column


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"periods": 2.5}, "periods"),
        ({"periods": 0}, "periods"),
        ({"periods": True}, "periods"),
        ({"period_length": float("inf")}, "period_length"),
        ({"period_length": 0.0}, "period_length"),
        ({"discount_rate": float("inf")}, "discount_rate"),
        ({"discount_rate": float("nan")}, "discount_rate"),
        ({"discount_rate": -1.0}, "discount_rate"),
    ],
)
def test_bad_horizon_options_name_the_option(options: dict[str, float], argument: str) -> None:
    """A fractional number of periods, an infinite period or discount rate are refused, not
    truncated or turned into a CLV of zero."""
    bg = BGNBD(**BG).with_time_unit("W")
    with pytest.raises(ArgumentError) as err:
        clv(bg, GammaGamma(**GG), 2, 30.43, 38.86, 22.35, **options)  # type: ignore[arg-type]
    assert err.value.argument == argument


def test_discrete_time_clv_matches_lifetimes_and_needs_whole_periods() -> None:
    """BG/BB (whole periods, one period per month) against lifetimes' customer_lifetime_value
    with its BetaGeoBetaBinomFitter (freq "M": one period per month), to 1e-9; a fractional
    period length is refused naming it."""
    from relmark.clv import BGBB

    bgbb = BGBB(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)  # FHS 2010, Table 2
    x, tx, n, m = np.array([0, 3, 6, 6]), np.array([0, 5, 6, 6]), np.array([6, 6, 6, 6]), 20.0
    theirs = lifetimes_clv("BetaGeoBetaBinomFitter", bgbb.params, x, tx, n, [m] * 4, freq="M")
    ours = clv(bgbb, GammaGamma(**GG), x, tx, n, m, period_length=1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    with pytest.raises(ArgumentError, match="whole number") as err:
        clv(bgbb, GammaGamma(**GG), 3, 5, 6, 20.0, period_length=1.5)
    assert err.value.argument == "period_length"


def test_a_summary_without_spend_is_named_not_a_type_error() -> None:
    """``summary.monetary_value`` is None for a summary made without amounts; passing it is
    allowed by the types (so typed user code needs no assert) and refused naming it."""
    from relmark.clv import BGNBD, GammaGamma, clv
    from relmark.errors import ArgumentError

    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    for customers, recency in (([2], [30.43]), ([2, 0], [30.43, 0])):
        n = len(customers)
        with pytest.raises(ArgumentError, match="mean spend") as err:
            clv(bg, gg, customers, recency, [38.86] * n, None)
        assert err.value.argument == "monetary_value"


@pytest.mark.parametrize(
    ("option", "value"),
    [("periods", 0), ("periods", 2.5), ("discount_rate", -2.0), ("discount_rate", float("nan"))],
)
def test_score_without_spend_checks_the_horizon_options(option: str, value: float) -> None:
    """Without a spend model a bad ``periods`` or ``discount_rate`` was accepted and unused (a
    caller's mistake went unnoticed); it is refused naming the option, as with one. No
    ``period_length`` is needed then (the model has no time unit here)."""
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    out = score(bg, None, [1.0], [2.0], [5.0], horizon=4)
    assert set(out) == {"p_alive", "expected_purchases"}
    bad: dict[str, Any] = {option: value}
    with pytest.raises(ArgumentError) as info:
        score(bg, None, [1.0], [2.0], [5.0], horizon=4, **bad)
    assert info.value.argument == option


@pytest.mark.parametrize("with_spend", [False, True])
def test_a_negative_discount_rate_beyond_float_range_is_refused(with_spend: bool) -> None:
    """(1 - 0.9999)^-10000 = 1e40000: the weights were inf - inf, a NaN CLV and a
    RuntimeWarning (also without a spend model, whose options are checked the same way); now an
    ArgumentError naming discount_rate. A rate that stays in range still scores: at -0.9 over
    100 periods the last factor is 1e100, and the CLV of that horizon is finite."""
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44) if with_spend else None
    args = ([0, 2], [0, 30.43], [38.86, 38.86], [0, 22.35])
    with pytest.raises(ArgumentError) as info:
        score(bg, gg, *args, horizon=39, periods=10_000, discount_rate=-0.9999)
    assert info.value.argument == "discount_rate"
    assert "10^40000" in str(info.value)
    out = score(bg, gg, *args, horizon=39, periods=100, discount_rate=-0.9)
    assert all(np.all(np.isfinite(v)) for v in out.values())
