"""The model base class: a user's own model (not registered), fixed settings, JSON, labels."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln

from relmark.clv import (
    BGNBD,
    CLVModel,
    FitResult,
    ModelKind,
    Param,
    ParamSet,
    Setting,
    load_model,
)
from relmark.clv._engine import Likelihood
from relmark.errors import ArgumentError, DataError, ParameterError, SchemaError
from relmark.typing import FloatArray


class ErlangGaps(CLVModel):
    """Gaps between purchases ~ Gamma(k, rate) with a fixed whole shape k (Erlang-k): a model
    of a user's own, with a setting that is not estimated. MLE: rate = k / mean(gap)."""

    name: ClassVar[str] = "ErlangGaps"
    kind: ClassVar[ModelKind] = "purchase"
    param_set: ClassVar[ParamSet] = ParamSet(
        (Param("rate", "purchases per time unit", (0.1, 5.0)),)
    )
    settings_spec: ClassVar[tuple[Setting, ...]] = (
        Setting("k", "Erlang shape: purchases are every k-th event", 2.0, low=1.0, whole=True),
    )
    data_fields: ClassVar[tuple[str, ...]] = ("gap",)
    likelihood: ClassVar[Likelihood] = Likelihood(lambda params, gap: gap)  # replaced below

    @classmethod
    def likelihood_for(cls, settings: Mapping[str, float]) -> Likelihood:
        k = settings["k"]

        def ll(params: FloatArray, gap: FloatArray) -> FloatArray:
            out: FloatArray = (
                k * np.log(params[0]) + (k - 1) * np.log(gap) - params[0] * gap - gammaln(k)
            )
            return out

        def grad(params: FloatArray, gap: FloatArray) -> FloatArray:
            out: FloatArray = (k / params[0] - gap)[:, None]
            return out

        return Likelihood(ll, grad)


GAPS = np.random.default_rng(5).gamma(3.0, 1 / 0.8, size=4_000)


def test_a_model_of_ones_own_fits_summarises_and_saves_without_registration() -> None:
    """FitResult carries its ParamSet: summary() and conf_int() need no registry lookup. The
    estimate and its standard error equal the closed forms k / mean(gap) and
    rate / sqrt(n k) (Fisher information)."""
    model = ErlangGaps.fit({"gap": GAPS}, settings={"k": 3})
    assert model.settings == {"k": 3.0}
    rate = 3.0 / GAPS.mean()
    assert model.params["rate"] == pytest.approx(rate, rel=1e-7)
    assert model.fit_result.bse["rate"] == pytest.approx(rate / math.sqrt(GAPS.size * 3), rel=1e-4)
    lo, hi = model.fit_result.conf_int(0.9)["rate"]
    assert lo < rate < hi
    assert "ErlangGaps" in model.fit_result.summary(
        level=0.9
    ) and "[90%" in model.fit_result.summary(0.9)
    text = model.to_json()
    assert json.loads(text)["settings"] == {"k": 3.0}
    again = load_model(text, expect=ErlangGaps)
    assert again == model and again.settings == {"k": 3.0}
    assert ErlangGaps.from_json(text) == model


def test_fixed_settings_are_checked_and_refused_when_tampered() -> None:
    with pytest.raises(ParameterError) as err:
        ErlangGaps(rate=1.0, k=2.5)
    assert err.value.argument == "k"
    assert ErlangGaps(rate=1.0).settings == {"k": 2.0}  # the default
    d = json.loads(ErlangGaps.fit({"gap": GAPS}, settings={"k": 3}).to_json())
    d["settings"]["k"] = 0
    with pytest.raises(SchemaError) as serr:
        ErlangGaps.from_json(json.dumps(d))
    assert serr.value.key == "settings.k"
    del d["settings"]
    with pytest.raises(SchemaError) as serr:
        ErlangGaps.from_json(json.dumps(d))
    assert serr.value.key == "settings"
    with pytest.raises(ArgumentError) as aerr:
        ErlangGaps.fit({"gap": GAPS}, settings={"shape": 3})
    assert aerr.value.argument == "settings"


def test_a_unregistered_model_is_unknown_to_load_model_without_expect() -> None:
    text = ErlangGaps(rate=1.0).to_json()
    with pytest.raises(SchemaError) as err:
        load_model(text)
    assert err.value.key == "model"


def test_errors_name_customers_by_their_ids() -> None:
    """Ids are read only when an error names rows (lazily), and still named."""
    frame = pd.DataFrame(
        {"frequency": [1, 2, 0], "recency": [3.0, 50.0, 0.0], "T": [10.0, 20.0, 30.0]},
        index=pd.Index(["ann", "bob", "cid"], name="customer_id"),
    )
    with pytest.raises(DataError) as err:
        BGNBD.fit(frame)
    assert err.value.column == "recency" and err.value.rows == ("bob",)
    frame["customer_id"] = [7, 8, 9]
    with pytest.raises(DataError) as err:
        BGNBD.fit(frame)
    assert err.value.rows == (8,) and type(err.value.rows[0]) is int


def test_fit_result_is_self_contained() -> None:
    result = ErlangGaps.fit({"gap": GAPS}, settings={"k": 3}).fit_result
    assert isinstance(result, FitResult)
    assert result.param_set is ErlangGaps.param_set
    assert result.param_names == ("rate",)


