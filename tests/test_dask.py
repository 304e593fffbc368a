"""The Dask paths on a real two-process LocalCluster on loopback, against the in-memory ones."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from relmark import dask as rdask  # noqa: E402
from relmark.clv import BGNBD, GammaGamma, clv  # noqa: E402
from relmark.data import summarize  # noqa: E402
from relmark.datasets import load_cdnow_transactions  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_summary_fit_and_scores_equal_the_in_memory_results(client: object) -> None:
    log = load_cdnow_transactions()
    ddf = dd.from_pandas(log, npartitions=6)
    ours = rdask.summarize(ddf, monetary_value="amount", freq_multiplier=7)
    local = summarize(log, monetary_value="amount", freq_multiplier=7)
    np.testing.assert_array_equal(ours.customer_id, local.customer_id)
    np.testing.assert_array_equal(ours.frequency, local.frequency)
    np.testing.assert_array_equal(ours.recency, local.recency)
    np.testing.assert_array_equal(ours.T, local.T)
    assert ours.monetary_value is not None
    np.testing.assert_allclose(ours.monetary_value, np.asarray(local.monetary_value), rtol=1e-12)

    frame = local.to_frame().reset_index()
    dframe = dd.from_pandas(frame, npartitions=4)
    distributed_fit = rdask.fit(BGNBD, dframe)
    memory_fit = BGNBD.fit(local)
    np.testing.assert_allclose(distributed_fit.params_array, memory_fit.params_array, rtol=1e-6)
    assert distributed_fit.fit_result.log_likelihood == pytest.approx(
        memory_fit.fit_result.log_likelihood, rel=1e-12
    )

    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    scores = rdask.score(memory_fit, dframe, horizon=52, spend=spend).compute()
    np.testing.assert_allclose(
        scores["p_alive"], memory_fit.p_alive(local.frequency, local.recency, local.T), rtol=1e-12
    )
    np.testing.assert_allclose(
        scores["expected_purchases"],
        memory_fit.conditional_expected_purchases(local.frequency, local.recency, local.T, t=52),
        rtol=1e-12,
    )
    assert isinstance(scores, pd.DataFrame)
    assert local.monetary_value is not None
    np.testing.assert_allclose(
        scores["clv"],
        clv(memory_fit, spend, local.frequency, local.recency, local.T, local.monetary_value),
        rtol=1e-12,
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_every_path_gives_the_same_answers(client: object) -> None:
    """In memory (rows as they are), compressed (identical rows grouped), chunked scoring and
    the Dask cluster: the same estimates (1e-6) and the same scores."""
    from relmark.datasets import load_cdnow_summary

    s = load_cdnow_summary(with_monetary=True)
    plain = BGNBD.fit(s, compress=False)
    grouped = BGNBD.fit(s, compress=True)
    frame = s.to_frame().reset_index()
    on_cluster = rdask.fit(BGNBD, dd.from_pandas(frame, npartitions=3))
    for other in (grouped, on_cluster):
        np.testing.assert_allclose(other.params_array, plain.params_array, rtol=1e-6)
    assert plain.fit_result.n_unique == 2357
    assert grouped.fit_result.n_unique == 1016
    spend = GammaGamma.fit(s)
    assert s.monetary_value is not None
    args = (s.frequency, s.recency, s.T, s.monetary_value)
    whole = clv(plain.with_time_unit("W"), spend, *args)
    chunked = clv(plain.with_time_unit("W"), spend, *args, chunk_size=97)
    np.testing.assert_allclose(whole, chunked, rtol=1e-14)  # last-ulp differences of the sums
    scores = rdask.score(plain, dd.from_pandas(frame, npartitions=5), horizon=39).compute()
    np.testing.assert_allclose(
        scores["expected_purchases"].to_numpy(),
        plain.conditional_expected_purchases(s.frequency, s.recency, s.T, t=39),
        rtol=1e-13,
    )


# ---------------------------------------------------------------------------- bad input
def _log(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "customer_id": ["a", "a", "b", "c"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-03", "2024-01-05"]),
        "amount": [10.0, 20.0, 5.0, 7.0],
    }
    base.update(columns)
    return pd.DataFrame({k: v for k, v in base.items() if v is not None})


BAD_LOGS: list[tuple[str, dict[str, object], dict[str, object], str]] = [
    ("missing column", {"amount": None}, {}, "'amount'"),
    ("float ids", {"customer_id": [1.0, 1.0, 7.0, 8.0]}, {}, "'customer_id'"),
    ("bool ids", {"customer_id": [True, True, False, True]}, {}, "'customer_id'"),
    ("numeric dates", {"date": [45292, 45300, 45294, 45296]}, {}, "'date': dates are numbers"),
    ("unreadable text dates", {"date": ["2024-01-01", "soon", "2024-01-03", "x"]}, {}, "'date'"),
    ("text amounts", {"amount": ["10", "twenty", "5", "7"]}, {}, "not numbers"),
    ("missing id", {"customer_id": ["a", None, "b", "c"]}, {}, "missing customer ids"),
    (
        "missing date",
        {"date": pd.to_datetime(pd.Series(["2024-01-01", None, "2024-01-03", "2024-01-05"]))},
        {},
        "missing dates",
    ),
    ("negative amount", {"amount": [10.0, -20.0, 5.0, 7.0]}, {}, "negative amounts"),
    ("infinite amount", {"amount": [10.0, 20.0, np.inf, 7.0]}, {}, "infinite amounts"),
    ("NaN amount", {"amount": [np.nan, 20.0, 5.0, 7.0]}, {}, "'amount'"),
    (
        "two problems in one error",
        {"customer_id": ["a", None, "b", "c"], "amount": [10.0, 20.0, -5.0, 7.0]},
        {},
        "2 problems",
    ),
    ("after the end", {}, {"observation_end": "2024-01-04"}, "end of observation"),
]


@pytest.mark.parametrize(
    ("columns", "options", "words"), [c[1:] for c in BAD_LOGS], ids=[c[0] for c in BAD_LOGS]
)
def test_bad_logs_are_data_errors_as_in_memory(
    columns: dict[str, object], options: dict[str, object], words: str
) -> None:
    from relmark.errors import DataError

    ddf = dd.from_pandas(_log(**columns), npartitions=2)
    with dask.config.set(scheduler="synchronous"), pytest.raises(DataError) as err:
        rdask.summarize(ddf, monetary_value="amount", **options)  # type: ignore[arg-type]
    assert words in str(err.value)


def test_rows_are_named_by_their_labels() -> None:
    from relmark.errors import DataError

    ddf = dd.from_pandas(_log(amount=[10.0, -20.0, 5.0, -7.0]), npartitions=2)
    with dask.config.set(scheduler="synchronous"), pytest.raises(DataError) as err:
        rdask.summarize(ddf, monetary_value="amount")
    assert err.value.column == "amount"
    assert err.value.rows == (1, 3)
    assert err.value.count == 2


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"time_unit": "weeks"}, "time_unit"),
        ({"time_unit": "d"}, "time_unit"),
        ({"freq_multiplier": 0}, "freq_multiplier"),
        ({"freq_multiplier": -7}, "freq_multiplier"),
        ({"freq_multiplier": float("nan")}, "freq_multiplier"),
        ({"freq_multiplier": True}, "freq_multiplier"),
        ({"freq_multiplier": "7"}, "freq_multiplier"),
        ({"observation_end": "soon"}, "observation_end"),
    ],
)
def test_bad_arguments_are_argument_errors_naming_them(
    options: dict[str, object], argument: str
) -> None:
    from relmark.errors import ArgumentError

    ddf = dd.from_pandas(_log(), npartitions=2)
    with dask.config.set(scheduler="synchronous"), pytest.raises(ArgumentError) as err:
        rdask.summarize(ddf, **options)  # type: ignore[arg-type]
    assert err.value.argument == argument


@pytest.mark.parametrize(
    ("time_unit", "multiplier", "label"), [("D", 7, "W"), ("W", 7, "7W"), ("D", 14, "2W")]
)
def test_the_time_unit_label_is_the_libraries_one(
    time_unit: str, multiplier: float, label: str
) -> None:
    """``("W", 7)`` was labelled ``W`` on Dask where the in-memory path said ``7W``."""
    from relmark.timeunit import TimeUnit

    log = _log()
    ddf = dd.from_pandas(log, npartitions=2)
    with dask.config.set(scheduler="synchronous"):
        ours = rdask.summarize(ddf, time_unit=time_unit, freq_multiplier=multiplier)
    assert ours.time_unit == label == TimeUnit(time_unit, multiplier).label
    local = summarize(log, time_unit=time_unit, freq_multiplier=multiplier)
    assert local.time_unit == label
    np.testing.assert_array_equal(ours.T, local.T)
    np.testing.assert_array_equal(ours.recency, local.recency)


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"horizon": -1.0}, "horizon"),
        ({"horizon": float("nan")}, "horizon"),
        ({"horizon": 52, "periods": 0}, "periods"),
        ({"horizon": 52, "periods": 2.5}, "periods"),
        ({"horizon": 52, "discount_rate": -1.0}, "discount_rate"),
    ],
)
def test_score_refuses_bad_arguments_before_any_work(
    options: dict[str, object], argument: str
) -> None:
    """The in-memory checks of relmark.clv.score, at once (they failed inside a partition)."""
    from relmark.errors import ArgumentError

    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    frame = pd.DataFrame({"frequency": [0.0, 2], "recency": [0.0, 30], "T": [38.0, 38]})
    frame["monetary_value"] = [0.0, 22.35]
    with pytest.raises(ArgumentError) as err:
        rdask.score(bg, dd.from_pandas(frame, npartitions=1), spend=gg, **options)  # type: ignore[arg-type]
    assert err.value.argument == argument


def test_score_names_a_missing_column() -> None:
    from relmark.errors import DataError

    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    frame = pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [38.0]})
    with pytest.raises(DataError) as err:
        rdask.score(bg, dd.from_pandas(frame, npartitions=1), horizon=52, spend=gg)
    assert err.value.column == "monetary_value"


def test_fit_refuses_what_is_not_a_model_or_not_numbers() -> None:
    from relmark.errors import ArgumentError, DataError

    frame = pd.DataFrame({"frequency": [0.0, 2], "recency": [0.0, 30], "T": [38.0, 38]})
    with pytest.raises(ArgumentError) as err:
        rdask.fit("BGNBD", dd.from_pandas(frame, npartitions=1))  # type: ignore[arg-type]
    assert err.value.argument == "model"
    text = frame.assign(T=["38", "38"])
    with pytest.raises(DataError) as data_err:
        rdask.fit(BGNBD, dd.from_pandas(text, npartitions=1))
    assert data_err.value.column == "T"
    with pytest.raises(DataError) as data_err:
        rdask.fit(BGNBD, dd.from_pandas(frame.drop(columns="T"), npartitions=1))
    assert data_err.value.column == "T"


def test_sum_log_interpurchase_equals_in_memory(client: object) -> None:
    """The Dask path computes the Erlang-k statistic as relmark.data.summarize does (the
    logs of the gaps summed per customer after a shuffle by customer: to 1e-13)."""
    log = load_cdnow_transactions()
    ours = rdask.summarize(
        dd.from_pandas(log, npartitions=5), freq_multiplier=7, sum_log_interpurchase=True
    )
    local = summarize(log, freq_multiplier=7, sum_log_interpurchase=True)
    np.testing.assert_array_equal(ours.customer_id, local.customer_id)
    assert ours.sum_log_interpurchase is not None and local.sum_log_interpurchase is not None
    np.testing.assert_allclose(
        ours.sum_log_interpurchase, local.sum_log_interpurchase, rtol=1e-13, atol=1e-12
    )


def test_include_first_purchase_equals_in_memory(client: object) -> None:
    """The Dask path counts the first purchase as relmark.data.summarize does: frequency one
    more than without the option, spend the mean over all purchase periods (to 1e-13)."""
    log = load_cdnow_transactions()
    ours = rdask.summarize(
        dd.from_pandas(log, npartitions=4),
        monetary_value="amount",
        freq_multiplier=7,
        include_first_purchase=True,
    )
    local = summarize(log, monetary_value="amount", freq_multiplier=7, include_first_purchase=True)
    plain = summarize(log, monetary_value="amount", freq_multiplier=7)
    assert ours.include_first_purchase is True
    np.testing.assert_array_equal(ours.customer_id, local.customer_id)
    np.testing.assert_array_equal(ours.frequency, local.frequency)
    np.testing.assert_array_equal(ours.frequency, plain.frequency + 1.0)
    np.testing.assert_array_equal(ours.recency, local.recency)
    np.testing.assert_array_equal(ours.T, local.T)
    assert ours.monetary_value is not None and local.monetary_value is not None
    np.testing.assert_allclose(ours.monetary_value, local.monetary_value, rtol=1e-13)
    from relmark.errors import ArgumentError

    with pytest.raises(ArgumentError) as err:
        rdask.summarize(
            dd.from_pandas(log, npartitions=1),
            include_first_purchase="yes",  # type: ignore[arg-type]
        )
    assert err.value.argument == "include_first_purchase"
