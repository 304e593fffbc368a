"""Bad input to every figure: each case asserts relmark's error type and that the error names
the argument or column at fault (a KeyError, a raw numpy/matplotlib error or a silently wrong
figure before)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relmark.plot
from relmark.clv import BGBB, BGNBD, SBG
from relmark.errors import ArgumentError, DataError, RelmarkError

BG = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
BB = BGBB(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
SURV = SBG(alpha=0.704, beta=1.182)

CAL = pd.DataFrame(
    {"customers": [50, 30, 0], "actual": [0.2, 1.1, np.nan], "BG/NBD": [0.25, 1.0, np.nan]},
    index=["0", "1", "2+"],
)
PERIOD = pd.DataFrame({"actual": [60, 25, 15], "expected": [58.0, 27.5, 14.5]})
TRACK = pd.DataFrame(
    {"actual": [0.0, 3.0, 5.0], "expected": [0.5, 2.5, 4.0]},
    index=pd.Index([0, 1, 2], name="period"),
)
TRACK["actual_cumulative"] = TRACK["actual"].cumsum()
TRACK["expected_cumulative"] = TRACK["expected"].cumsum()
TRACK["calibration"] = [True, True, False]


def _with(table: pd.DataFrame, column: str, values: Any) -> pd.DataFrame:
    out = table.copy()
    out[column] = values
    return out


def _attrs(table: pd.DataFrame, **attrs: Any) -> pd.DataFrame:
    out = table.copy()
    out.attrs.update(attrs)
    return out


A, D = ArgumentError, DataError
# (id, function, args, kwargs, error, attribute naming the culprit, the name)
CASES: list[tuple[str, str, tuple[Any, ...], dict[str, Any], type[RelmarkError], str, str]] = [
    # calibration vs holdout
    ("cal-missing-actual", "plot_calibration_holdout", (CAL.drop(columns="actual"),), {},
     D, "column", "actual"),
    ("cal-missing-customers", "plot_calibration_holdout", (CAL.drop(columns="customers"),), {},
     D, "column", "customers"),
    ("cal-not-a-frame", "plot_calibration_holdout", (CAL.to_dict(),), {}, A, "argument", "table"),
    ("cal-empty", "plot_calibration_holdout", (CAL.iloc[:0],), {}, D, "message", "table"),
    ("cal-text", "plot_calibration_holdout", (_with(CAL, "actual", ["0.2", "1.1", "x"]),), {},
     D, "column", "actual"),
    ("cal-nan-with-customers", "plot_calibration_holdout",
     (_with(CAL, "actual", [np.nan, 1.1, np.nan]),), {}, D, "column", "actual"),
    ("cal-inf-model", "plot_calibration_holdout", (_with(CAL, "BG/NBD", [0.2, np.inf, 0.0]),),
     {}, D, "column", "BG/NBD"),
    ("cal-boolean-model", "plot_calibration_holdout", (_with(CAL, "BG/NBD", [True, False, False]),),
     {}, D, "column", "BG/NBD"),
    ("cal-negative-customers", "plot_calibration_holdout",
     (_with(CAL, "customers", [50, -30, 0]),), {}, D, "column", "customers"),
    ("cal-title-number", "plot_calibration_holdout", (CAL,), {"title": 5}, A, "argument", "title"),
    ("cal-duration-nan", "plot_calibration_holdout", (_attrs(CAL, duration_holdout=np.nan),),
     {}, A, "argument", "duration_holdout"),
    # period transactions
    ("period-missing-expected", "plot_period_transactions", (PERIOD.drop(columns="expected"),),
     {}, D, "column", "expected"),
    ("period-tuple-of-two", "plot_period_transactions", ((PERIOD, 1.0),), {},
     A, "argument", "result"),
    ("period-chi-square-nan", "plot_period_transactions", ((PERIOD, np.nan, 0.5),), {},
     A, "argument", "chi_square"),
    ("period-p-above-one", "plot_period_transactions", ((PERIOD, 3.0, 1.5),), {},
     A, "argument", "p_value"),
    ("period-negative-actual", "plot_period_transactions",
     (_with(PERIOD, "actual", [60, -25, 15]),), {}, D, "column", "actual"),
    ("period-list", "plot_period_transactions", ([60, 25, 15],), {}, A, "argument", "result"),
    ("period-nan-expected", "plot_period_transactions",
     (_with(PERIOD, "expected", [58.0, np.nan, 14.5]),), {}, D, "column", "expected"),
    # tracking
    ("track-missing-cumulative", "plot_tracking", (TRACK.drop(columns="expected_cumulative"),),
     {}, D, "column", "expected_cumulative"),
    ("track-cumulative-text", "plot_tracking", (TRACK,), {"cumulative": "yes"},
     A, "argument", "cumulative"),
    ("track-calibration-ints", "plot_tracking", (_with(TRACK, "calibration", [1, 1, 0]),), {},
     D, "column", "calibration"),
    ("track-nan-actual", "plot_tracking", (_with(TRACK, "actual", [0.0, np.nan, 5.0]),), {},
     D, "column", "actual"),
    ("track-unit-negative", "plot_tracking", (_attrs(TRACK, unit_days=-7.0),), {},
     A, "argument", "unit_days"),
    ("track-empty", "plot_tracking", (TRACK.iloc[:0],), {}, D, "message", "table"),
    ("track-text-index", "plot_tracking", (TRACK.set_axis(["a", "b", "c"]),), {},
     D, "column", "period"),
    # P(alive) matrix
    ("palive-T-nan", "plot_p_alive_matrix", (BG,), {"T": np.nan}, A, "argument", "T"),
    ("palive-T-negative", "plot_p_alive_matrix", (BG,), {"T": -1.0}, A, "argument", "T"),
    ("palive-T-zero", "plot_p_alive_matrix", (BG,), {"T": 0}, A, "argument", "T"),
    ("palive-T-text", "plot_p_alive_matrix", (BG,), {"T": "39"}, A, "argument", "T"),
    ("palive-maxf-negative", "plot_p_alive_matrix", (BG,), {"T": 39, "max_frequency": -3},
     A, "argument", "max_frequency"),
    ("palive-maxf-fraction", "plot_p_alive_matrix", (BG,), {"T": 39, "max_frequency": 2.5},
     A, "argument", "max_frequency"),
    ("palive-points-one", "plot_p_alive_matrix", (BG,), {"T": 39, "points": 1},
     A, "argument", "points"),
    ("palive-points-bool", "plot_p_alive_matrix", (BG,), {"T": 39, "points": True},
     A, "argument", "points"),
    ("palive-model-text", "plot_p_alive_matrix", ("BGNBD",), {"T": 39}, A, "argument", "model"),
    ("palive-bgbb-fractional-T", "plot_p_alive_matrix", (BB,), {"T": 6.5}, A, "argument", "T"),
    # expected purchases matrix
    ("expected-t-nan", "plot_expected_purchases_matrix", (BG,), {"t": np.nan, "T": 39},
     A, "argument", "t"),
    ("expected-t-negative", "plot_expected_purchases_matrix", (BG,), {"t": -5, "T": 39},
     A, "argument", "t"),
    ("expected-t-inf", "plot_expected_purchases_matrix", (BG,), {"t": np.inf, "T": 39},
     A, "argument", "t"),
    ("expected-T-inf", "plot_expected_purchases_matrix", (BG,), {"t": 10, "T": np.inf},
     A, "argument", "T"),
    ("expected-retention-model", "plot_expected_purchases_matrix", (SURV,), {"t": 5, "T": 10},
     A, "argument", "model"),
    # survival
    ("survival-periods-negative", "plot_survival", (SURV,), {"periods": -1},
     A, "argument", "periods"),
    ("survival-periods-fraction", "plot_survival", (SURV,), {"periods": 2.5},
     A, "argument", "periods"),
    ("survival-periods-nan", "plot_survival", (SURV,), {"periods": np.nan},
     A, "argument", "periods"),
    ("survival-actual-nan", "plot_survival", (SURV, [100.0, np.nan, 50.0]), {},
     D, "column", "actual_percent"),
    ("survival-actual-above-100", "plot_survival", (SURV, [150.0, 60.0]), {},
     D, "column", "actual_percent"),
    ("survival-actual-2d", "plot_survival", (SURV, [[100.0, 60.0], [50.0, 40.0]]), {},
     D, "column", "actual_percent"),
    ("survival-actual-text", "plot_survival", (SURV, ["100", "60"]), {},
     D, "column", "actual_percent"),
    ("survival-actual-empty", "plot_survival", (SURV, []), {}, D, "column", "actual_percent"),
    ("survival-purchase-model", "plot_survival", (BG,), {}, A, "argument", "model"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("function", "args", "kwargs", "error", "attribute", "name"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_is_refused_by_name(
    function: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[RelmarkError],
    attribute: str,
    name: str,
) -> None:
    with pytest.raises(error) as info:
        getattr(relmark.plot, function)(*args, **kwargs)
    assert name in str(info.value)
    if attribute != "message":
        assert getattr(info.value, attribute) == name


def test_the_catalogue_covers_every_function() -> None:
    assert len(CASES) >= 20
    assert {case[1] for case in CASES} == set(relmark.plot.__all__)


def test_nan_is_allowed_only_where_no_customer_is() -> None:
    """calibration_holdout_table has NaN means for frequencies nobody has: those are gaps in
    the lines, not errors (the same NaN with customers is refused above)."""
    fig = relmark.plot.plot_calibration_holdout(CAL)
    assert np.isnan(np.asarray(fig.axes[0].get_lines()[0].get_ydata(), dtype=float)[-1])


def test_rows_are_named() -> None:
    bad = _with(PERIOD.set_axis(["0", "1", "2+"]), "actual", [60, -25, 15])
    with pytest.raises(DataError) as info:
        relmark.plot.plot_period_transactions(bad)
    assert info.value.rows == ("1",)


_BAD = st.sampled_from([np.nan, np.inf, -np.inf, -1.0, "7"])


@settings(max_examples=40)
@given(
    st.sampled_from(["calibration", "period", "tracking"]),
    st.data(),
)
def test_any_bad_value_in_any_plotted_column_is_named(kind: str, data: st.DataObject) -> None:
    """A NaN, infinity, negative count or text anywhere in a column the figure draws is a
    DataError naming that column and the row."""
    table, function, columns = {
        "calibration": (CAL.iloc[:2], "plot_calibration_holdout", list(CAL.columns)),
        "period": (PERIOD, "plot_period_transactions", ["actual", "expected"]),
        "tracking": (TRACK, "plot_tracking", [c for c in TRACK.columns if c != "calibration"]),
    }[kind]
    column = data.draw(st.sampled_from(columns))
    row = data.draw(st.integers(0, len(table) - 1))
    value = data.draw(_BAD)
    values = table[column].astype(object).to_list()
    values[row] = value
    bad = _with(table, column, pd.Series(values, index=table.index, dtype=object))
    with pytest.raises(DataError) as info:
        getattr(relmark.plot, function)(bad)
    assert info.value.column == column
    if value != "7":
        assert info.value.rows == (table.index[row],)


# ---------------------------------------------------------------- adversarial review (r5)
def _column_error(call: Any, column: str) -> None:
    with pytest.raises(DataError) as err:
        call()
    assert err.value.column == column and repr(column) in str(err.value)


def _argument_error(call: Any, argument: str) -> None:
    with pytest.raises(ArgumentError) as err:
        call()
    assert err.value.argument == argument and repr(argument) in str(err.value)


def test_calibration_tables_that_plotted_nothing_or_nonsense() -> None:
    plot = relmark.plot.plot_calibration_holdout
    _column_error(lambda: plot(CAL.iloc[2:]), "customers")  # no customers: a blank figure
    _column_error(lambda: plot(_with(CAL, "customers", [1.5, 30, 0])), "customers")
    _column_error(lambda: plot(_with(CAL, "customers", [1e308, 1e308, 0])), "customers")
    twice = pd.concat([CAL, CAL[["actual"]]], axis=1)
    _column_error(lambda: plot(twice), "actual")
    _column_error(
        lambda: relmark.plot.plot_period_transactions(_with(PERIOD, "actual", [1e308, 1e308, 1])),
        "actual",
    )


def test_tracking_index_must_be_increasing_periods() -> None:
    plot = relmark.plot.plot_tracking
    # dates became nanoseconds on a "weeks" axis; repeated or unsorted periods zigzagged
    for index in (pd.date_range("2020-01-01", periods=3), [0, 0, 1], [2, 0, 1]):
        _column_error(lambda index=index: plot(TRACK.set_axis(index)), "period")


def test_matrix_and_survival_sizes_are_capped() -> None:
    # a hang, or MemoryError allocating 231 GiB / 7 TiB / 74 GiB
    _argument_error(
        lambda: relmark.plot.plot_p_alive_matrix(BG, T=10, max_frequency=10**9), "max_frequency"
    )
    _argument_error(lambda: relmark.plot.plot_p_alive_matrix(BG, T=10, points=10**9), "points")
    _argument_error(lambda: relmark.plot.plot_p_alive_matrix(BB, T=10**12, max_frequency=3), "T")
    _argument_error(lambda: relmark.plot.plot_survival(SURV, periods=10**10), "periods")


class WrongModel:
    time_unit = "W"
    params: ClassVar[dict[str, str]] = {"alpha": "fitted"}

    def p_alive(self, x: Any, tx: Any, T: Any) -> Any:
        return np.full(np.shape(x), np.nan)

    def conditional_expected_purchases(self, x: Any, tx: Any, T: Any, *, t: float) -> Any:
        return np.ones(3)

    def survival(self, t: Any) -> Any:
        return np.ones(np.shape(t))


def test_models_that_return_nonsense_or_are_classes() -> None:
    m = WrongModel()
    _argument_error(lambda: relmark.plot.plot_p_alive_matrix(m, T=10), "model")  # blank figure
    _argument_error(  # raw numpy ValueError (shape mismatch)
        lambda: relmark.plot.plot_expected_purchases_matrix(m, t=1, T=10), "model"
    )
    _argument_error(lambda: relmark.plot.plot_p_alive_matrix(BGNBD, T=10), "model")  # TypeError
    fig = relmark.plot.plot_survival(m)  # a text parameter raised ValueError in the title
    assert "alpha fitted" in fig.axes[0].get_title()


def test_actual_survival_percentages() -> None:
    # a ragged list raised numpy's ValueError; shares (0..1) drew a flat line at the bottom
    _column_error(lambda: relmark.plot.plot_survival(SURV, [[100], [60, 50]]), "actual_percent")
    _column_error(lambda: relmark.plot.plot_survival(SURV, [1.0, 0.63, 0.47]), "actual_percent")
