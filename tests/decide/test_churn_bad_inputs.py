"""Bad inputs to the churn and cohort functions: each raises a relmark error naming the
argument or column (no raw numpy/pandas errors, no NaN out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import relmark.decide
from relmark.clv import BGNBD, ParetoNBD
from relmark.data import summarize
from relmark.errors import ArgumentError, DataError

_D: Any = relmark.decide  # untyped: the cases pass what the signatures forbid
choose_churn_threshold = _D.choose_churn_threshold
churn_by_inactivity = _D.churn_by_inactivity
churn_by_p_alive = _D.churn_by_p_alive
churn_threshold_from_holdout = _D.churn_threshold_from_holdout
cohort_table = _D.cohort_table
holdout_churned = _D.holdout_churned
next_purchase_probability = _D.next_purchase_probability
next_purchase_time = _D.next_purchase_time
M = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)

P = [0.1, 0.5, 0.9]
Y = [True, False, False]
LOG = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b"],
        "date": ["2024-01-05", "2024-02-07", "2024-02-01"],
        "amount": [1.0, 2.0, 3.0],
    }
)


class _NoPAlive:
    pass


class _Model:
    def p_alive(self, frequency: Any, recency: Any, T: Any) -> Any:
        return np.full(np.shape(frequency), 0.5)


def _summary() -> Any:
    return summarize(LOG)


CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # choose_churn_threshold: arguments
    (
        "criterion",
        lambda: choose_churn_threshold(P, Y, criterion="auc"),
        ArgumentError,
        "criterion",
    ),
    (
        "cost_fp_negative",
        lambda: choose_churn_threshold(P, Y, cost_false_positive=-1),
        ArgumentError,
        "cost_false_positive",
    ),
    (
        "cost_fp_nan",
        lambda: choose_churn_threshold(P, Y, cost_false_positive=float("nan")),
        ArgumentError,
        "cost_false_positive",
    ),
    (
        "cost_fn_text",
        lambda: choose_churn_threshold(P, Y, cost_false_negative="3"),
        ArgumentError,
        "cost_false_negative",
    ),
    (
        "cost_fn_bool",
        lambda: choose_churn_threshold(P, Y, cost_false_negative=True),
        ArgumentError,
        "cost_false_negative",
    ),
    (
        "costs_both_zero",
        lambda: choose_churn_threshold(
            P, Y, criterion="cost", cost_false_positive=0, cost_false_negative=0
        ),
        ArgumentError,
        "cost_false_negative",
    ),
    (
        "thresholds_above_one",
        lambda: choose_churn_threshold(P, Y, thresholds=[0.5, 1.5]),
        ArgumentError,
        "thresholds",
    ),
    (
        "thresholds_nan",
        lambda: choose_churn_threshold(P, Y, thresholds=[np.nan]),
        ArgumentError,
        "thresholds",
    ),
    (
        "thresholds_empty",
        lambda: choose_churn_threshold(P, Y, thresholds=[]),
        ArgumentError,
        "thresholds",
    ),
    (
        "thresholds_text",
        lambda: choose_churn_threshold(P, Y, thresholds=["0.5"]),
        ArgumentError,
        "thresholds",
    ),
    (
        "thresholds_2d",
        lambda: choose_churn_threshold(P, Y, thresholds=[[0.1, 0.2]]),
        ArgumentError,
        "thresholds",
    ),
    # choose_churn_threshold: data
    ("p_alive_nan", lambda: choose_churn_threshold([0.1, np.nan, 0.3], Y), DataError, "p_alive"),
    ("p_alive_above_one", lambda: choose_churn_threshold([0.1, 1.2, 0.3], Y), DataError, "p_alive"),
    ("p_alive_negative", lambda: choose_churn_threshold([0.1, -0.2, 0.3], Y), DataError, "p_alive"),
    (
        "p_alive_text",
        lambda: choose_churn_threshold(["0.1", "0.2", "0.3"], Y),
        DataError,
        "p_alive",
    ),
    ("p_alive_empty", lambda: choose_churn_threshold([], []), DataError, "p_alive"),
    ("churned_ints", lambda: choose_churn_threshold(P, [1, 0, 0]), DataError, "churned"),
    ("churned_length", lambda: choose_churn_threshold(P, [True, False]), DataError, "churned"),
    # churn_by_p_alive
    ("threshold_above_one", lambda: churn_by_p_alive(P, threshold=1.5), ArgumentError, "threshold"),
    ("threshold_none", lambda: churn_by_p_alive(P, threshold=None), ArgumentError, "threshold"),
    ("p_alive_inf", lambda: churn_by_p_alive([np.inf], threshold=0.5), DataError, "p_alive"),
    # churn_by_inactivity
    (
        "periods_zero",
        lambda: churn_by_inactivity([1.0], [2.0], periods=0),
        ArgumentError,
        "periods",
    ),
    (
        "periods_inf",
        lambda: churn_by_inactivity([1.0], [2.0], periods=np.inf),
        ArgumentError,
        "periods",
    ),
    (
        "recency_negative",
        lambda: churn_by_inactivity([-1.0], [2.0], periods=1),
        DataError,
        "recency",
    ),
    ("recency_nan", lambda: churn_by_inactivity([np.nan], [2.0], periods=1), DataError, "recency"),
    ("T_below_recency", lambda: churn_by_inactivity([3.0], [2.0], periods=1), DataError, "T"),
    ("T_length", lambda: churn_by_inactivity([1.0, 2.0], [2.0], periods=1), DataError, "T"),
    ("T_text", lambda: churn_by_inactivity([1.0], ["2"], periods=1), DataError, "T"),
    # holdout_churned / churn_threshold_from_holdout
    ("summary_not_summary", lambda: holdout_churned({"frequency": [1]}), ArgumentError, "summary"),
    ("summary_no_holdout", lambda: holdout_churned(_summary()), DataError, "frequency_holdout"),
    (
        "model_without_p_alive",
        lambda: churn_threshold_from_holdout(_NoPAlive(), _summary()),
        ArgumentError,
        "model",
    ),
    (
        "model_summary_no_holdout",
        lambda: churn_threshold_from_holdout(_Model(), _summary()),
        DataError,
        "frequency_holdout",
    ),
    # next_purchase_probability / next_purchase_time
    (
        "np_model_pareto",
        lambda: next_purchase_probability(ParetoNBD(r=1, alpha=1, s=1, beta=1), [0], [0], [1], t=1),
        ArgumentError,
        "model",
    ),
    ("np_model_none", lambda: next_purchase_time(None, [0], [0], [1]), ArgumentError, "model"),
    (
        "np_t_negative",
        lambda: next_purchase_probability(M, [0], [0], [1], t=-1),
        ArgumentError,
        "'t'",
    ),
    (
        "np_t_nan",
        lambda: next_purchase_probability(M, [0], [0], [1], t=float("nan")),
        ArgumentError,
        "'t'",
    ),
    (
        "np_t_array",
        lambda: next_purchase_probability(M, [0], [0], [1], t=[1, 2]),
        ArgumentError,
        "'t'",
    ),
    (
        "np_quantile_one",
        lambda: next_purchase_time(M, [0], [0], [1], quantile=1),
        ArgumentError,
        "quantile",
    ),
    (
        "np_quantile_zero",
        lambda: next_purchase_time(M, [0], [0], [1], quantile=0.0),
        ArgumentError,
        "quantile",
    ),
    (
        "np_frequency_fraction",
        lambda: next_purchase_probability(M, [1.5], [1], [2], t=1),
        DataError,
        "frequency",
    ),
    ("np_recency_above_T", lambda: next_purchase_time(M, [1], [3], [2]), DataError, "recency"),
    ("np_T_nan", lambda: next_purchase_time(M, [1], [1], [np.nan]), DataError, "'T'"),
    # cohort_table
    ("cohort_missing_column", lambda: cohort_table(LOG.drop(columns="date")), DataError, "date"),
    (
        "cohort_bad_date",
        lambda: cohort_table(LOG.assign(date=["2024-01-05", "soon", "2024-02-01"])),
        DataError,
        "date",
    ),
    (
        "cohort_negative_amount",
        lambda: cohort_table(LOG.assign(amount=[1.0, -2.0, 3.0]), monetary_value="amount"),
        DataError,
        "amount",
    ),
    (
        "cohort_missing_id",
        lambda: cohort_table(LOG.assign(customer_id=pd.Series(["a", None, "b"]))),
        DataError,
        "customer_id",
    ),
    (
        "cohort_late_transaction",
        lambda: cohort_table(LOG, observation_end="2024-01-31"),
        DataError,
        "date",
    ),
    (
        "cohort_end_unreadable",
        lambda: cohort_table(LOG, observation_end="later"),
        ArgumentError,
        "observation_end",
    ),
    (
        "cohort_end_offset_vs_wallclock",
        lambda: cohort_table(LOG, observation_end="2024-03-01T00:00+01:00"),
        ArgumentError,
        "observation_end",
    ),
    (
        "cohort_unknown_timezone",
        lambda: cohort_table(LOG, timezone="Mars/Olympus"),
        ArgumentError,
        "timezone",
    ),
    ("cohort_returns_choice", lambda: cohort_table(LOG, returns="keep"), ArgumentError, "returns"),
    (
        "cohort_column_not_text",
        lambda: cohort_table(LOG, customer_id=3),
        ArgumentError,
        "customer_id",
    ),
    ("cohort_not_a_table", lambda: cohort_table([1, 2, 3]), ArgumentError, "transactions"),
    ("cohort_empty", lambda: cohort_table(LOG.iloc[:0]), DataError, "empty"),
    ("cohort_to_frame_kind", lambda: cohort_table(LOG).to_frame("churn"), ArgumentError, "kind"),
    (
        "cohort_revenue_without_amounts",
        lambda: cohort_table(LOG).to_frame("revenue"),
        ArgumentError,
        "kind",
    ),
]


@pytest.mark.parametrize(("label", "call", "error", "name"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(
    label: str, call: Callable[[], object], error: type[Exception], name: str
) -> None:
    with pytest.raises(error) as info:
        call()
    assert name in str(info.value), (label, str(info.value))
    if isinstance(info.value, ArgumentError):
        assert not isinstance(info.value, DataError)


def test_case_count() -> None:
    assert len(CASES) >= 15
