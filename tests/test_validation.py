"""Validation at the boundary: every bad input is a DataError (or ParameterError) naming the
field and the offending customers, never numpy's error, a silent broadcast or a conversion."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from relmark._validation import MAX_WHOLE, as_float_array, check_rfm, check_weights
from relmark.clv import BGNBD, GammaGamma, ParetoNBD, clv, load_model
from relmark.errors import ArgumentError, DataError, ParameterError, SchemaError

BG = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
GG = GammaGamma(p=6.25, q=3.74, gamma=15.44)


def test_the_count_of_offending_rows_is_the_total_not_the_shown() -> None:
    """30 customers with recency > T: the first ten are kept, five shown, and the message
    counts the other 25 (it said "and 5 more" when only the first ten were passed on)."""
    x, tx, T = np.ones(40), np.full(40, 5.0), np.full(40, 10.0)
    tx[10:] = 11.0
    with pytest.raises(DataError) as err:
        check_rfm(x, tx, T)
    assert err.value.count == 30
    assert err.value.rows == tuple(range(10, 20))
    assert "(and 25 more)" in str(err.value)


def test_spend_fit_names_the_customer_not_the_position() -> None:
    frame = pd.DataFrame(
        {"frequency": [2, 3, 1], "monetary_value": [10.0, 0.0, 4.0]},
        index=pd.Index(["alice", "bob", "carol"]),
    )
    with pytest.raises(DataError) as err:
        GammaGamma.fit(frame)
    assert err.value.rows == ("bob",)
    assert err.value.column == "monetary_value"


@pytest.mark.parametrize(
    ("call", "column"),
    [
        (lambda: BG.p_alive(["a"], [1.0], [2.0]), "frequency"),
        (lambda: BG.p_alive([1], ["1.0"], [2.0]), "recency"),
        (lambda: clv(BG, GG, 2, 30.43, 38.86, "22"), "monetary_value"),
        (lambda: clv(BG, GG, [2, 1], [30.43, 3.0], [38.86, 9.0], ["22", "3"]), "monetary_value"),
        (lambda: GG.expected_spend(2, "22"), "monetary_value"),
        (lambda: GG.expected_spend([2], np.array(["22"], dtype=object)), "monetary_value"),
        (lambda: BG.p_alive([1, 2], [1.0, 2.0], [[5.0, 6.0]]), "T"),
    ],
)
def test_text_and_matrices_are_refused_naming_the_field(call: object, column: str) -> None:
    """numpy would convert "22" to 22.0 (or raise its own ValueError for "a")."""
    with pytest.raises(DataError) as err:
        call()  # type: ignore[operator]
    assert err.value.column == column


@pytest.mark.parametrize(
    "call",
    [
        lambda: BG.p_alive([0, 1], [0], [10]),  # a one-element list is one customer
        lambda: BG.p_alive([0, 1, 2], [0, 1], [10, 10, 10]),
        lambda: clv(BG, GG, [0, 1, 2], [0.0, 1.0], [10.0] * 3, [1.0] * 3),
        lambda: GG.expected_spend([1, 2], [3.0]),
        lambda: ParetoNBD(r=0.5, alpha=10, s=0.6, beta=11).p_alive([1, 2], [1.0], [5.0, 5.0]),
    ],
)
def test_columns_of_different_lengths_are_refused(call: object) -> None:
    with pytest.raises(DataError, match="differ in length"):
        call()  # type: ignore[operator]


def test_a_number_is_every_customers() -> None:
    """Numbers (0-d) broadcast: one age for every customer, one spend for every customer."""
    both = BG.p_alive([0, 2], [0.0, 30.43], 38.86)
    assert both[0] == 1.0
    assert both[1] == pytest.approx(BG.p_alive(2, 30.43, 38.86)[0], rel=1e-15)
    values = clv(BG, GG, [2, 2], [30.43, 30.43], [38.86, 38.86], 22.35)
    assert values[0] == values[1] == pytest.approx(clv(BG, GG, 2, 30.43, 38.86, 22.35)[0])


@pytest.mark.parametrize("value", ["1", True, b"1", np.bool_(True)])
def test_parameters_must_be_numbers(value: object) -> None:
    with pytest.raises(ParameterError, match="not a number"):
        BGNBD(r=value, alpha=1.0, a=1.0, b=1.0)  # type: ignore[arg-type]


def test_unknown_time_units_are_refused_when_set_or_loaded() -> None:
    with pytest.raises(ArgumentError) as err:
        BG.with_time_unit("fortnight")
    assert err.value.argument == "time_unit"
    text = json.loads(BG.to_json())
    text["time_unit"] = "Q"
    with pytest.raises((ArgumentError, SchemaError)) as loaded:
        load_model(json.dumps(text))
    assert "time_unit" in str(loaded.value)
    assert BG.with_time_unit(None).time_unit is None


def test_levels_outside_0_1_are_refused_not_nan() -> None:
    """A confidence of 1.5 or NaN gave NaN intervals everywhere; now an error naming it."""
    from relmark.lifecycle import estimate_transitions
    from relmark.scoring import Reputation, cronbach_alpha, nps, reputation_scores

    items = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]], dtype=float)
    panel = np.array([[0, 1, 1], [0, 0, 1]])
    # enough customers to identify the parameters (six gave a, b -> 1e8 and no convergence)
    fitted = BGNBD.fit(BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).simulate([39.0] * 800, rng=4))
    calls = [
        (lambda: nps([10, 9, 3], level=1.5), "level"),
        (lambda: cronbach_alpha(items, level=float("nan")), "level"),
        (lambda: Reputation().interval(2.0), "level"),
        (lambda: reputation_scores([[1.0]], [[0.0]], level=0.0), "level"),
        (lambda: estimate_transitions(panel, ["a", "b"], level=1.0), "level"),
        (lambda: fitted.fit_result.conf_int(level=1.5), "level"),
        (lambda: fitted.interval(lambda m: m.p_alive(1, 3.0, 40.0), level=-0.1), "level"),
    ]
    for call, name in calls:
        with pytest.raises(ArgumentError) as err:
            call()
        assert err.value.argument == name
        assert str(err.value).startswith(f"argument {name!r}: ")


def test_transition_estimation_refuses_bad_arguments() -> None:
    from relmark.lifecycle import estimate_transitions

    panel = np.array([[0, 1, 1], [0, 0, 1]])
    for kwargs, argument in [({"prior": -1.0}, "prior"), ({"prior": float("nan")}, "prior")]:
        with pytest.raises(ArgumentError) as err:
            estimate_transitions(panel, ["a", "b"], **kwargs)
        assert err.value.argument == argument
    with pytest.raises(ArgumentError, match="distinct") as bad:
        estimate_transitions(panel, ["a", "a"])
    assert bad.value.argument == "states"
    with pytest.raises(ArgumentError, match="at least one state") as bad:
        estimate_transitions(panel, [])
    assert bad.value.argument == "states"
    with pytest.raises(DataError) as data_err:
        estimate_transitions(panel, ["a", "b"], allowed=[[0.5, 1.0], [1.0, 1.0]])
    assert data_err.value.column == "allowed"
    with pytest.raises(DataError) as data_err:
        estimate_transitions(np.array([["a", "b"]]), ["a", "b"])
    assert data_err.value.column == "panel"
    counted = estimate_transitions(panel, ["a", "b"]).matrix  # 0->1, 1->1, 0->0, 0->1
    np.testing.assert_allclose(counted, [[1 / 3, 2 / 3], [0.0, 1.0]])


@pytest.mark.parametrize("values", [[True, False], np.array([1, 0], dtype=bool), [1.0, True]])
def test_booleans_are_not_numbers(values: object) -> None:
    """numpy reads True as 1; a per-customer column of booleans is a mistake, not a count."""
    with pytest.raises(DataError, match="booleans") as err:
        check_rfm(values, [0.0, 0.0], [1.0, 1.0])  # type: ignore[arg-type]
    assert err.value.column == "frequency"


# ------------------------------------------------------------------ counts beyond 2**53
def test_2_53_is_where_float64_stops_holding_every_whole_number() -> None:
    """The boundary of MAX_WHOLE, from Python's exact integers: 2**53 - 1 and 2**53 are
    floats, 2**53 + 1 is not (it is stored as 2**53, and x + 1 == x there)."""
    assert MAX_WHOLE == 2**53 - 1
    assert int(float(2**53 - 1)) == 2**53 - 1 and int(float(2**53)) == 2**53
    assert float(2**53 + 1) == float(2**53) and float(2**53) + 1 == float(2**53)


@pytest.mark.parametrize(
    "frequency",
    [2**53, 2**53 + 1, 2.0**53, 2.0**60, 1e300, np.array([2**53 + 1], dtype=np.int64)[0]],
    ids=["2**53", "2**53+1", "2.0**53", "2.0**60", "1e300", "int64 2**53+1"],
)
def test_frequencies_of_2_53_or_more_are_refused_naming_the_column_and_rows(
    frequency: object,
) -> None:
    """A frequency float64 cannot tell from its neighbours (2**53 + 1 read as 2**53, x + 1 == x
    in the models' terms) was taken silently; now the DataError names frequency and the row,
    in check_rfm and in a fit (by the customer's id)."""
    with pytest.raises(DataError, match=r"2\*\*53 or more cannot be represented exactly") as err:
        check_rfm([1, frequency, 0], [3.0, 40.0, 0.0], [40.0, 40.0, 40.0])  # type: ignore[arg-type]
    assert err.value.column == "frequency" and err.value.rows == (1,)
    with pytest.raises(DataError) as fit_err:
        BGNBD.fit(
            pd.DataFrame(
                {"frequency": [1, frequency], "recency": [3.0, 40.0], "T": [40.0, 40.0]},
                index=pd.Index(["ann", "bob"], name="customer_id"),
            )
        )
    assert fit_err.value.column == "frequency" and fit_err.value.rows == ("bob",)


@pytest.mark.parametrize("frequency", [1e15, 2**53 - 1])
def test_the_largest_representable_frequencies_are_read_exactly_and_give_right_answers(
    frequency: float,
) -> None:
    """1e15 repeat purchases (absurd, but representable) and 2**53 - 1 are accepted as they
    are; BG/NBD's log-likelihood and P(alive) there agree with a 50-digit mpmath evaluation
    of Fader, Hardie & Lee (2005, "Counting your customers the easy way", eq. 6 and the P(alive)
    of its appendix), at the published CDNOW parameters."""
    import mpmath as mp

    x, tx, t = check_rfm([frequency], [30.0], [38.86])
    assert int(x[0]) == int(frequency)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    with mp.workdps(50):
        R, A, Aa, B, X, TX, T = (mp.mpf(v) for v in (r, alpha, a, b, int(frequency), 30, 38.86))
        common = mp.loggamma(R + X) - mp.loggamma(R) + R * mp.log(A)
        log_b = mp.log(mp.beta(Aa, B + X)) - mp.log(mp.beta(Aa, B))
        alive = log_b + common - (R + X) * mp.log(A + T)
        gone = mp.log(mp.beta(Aa + 1, B + X - 1)) - mp.log(mp.beta(Aa, B)) + common
        gone -= (R + X) * mp.log(A + TX)
        want_ll = float(alive + mp.log1p(mp.exp(gone - alive)))
        odds = Aa / (B + X - 1) * mp.exp((R + X) * (mp.log(A + T) - mp.log(A + TX)))
        want_p = float(1 / (1 + odds))
    model = BGNBD(r=r, alpha=alpha, a=a, b=b)
    got_ll = model.log_likelihood(frequency=x, recency=tx, T=t)[0]
    assert got_ll == pytest.approx(want_ll, rel=1e-12)
    # at recency = T the odds of dropout are a / (b + x - 1): P(alive) ~ 1 - 8e-16
    x2, tx2, t2 = check_rfm([frequency], [38.86], [38.86])
    with mp.workdps(50):
        want_p2 = float(1 / (1 + mp.mpf(a) / (mp.mpf(b) + int(frequency) - 1)))
    assert model.p_alive(x2, tx2, t2)[0] == pytest.approx(want_p2, rel=1e-15)
    assert model.p_alive(x, tx, t)[0] == pytest.approx(want_p, abs=1e-300)


def test_weights_of_2_53_or_more_are_refused_and_2_53_minus_1_is_read_exactly() -> None:
    with pytest.raises(DataError, match=r"2\*\*53 or more") as err:
        check_weights([1, 2**53, 3], 3, labels=["a", "b", "c"])
    assert err.value.column == "weights" and err.value.rows == ("b",)
    read = check_weights([1, 2**53 - 1], 2)
    assert read is not None and read.tolist() == [1.0, 2.0**53 - 1]
    with pytest.raises(DataError, match="integers >= 1") as frac:
        check_weights([1, 2.5], 2)
    assert frac.value.rows == (1,)
    with pytest.raises(DataError, match="missing") as nan:
        check_weights([np.nan, 2**60], 2)  # NaN is named first, as before
    assert nan.value.rows == (0,)


def test_discrete_ages_of_2_53_or_more_are_refused_naming_t() -> None:
    """In discrete time recency and T are whole numbers of opportunities: counts too."""
    with pytest.raises(DataError, match=r"2\*\*53 or more") as err:
        check_rfm([1, 1], [1.0, 1.0], [5.0, 2.0**53], discrete=True)
    assert err.value.column == "T" and err.value.rows == (1,)
    _, _, t = check_rfm([1], [2.0**53 - 1], [2.0**53 - 1], discrete=True)
    assert int(t[0]) == 2**53 - 1


def test_float64_columns_are_returned_as_they_are_not_copied() -> None:
    """Validation reads float64 columns in place (a copy of 1M rows is a pass of its own)."""
    x, tx, t = np.array([0.0, 2.0]), np.array([0.0, 30.43]), np.array([38.86, 38.86])
    got = check_rfm(x, tx, t)
    assert got[0] is x and got[1] is tx and got[2] is t
    assert as_float_array(x, "frequency") is x