def test_a_summary_counting_the_first_purchase_is_refused_and_a_hand_one_is_not() -> None:
    """``include_first_purchase=True`` summaries (the object or its pandas frame) are refused by
    fit and log_likelihood; the same numbers built by hand (a mapping, a frame without the
    flag, an RFMSummary without it) are read as repeat purchases: hand data is unaffected.
    The hand values: x = 2, t_x = 30.43, T = 38.86 gives -9.4586 (the BG/NBD doctest)."""
    from relmark.clv import BGNBD
    from relmark.data import RFMSummary

    counted = RFMSummary(
        customer_id=["a"], frequency=[3], recency=[30.43], T=[38.86], include_first_purchase=True
    )
    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    for data in (counted, counted.to_frame()):
        with pytest.raises(DataError, match="include_first_purchase=False") as err:
            model.log_likelihood(data)
        assert err.value.column == "frequency"
        with pytest.raises(DataError, match="repeat purchases only"):
            BGNBD.fit(data)
    hand = {"frequency": [2.0], "recency": [30.43], "T": [38.86]}
    plain = RFMSummary.from_mapping(hand)
    frame = pd.DataFrame(hand)
    frame.attrs["include_first_purchase"] = False
    unaffected: list[object] = [hand, plain, plain.to_frame(), frame]
    for given in unaffected:
        assert model.log_likelihood(given).round(4).tolist() == [-9.4586]


def test_fit_reads_a_pyarrow_table_like_a_pandas_frame() -> None:
    # a pyarrow Table's .columns are its arrays, not their names: fit said it "needs the
    # column 'frequency'" of a table that has it
    pa = pytest.importorskip("pyarrow")
    from relmark.clv import BGNBD
    from relmark.errors import DataError

    frame = pd.DataFrame(
        {
            "frequency": [2.0, 0.0, 1.0, 5.0, 0.0, 3.0],
            "recency": [30.4, 0.0, 2.1, 35.0, 0.0, 20.5],
            "T": [38.9, 38.9, 30.0, 38.0, 12.0, 25.0],
        }
    )
    table = pa.Table.from_pandas(frame)
    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert np.array_equal(model.log_likelihood(table), model.log_likelihood(frame))
    with pytest.raises(DataError, match="'T'") as info:
        model.log_likelihood(table.drop(["T"]))
    assert info.value.column == "T"


def test_fit_names_the_first_bad_column_in_order_though_it_reads_them_in_one_pass() -> None:
    """check_rfm refuses NaN and infinities of frequency, recency and T itself, so a fit reads
    them without a pass of its own; the errors keep their order: each column's NaN before a
    later column's absence, the columns' before the weights', NaN before the other rules."""
    cases: list[tuple[dict[str, object], str, str]] = [
        ({"frequency": [np.nan, 1.0], "recency": [0.0, 1.0]}, "frequency", "missing"),
        (
            {
                "frequency": [1.0, 1.0],
                "recency": [1.0, np.inf],
                "T": [5.0, 5.0],
                "weights": [0.5, 1],
            },
            "recency",
            "missing",
        ),
        ({"frequency": [-1.0, 1.0], "recency": [0.0, 1.0], "T": [5.0, np.nan]}, "T", "missing"),
        ({"frequency": [0.0, 1.0], "recency": [1.0, 1.0], "T": [5.0, 5.0]}, "recency", "must be 0"),
        ({"frequency": [0.0, 1.0], "recency": [0.0, 1.0], "T": [5.0]}, "", "differ in length"),
    ]
    for data, column, message in cases:
        with pytest.raises(DataError, match=message) as err:
            BGNBD.fit({k: np.asarray(v, dtype=float) for k, v in data.items()})
        assert (err.value.column or "") == column


def test_fit_reads_float64_columns_in_place() -> None:
    """A fit's validation copies nothing: the arrays it hands the engine are the caller's."""
    data = {
        "frequency": np.array([0.0, 2.0]),
        "recency": np.array([0.0, 30.43]),
        "T": np.full(2, 39.0),
    }
    arrays, weights = BGNBD._coerce(data, None, {})
    assert all(a is data[f] for a, f in zip(arrays, BGNBD.data_fields, strict=True))
    assert weights is None


def test_whole_number_rows_beyond_32_bit_keys_are_grouped_as_a_plain_count() -> None:
    """Keys below 2**32 are sorted and decoded as uint32; wider ones (here up to ~2**60) stay
    int64: both count the rows as a Python Counter does."""
    from collections import Counter

    import relmark.clv._base as base

    rng = np.random.default_rng(11)
    for top in (700, 2**20 - 1):
        rows = [tuple(int(v) for v in rng.integers(0, top, 3)) for _ in range(300)]
        rows += rows[:100]  # repeated rows
        cols = tuple(np.array([r[i] for r in rows], dtype=np.float64) for i in range(3))
        (x, tx, t), counts = base._group_rows(cols, None)
        got = dict(
            zip(zip(x.tolist(), tx.tolist(), t.tolist(), strict=True), counts.tolist(), strict=True)
        )
        want = {tuple(float(v) for v in k): float(c) for k, c in Counter(rows).items()}
        assert got == want
