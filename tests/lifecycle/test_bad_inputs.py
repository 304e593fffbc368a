# mypy: disable-error-code="arg-type, list-item, dict-item, call-overload"
# (this module calls the API with deliberately ill-typed arguments)
"""Every public lifecycle function tried as an adversarial caller would.

Each case asserts the error type and that the error names the argument (``ArgumentError``,
``ParameterError``), the column (``DataError``) or the stage (``IllegalTransitionError``).
Before this module many of these crashed with numpy's or Python's own exceptions (0 periods,
naive datetimes, text), or went through silently (``backward="ignore"`` allowed the move,
``states="ab"`` was two states, NaN thresholds fell through to "medium").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from relmark.errors import (
    ArgumentError,
    DataError,
    IllegalTransitionError,
    ParameterError,
    RelmarkError,
)
from relmark.lifecycle import (
    FOUR_STAGES,
    Condition,
    CustomerStage,
    HMMParams,
    KotlerThresholds,
    Rule,
    absorption,
    assign_stages,
    base_value,
    chain_value,
    compare_policies,
    estimate_transitions,
    fit_hmm,
    forecast,
    forward_backward,
    relationship_level,
    simulate_hmm,
    stage_panel,
    stationary_distribution,
    viterbi,
)

NAN, INF = float("nan"), float("inf")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
NAIVE = datetime(2024, 3, 1)
C = CustomerStage.start(FOUR_STAGES, "attract", at=T0).move("convert", at=T0 + timedelta(days=9))
P = np.array([[0.8, 0.2], [0.3, 0.7]])
REWARD = np.array([10.0, 1.0])
PANEL = np.array([[0, 1, 1], [0, 0, 1]])
HMM = HMMParams(np.array([0.6, 0.4]), np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0.1, 0.6]))
BUYS = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
EVENTS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b"],
        "date": ["2024-01-15", "2024-05-02", "2024-04-10"],
        "stage": ["attract", "convert", "attract"],
    }
)
RULES = [
    Rule(
        name="repeat", stage="retain", conditions=(Condition(metric="purchases", op=">=", value=2),)
    )
]
CATCH_ALL = [Rule(name="all", stage="attract")]

A, D, PE, IT = ArgumentError, DataError, ParameterError, IllegalTransitionError
CASES: list[tuple[str, Callable[[], object], type[RelmarkError], str]] = [
    # ---------------------------------------------------------------- stages
    ("start at naive", lambda: CustomerStage.start(FOUR_STAGES, "attract", at=NAIVE), A, "at"),
    (
        "start at text",
        lambda: CustomerStage.start(FOUR_STAGES, "attract", at="2024-01-01"),
        A,
        "at",
    ),
    ("start unknown stage", lambda: CustomerStage.start(FOUR_STAGES, "bogus", at=T0), IT, "bogus"),
    ("start model a name", lambda: CustomerStage.start("four", "attract", at=T0), A, "model"),
    ("move at naive (TypeError)", lambda: C.move("retain", at=NAIVE), A, "at"),
    ("move at text (AttributeError)", lambda: C.move("retain", at="2024-03-01"), A, "at"),
    ("move at a date number", lambda: C.move("retain", at=20240301), A, "at"),
    (
        "move backward 'bogus' (allowed)",
        lambda: C.move("attract", at=T0 + timedelta(days=20), backward="bogus"),
        A,
        "backward",
    ),
    (
        "move backward 'Allow'",
        lambda: C.move("attract", at=T0 + timedelta(days=20), backward="Allow"),
        A,
        "backward",
    ),
    (
        "move backward True",
        lambda: C.move("attract", at=T0 + timedelta(days=20), backward=True),
        A,
        "backward",
    ),
    (
        "move reason not text",
        lambda: C.move("retain", at=T0 + timedelta(days=20), reason=5),
        A,
        "reason",
    ),
    ("move by not text", lambda: C.move("retain", at=T0 + timedelta(days=20), by=None), A, "by"),
    ("move target not text", lambda: C.move(2, at=T0 + timedelta(days=20)), A, "target"),
    ("move unknown target", lambda: C.move("bogus", at=T0 + timedelta(days=20)), IT, "bogus"),
    ("move before the current stage", lambda: C.move("retain", at=T0), IT, "before"),
    ("move skips a stage", lambda: C.move("delight", at=T0 + timedelta(days=20)), IT, "delight"),
    ("stage_at naive (TypeError)", lambda: C.stage_at(NAIVE), A, "when"),
    ("stage_at text (TypeError)", lambda: C.stage_at("2024-01-05"), A, "when"),
    ("time_in_stages naive (TypeError)", lambda: C.time_in_stages(NAIVE), A, "until"),
    (
        "time_in_stages before last move",
        lambda: C.time_in_stages(T0 + timedelta(days=2)),
        A,
        "until",
    ),
    ("time_in_stages None", lambda: C.time_in_stages(None), A, "until"),
    ("index of a number", lambda: FOUR_STAGES.index(1), IT, "1"),
    # ---------------------------------------------------------------- rules
    ("rules a single Rule", lambda: assign_stages(RULES[0], {"purchases": [1]}), A, "rules"),
    (
        "rules as dicts (AttributeError)",
        lambda: assign_stages([{"name": "x"}], {"purchases": [1]}),
        A,
        "rules",
    ),
    (
        "rules default not text",
        lambda: assign_stages(RULES, {"purchases": [1]}, default=3),
        A,
        "default",
    ),
    ("rules metrics a list", lambda: assign_stages(RULES, [[1, 2]]), A, "metrics"),
    ("rules no metric columns (no customers)", lambda: assign_stages(CATCH_ALL, {}), A, "metrics"),
    (
        "rules metrics scalar with a catch-all (TypeError)",
        lambda: assign_stages(CATCH_ALL, {"x": 5.0}),
        D,
        "x",
    ),
    ("rules metric missing", lambda: assign_stages(RULES, {"p_alive": [0.5]}), D, "purchases"),
    ("rules metric text", lambda: assign_stages(RULES, {"purchases": ["5", "0"]}), D, "purchases"),
    (
        "rules metric bool",
        lambda: assign_stages(RULES, {"purchases": [True, False]}),
        D,
        "purchases",
    ),
    (
        "rules metric scalar (IndexError)",
        lambda: assign_stages(RULES, {"purchases": 5.0}),
        D,
        "purchases",
    ),
    ("rules metric 2-d", lambda: assign_stages(RULES, {"purchases": [[1, 2]]}), D, "purchases"),
    (
        "rules metrics of different lengths",
        lambda: assign_stages(
            [
                *RULES,
                Rule(
                    name="alive",
                    stage="delight",
                    conditions=(Condition(metric="p_alive", op=">", value=0.5),),
                ),
            ],
            {"purchases": [1, 2], "p_alive": [0.5]},
        ),
        D,
        "purchases",
    ),
    # ---------------------------------------------------------------- kotler
    ("kotler customers nan", lambda: relationship_level(NAN, 0.2), A, "n_customers"),
    ("kotler customers -1", lambda: relationship_level(-1, 0.2), A, "n_customers"),
    ("kotler customers 10.5", lambda: relationship_level(10.5, 0.2), A, "n_customers"),
    ("kotler customers text (TypeError)", lambda: relationship_level("500", 0.2), A, "n_customers"),
    ("kotler customers bool", lambda: relationship_level(True, 0.2), A, "n_customers"),
    ("kotler margin nan", lambda: relationship_level(10, NAN), A, "unit_margin"),
    ("kotler margin inf", lambda: relationship_level(10, INF), A, "unit_margin"),
    (
        "kotler thresholds a dict",
        lambda: relationship_level(10, 0.2, {"many_customers": 5}),
        A,
        "thresholds",
    ),
    (
        "thresholds nan (fell through to medium)",
        lambda: KotlerThresholds(many_customers=NAN),
        A,
        "many_customers",
    ),
    ("thresholds few >= many", lambda: KotlerThresholds(few_customers=20_000), A, "few_customers"),
    ("thresholds low >= high", lambda: KotlerThresholds(low_margin=0.5), A, "low_margin"),
    ("thresholds margin text", lambda: KotlerThresholds(high_margin="40%"), A, "high_margin"),
    (
        "thresholds override unknown level",
        lambda: KotlerThresholds(overrides={("few", "high"): "bogus"}),
        A,
        "overrides",
    ),
    (
        "thresholds override unknown cell (ignored)",
        lambda: KotlerThresholds(overrides={("lots", "low"): "basic"}),
        A,
        "overrides",
    ),
    # ---------------------------------------------------------------- estimate_transitions
    ("estimate prior -1", lambda: estimate_transitions(PANEL, ["a", "b"], prior=-1.0), A, "prior"),
    ("estimate prior nan", lambda: estimate_transitions(PANEL, ["a", "b"], prior=NAN), A, "prior"),
    (
        "estimate prior text (TypeError)",
        lambda: estimate_transitions(PANEL, ["a", "b"], prior="1"),
        A,
        "prior",
    ),
    (
        "estimate prior bool",
        lambda: estimate_transitions(PANEL, ["a", "b"], prior=True),
        A,
        "prior",
    ),
    ("estimate level 1", lambda: estimate_transitions(PANEL, ["a", "b"], level=1.0), A, "level"),
    ("estimate states repeated", lambda: estimate_transitions(PANEL, ["a", "a"]), A, "states"),
    ("estimate states empty", lambda: estimate_transitions(PANEL, []), A, "states"),
    (
        "estimate states one string (two states)",
        lambda: estimate_transitions(PANEL, "ab"),
        A,
        "states",
    ),
    ("estimate states numbers", lambda: estimate_transitions(PANEL, [0, 1]), A, "states"),
    (
        "estimate panel text",
        lambda: estimate_transitions(np.array([["a", "b"]]), ["a", "b"]),
        D,
        "panel",
    ),
    ("estimate panel bool", lambda: estimate_transitions([[True, False]], ["a", "b"]), D, "panel"),
    ("estimate panel 1-d", lambda: estimate_transitions([0, 1, 1], ["a", "b"]), D, "panel"),
    ("estimate panel index 2 of 2", lambda: estimate_transitions([[0, 2]], ["a", "b"]), D, "panel"),
    ("estimate panel -2", lambda: estimate_transitions([[0, -2]], ["a", "b"]), D, "panel"),
    ("estimate panel 0.5", lambda: estimate_transitions([[0, 0.5]], ["a", "b"]), D, "panel"),
    ("estimate panel nan", lambda: estimate_transitions([[0, NAN]], ["a", "b"]), D, "panel"),
    (
        "estimate panel empty",
        lambda: estimate_transitions(np.empty((0, 3)), ["a", "b"]),
        D,
        "panel",
    ),
    (
        "estimate allowed 0.5",
        lambda: estimate_transitions(PANEL, ["a", "b"], allowed=[[0.5, 1.0], [1.0, 1.0]]),
        D,
        "allowed",
    ),
    (
        "estimate allowed text",
        lambda: estimate_transitions(PANEL, ["a", "b"], allowed=[["yes", "no"], ["no", "yes"]]),
        D,
        "allowed",
    ),
    (
        "estimate allowed wrong shape",
        lambda: estimate_transitions(PANEL, ["a", "b"], allowed=[True, True]),
        D,
        "allowed",
    ),
    (
        "estimate allowed forbids an observed move",
        lambda: estimate_transitions(PANEL, ["a", "b"], allowed=[[True, False], [True, True]]),
        D,
        "allowed",
    ),
    (
        "complete with an empty row",
        lambda: estimate_transitions([[0, 0, 0]], ["a", "b"]).complete(),
        D,
        "panel",
    ),
    # ---------------------------------------------------------------- chains
    ("forecast p not square", lambda: forecast([[0.5, 0.5]], [1.0], 2), D, "p"),
    ("forecast p empty (0 x 0)", lambda: forecast(np.empty((0, 0)), [], 2), D, "p"),
    (
        "forecast p rows do not sum to 1",
        lambda: forecast([[0.5, 0.4], [0.0, 1.0]], [1.0, 0.0], 2),
        D,
        "p",
    ),
    ("forecast p negative", lambda: forecast([[1.5, -0.5], [0.0, 1.0]], [1.0, 0.0], 2), D, "p"),
    ("forecast p nan", lambda: forecast([[NAN, 1.0], [0.0, 1.0]], [1.0, 0.0], 2), D, "p"),
    ("forecast p text", lambda: forecast([["1", "0"], ["0", "1"]], [1.0, 0.0], 2), D, "p"),
    ("forecast start nan", lambda: forecast(P, [NAN, 1.0], 2), D, "start"),
    ("forecast start wrong length", lambda: forecast(P, [1.0, 0.0, 0.0], 2), D, "start"),
    ("forecast start negative", lambda: forecast(P, [-1.0, 2.0], 2), D, "start"),
    ("forecast periods -1", lambda: forecast(P, [1.0, 0.0], -1), A, "periods"),
    ("forecast periods 2.5", lambda: forecast(P, [1.0, 0.0], 2.5), A, "periods"),
    ("forecast periods bool", lambda: forecast(P, [1.0, 0.0], True), A, "periods"),
    ("forecast periods text", lambda: forecast(P, [1.0, 0.0], "3"), A, "periods"),
    (
        "forecast periods 10**12 (MemoryError)",
        lambda: forecast(P, [1.0, 0.0], 10**12),
        A,
        "periods",
    ),
    ("stationary several closed classes", lambda: stationary_distribution(np.eye(2)), D, "p"),
    ("stationary p text", lambda: stationary_distribution("P"), D, "p"),
    ("absorption no absorbing state", lambda: absorption(P), D, "p"),
    ("absorption all absorbing (nothing to absorb)", lambda: absorption(np.eye(2)), D, "p"),
    ("absorption not certain", lambda: absorption([[1, 0, 0], [0, 0, 1], [0, 1, 0]]), D, "p"),
    ("value reward nan", lambda: chain_value(P, [NAN, 1.0], 0.1), D, "reward"),
    ("value reward wrong length", lambda: chain_value(P, [1.0], 0.1), D, "reward"),
    ("value reward bool", lambda: chain_value(P, [True, False], 0.1), D, "reward"),
    ("value discount nan", lambda: chain_value(P, REWARD, NAN, horizon=3), A, "discount_rate"),
    (
        "value discount -1 (ZeroDivisionError)",
        lambda: chain_value(P, REWARD, -1.0, horizon=3),
        A,
        "discount_rate",
    ),
    ("value discount text (TypeError)", lambda: chain_value(P, REWARD, "5%"), A, "discount_rate"),
    ("value discount bool", lambda: chain_value(P, REWARD, True), A, "discount_rate"),
    ("value discount 0 infinite horizon", lambda: chain_value(P, REWARD, 0.0), A, "discount_rate"),
    (
        "value discount 1e-300 (singular solve)",
        lambda: chain_value(P, REWARD, 1e-300),
        A,
        "discount_rate",
    ),
    ("value horizon -2", lambda: chain_value(P, REWARD, 0.1, horizon=-2), A, "horizon"),
    ("value horizon 1.5", lambda: chain_value(P, REWARD, 0.1, horizon=1.5), A, "horizon"),
    (
        "value horizon 10**12 (runs for ever)",
        lambda: chain_value(P, REWARD, 0.1, horizon=10**12),
        A,
        "horizon",
    ),
    (
        "value include_current 'yes'",
        lambda: chain_value(P, REWARD, 0.1, include_current="no"),
        A,
        "include_current",
    ),
    ("value overflows (inf)", lambda: chain_value([[1.0]], [1e308], 0.5), D, "reward"),
    (
        "value overflows, finite horizon",
        lambda: chain_value([[1.0]], [1e308], 0.5, horizon=3),
        D,
        "reward",
    ),
    (
        "base value overflows",
        lambda: base_value([1e308, 1.0], np.eye(2), [10.0, 1.0], 0.1, horizon=1),
        D,
        "counts",
    ),
    ("base counts nan", lambda: base_value([NAN, 2.0], P, REWARD, 0.1), D, "counts"),
    ("base counts negative", lambda: base_value([-1.0, 2.0], P, REWARD, 0.1), D, "counts"),
    ("base counts wrong length", lambda: base_value([1.0], P, REWARD, 0.1), D, "counts"),
    (
        "policies empty (StopIteration)",
        lambda: compare_policies({}, [1.0, 1.0], 0.1),
        A,
        "policies",
    ),
    ("policies a list", lambda: compare_policies([(P, REWARD)], [1.0, 1.0], 0.1), A, "policies"),
    (
        "policies not a pair (ValueError)",
        lambda: compare_policies({"x": (P,)}, [1.0, 1.0], 0.1),
        A,
        "policies",
    ),
    (
        "policies bad matrix named",
        lambda: compare_policies({"x": (P * 2, REWARD)}, [1.0, 1.0], 0.1),
        D,
        "p",
    ),
    (
        "policies different sizes",
        lambda: compare_policies({"x": (P, REWARD), "y": (np.eye(1), [1.0])}, [1.0, 1.0], 0.1),
        A,  # was a DataError naming "counts", compared with the second policy's one state
        "policies",
    ),
    # ---------------------------------------------------------------- stage_panel
    (
        "panel events a dict",
        lambda: stage_panel({"customer_id": ["a"]}, FOUR_STAGES.stages),
        A,
        "events",
    ),
    ("panel states one string", lambda: stage_panel(EVENTS, "attract"), A, "states"),
    (
        "panel freq 'X' (ValueError)",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, freq="X"),
        A,
        "freq",
    ),
    ("panel freq number", lambda: stage_panel(EVENTS, FOUR_STAGES.stages, freq=3), A, "freq"),
    (
        "panel end before the data",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, end="2023-01-01"),
        A,
        "end",
    ),
    (
        "panel end not a date",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, end="not a date"),
        A,
        "end",
    ),
    ("panel end a number", lambda: stage_panel(EVENTS, FOUR_STAGES.stages, end=2024), A, "end"),
    (
        "panel censor a dict",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, censor={"a": "2024-06-30"}),
        A,
        "censor",
    ),
    (
        "panel censor a stranger",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, censor=pd.Series({"zed": "2024-06-30"})),
        D,
        "censor",
    ),
    (
        "panel censor unreadable (ValueError)",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, censor=pd.Series({"a": "soon"})),
        D,
        "censor",
    ),
    (
        "panel censor missing date",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, censor=pd.Series({"a": None})),
        D,
        "censor",
    ),
    (
        "panel missing column",
        lambda: stage_panel(EVENTS.drop(columns="date"), FOUR_STAGES.stages),
        D,
        "date",
    ),
    ("panel no events", lambda: stage_panel(EVENTS.iloc[:0], FOUR_STAGES.stages), D, "stage"),
    (
        "panel unknown stage",
        lambda: stage_panel(EVENTS.assign(stage=["attract", "won", "attract"]), FOUR_STAGES.stages),
        D,
        "stage",
    ),
    (
        "panel stage None (TypeError in sort)",
        lambda: stage_panel(EVENTS.assign(stage=["attract", None, "attract"]), FOUR_STAGES.stages),
        D,
        "stage",
    ),
    (
        "panel missing date",
        lambda: stage_panel(
            EVENTS.assign(date=["2024-01-15", None, "2024-04-10"]), FOUR_STAGES.stages
        ),
        D,
        "date",
    ),
    (
        "panel unreadable date",
        lambda: stage_panel(
            EVENTS.assign(date=["2024-01-15", "soon", "2024-04-10"]), FOUR_STAGES.stages
        ),
        D,
        "date",
    ),
    (
        "panel missing id",
        lambda: stage_panel(EVENTS.assign(customer_id=["a", None, "b"]), FOUR_STAGES.stages),
        D,
        "customer_id",
    ),
    (
        "panel stages as indices, not names",
        lambda: stage_panel(EVENTS.assign(stage=[0, 1, 0]), FOUR_STAGES.stages),
        D,
        "stage",
    ),
    (
        "panel column name not text (TypeError)",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, customer_id=0),
        A,
        "customer_id",
    ),
    (
        "panel date column None",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, date=None),
        A,
        "date",
    ),
    (
        "panel stage column a list",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, stage=[1]),
        A,
        "stage",
    ),
    (
        "fit n_starts 10**15 (runs for ever)",
        lambda: fit_hmm(BUYS, n_starts=10**15, rng=1),
        A,
        "n_starts",
    ),
    # ---------------------------------------------------------------- HMM
    ("hmm params pi text", lambda: HMMParams([0.5, "x"], HMM.Q, HMM.theta), PE, "pi"),
    (
        "hmm params pi not summing to 1",
        lambda: HMMParams(np.array([0.5, 0.4]), HMM.Q, HMM.theta),
        PE,
        "pi",
    ),
    (
        "hmm params pi negative",
        lambda: HMMParams(np.array([1.5, -0.5]), HMM.Q, HMM.theta),
        PE,
        "pi",
    ),
    (
        "hmm params pi empty",
        lambda: HMMParams(np.array([]), np.empty((0, 0)), np.array([])),
        PE,
        "pi",
    ),
    ("hmm params Q wrong shape", lambda: HMMParams(HMM.pi, np.eye(3), HMM.theta), PE, "Q"),
    (
        "hmm params Q negative",
        lambda: HMMParams(HMM.pi, np.array([[1.5, -0.5], [0.0, 1.0]]), HMM.theta),
        PE,
        "Q",
    ),
    (
        "hmm params Q nan",
        lambda: HMMParams(HMM.pi, np.array([[NAN, 1.0], [0.0, 1.0]]), HMM.theta),
        PE,
        "Q",
    ),
    ("hmm params theta nan", lambda: HMMParams(HMM.pi, HMM.Q, np.array([NAN, 0.5])), PE, "theta"),
    ("hmm params theta 1", lambda: HMMParams(HMM.pi, HMM.Q, np.array([0.2, 1.0])), PE, "theta"),
    (
        "hmm params theta wrong length",
        lambda: HMMParams(HMM.pi, HMM.Q, np.array([0.2])),
        PE,
        "theta",
    ),
    (
        "hmm params theta bool",
        lambda: HMMParams(HMM.pi, HMM.Q, np.array([True, False])),
        PE,
        "theta",
    ),
    ("fb params not HMMParams", lambda: forward_backward({"pi": [1.0]}, BUYS), A, "params"),
    ("fb purchases 2", lambda: forward_backward(HMM, [[0, 2, 1]]), D, "purchases"),
    ("fb purchases 0 periods", lambda: forward_backward(HMM, np.empty((2, 0))), D, "purchases"),
    ("fb purchases 1-d", lambda: forward_backward(HMM, [0, 1, 1]), D, "purchases"),
    (
        "fb purchases ragged (ValueError)",
        lambda: forward_backward(HMM, [[0, 1], [1]]),
        D,
        "purchases",
    ),
    ("fb purchases text", lambda: forward_backward(HMM, [["0", "1"]]), D, "purchases"),
    ("viterbi 0 periods", lambda: viterbi(HMM, np.empty((3, 0))), D, "purchases"),
    ("viterbi 0 customers", lambda: viterbi(HMM, np.empty((0, 4))), D, "purchases"),
    (
        "viterbi purchases -5 (read as unobserved)",
        lambda: viterbi(HMM, [[1.0, -5.0]]),
        D,
        "purchases",
    ),
    ("viterbi params None", lambda: viterbi(None, BUYS), A, "params"),
    ("fit 0 periods", lambda: fit_hmm(np.empty((3, 0)), rng=1), D, "purchases"),
    ("fit 1 period (0/0 in Q)", lambda: fit_hmm(np.array([[1.0], [0.0]]), rng=1), D, "purchases"),
    ("fit purchases inf", lambda: fit_hmm(np.array([[1.0, INF, 0.0]]), rng=1), D, "purchases"),
    ("fit nothing observed", lambda: fit_hmm(np.full((3, 4), NAN), rng=1), D, "purchases"),
    ("fit k 0", lambda: fit_hmm(BUYS, k=0, rng=1), A, "k"),
    ("fit k numpy 2.5", lambda: fit_hmm(BUYS, k=np.float64(2.5), rng=1), A, "k"),
    ("fit k 1000 (MemoryError)", lambda: fit_hmm(BUYS, k=1000, rng=1), A, "k"),
    ("fit k bool", lambda: fit_hmm(BUYS, k=True, rng=1), A, "k"),
    ("fit n_starts 0 (assert)", lambda: fit_hmm(BUYS, n_starts=0, rng=1), A, "n_starts"),
    ("fit max_iter -1", lambda: fit_hmm(BUYS, max_iter=-1, rng=1), A, "max_iter"),
    ("fit tol nan (never stops)", lambda: fit_hmm(BUYS, tol=NAN, rng=1), A, "tol"),
    ("fit tol negative", lambda: fit_hmm(BUYS, tol=-1e-3, rng=1), A, "tol"),
    ("fit tol text (TypeError)", lambda: fit_hmm(BUYS, tol="small", rng=1), A, "tol"),
    ("fit rng text (TypeError)", lambda: fit_hmm(BUYS, rng="seed"), A, "rng"),
    ("simulate 0 periods (IndexError)", lambda: simulate_hmm(HMM, 5, 0, rng=1), A, "n_periods"),
    (
        "simulate -1 customers (ValueError)",
        lambda: simulate_hmm(HMM, -1, 4, rng=1),
        A,
        "n_customers",
    ),
    (
        "simulate 2.5 customers (TypeError)",
        lambda: simulate_hmm(HMM, 2.5, 4, rng=1),
        A,
        "n_customers",
    ),
    (
        "simulate too many to hold (MemoryError)",
        lambda: simulate_hmm(HMM, 10**9, 10**9, rng=1),
        A,
        "n_customers",
    ),
    ("simulate rng -3", lambda: simulate_hmm(HMM, 5, 4, rng=-3), A, "rng"),
    ("simulate params not HMMParams", lambda: simulate_hmm("hmm", 5, 4), A, "params"),
]


@pytest.mark.parametrize(
    ("call", "kind", "name"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_a_typed_error_naming_what_is_wrong(
    call: Callable[[], object], kind: type[RelmarkError], name: str
) -> None:
    with pytest.raises(RelmarkError) as err:
        call()
    assert type(err.value) is kind, f"{type(err.value).__name__}: {err.value}"
    if isinstance(err.value, ArgumentError):
        assert err.value.argument == name
        assert str(err.value).startswith(f"argument {name!r}: ")
    elif isinstance(err.value, DataError):
        assert err.value.column == name
        assert f"column {name!r}" in str(err.value)
    else:  # an illegal move names the stage or the time at fault
        assert name in str(err.value)


def test_offending_rows_and_policies_are_named() -> None:
    with pytest.raises(DataError) as err:
        estimate_transitions([[0, 1], [0, 5], [1, 1], [0, 0.5]], ["a", "b"])
    assert err.value.rows == (1, 3)
    with pytest.raises(DataError) as err:
        forecast([[0.5, 0.5], [0.2, 0.2]], [1.0, 0.0], 1)
    assert err.value.rows == (1,)
    with pytest.raises(DataError) as err:
        stage_panel(EVENTS.assign(stage=["attract", "won", "lost"]), FOUR_STAGES.stages)
    assert err.value.rows == (1, 2)
    assert "['lost', 'won']" in str(err.value)
    with pytest.raises(DataError, match="policy 'stop'") as err:
        compare_policies({"mail": (P, REWARD), "stop": (P, [1.0, NAN])}, [1.0, 1.0], 0.1)
    assert err.value.column == "reward"
    with pytest.raises(DataError) as err:
        viterbi(HMM, [[0, 1], [1, 1], [0, 3]])
    assert err.value.rows == (2,)
    with pytest.raises(DataError) as err:
        estimate_transitions([[0, 0, 0]], ["a", "b"]).complete()
    assert err.value.rows == ("b",)


def test_backward_policies_given_as_json_strings_behave_like_the_enum() -> None:
    """``backward="ignore"`` compared by identity with the enum and fell through to *allow*."""
    later = T0 + timedelta(days=20)
    assert C.move("attract", at=later, backward="ignore") is C
    with pytest.raises(IllegalTransitionError, match="backward"):
        C.move("attract", at=later, backward="reject")
    assert C.move("attract", at=later, backward="allow").regressions == 1


def test_stage_histories_loaded_from_json_must_agree() -> None:
    """A history that ends elsewhere than the current stage, or out of time order, loaded."""
    from pydantic import ValidationError

    data = C.model_dump(mode="json")
    for change in (
        {"stage": "retain"},
        {"since": (T0 + timedelta(days=30)).isoformat()},
        {"history": [*data["history"], {**data["history"][0], "source": "retain"}]},
        {"history": [{**data["history"][0], "at": (T0 - timedelta(days=1)).isoformat()}]},
    ):
        with pytest.raises(ValidationError):
            CustomerStage.model_validate({**data, **change})
    assert CustomerStage.model_validate_json(C.model_dump_json()) == C


def test_valid_extremes_give_finite_correct_answers() -> None:
    assert forecast(P, [1.0, 0.0], 0).tolist() == [[1.0, 0.0]]
    np.testing.assert_allclose(chain_value(P, REWARD, 0.0, horizon=0), REWARD)
    assert chain_value([[1.0]], [1.0], 1e-9)[0] == pytest.approx(1e9 + 1, rel=1e-6)
    assert stationary_distribution([[1.0]]).tolist() == [1.0]
    est = estimate_transitions([[0, -1, -1]], ["a", "b"])  # no transition at all: all empty
    assert est.empty_rows == ("a", "b")
    assert relationship_level(0, -0.5) == "accountable"  # few customers, a loss: low margin
    # a level a hair below 1: z = 8.3, not inf (norm.ppf(1 - 5e-17) rounds to inf)
    wide = estimate_transitions(PANEL, ["a", "b"], level=1 - 1e-16)
    assert np.isfinite(wide.wilson_low).all() and np.isfinite(wide.goodman_high).all()
    states, buys = simulate_hmm(HMM, 1, 1, rng=1)
    assert states.shape == buys.shape == (1, 1)
    one_state, ll = fit_hmm(np.array([[1.0, 0.0, 1.0, 1.0]]), k=1, rng=1)
    assert one_state.theta[0] == pytest.approx(0.75)
    assert ll == pytest.approx(3 * np.log(0.75) + np.log(0.25))


# --- regressions from the r4 adversarial catalogue -------------------------------------------
from relmark.lifecycle import SEVEN_STAGES, StageModel  # noqa: E402

SEVEN = CustomerStage.start(SEVEN_STAGES, "attract", at=T0).move("establish", at=T0)
LOST_MODEL = StageModel(name="t", stages=("a", "b", "lost"), terminal=("lost",))

R4_CASES: list[tuple[str, Callable[[], object], type[RelmarkError], str]] = [
    # Excel serial days were read as nanoseconds since 1970: every event in 1970Q1
    (
        "panel numeric dates",
        lambda: stage_panel(EVENTS.assign(date=[45306, 45414, 45392]), FOUR_STAGES.stages),
        D,
        "date",
    ),
    (
        "panel numeric dates in an object column",
        lambda: stage_panel(
            EVENTS.assign(date=pd.Series(["2024-01-15", 45414, "2024-04-10"], dtype=object)),
            FOUR_STAGES.stages,
        ),
        D,
        "date",
    ),
    (
        "panel numeric censoring dates",
        lambda: stage_panel(EVENTS, FOUR_STAGES.stages, censor=pd.Series({"a": 45352})),
        D,
        "censor",
    ),
    (
        "panel naive mixed with aware",
        lambda: stage_panel(
            EVENTS.assign(
                date=pd.Series(
                    [
                        datetime(2024, 1, 15),
                        datetime(2024, 5, 2, tzinfo=UTC),
                        datetime(2024, 4, 10, tzinfo=UTC),
                    ],
                    dtype=object,
                )
            ),
            FOUR_STAGES.stages,
        ),
        D,
        "date",
    ),
    # an estimate with a prior of 1e308 overflowed (RuntimeWarning, NaN matrix)
    (
        "estimate prior 1e308",
        lambda: estimate_transitions(PANEL, ["a", "b"], prior=1e308),
        A,
        "prior",
    ),
    # 2000 states x 10**6 periods: 16 GB and a matrix product per period (a hang)
    (
        "forecast too many numbers",
        lambda: forecast(np.full((2000, 2000), 1 / 2000), np.ones(2000), 10**6),
        A,
        "periods",
    ),
    # EM with tol=0 and max_iter=10**18 never ended
    ("fit max_iter 10**18", lambda: fit_hmm(BUYS, 2, max_iter=10**18, tol=0.0), A, "max_iter"),
    # 2 customers x 10**14 periods named n_customers; 10**10 x 10**10 raised numpy's ValueError
    ("simulate too many periods", lambda: simulate_hmm(HMM, 2, 10**14), A, "n_periods"),
    ("simulate beyond intp", lambda: simulate_hmm(HMM, 10**10, 10**11), A, "n_periods"),
    ("simulate too many customers", lambda: simulate_hmm(HMM, 10**11, 10), A, "n_customers"),
]


@pytest.mark.parametrize(
    ("call", "kind", "name"), [c[1:] for c in R4_CASES], ids=[c[0] for c in R4_CASES]
)
def test_r4_bad_input_is_a_typed_error(
    call: Callable[[], object], kind: type[RelmarkError], name: str
) -> None:
    test_bad_input_is_a_typed_error_naming_what_is_wrong(call, kind, name)


def test_r4_stage_models_refuse_coercion() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="allow_skip"):  # "yes" was read as True
        StageModel(name="x", stages=("a", "b"), allow_skip="yes")
    with pytest.raises(ValidationError, match="stages"):  # an empty stage name was accepted
        StageModel(name="x", stages=("", "b"))


def test_r4_tampered_histories_are_refused() -> None:
    """Histories no sequence of ``move`` calls can produce loaded from JSON."""
    from pydantic import ValidationError

    data = SEVEN.model_dump(mode="json")
    move = data["history"][0]
    tampered = [
        # a skip the seven-stage model forbids (attract -> build)
        {**data, "stage": "build", "history": [{**move, "target": "build"}]},
        # a move to the same stage
        {**data, "stage": "attract", "history": [{**move, "target": "attract"}]},
        # no recorded move, yet in the stage since later than the start
        {**data, "history": [], "since": (T0 + timedelta(days=3)).isoformat()},
    ]
    lost = CustomerStage.start(LOST_MODEL, "a", at=T0).move("b", at=T0).move("lost", at=T0)
    out = lost.model_dump(mode="json")
    # a move out of a terminal stage (move() refuses it even with backward="allow")
    leave = {"source": "lost", "target": "a", "at": T0.isoformat(), "reason": "", "by": ""}
    tampered.append({**out, "stage": "a", "history": [*out["history"], leave]})
    for bad in tampered:
        with pytest.raises(ValidationError, match=r"history|since"):
            CustomerStage.model_validate(bad)
    # what move() can produce still loads, backward moves included
    back = SEVEN.move("attract", at=T0 + timedelta(days=1), backward="allow")
    assert CustomerStage.model_validate_json(back.model_dump_json()) == back
    assert CustomerStage.model_validate_json(lost.model_dump_json()) == lost


def test_r4_compare_policies_names_the_state_mismatch_before_counts() -> None:
    with pytest.raises(ArgumentError) as err:
        compare_policies({"a": (np.eye(2), [1, 1]), "b": (np.eye(3), [1, 1, 1])}, [1, 1], 0.1)
    assert err.value.argument == "policies"


def test_r4_valid_inputs_that_were_refused_or_imprecise() -> None:
    # ISO dates with +01:00 in winter and +02:00 in summer: converted to UTC (were refused)
    offsets = EVENTS.assign(
        date=["2024-01-15T00:00+01:00", "2024-05-02T00:00+02:00", "2024-04-10T00:00+02:00"]
    )
    panel, customers, periods = stage_panel(offsets, FOUR_STAGES.stages)
    assert customers == ["a", "b"]
    assert [str(p) for p in periods] == ["2024Q1", "2024Q2"]
    assert panel.tolist() == [[0, 1], [-1, 0]]
    # one timezone: its wall clock, without pandas' "drop timezone" UserWarning
    aware = EVENTS.assign(date=pd.to_datetime(EVENTS.date).dt.tz_localize("Europe/Paris"))
    assert stage_panel(aware, FOUR_STAGES.stages)[0].tolist() == [[0, 1], [-1, 0]]
    # end as a datetime or a date (was refused: only text, Timestamp or Period)
    for end in (datetime(2024, 12, 31), datetime(2024, 12, 31, tzinfo=UTC)):
        assert stage_panel(EVENTS, FOUR_STAGES.stages, end=end)[0].shape == (2, 4)
    assert stage_panel(EVENTS, FOUR_STAGES.stages, end=T0.date())[0].shape == (2, 1)
    # states from an array (events["stage"].unique()) are names, as a list is
    est = estimate_transitions(PANEL, np.array(["a", "b"]))
    assert est.states == ("a", "b")
    # interval ends are exact: 0 for a count of 0, 1 for a count equal to its row's total
    est = estimate_transitions([[0, 1, 1, 1]], ["a", "b"])
    assert est.wilson_low[0, 0] == 0.0 and est.goodman_low[0, 0] == 0.0
    assert est.wilson_high[1, 1] == 1.0 and est.goodman_high[1, 1] == 1.0
    assert est.wilson_high[0, 1] == 1.0 and est.goodman_high[0, 1] == 1.0
    # nearly reducible: two states exchanging with probability 1e-12 share the long run equally
    # by symmetry (least squares gave 0.49998 / 0.50002)
    eps = 1e-12
    pi = stationary_distribution([[1 - eps, eps], [eps, 1 - eps]])
    assert pi.tolist() == pytest.approx([0.5, 0.5], abs=1e-14)
    # a two-state chain's stationary share is q/(p+q) (closed form)
    pi = stationary_distribution([[1 - 1e-9, 1e-9], [3e-9, 1 - 3e-9]])
    assert pi.tolist() == pytest.approx([0.75, 0.25], rel=1e-12)
    # a tiny discount rate: V = (1+d)/d r for one state that stays (1/(1+d) rounded to 9.0e14)
    assert chain_value([[1.0]], [1.0], 1e-15)[0] == pytest.approx((1 + 1e-15) / 1e-15, rel=1e-12)
    # a long horizon over many states: the closed form sum_t (1+d)^-t r for a stochastic P with
    # the same reward everywhere (the loop of 10**6 matrix products did not finish)
    many = np.full((300, 300), 1 / 300)
    value = chain_value(many, np.ones(300), 0.1, horizon=10**6)
    assert value == pytest.approx(np.full(300, 1.1 / 0.1), rel=1e-12)
    two = chain_value(P, REWARD, 0.05, horizon=10**6, include_current=False)
    infinite = chain_value(P, REWARD, 0.05, include_current=False)
    assert two == pytest.approx(infinite, rel=1e-12)


def test_r4_hmm_refuses_inputs_too_large_to_hold() -> None:
    """10**6 customers x 10**3 periods x 20 states needed 160 GB per pass (a MemoryError, or
    the machine swapping); refused before any array of that size (a broadcast view costs
    nothing to pass)."""
    big = np.broadcast_to(0.0, (10**6, 10**3))
    for call in (
        lambda: forward_backward(HMM, big),
        lambda: viterbi(HMM, big),
        lambda: fit_hmm(big, 20),
    ):
        with pytest.raises(DataError) as err:
            call()
        assert err.value.column == "purchases"


def test_r4_rules_refuse_series_with_different_indexes() -> None:
    """Two Series from different tables were paired by position: customer "a"'s purchases
    with customer "b"'s tenure."""
    two = [
        Rule(
            name="r",
            stage="retain",
            conditions=(
                Condition(metric="purchases", op=">", value=0),
                Condition(metric="tenure", op=">", value=0),
            ),
        )
    ]
    metrics = {
        "purchases": pd.Series([1, -1], index=["a", "b"]),
        "tenure": pd.Series([-1, 1], index=["b", "a"]),
    }
    with pytest.raises(DataError) as err:
        assign_stages(two, metrics)
    assert err.value.column == "tenure"
    aligned = {"purchases": metrics["purchases"], "tenure": metrics["tenure"].loc[["a", "b"]]}
    assert assign_stages(two, aligned)[0] == ["retain", None]


