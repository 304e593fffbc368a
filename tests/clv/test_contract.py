"""Contract tests: every registered model, with parameters drawn from its declared ranges.

A new model gets these for free by being listed in the registry (``relmark.clv.MODELS``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relmark.clv import MODELS, CLVModel, GammaGamma, clv_interval, get_model, load_model

from .strategies import models, simulated_data, with_covariance

ALL = sorted(MODELS)
RFM = [n for n in ALL if MODELS[n].data_fields[:3] == ("frequency", "recency", "T")]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_registry_lists_the_published_models() -> None:
    assert {"BGNBD", "GammaGamma"} <= set(MODELS)
    assert get_model("bg/nbd") is MODELS["BGNBD"]
    assert get_model("Gamma-Gamma") is MODELS["GammaGamma"]


@pytest.mark.parametrize("name", ALL)
def test_declaration_is_consistent(name: str) -> None:
    cls = MODELS[name]
    assert cls.name == name
    assert len(set(cls.param_set.names)) == len(cls.param_set)
    start = cls.param_set.default_start()
    u = cls.param_set.to_unconstrained(start)
    np.testing.assert_allclose(cls.param_set.from_unconstrained(u), start, rtol=1e-12)


@pytest.mark.parametrize("name", ALL)
@FAST
@given(data=st.data())
def test_json_round_trip_and_finite_loglik(name: str, data: st.DataObject) -> None:
    cls = MODELS[name]
    model = data.draw(models(cls))
    again = load_model(model.to_json())
    assert again == model
    assert json.loads(model.to_json())["model"] == name
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    sample = simulated_data(model, 50, rng)
    ll = model.log_likelihood(sample)
    assert np.all(np.isfinite(ll))


@pytest.mark.parametrize("name", RFM)
@FAST
@given(data=st.data())
def test_p_alive_is_a_probability(name: str, data: st.DataObject) -> None:
    model: CLVModel = data.draw(models(MODELS[name]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    s = simulated_data(model, 40, rng)
    pa = model.p_alive(s["frequency"], s["recency"], s["T"])  # type: ignore[attr-defined]
    assert np.all((pa >= 0) & (pa <= 1))
    assert np.all(pa[s["frequency"] == 0] > 0)


@pytest.mark.parametrize("name", RFM)
@FAST
@given(data=st.data())
def test_expected_purchases_start_at_zero_and_grow(name: str, data: st.DataObject) -> None:
    model: CLVModel = data.draw(models(MODELS[name]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    s = simulated_data(model, 20, rng)
    x, tx, T = s["frequency"], s["recency"], s["T"]
    grid = [0.0, 1.0, 2.0, 5.0, 10.0, 40.0]
    cond = np.stack([model.conditional_expected_purchases(x, tx, T, t=t) for t in grid])  # type: ignore[attr-defined]
    assert np.all(np.isfinite(cond))
    np.testing.assert_allclose(cond[0], 0.0, atol=1e-12)
    assert np.all(np.diff(cond, axis=0) >= -1e-9 * np.maximum(1.0, cond[1:]))
    new = model.expected_purchases_new_customer(t=np.array(grid))  # type: ignore[attr-defined]
    assert new[0] == pytest.approx(0.0, abs=1e-12)
    # non-decreasing up to the accuracy of numerically integrated models (1e-9 relative)
    assert np.all(np.diff(new) >= -1e-9 * np.maximum(1.0, new[1:]))


@pytest.mark.parametrize("name", ALL)
def test_weighted_fit_equals_expanded_fit(name: str) -> None:
    cls = MODELS[name]
    truth = cls(**dict(zip(cls.param_set.names, cls.param_set.default_start(), strict=True)))
    rng = np.random.default_rng(7)
    s = simulated_data(truth, 300, rng)
    cols = {f: np.asarray(s[f]) for f in cls.data_fields}
    stacked = np.column_stack([cols[f] for f in cls.data_fields])
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    grouped = {f: uniq[:, i] for i, f in enumerate(cls.data_fields)}
    a = cls.fit(grouped, weights=counts, compress=False)
    b = cls.fit(cols, compress=False)
    # the same optimum to the optimiser's tolerance: 1e-6 relative, or 1e-3 standard errors
    # where a parameter is weakly identified (GGompertz/NBD's b, s, beta at 300 customers)
    se = np.array(list(b.fit_result.bse.values()))
    gap = np.abs(a.params_array - b.params_array)
    close = (gap <= 1e-6 * np.abs(b.params_array)) | (np.isfinite(se) & (gap <= 1e-3 * se))
    assert close.all(), (a.params, b.params, b.fit_result.bse)
    assert a.fit_result.log_likelihood == pytest.approx(b.fit_result.log_likelihood, rel=1e-10)


@pytest.mark.parametrize("name", ALL)
def test_simulate_then_fit_recovers_parameters(name: str) -> None:
    cls = MODELS[name]
    truth = cls(**dict(zip(cls.param_set.names, cls.param_set.default_start(), strict=True)))
    s = simulated_data(truth, 20_000, np.random.default_rng(2026))
    fitted = cls.fit({f: s[f] for f in cls.data_fields})
    for pname, value in truth.params.items():
        est, se = fitted.params[pname], fitted.fit_result.bse[pname]
        assert abs(est - value) < 5 * se, (pname, est, value, se)


def _predictions(model: Any, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every prediction of a model on data simulated from it, by name."""
    s = simulated_data(model, 30, rng)
    if model.kind == "purchase":
        x, tx, T = s["frequency"], s["recency"], s["T"]
        out = {
            "p_alive": model.p_alive(x, tx, T),
            "conditional": model.conditional_expected_purchases(x, tx, T, t=4),
            "new": model.expected_purchases_new_customer(t=[0, 1, 4, 12]),
            "prob": model.prob_purchases([0, 1, 2], t=4),
        }
        if model.predictions.dert is not None:
            rate = "discount_rate_per_opportunity" if model.discrete else "continuous_discount_rate"
            out["dert"] = model.dert(x, tx, T, **{rate: 0.05})
        return out
    if model.kind == "spend":
        return {"spend": model.expected_spend(s["frequency"], s["monetary_value"])}
    renewals = np.arange(6.0)
    return {
        "survival": model.survival(renewals),
        "retention": model.retention(renewals + 1),
        "prob_churn": model.prob_churn_at(renewals + 1),
        "conditional_survival": model.conditional_survival(2, renewals),
        "derl": model.derl(0.1, renewals),
    }


