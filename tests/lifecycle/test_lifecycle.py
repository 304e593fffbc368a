"""Lifecycle: stage moves, rules, Markov estimation and value against independent computations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.errors import DataError, IllegalTransitionError
from relmark.lifecycle import (
    CRM_FUNNEL,
    FOUR_STAGES,
    KOTLER_LEVELS,
    SEVEN_STAGES,
    BackwardPolicy,
    Condition,
    CustomerStage,
    KotlerThresholds,
    Rule,
    StageModel,
    absorption,
    assign_stages,
    chain_value,
    estimate_transitions,
    forecast,
    relationship_level,
    stationary_distribution,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_built_in_models_follow_the_seeds() -> None:
    assert SEVEN_STAGES.stages[0] == "attract"
    assert SEVEN_STAGES.stages[-1] == "loyalty"
    assert len(SEVEN_STAGES.stages) == 7
    assert FOUR_STAGES.stages == ("attract", "convert", "retain", "delight")
    assert KOTLER_LEVELS.stages[-1] == "partnership"
    assert CRM_FUNNEL.stages[2] == "MQL"
    again = StageModel.model_validate_json(SEVEN_STAGES.model_dump_json())
    assert again == SEVEN_STAGES
    with pytest.raises(ValueError, match="duplicate stages"):
        StageModel(name="x", stages=("a", "a"))


def test_moves_history_and_policies() -> None:
    c = CustomerStage.start(FOUR_STAGES, "attract", at=T0)
    c = c.move("convert", at=T0 + timedelta(days=10), reason="first purchase", by="rule:first")
    c = c.move("retain", at=T0 + timedelta(days=40))
    with pytest.raises(IllegalTransitionError, match="backward"):
        c.move("convert", at=T0 + timedelta(days=50))
    assert c.move("convert", at=T0 + timedelta(days=50), backward=BackwardPolicy.IGNORE) is c
    back = c.move("convert", at=T0 + timedelta(days=50), backward=BackwardPolicy.ALLOW)
    assert back.regressions == 1
    with pytest.raises(IllegalTransitionError, match="does not allow"):
        CustomerStage.start(FOUR_STAGES, "attract", at=T0).move("delight", at=T0)
    assert c.stage_at(T0 + timedelta(days=20)) == "convert"
    assert c.stage_at(T0 - timedelta(days=1)) is None
    spent = c.time_in_stages(T0 + timedelta(days=100))
    assert spent == {
        "attract": timedelta(days=10),
        "convert": timedelta(days=30),
        "retain": timedelta(days=60),
    }
    assert c.history[0].by == "rule:first"
    with pytest.raises(DataError) as err:  # a negative time in "retain" before
        c.time_in_stages(T0 + timedelta(days=20))
    assert err.value.column == "until"
    with pytest.raises(IllegalTransitionError, match="timezone"):
        c.move("delight", at=datetime(2024, 5, 1))


def test_rules_fire_in_order_and_explain() -> None:
    rules = [
        Rule(
            name="lapsed",
            stage="attract",
            conditions=(Condition(metric="p_alive", op="<", value=0.2),),
        ),
        Rule(
            name="loyal",
            stage="loyalty",
            conditions=(
                Condition(metric="purchases", op=">=", value=5),
                Condition(metric="p_alive", op=">=", value=0.7),
            ),
        ),
    ]
    stages, fired = assign_stages(
        rules, {"purchases": [9, 9, 1], "p_alive": [0.9, 0.1, 0.5]}, default="build"
    )
    assert stages == ["loyalty", "attract", "build"]
    assert fired == ["loyal", "lapsed", None]
    with pytest.raises(DataError, match="purchases"):
        assign_stages(rules, {"p_alive": [0.5]})


def test_kotler_matrix() -> None:
    assert relationship_level(50_000, 0.05) == "basic"
    assert relationship_level(50_000, 0.2) == "reactive"
    assert relationship_level(500, 0.2) == "accountable"
    assert relationship_level(50, 0.5) == "partnership"
    custom = KotlerThresholds(overrides={("many", "low"): "reactive"})
    assert relationship_level(50_000, 0.05, custom) == "reactive"


# ---------------------------------------------------------------------------- Markov
def test_estimation_recovers_a_known_chain() -> None:
    truth = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.0, 0.0, 1.0]])
    rng = np.random.default_rng(1)
    n, periods = 3000, 8
    panel = np.empty((n, periods), dtype=int)
    panel[:, 0] = rng.integers(0, 2, n)
    for t in range(1, periods):
        u = rng.random(n)[:, None]
        panel[:, t] = (u > np.cumsum(truth[panel[:, t - 1]], axis=1)).sum(axis=1)
    panel[: n // 3, 5:] = -1  # right-censored customers
    est = estimate_transitions(panel, ["active", "lapsing", "lost"])
    np.testing.assert_allclose(est.matrix, truth, atol=0.02)
    np.testing.assert_allclose(est.matrix.sum(axis=1), 1.0)
    assert np.all((est.wilson_low <= est.matrix + 1e-12) & (est.matrix <= est.wilson_high + 1e-12))
    assert np.all(est.goodman_high - est.goodman_low >= est.wilson_high - est.wilson_low - 1e-12)


def test_prior_only_on_allowed_moves_and_empty_rows_reported() -> None:
    allowed = np.array([[True, True], [False, True]])
    est = estimate_transitions([[0, 0, 0]], ["a", "b"], prior=1.0, allowed=allowed)
    assert est.matrix[1].tolist() == [0.0, 1.0]
    assert est.matrix[0].tolist() == [0.75, 0.25]
    ml = estimate_transitions([[0, 0, 0]], ["a", "b"])
    assert ml.empty_rows == ("b",)
    with pytest.raises(DataError, match="no transitions observed out of b"):
        ml.complete()


@st.composite
def stochastic(draw: st.DrawFn) -> np.ndarray:
    k = draw(st.integers(2, 5))
    rows = [draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k)) for _ in range(k)]
    m = np.array(rows)
    out: np.ndarray = m / m.sum(axis=1, keepdims=True)
    return out


@given(stochastic(), st.floats(0.01, 0.5))
@settings(max_examples=60, deadline=None)
def test_infinite_value_is_the_limit_of_finite_sums(p: np.ndarray, d: float) -> None:
    reward = np.linspace(-1.0, 5.0, p.shape[0])
    inf = chain_value(p, reward, d)
    fin = chain_value(p, reward, d, horizon=3000)
    np.testing.assert_allclose(fin, inf, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(
        chain_value(p, reward, d, include_current=False), inf - reward, rtol=1e-12, atol=1e-12
    )


@given(stochastic(), st.integers(1, 30))
@settings(max_examples=60, deadline=None)
def test_forecasts_stay_distributions(p: np.ndarray, periods: int) -> None:
    start = np.zeros(p.shape[0])
    start[0] = 1.0
    f = forecast(p, start, periods)
    np.testing.assert_allclose(f.sum(axis=1), 1.0)
    assert np.all(f >= 0)
    pi = stationary_distribution(p)
    np.testing.assert_allclose(pi @ p, pi, atol=1e-10)


def test_chain_value_brute_force_simulation() -> None:
    """Pfeifer & Carraway's V_T against Monte Carlo paths of a two-state chain."""
    p = np.array([[0.6, 0.4], [0.1, 0.9]])
    reward = np.array([40.0, -5.0])
    d = 0.1
    rng = np.random.default_rng(2)
    paths = 200_000
    state = np.zeros(paths, dtype=int)
    total = np.zeros(paths)
    for t in range(60):
        total += reward[state] / (1 + d) ** t
        state = (rng.random(paths) > p[state, 0]).astype(int)
    assert total.mean() == pytest.approx(chain_value(p, reward, d)[0], rel=5e-3)