def test_r4_stage_panel_refuses_a_grid_too_large_before_building_it() -> None:
    """Minutes until 2300 (146 million periods) built a dict of every period and did not end;
    the size is now known from the ends and refused at once, naming ``end``."""
    with pytest.raises(ArgumentError) as err:
        stage_panel(EVENTS, FOUR_STAGES.stages, end="2300-01-01", freq="min")
    assert err.value.argument == "end"
    # positions on a grid of multiples ("5D") and censoring before the first period
    panel, _, periods = stage_panel(
        EVENTS, FOUR_STAGES.stages, freq="5D", censor=pd.Series({"b": "2023-01-01"})
    )
    assert len(periods) == (pd.Timestamp("2024-05-02") - pd.Timestamp("2024-01-15")).days // 5 + 1
    assert (panel[1] == -1).all()
    first = pd.Period("2024-01-15", "5D")
    assert panel[0, (pd.Period("2024-05-02", "5D").ordinal - first.ordinal) // 5] == 1


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.lifecycle.strategies import stochastic  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(stochastic(max_states=6), st.integers(64, 3000), st.floats(0.0, 0.5))
def test_r4_long_horizon_doubling_equals_the_sum_of_powers(
    p: np.ndarray, horizon: int, rate: float
) -> None:
    """The doubling path of chain_value (long horizons, many states) against the definition
    sum_t (1+d)^-t P^t R computed term by term with matrix powers."""
    k = p.shape[0]
    reward = np.arange(1.0, k + 1.0)
    from relmark.lifecycle.markov import _discounted_sum

    expected = np.zeros(k)
    term = reward.copy()
    for _ in range(horizon + 1):
        expected += term
        term = (p @ term) / (1.0 + rate)
    got = _discounted_sum(p / (1.0 + rate), reward, horizon + 1)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(stochastic(max_states=6), st.floats(1e-12, 1e-3))
def test_r4_stationary_distribution_of_nearly_reducible_chains(p: np.ndarray, eps: float) -> None:
    """Block-diagonal chains joined by a leak of ``eps``: pi P = pi to round-off relative to
    each share (least squares lost digits as eps shrank)."""
    k = p.shape[0]
    big = np.zeros((2 * k, 2 * k))
    big[:k, :k] = p * (1 - eps)
    big[k:, k:] = p * (1 - eps)
    big[:k, k:] = eps / k
    big[k:, :k] = eps / k
    pi = stationary_distribution(big)
    assert pi.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(pi @ big, pi, rtol=1e-9, atol=0)
    # by symmetry the two blocks share the long run equally
    assert pi[:k].sum() == pytest.approx(0.5, abs=1e-9)


def test_r4_stage_model_refuses_extra_moves_out_of_terminal_stages() -> None:
    """An extra move out of a terminal stage was accepted and then never allowed."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="terminal"):
        StageModel(name="x", stages=("a", "lost"), terminal=("lost",), extra_moves=(("lost", "a"),))
