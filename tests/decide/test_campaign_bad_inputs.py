"""Bad inputs to the campaign functions: each raises a relmark error of the right kind whose
message (and ``argument``/``column``) names what is wrong; no raw numpy, scipy or pydantic
error, no NaN out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import relmark.decide
from relmark.errors import ArgumentError, ConvergenceError, DataError, SchemaError

_D: Any = relmark.decide  # untyped: the cases pass what the signatures forbid
NAN = float("nan")
S = {"recency_score": [1, 2, 3, 4, 5, 1, 2, 3], "clv": [5.0, 1, 3, 8, 2, 9, 4, 6]}
Y = [0, 1, 0, 1, 1, 0, 0, 1]
P = [0.9, 0.5, 0.2, 0.1]
R = [1, 0, 1, 0]
MONEY = {"cost_per_contact": 0.5, "margin_per_response": 25.0}
CELL = (["555", "111"], [100, 100], [5, 1])


def _model() -> Any:
    return _D.fit_response_model(S, Y)


def _roll(**kw: Any) -> Any:
    args = {"remaining": [10, 10], **MONEY, **kw}
    return _D.rfm_rollout(*CELL, **args)


CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # break-even
    (
        "be_cost_negative",
        lambda: _D.break_even_response_rate(-1, 10),
        ArgumentError,
        "cost_per_contact",
    ),
    (
        "be_margin_zero",
        lambda: _D.break_even_response_rate(1, 0),
        ArgumentError,
        "margin_per_response",
    ),
    (
        "be_margin_nan",
        lambda: _D.break_even_response_rate(1, NAN),
        ArgumentError,
        "margin_per_response",
    ),
    (
        "be_cost_text",
        lambda: _D.break_even_response_rate("1", 10),
        ArgumentError,
        "cost_per_contact",
    ),
    (
        "be_cost_bool",
        lambda: _D.break_even_response_rate(True, 10),
        ArgumentError,
        "cost_per_contact",
    ),
    # response model
    ("fit_scores_list", lambda: _D.fit_response_model([[1, 2]], [0, 1]), ArgumentError, "scores"),
    ("fit_scores_empty", lambda: _D.fit_response_model({}, Y), ArgumentError, "scores"),
    (
        "fit_intercept_name",
        lambda: _D.fit_response_model({"intercept": [1, 2]}, [0, 1]),
        ArgumentError,
        "scores",
    ),
    (
        "fit_score_nan",
        lambda: _D.fit_response_model({"clv": [1, NAN, 3]}, [0, 1, 0]),
        DataError,
        "clv",
    ),
    (
        "fit_score_text",
        lambda: _D.fit_response_model({"clv": ["1", "2", "3"]}, [0, 1, 0]),
        DataError,
        "clv",
    ),
    (
        "fit_lengths",
        lambda: _D.fit_response_model({"a": [1, 2, 3], "b": [1, 2]}, [0, 1, 0]),
        DataError,
        "b",
    ),
    (
        "fit_outcomes_not_01",
        lambda: _D.fit_response_model({"a": [1, 2, 3]}, [0, 2, 1]),
        DataError,
        "responded",
    ),
    (
        "fit_outcomes_length",
        lambda: _D.fit_response_model({"a": [1, 2, 3]}, [0, 1]),
        DataError,
        "responded",
    ),
    (
        "fit_nobody",
        lambda: _D.fit_response_model({"a": [1, 2, 3]}, [0, 0, 0]),
        DataError,
        "responded",
    ),
    (
        "fit_everybody",
        lambda: _D.fit_response_model({"a": [1, 2, 3]}, [1, 1, 1]),
        DataError,
        "responded",
    ),
    (
        "fit_separated",
        lambda: _D.fit_response_model({"a": [1, 2, 3, 4]}, [0, 0, 1, 1]),
        DataError,
        "separate",
    ),
    (
        "fit_constant_score",
        lambda: _D.fit_response_model({"a": [2, 2, 2, 2]}, [0, 1, 0, 1]),
        DataError,
        "collinear",
    ),
    (
        "fit_collinear",
        lambda: _D.fit_response_model({"a": [1, 2, 3, 4], "b": [2, 4, 6, 8]}, [0, 1, 1, 0]),
        DataError,
        "collinear",
    ),
    ("fit_max_iter", lambda: _D.fit_response_model(S, Y, max_iter=0), ArgumentError, "max_iter"),
    (
        "fit_not_converged",
        lambda: _D.fit_response_model(S, Y, max_iter=1),
        ConvergenceError,
        "max_iter",
    ),
    ("fit_tol", lambda: _D.fit_response_model(S, Y, tol=-1), ArgumentError, "tol"),
    ("predict_missing_score", lambda: _model().predict({"clv": [1.0]}), DataError, "recency_score"),
    ("predict_extra_score", lambda: _model().predict({**S, "age": [1] * 8}), DataError, "age"),
    (
        "predict_frame_nan",
        lambda: _model().predict(pd.DataFrame({"recency_score": [1.0], "clv": [NAN]})),
        DataError,
        "clv",
    ),
    # gains and the curve
    ("gains_groups_zero", lambda: _D.gains_table(P, R, groups=0), ArgumentError, "groups"),
    ("gains_groups_too_many", lambda: _D.gains_table(P, R, groups=5), ArgumentError, "groups"),
    ("gains_groups_float", lambda: _D.gains_table(P, R, groups=2.5), ArgumentError, "groups"),
    (
        "gains_not_probability",
        lambda: _D.gains_table([0.5, 1.5], [1, 0], groups=1),
        DataError,
        "predicted",
    ),
    ("gains_no_responder", lambda: _D.gains_table(P, [0, 0, 0, 0]), DataError, "responded"),
    ("gains_lengths", lambda: _D.gains_table(P, [1, 0]), DataError, "responded"),
    ("gains_empty", lambda: _D.gains_table([], []), DataError, "predicted"),
    ("curve_nan", lambda: _D.cumulative_response_curve([NAN, 0.5], [1, 0]), DataError, "predicted"),
    (
        "curve_2d",
        lambda: _D.cumulative_response_curve([0.5, 0.2], [[1, 0]]),
        DataError,
        "responded",
    ),
    ("curve_points", lambda: _D.cumulative_response_curve(P, R, points=0), ArgumentError, "points"),
    # depth
    (
        "depth_cost_missing_sign",
        lambda: _D.mailing_depth(P, cost_per_contact=-0.1, margin_per_response=2),
        ArgumentError,
        "cost_per_contact",
    ),
    ("depth_groups", lambda: _D.mailing_depth(P, groups=9, **MONEY), ArgumentError, "groups"),
    ("depth_text", lambda: _D.mailing_depth(["0.1"], **MONEY), DataError, "predicted"),
    # roll-out
    ("roll_level", lambda: _roll(level=1.0), ArgumentError, "level"),
    ("roll_level_percent", lambda: _roll(level=95), ArgumentError, "level"),
    (
        "roll_cells_text",
        lambda: _D.rfm_rollout("555", [1], [0], remaining=[1], **MONEY),
        ArgumentError,
        "cells",
    ),
    (
        "roll_cells_repeat",
        lambda: _D.rfm_rollout(["5", "5"], [1, 1], [0, 0], remaining=[1, 1], **MONEY),
        DataError,
        "cells",
    ),
    (
        "roll_cells_number",
        lambda: _D.rfm_rollout([555], [1], [0], remaining=[1], **MONEY),
        DataError,
        "cells",
    ),
    (
        "roll_more_responses",
        lambda: _D.rfm_rollout(["5"], [10], [11], remaining=[1], **MONEY),
        DataError,
        "responses",
    ),
    (
        "roll_tested_zero",
        lambda: _D.rfm_rollout(["5"], [0], [0], remaining=[1], **MONEY),
        DataError,
        "tested",
    ),
    (
        "roll_fraction",
        lambda: _D.rfm_rollout(["5"], [10.5], [1], remaining=[1], **MONEY),
        DataError,
        "tested",
    ),
    ("roll_remaining_negative", lambda: _roll(remaining=[-1, 10]), DataError, "remaining"),
    ("roll_remaining_length", lambda: _roll(remaining=[1]), DataError, "remaining"),
    ("sample_per_cell", lambda: _D.rfm_test_sample(["5"], per_cell=0), ArgumentError, "per_cell"),
    ("sample_rng", lambda: _D.rfm_test_sample(["5"], per_cell=1, rng=-1), ArgumentError, "rng"),
    ("sample_cells_text", lambda: _D.rfm_test_sample("555", per_cell=1), ArgumentError, "cells"),
    ("sample_empty", lambda: _D.rfm_test_sample([], per_cell=1), DataError, "cells"),
    ("sample_code_none", lambda: _D.rfm_test_sample(["5", None], per_cell=1), DataError, "cells"),
    (
        "sample_responses_length",
        lambda: _D.rfm_test_sample(["5", "4"], per_cell=1).responses([1]),
        DataError,
        "responded",
    ),
    ("roll_margin", lambda: _roll(margin_per_response=0), ArgumentError, "margin_per_response"),
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


def test_no_nan_for_extreme_scores() -> None:
    """Huge scores give probabilities in [0, 1], no overflow warning (warnings are errors)."""
    model = _model()
    p = model.predict({"recency_score": [1e6, -1e6], "clv": [0.0, 0.0]})
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))


# ---------------------------------------------------------------- adversarial review (round 3)
def _tampered(result: Any, **changes: object) -> str:
    import json

    d = result.to_dict()
    d.update(changes)
    return json.dumps(d)


_RM = _D.fit_response_model(S, Y)
_SAMPLE = _D.rfm_test_sample(["555", "111", "555", "555", "111"], per_cell=2, rng=1)
_PLAN = _roll()
_GAINS = _D.gains_table(P, R, groups=2)
_DEPTH = _D.mailing_depth(P, **MONEY)
_CURVE = _D.cumulative_response_curve(P, R)

REVIEW: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # c / m overflowed to a break-even rate of inf (pydantic ValidationError in mailing_depth)
    (
        "be_overflow",
        lambda: _D.break_even_response_rate(1e300, 1e-300),
        ArgumentError,
        "margin_per_response",
    ),
    (
        "depth_be_overflow",
        lambda: _D.mailing_depth(P, cost_per_contact=1e300, margin_per_response=1e-300),
        ArgumentError,
        "margin_per_response",
    ),
    # expected profits overflowed (ValidationError, RuntimeWarning)
    (
        "depth_profit_overflow",
        lambda: _D.mailing_depth([0.5] * 4, cost_per_contact=0, margin_per_response=1e308),
        ArgumentError,
        "margin_per_response",
    ),
    (
        "depth_groups_overflow",
        lambda: _D.mailing_depth(
            [0.5] * 4, cost_per_contact=0, margin_per_response=1e308, groups=2
        ),
        ArgumentError,
        "margin_per_response",
    ),
    (
        "rollout_profit_overflow",
        lambda: _roll(margin_per_response=1e308, remaining=[10**15, 1]),
        ArgumentError,
        "margin_per_response",
    ),
    # 1e300 remaining customers: an invalid int64 cast (RuntimeWarning)
    ("rollout_remaining_huge", lambda: _roll(remaining=[1e300, 1]), DataError, "remaining"),
    # a second score that is constant was blamed on the first
    (
        "constant_second_score",
        lambda: _D.fit_response_model({"a": [1, 2, 3, 4], "b": [7, 7, 7, 7]}, [0, 1, 1, 0]),
        DataError,
        "b",
    ),
    # tampered results loaded: negative standard errors (to_frame divided by zero), ...
    (
        "model_se_zero",
        lambda: _D.ResponseModel.from_json(_tampered(_RM, standard_errors=[0.0, 0.0, 0.0])),
        SchemaError,
        "standard_errors",
    ),
    (
        "model_responders",
        lambda: _D.ResponseModel.from_json(_tampered(_RM, responders=10**6)),
        SchemaError,
        "responders",
    ),
    (
        "model_names",
        lambda: _D.ResponseModel.from_json(_tampered(_RM, names=["a", "recency_score", "clv"])),
        SchemaError,
        "names",
    ),
    (
        "model_ll_positive",
        lambda: _D.ResponseModel.from_json(_tampered(_RM, log_likelihood=5.0)),
        SchemaError,
        "log_likelihood",
    ),
    (
        "sample_tested",
        lambda: _D.RFMTestSample.from_json(_tampered(_SAMPLE, tested=[50, 50])),
        SchemaError,
        "tested",
    ),
    (
        "sample_cells_repeat",
        lambda: _D.RFMTestSample.from_json(_tampered(_SAMPLE, cells=["111", "111"])),
        SchemaError,
        "cells",
    ),
    (
        "plan_responses",
        lambda: _D.RolloutPlan.from_json(_tampered(_PLAN, responses=[999, 1])),
        SchemaError,
        "responses",
    ),
    (
        "plan_rate",
        lambda: _D.RolloutPlan.from_json(_tampered(_PLAN, response_rate=[0.9, 0.01])),
        SchemaError,
        "response_rate",
    ),
    (
        "plan_level",
        lambda: _D.RolloutPlan.from_json(_tampered(_PLAN, level=5.0)),
        SchemaError,
        "level",
    ),
    (
        "gains_customers",
        lambda: _D.GainsTable.from_json(_tampered(_GAINS, customers=[-1, -1])),
        SchemaError,
        "customers",
    ),
    (
        "gains_rate",
        lambda: _D.GainsTable.from_json(_tampered(_GAINS, response_rate=[5.0, 5.0])),
        SchemaError,
        "response_rate",
    ),
    (
        "curve_area",
        lambda: _D.ResponseCurve.from_json(_tampered(_CURVE, area=-1.0)),
        SchemaError,
        "area",
    ),
    (
        "depth_share",
        lambda: _D.MailingDepth.from_json(_tampered(_DEPTH, share=3.0)),
        SchemaError,
        "share",
    ),
]


@pytest.mark.parametrize(("label", "call", "error", "name"), REVIEW, ids=[c[0] for c in REVIEW])
def test_review_bad_input(
    label: str, call: Callable[[], object], error: type[Exception], name: str
) -> None:
    test_bad_input(label, call, error, name)
    if error is SchemaError:
        with pytest.raises(SchemaError) as info:
            call()
        assert info.value.key == name


def test_points_beyond_the_customers() -> None:
    """points=10**18 allocated 10**18 cells (MemoryError): the curve has one point per
    distinct prediction, here 4 (shares 1/4 .. 1 by hand)."""
    c = _D.cumulative_response_curve(P, R, points=10**18)
    assert c.share_contacted == (0.0, 0.25, 0.5, 0.75, 1.0)


@pytest.mark.parametrize("scale", [1e-200, 1e200, 1e300])
def test_response_model_scale_invariant(scale: float) -> None:
    """Scores times 1e200 were refused as collinear (1e-200 overflowed): the fit of scaled
    scores is the fit of the originals with the coefficient and its standard error divided
    by the scale (the likelihood depends on beta x only); the intercept and log-likelihood are
    unchanged. The reference is statsmodels' Logit on the unscaled scores."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(5)
    r = rng.integers(1, 6, 400).astype(float)
    y = (rng.random(400) < 1 / (1 + np.exp(3 - 0.5 * r))).astype(int)
    ref = sm.Logit(y, sm.add_constant(r)).fit(disp=0)
    m = _D.fit_response_model({"r": r * scale}, y)
    assert np.allclose(np.array(m.coefficients) * [1, scale], ref.params, rtol=1e-7)
    assert np.allclose(np.array(m.standard_errors) * [1, scale], ref.bse, rtol=1e-6)
    assert m.log_likelihood == pytest.approx(ref.llf, rel=1e-10)


def test_response_model_offset_scores() -> None:
    """Scores of 1e6 + 1..5 fit like 1..5: same slope, intercept shifted by 1e6 x slope."""
    rng = np.random.default_rng(6)
    r = rng.integers(1, 6, 400).astype(float)
    y = (rng.random(400) < 1 / (1 + np.exp(3 - 0.5 * r))).astype(int)
    a = _D.fit_response_model({"r": r}, y)
    b = _D.fit_response_model({"r": r + 1e6}, y)
    assert b.coefficients[1] == pytest.approx(a.coefficients[1], rel=1e-6)
    assert b.coefficients[0] + 1e6 * b.coefficients[1] == pytest.approx(a.coefficients[0], rel=1e-6)