def test_absorbing_analysis_gamblers_ruin() -> None:
    """Gambler's ruin with fair coin on 0..4: from state i, P(ruin) = 1 - i/4 and the expected
    duration is i(4-i) (textbook results)."""
    p = np.zeros((5, 5))
    p[0, 0] = p[4, 4] = 1.0
    for i in range(1, 4):
        p[i, i - 1] = p[i, i + 1] = 0.5
    res = absorption(p)
    assert res.absorbing == (0, 4)
    np.testing.assert_allclose(res.probabilities[:, 0], [0.75, 0.5, 0.25])
    np.testing.assert_allclose(res.expected_steps, [3.0, 4.0, 3.0])
    assert np.all(res.variance_steps > 0)
    with pytest.raises(DataError, match="no absorbing state"):
        absorption(np.array([[0.5, 0.5], [0.5, 0.5]]))
    trap = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    with pytest.raises(DataError, match="not certain"):
        absorption(trap)


def test_event_log_on_a_period_grid_with_censoring() -> None:
    import pandas as pd

    from relmark.lifecycle import stage_panel

    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "date": ["2024-01-15", "2024-05-02", "2024-04-10", "2024-10-01"],
            "stage": ["attract", "convert", "attract", "retain"],
        }
    )
    censor = pd.Series({"a": "2024-09-30"})
    panel, customers, periods = stage_panel(
        events, FOUR_STAGES.stages, end="2024-12-31", censor=censor
    )
    assert customers == ["a", "b"]
    assert [str(p) for p in periods] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert panel.tolist() == [[0, 1, 1, -1], [-1, 0, 0, 2]]
    est = estimate_transitions(panel, FOUR_STAGES.stages)
    assert est.counts[0, 1] == 1  # a: attract -> convert
    assert est.counts[0, 2] == 1  # b: attract -> retain (a skip, counted as observed)


