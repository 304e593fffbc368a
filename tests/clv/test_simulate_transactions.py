"""Transaction logs simulated from a model: summarize turns them into summaries with the model's
distribution (issue 17 item 3).

Checks with a known truth: the fit on the summarised log recovers the parameters within a few
standard errors at 20,000 customers; the frequency distribution of the summary against the
model's P(X(T) = n) by a chi-square test (scipy); Gamma-Gamma amounts against the model's
expected spend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from relmark.clv import BGBB, BGNBD, MBGNBD, SBG, GammaGamma, ParetoNBD, simulate_transactions
from relmark.data import summarize
from relmark.errors import ArgumentError, ParameterError

CASES = [
    (BGNBD, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    (MBGNBD, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    (ParetoNBD, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
]
END = pd.Timestamp("2020-01-01") + pd.Timedelta(weeks=39)


def hourly_summary(log: pd.DataFrame) -> dict[str, np.ndarray]:
    """summarize in hours (rounding is then negligible), rescaled to weeks."""
    s = summarize(log, time_unit="h", observation_end=END)
    return {"frequency": s.frequency, "recency": s.recency / 168.0, "T": s.T / 168.0}


@pytest.mark.parametrize(("cls", "params"), CASES)
def test_fit_on_the_summarised_log_recovers_the_parameters(
    cls: Any, params: dict[str, float]
) -> None:
    model = cls(**params).with_time_unit("W")
    ages = np.random.default_rng(1).integers(20, 40, 20_000)
    log = simulate_transactions(model, ages, rng=2)
    s = summarize(log, time_unit="h", observation_end=END)
    np.testing.assert_allclose(s.T / 168.0, ages)  # whole weeks: T exact
    fitted = cls.fit({"frequency": s.frequency, "recency": s.recency / 168.0, "T": s.T / 168.0})
    for name, value in params.items():
        est, se = fitted.params[name], fitted.fit_result.bse[name]
        assert abs(est - value) < 4 * se, (name, est, value, se)


@pytest.mark.parametrize(("cls", "params"), CASES)
def test_frequency_distribution_is_prob_purchases(cls: Any, params: dict[str, float]) -> None:
    """30,000 customers of age 39 weeks: counts of 0..5 and 6+ repeat purchases against
    30,000 * P(X(39) = n), chi-square with 6 degrees of freedom, p > 0.001."""
    model = cls(**params).with_time_unit("W")
    n = 30_000
    log = simulate_transactions(model, np.full(n, 39), rng=5)
    x = hourly_summary(log)["frequency"]
    observed = np.bincount(np.minimum(x, 6).astype(int), minlength=7)
    p = model.prob_purchases(np.arange(6.0), t=39.0)
    expected = n * np.append(p, 1.0 - p.sum())
    stat = float(((observed - expected) ** 2 / expected).sum())
    assert chi2.sf(stat, 6) > 1e-3, (observed, expected.round(1))


def test_bgbb_log_in_periods() -> None:
    """BG/BB: transactions at whole opportunities; the daily summary (one opportunity a day)
    has the frequency distribution of prob_purchases at n = 6 (chi-square as above)."""
    model = BGBB(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    log = simulate_transactions(model, np.full(20_000, 6), time_unit="D", rng=3)
    s = summarize(log, time_unit="D", observation_end="2020-01-07")
    assert set(s.T.tolist()) == {6.0}
    observed = np.bincount(s.frequency.astype(int), minlength=7)
    expected = 20_000 * model.prob_purchases(np.arange(7.0), t=6)
    assert chi2.sf(float(((observed - expected) ** 2 / expected).sum()), 6) > 1e-3


def test_amounts_follow_gamma_gamma() -> None:
    """Every transaction has an amount; the mean of all amounts is close to the model's mean
    spend p * gamma / (q - 1) (FHL 2005, "RFM and CLV", eq. 4's population mean)."""
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    log = simulate_transactions(model, np.full(40_000, 39), spend=spend, rng=8)
    assert (log["amount"] > 0).all()
    per_customer = log.groupby("customer_id")["amount"].first()  # one draw per customer
    mean = 6.25 * 15.44 / (3.74 - 1.0)
    assert per_customer.mean() == pytest.approx(mean, rel=0.03)


def test_log_layout_and_seed() -> None:
    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    log = simulate_transactions(model, [3, 2], time_unit="W", start="2024-03-01", rng=1)
    assert list(log.columns) == ["customer_id", "date", "amount"][:2]
    first = log.groupby("customer_id")["date"].min()
    assert first.tolist() == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-08")]
    again = simulate_transactions(model, [3, 2], time_unit="W", start="2024-03-01", rng=1)
    pd.testing.assert_frame_equal(log, again)


@pytest.mark.parametrize(
    ("kwargs", "error", "argument"),
    [
        ({"model": SBG(alpha=1.0, beta=1.0)}, ParameterError, "model"),
        ({"model": "BGNBD"}, ParameterError, "model"),
        ({"spend": BGNBD(r=1.0, alpha=1.0, a=1.0, b=1.0)}, ParameterError, "spend"),
        ({"T": [-1.0]}, ArgumentError, "T"),
        ({"T": ["x"]}, ArgumentError, "T"),
        ({"time_unit": None}, ArgumentError, "time_unit"),
        ({"time_unit": "fortnight"}, ArgumentError, "time_unit"),
        ({"start": "not a date"}, ArgumentError, "start"),
        ({"rng": "seed"}, ArgumentError, "rng"),
    ],
)
def test_bad_inputs(kwargs: dict[str, Any], error: type[Exception], argument: str) -> None:
    args: dict[str, Any] = {"model": BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426), "T": [3.0]}
    args.update({k: v for k, v in kwargs.items() if k in ("model", "T")})
    options = {k: v for k, v in kwargs.items() if k not in ("model", "T")}
    options.setdefault("time_unit", "W")
    if kwargs.get("time_unit", "W") is None:
        options.pop("time_unit")
    with pytest.raises(error) as info:
        simulate_transactions(args["model"], args["T"], **options)
    assert getattr(info.value, "argument", None) == argument
