"""Bad inputs to the win-back functions: each raises a relmark error of the right kind whose
message (and ``argument``) names what is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import relmark.decide
from relmark.errors import ArgumentError, DataError, SchemaError

_D: Any = relmark.decide  # untyped: the cases pass what the signatures forbid
NAN = float("nan")
OFFER = [0, 0, 10, 10, 20, 20, 0, 10, 20, 20]
T = [1, 6, 1, 6, 1, 6, 3, 3, 3, 12]
Y = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1]
M = _D.ReacquisitionModel(
    names=("intercept", "offer", "time_since_lapse"),
    coefficients=(-1.0, 0.05, -0.2),
    standard_errors=(0.1, 0.01, 0.05),
    log_likelihood=-100.0,
    customers=200,
    reacquired=60,
    iterations=5,
)


def _plan(**kw: Any) -> Any:
    args = {"time_since_lapse": [1, 2], "second_lifetime_value": 100, "offers": [0, 10], **kw}
    model = args.pop("model", M)
    return _D.plan_winback(model, **args)


CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    (
        "fit_offer_negative",
        lambda: _D.fit_reacquisition([-1, *OFFER[1:]], T, Y),
        DataError,
        "offer",
    ),
    (
        "fit_lapse_nan",
        lambda: _D.fit_reacquisition(OFFER, [NAN, *T[1:]], Y),
        DataError,
        "time_since_lapse",
    ),
    (
        "fit_lapse_text",
        lambda: _D.fit_reacquisition(OFFER, ["1"] * 10, Y),
        DataError,
        "time_since_lapse",
    ),
    ("fit_lengths", lambda: _D.fit_reacquisition(OFFER, T[:5], Y), DataError, "time_since_lapse"),
    ("fit_outcome", lambda: _D.fit_reacquisition(OFFER, T, [2] * 10), DataError, "reacquired"),
    ("fit_nobody", lambda: _D.fit_reacquisition(OFFER, T, [0] * 10), DataError, "reacquired"),
    ("fit_one_offer", lambda: _D.fit_reacquisition([5] * 10, T, Y), DataError, "offer"),
    (
        "fit_max_iter",
        lambda: _D.fit_reacquisition(OFFER, T, Y, max_iter=-1),
        ArgumentError,
        "max_iter",
    ),
    ("prob_negative", lambda: M.probability([-1.0], [1.0]), DataError, "offer"),
    (
        "prob_lengths",
        lambda: M.probability([1.0, 2.0], [1.0, 2.0, 3.0]),
        DataError,
        "time_since_lapse",
    ),
    (
        "sltv_discount",
        lambda: _D.second_lifetime_value(10, 0.5, discount_rate=-0.1),
        ArgumentError,
        "discount_rate",
    ),
    (
        "sltv_retention",
        lambda: _D.second_lifetime_value(10, 1.2, discount_rate=0.1),
        DataError,
        "retention",
    ),
    (
        "sltv_infinite",
        lambda: _D.second_lifetime_value(10, 1.0, discount_rate=0.0),
        DataError,
        "retention",
    ),
    (
        "sltv_margin",
        lambda: _D.second_lifetime_value(-10, 0.5, discount_rate=0.1),
        DataError,
        "margin",
    ),
    (
        "sltv_periods",
        lambda: _D.second_lifetime_value(10, 0.5, discount_rate=0.1, periods=0.5),
        ArgumentError,
        "periods",
    ),
    (
        "sltv_lengths",
        lambda: _D.second_lifetime_value([1, 2], [0.5] * 3, discount_rate=0.1),
        DataError,
        "retention",
    ),
    ("plan_model", lambda: _plan(model="model"), ArgumentError, "model"),
    ("plan_no_offers", lambda: _plan(offers=[]), ArgumentError, "offers"),
    ("plan_offer_negative", lambda: _plan(offers=[0, -5]), ArgumentError, "offers"),
    ("plan_offers_text", lambda: _plan(offers="10"), ArgumentError, "offers"),
    ("plan_contact_cost", lambda: _plan(contact_cost=NAN), ArgumentError, "contact_cost"),
    (
        "plan_sltv_length",
        lambda: _plan(second_lifetime_value=[1, 2, 3]),
        DataError,
        "second_lifetime_value",
    ),
    ("plan_lapse_negative", lambda: _plan(time_since_lapse=[-1, 2]), DataError, "time_since_lapse"),
    ("plan_offers_repeat", lambda: _plan(offers=[0, 10, 0]), ArgumentError, "offers"),
    (
        "plan_sltv_shape",
        lambda: _plan(second_lifetime_value=[[1.0, 2.0]]),
        DataError,
        "second_lifetime_value",
    ),
    (
        "plan_sltv_2d_nan",
        lambda: _plan(second_lifetime_value=[[1.0, NAN], [1.0, 2.0]]),
        DataError,
        "second_lifetime_value",
    ),
    (
        "plan_sltv_2d_negative",
        lambda: _plan(second_lifetime_value=[[1.0, 2.0], [-1.0, 2.0]]),
        DataError,
        "second_lifetime_value",
    ),
    ("plan_ids_repeat", lambda: _plan(customer_ids=["a", "a"]), ArgumentError, "customer_ids"),
    ("plan_ids_count", lambda: _plan(customer_ids=["a"]), ArgumentError, "customer_ids"),
    ("plan_ids_float", lambda: _plan(customer_ids=[1.5, 2.5]), ArgumentError, "customer_ids"),
]


@pytest.mark.parametrize(("label", "call", "error", "name"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(
    label: str, call: Callable[[], object], error: type[Exception], name: str
) -> None:
    with pytest.raises(error) as info:
        call()
    assert name in str(info.value), (label, str(info.value))
    if error is ArgumentError:
        assert not isinstance(info.value, DataError)
        assert info.value.argument == name  # type: ignore[attr-defined]


def test_case_count() -> None:
    assert len(CASES) >= 15


def test_tampered_model_json() -> None:
    """A model with a wrong name list or a missing key loads with a SchemaError."""
    d = M.to_dict()
    with pytest.raises(SchemaError) as err:
        _D.ReacquisitionModel.from_json(json.dumps({k: v for k, v in d.items() if k != "names"}))
    assert err.value.key == "names"
    with pytest.raises(SchemaError) as err:
        _D.ReacquisitionModel.from_json(json.dumps(dict(d, coefficients=[1.0, 2.0])))
    assert err.value.key == "coefficients"
    with pytest.raises(SchemaError) as err:  # refused on loading, not at the first use
        _D.ReacquisitionModel.from_json(json.dumps(dict(d, names=["a", "b", "c"])))
    assert err.value.key == "names"
    with pytest.raises(SchemaError) as err:
        _D.WinbackPlan.from_json(json.dumps(dict(d, kind="relmark.decide.WinbackPlan")))


# ---------------------------------------------------------------- adversarial review (round 3)
def _tampered(result: Any, **changes: object) -> str:
    d = result.to_dict()
    d.update(changes)
    return json.dumps(d)


_WP = _plan(customer_ids=["a", "b"])

REVIEW: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # an empty retention broadcast against one margin returned an empty array
    (
        "sltv_retention_empty",
        lambda: _D.second_lifetime_value(1.0, [], discount_rate=0.1),
        DataError,
        "retention",
    ),
    # 1e308 / (1 - 0.99) overflowed to inf (RuntimeWarning)
    (
        "sltv_overflow",
        lambda: _D.second_lifetime_value(1e308, 0.99, discount_rate=0.0),
        DataError,
        "margin",
    ),
    (
        "sltv_overflow_horizon",
        lambda: _D.second_lifetime_value(1e308, 0.99, discount_rate=0.0, periods=1000),
        DataError,
        "margin",
    ),
    # the plan's total overflowed to inf (RuntimeWarning)
    (
        "plan_overflow",
        lambda: _plan(second_lifetime_value=1e308, time_since_lapse=[0.0] * 5),
        DataError,
        "second_lifetime_value",
    ),
    # 1 and "1" were two customers
    ("plan_ids_mix", lambda: _plan(customer_ids=[1, "1"]), ArgumentError, "customer_ids"),
    # tampered results loaded
    (
        "model_se_negative",
        lambda: _D.ReacquisitionModel.from_json(_tampered(M, standard_errors=[-1, -1, -1])),
        SchemaError,
        "standard_errors",
    ),
    (
        "model_reacquired",
        lambda: _D.ReacquisitionModel.from_json(_tampered(M, reacquired=10**9)),
        SchemaError,
        "reacquired",
    ),
    (
        "plan_ids_repeat",
        lambda: _D.WinbackPlan.from_json(_tampered(_WP, customer_ids=["a", "a"])),
        SchemaError,
        "customer_ids",
    ),
    (
        "plan_probability",
        lambda: _D.WinbackPlan.from_json(_tampered(_WP, probability=[5.0, 5.0])),
        SchemaError,
        "probability",
    ),
    (
        "plan_worth",
        lambda: _D.WinbackPlan.from_json(
            _tampered(_WP, worth_an_offer=[True, True], expected_value=[-5.0, -5.0])
        ),
        SchemaError,
        "worth_an_offer",
    ),
    (
        "plan_customers_worth",
        lambda: _D.WinbackPlan.from_json(_tampered(_WP, customers_worth=99)),
        SchemaError,
        "customers_worth",
    ),
]


@pytest.mark.parametrize(("label", "call", "error", "name"), REVIEW, ids=[c[0] for c in REVIEW])
def test_review_bad_input(
    label: str, call: Callable[[], object], error: type[Exception], name: str
) -> None:
    test_bad_input(label, call, error, name)


def test_reacquisition_scale_invariant() -> None:
    """Offers times 1e200 were refused as collinear: the fit equals the one in plain
    units with the offer's coefficient and standard error scaled (statsmodels' Logit as the
    reference)."""
    sm = pytest.importorskip("statsmodels.api")
    o = np.tile([0.0, 10, 20, 40], 300)
    t = np.tile(np.arange(1.0, 13.0), 100)
    rng = np.random.default_rng(2)
    y = (rng.random(1200) < 1 / (1 + np.exp(1.5 - 0.04 * o + 0.1 * t))).astype(int)
    ref = sm.Logit(y, sm.add_constant(np.column_stack([o, t]))).fit(disp=0)
    m = _D.fit_reacquisition(o * 1e200, t, y)
    assert np.allclose(np.array(m.coefficients) * [1, 1e200, 1], ref.params, rtol=1e-7)
    assert np.allclose(np.array(m.standard_errors) * [1, 1e200, 1], ref.bse, rtol=1e-6)