def test_base_value_and_policy_comparison() -> None:
    """Stopping the mailing to dormant customers saves its cost but loses reactivations: the
    comparison is the base value under each policy's own P and R (Pfeifer & Carraway 2000)."""
    from relmark.lifecycle import base_value, compare_policies

    mail = (
        np.array([[0.7, 0.3, 0.0], [0.3, 0.3, 0.4], [0.1, 0.0, 0.9]]),
        np.array([20.0, -2.0, -2.0]),
    )
    stop = (
        np.array([[0.7, 0.3, 0.0], [0.3, 0.3, 0.4], [0.0, 0.0, 1.0]]),
        np.array([20.0, -2.0, 0.0]),
    )
    counts = np.array([100.0, 50.0, 300.0])
    table = compare_policies({"mail": mail, "stop": stop}, counts, 0.05)
    assert table.loc["mail", "customer base"] == pytest.approx(base_value(counts, *mail, 0.05))
    # stopping: dormant customers are worth exactly 0 (absorbing, no cost, no reward)
    assert table.loc["stop", "state 2"] == pytest.approx(0.0, abs=1e-9)


def test_stationary_distribution_needs_one_closed_class() -> None:
    """Two absorbing states: every mixture is stationary, so there is no answer to give (least
    squares returned (0.5, 0.5) for the identity). One absorbing state: all mass there."""
    with pytest.raises(DataError, match="not unique"):
        stationary_distribution(np.eye(2))
    with pytest.raises(DataError, match="not unique"):
        stationary_distribution([[0.5, 0.25, 0.25], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    lost = stationary_distribution([[0.5, 0.5, 0.0], [0.2, 0.5, 0.3], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(lost, [0.0, 0.0, 1.0], atol=1e-12)


def test_kotler_level_refuses_nan_and_unknown_overrides() -> None:
    """NaN customers fell through to "medium" (accountable); an override to a level that does
    not exist was returned as is."""
    from relmark.lifecycle import KotlerThresholds, relationship_level

    for args, column in [((float("nan"), 0.2), "n_customers"), ((10, float("nan")), "unit_margin")]:
        with pytest.raises(DataError) as err:
            relationship_level(*args)
        assert err.value.column == column
    bogus = KotlerThresholds(overrides={("few", "high"): "bogus"})
    with pytest.raises(DataError) as err:
        relationship_level(40, 0.6, bogus)
    assert err.value.column == "overrides"
    assert relationship_level(40, 0.6) == "partnership"  # Kotler's matrix: few, high margin


def test_markov_values_refuse_nan_negative_horizons_and_wrong_shapes() -> None:
    """These returned NaN, zeros for a negative horizon, a raw ZeroDivisionError (d = -1),
    numpy's ValueError (a start of the wrong length) or StopIteration (no policy)."""
    from relmark.lifecycle import base_value, chain_value, compare_policies, forecast

    p = np.array([[0.8, 0.2], [0.3, 0.7]])
    r = np.array([10.0, 1.0])
    cases = [
        (lambda: forecast(p, [np.nan, 1.0], 2), "start"),
        (lambda: forecast(p, [1.0, 0.0, 0.0], 2), "start"),
        (lambda: forecast(p, [1.0, 0.0], -1), "periods"),
        (lambda: chain_value(p, [np.nan, 1.0], 0.1), "reward"),
        (lambda: chain_value(p, r, float("nan"), horizon=3), "discount_rate"),
        (lambda: chain_value(p, r, -1.0, horizon=3), "discount_rate"),
        (lambda: chain_value(p, r, 0.1, horizon=-2), "horizon"),
        (lambda: base_value([np.nan, 2.0], p, r, 0.1), "counts"),
        (lambda: compare_policies({}, [1.0, 1.0], 0.1), "policies"),
    ]
    for call, column in cases:
        with pytest.raises(DataError) as err:
            call()
        assert err.value.column == column
    # by hand: two periods from state 0
    np.testing.assert_allclose(
        forecast(p, [1.0, 0.0], 2)[2], [0.8 * 0.8 + 0.2 * 0.3, 0.8 * 0.2 + 0.2 * 0.7]
    )


def test_event_log_gaps_are_named_not_dropped() -> None:
    """Events with a missing date or customer were dropped; censoring dates of unknown
    customers ignored; an end before the data gave an empty panel."""
    import pandas as pd

    from relmark.lifecycle import stage_panel

    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": ["2024-01-15", "2024-05-02", "2024-04-10"],
            "stage": ["attract", "convert", "attract"],
        }
    )
    stages = FOUR_STAGES.stages
    cases = [
        (events.assign(date=pd.Series(["2024-01-15", None, "2024-04-10"])), {}, "date"),
        (events.assign(customer_id=pd.Series(["a", None, "b"])), {}, "customer_id"),
        (events, {"end": "2023-01-01"}, "end"),
        (events, {"end": "not a date"}, "end"),
    ]
    for frame, kwargs, column in cases:
        with pytest.raises(DataError) as err:
            stage_panel(frame, stages, **kwargs)  # type: ignore[arg-type]
        assert err.value.column == column
    with pytest.raises(DataError) as err:
        stage_panel(events, stages, censor=pd.Series({"zed": "2024-06-30"}))
    assert err.value.rows == ("zed",)


def test_stage_rule_metrics_must_be_numbers() -> None:
    """Metrics given as text ("5") were converted; a number instead of a column raised
    IndexError."""
    from relmark.lifecycle import Condition, Rule, assign_stages

    when = (Condition(metric="purchases", op=">=", value=2),)
    rules = [Rule(name="repeat buyer", stage="retain", conditions=when)]
    with pytest.raises(DataError) as err:
        assign_stages(rules, {"purchases": ["5", "0"]})
    assert err.value.column == "purchases"
    with pytest.raises(DataError) as err:
        assign_stages(rules, {"purchases": 5.0})
    assert err.value.column == "purchases"
