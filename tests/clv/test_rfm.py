"""The shared base of the (frequency, recency, T) models: validation of histories."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark._validation import check_rfm
from relmark.clv import BGNBD, MBGNBD, ParetoNBD
from relmark.clv._rfm import RFMModel, broadcast_rfm
from relmark.errors import DataError

from .strategies import histories

MODELS = [
    BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426),
    MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614),
    ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_one_customer_as_numbers_equals_the_array_path(model: RFMModel) -> None:
    """The Python-number fast path of a service's request gives what the array path gives."""
    one = model.conditional_expected_purchases(2, 30.43, 38.86, t=39.0)
    many = model.conditional_expected_purchases([2, 0], [30.43, 0.0], [38.86, 38.86], t=39.0)
    assert one[0] == pytest.approx(many[0], rel=1e-12)
    assert model.p_alive(2, 30.43, 38.86)[0] == pytest.approx(
        model.p_alive([2, 0], [30.43, 0.0], [38.86, 38.86])[0], rel=1e-12
    )


@pytest.mark.parametrize(
    ("history", "column"),
    [
        ((True, 1.0, 5.0), "frequency"),
        ((1, np.array([True]), 5.0), "recency"),
        ((1, 1.0, "5"), "T"),
        ((0, 1.0, 5.0), "recency"),
        ((1, 0.0, 5.0), "recency"),
    ],
)
def test_histories_are_data_errors_naming_the_column(
    history: tuple[object, object, object], column: str
) -> None:
    with pytest.raises(DataError) as err:
        broadcast_rfm(*history)  # type: ignore[arg-type]
    assert err.value.column == column


# ------------------------------------------------------------------ check_rfm, rule by rule
MAX = 2.0**53 - 1


def _first_broken_rule(
    x: list[float], tx: list[float], t: list[float], discrete: bool
) -> tuple[str, list[int]] | None:
    """The column and rows of the first rule of ``check_rfm``'s documented order that some
    row breaks, read row by row in Python floats (None when every row keeps every rule)."""
    whole = lambda v: v == math.floor(v)  # noqa: E731
    rules: list[tuple[str, Callable[[float, float, float], bool]]] = [
        ("frequency", lambda a, b, c: not math.isfinite(a)),
        ("recency", lambda a, b, c: not math.isfinite(b)),
        ("T", lambda a, b, c: not math.isfinite(c)),
        ("frequency", lambda a, b, c: a < 0 or not whole(a)),
        ("frequency", lambda a, b, c: a > MAX),
        ("recency", lambda a, b, c: b < 0),
        ("T", lambda a, b, c: c < 0),
        ("recency", lambda a, b, c: b > c),
        ("recency", lambda a, b, c: a == 0 and b != 0),
        ("recency", lambda a, b, c: a > 0 and b == 0),
    ]
    if discrete:
        rules += [
            ("recency", lambda a, b, c: not whole(b)),
            ("T", lambda a, b, c: not whole(c)),
            ("T", lambda a, b, c: c > MAX),
            ("frequency", lambda a, b, c: a > b),
        ]
    for column, broken in rules:
        rows = [i for i, row in enumerate(zip(x, tx, t, strict=True)) if broken(*row)]
        if rows:
            return column, rows
    return None


@settings(max_examples=400, deadline=None)
@given(histories(), st.booleans())
def test_check_rfm_refuses_exactly_the_rows_a_row_by_row_reading_refuses(
    columns: tuple[list[float], list[float], list[float]], discrete: bool
) -> None:
    """The one-pass check (minima, maxima, three element-wise tests) accepts exactly the
    histories that keep every rule, and a refusal names the column and rows of the first rule
    broken, as a row-by-row reading of the documented rules finds them."""
    x, tx, t = columns
    expected = _first_broken_rule(x, tx, t, discrete)
    if expected is None:
        got = check_rfm(x, tx, t, discrete=discrete)
        assert [g.tolist() for g in got] == [x, tx, t]
        return
    with pytest.raises(DataError) as err:
        check_rfm(x, tx, t, discrete=discrete)
    assert (err.value.column, list(err.value.rows)) == (expected[0], expected[1][:10])


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_one_customer_beyond_2_53_is_refused_like_the_array_path(model: RFMModel) -> None:
    """The Python-number fast path refuses what check_rfm refuses: 2**53 + 1 is stored as
    2**53 (the next float), so it cannot be told from 2**53; 2**53 - 1 is read exactly."""
    assert float(2**53 + 1) == float(2**53)  # why: the integer is not a float
    for x in (2**53 + 1, 2**53, 2.0**53, 1e300):
        with pytest.raises(DataError, match=r"2\*\*53") as err:
            model.p_alive(x, 38.86, 38.86)
        assert err.value.column == "frequency"
    one = model.p_alive(2**53 - 1, 38.86, 38.86)
    assert one.tolist() == model.p_alive([2**53 - 1, 0], [38.86, 0.0], [38.86, 38.86])[:1].tolist()


@pytest.mark.parametrize("row", [0, 65_535, 65_536, 199_999])
@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("frequency", np.nan, "frequency"),
        ("frequency", 2.0**53, "frequency"),
        ("recency", 50.0, "recency"),  # > T
        ("recency", 0.0, "recency"),  # repeat purchases at recency 0
        ("T", -np.inf, "T"),
    ],
)
def test_check_rfm_finds_one_bad_row_in_any_block(
    row: int, column: str, value: float, named: str
) -> None:
    """200,000 valid rows but one, in the first, a middle (either side of a block edge of
    2**16 rows) or the last block: the whole columns are accepted, the one row is named."""
    n = 200_000
    cols = {"frequency": np.full(n, 2.0), "recency": np.full(n, 30.0), "T": np.full(n, 40.0)}
    assert check_rfm(cols["frequency"], cols["recency"], cols["T"])[0] is cols["frequency"]
    cols[column][row] = value
    with pytest.raises(DataError) as err:
        check_rfm(cols["frequency"], cols["recency"], cols["T"])
    assert err.value.column == named and err.value.rows == (row,)
