"""Contract tests: every registered model, with parameters drawn from its declared ranges.

A new model gets these for free by registering itself.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relmark.clv import MODELS, CLVModel, get_model, load_model

from .strategies import models, simulated_data

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
    cond = np.stack([model.conditional_expected_purchases(t, x, tx, T) for t in grid])  # type: ignore[attr-defined]
    assert np.all(np.isfinite(cond))
    np.testing.assert_allclose(cond[0], 0.0, atol=1e-12)
    assert np.all(np.diff(cond, axis=0) >= -1e-9 * np.maximum(1.0, cond[1:]))
    new = model.expected_purchases(np.array(grid))  # type: ignore[attr-defined]
    assert new[0] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(new) >= -1e-12)


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
    np.testing.assert_allclose(a.params_array, b.params_array, rtol=1e-6)
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