def _main_prediction(model: Any) -> np.ndarray:
    """P(alive) of three histories, a mean spend, or a survival curve."""
    if model.kind == "purchase":
        return np.asarray(model.p_alive([0, 2, 5], [0, 4, 6], [6, 6, 6]))
    if model.kind == "spend":
        return np.asarray(model.expected_spend([0, 2, 5], [0.0, 20.0, 35.0]))
    return np.asarray(model.survival([0, 1, 2, 6]))


PROBABILITIES = {"p_alive", "prob", "survival", "retention", "prob_churn", "conditional_survival"}


@pytest.mark.parametrize("name", ALL)
@FAST
@given(data=st.data())
def test_predictions_are_finite_and_probabilities_lie_in_0_1(
    name: str, data: st.DataObject
) -> None:
    """Random valid parameters (across the declared typical ranges) and data simulated from
    them: every prediction is finite and non-negative, and every probability lies in [0, 1]."""
    model = data.draw(models(MODELS[name]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    for what, values in _predictions(model, rng).items():
        assert np.all(np.isfinite(values)), what
        assert np.all(values >= 0), what
        if what in PROBABILITIES:
            assert np.all(values <= 1), what


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), level=st.floats(0.01, 0.99))
def test_intervals_are_ordered_at_every_level(name: str, data: st.DataObject, level: float) -> None:
    """An interval never has lower > upper, whatever the level (``alpha=1.5`` gave lower >
    upper); confidence intervals of the parameters contain the estimates and stay in the
    domain."""
    model = data.draw(models(MODELS[name]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    uncertain = with_covariance(model, rng)
    ci = uncertain.fit_result.conf_int(level)
    for p in MODELS[name].param_set.params:
        lo, hi = ci[p.name]
        assert p.lower <= lo <= uncertain.params[p.name] <= hi <= p.upper
    iv = uncertain.interval(_main_prediction, level=level, n_draws=20, rng=rng)
    assert np.all(np.isfinite(iv.lower)) and np.all(np.isfinite(iv.upper))
    assert np.all(iv.lower <= iv.upper)
    if model.kind == "purchase" and name != "BGBB":
        spend = with_covariance(data.draw(models(GammaGamma)), rng)
        value = clv_interval(
            uncertain,
            spend,
            [0, 2, 5],
            [0.0, 10.0, 20.0],
            [30.0, 30.0, 30.0],
            [0.0, 20.0, 35.0],
            level=level,
            n_draws=20,
            rng=rng,
            period_length=4.0,
        )
        assert np.all(np.isfinite(value.lower)) and np.all(value.lower <= value.upper)
