"""Bad logs and options on the Dask path: the error relmark.data raises for the same log (type,
column or argument, first rows, count, and the message where the path computes it the same
way), with the log split over partitions so that the checks that need the whole log (mixed
offsets, padded ids, currencies, netted returns) see parts of it only; and the options the
Dask path refuses, naming them."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

from relmark import dask as rdask  # noqa: E402
from relmark.data import calibration_holdout, summarize  # noqa: E402
from relmark.errors import ArgumentError, CurrencyError, DataError, RelmarkError  # noqa: E402

LOG = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "b", "c", "c"],
        "date": pd.to_datetime(
            [
                "2024-01-01 10:00",
                "2024-01-05 10:00",
                "2024-01-05 13:00",
                "2024-01-02 00:00",
                "2024-01-02 09:00",
                "2024-01-04 00:00",
            ]
        ),
        "amount": [10.0, 5.0, 6.0, 3.0, 1.0, 2.0],
        "currency": ["EUR"] * 6,
    }
)


def _errors(
    log: pd.DataFrame, parts: int, split: bool = False, **kw: Any
) -> tuple[RelmarkError, RelmarkError]:
    """The in-memory error and the Dask path's for ``log`` in ``parts`` partitions."""
    memory, on_dask = (
        (calibration_holdout, rdask.calibration_holdout) if split else (summarize, rdask.summarize)
    )
    with pytest.raises(RelmarkError) as want:
        memory(log, **kw)
    with dask.config.set(scheduler="synchronous"), pytest.raises(RelmarkError) as got:
        on_dask(dd.from_pandas(log, npartitions=parts), **kw)
    return want.value, got.value


CASES: list[tuple[str, dict[str, Any], dict[str, Any], int, bool]] = [
    ("returns refused", {"amount": [10.0, -5, 6, 3, 1, 2]}, {}, 3, False),
    (
        "orphan and excess returns",
        {"amount": [10.0, 5, -6, 3, -1, 2], "customer_id": ["a", "a", "a", "b", "b", "c"]},
        {"returns": "net"},
        3,
        False,
    ),
    (
        "a return on the other side of calibration_end",
        {"amount": [10.0, 5, -4, 3, 1, 2], "customer_id": ["a", "a", "a", "b", "b", "c"]},
        {"returns": "net", "calibration_end": "2024-01-05 12:00"},
        3,
        True,
    ),
    (
        "offsets in one partition, none in another",
        {
            "date": [
                "2024-01-01",
                "2024-01-02",
                "2024-01-03T00:00+01:00",
                "2024-01-04T00:00+01:00",
                "2024-01-05T00:00+01:00",
                "2024-01-06",
            ]
        },
        {},
        3,
        False,
    ),
    (
        "offsets mixed inside a partition and across",
        {
            "date": [
                "2024-01-01",
                "2024-01-02T00:00+01:00",
                "2024-01-03",
                "2024-01-04",
                "2024-01-05",
                "2024-01-06T00:00Z",
            ]
        },
        {},
        2,
        False,
    ),
    (
        "missing and malformed currencies",
        {"currency": ["EUR", "EUR", "eur", None, "EUR", "EUR"]},
        {"currency": "currency"},
        3,
        False,
    ),
    (
        "several problems in several partitions",
        {
            "customer_id": ["a", None, "b", "b", None, "c"],
            "amount": [10.0, 5, float("nan"), 3, 1, -2],
            "date": ["2024-01-01", "2024-01-02", "soon", "2024-01-04", "2024-01-05", "x"],
        },
        {},
        3,
        False,
    ),
    ("after the end", {}, {"observation_end": "2024-01-03"}, 2, False),
    (
        "after the end of the holdout",
        {},
        {"calibration_end": "2024-01-02", "observation_end": "2024-01-04"},
        2,
        True,
    ),
    ("no calibration purchase", {}, {"calibration_end": "2023-12-01"}, 2, True),
    ("no holdout", {}, {"calibration_end": "2024-02-01"}, 2, True),
    (
        "everything dropped",
        {"customer_id": [None, " ", "", None, None, "\t"]},
        {"missing_ids": "drop"},
        3,
        False,
    ),
    ("an end with a zone, dates without", {}, {"observation_end": "2024-02-01T00:00Z"}, 2, False),
]


@pytest.mark.parametrize(
    ("columns", "options", "parts", "split"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_errors_equal_in_memory(
    columns: dict[str, Any], options: dict[str, Any], parts: int, split: bool
) -> None:
    """The same error, message included, as relmark.data for the same log."""
    log = LOG.assign(**columns)
    want, got = _errors(log, parts, split, monetary_value="amount", **options)
    assert type(got) is type(want)
    assert str(got) == str(want)
    for name in ("column", "rows", "count", "argument"):
        assert getattr(got, name, None) == getattr(want, name, None), name


def test_mixed_currencies_across_partitions_are_the_in_memory_error() -> None:
    """Each partition holds one currency: only the merged counts show the mix."""
    log = LOG.assign(currency=["EUR", "EUR", "EUR", "EUR", "USD", "USD"])
    want, got = _errors(log, 3, monetary_value="amount", currency="currency")
    assert isinstance(got, CurrencyError)
    assert str(got) == str(want)


def test_padded_ids_across_partitions_are_refused_naming_the_ids() -> None:
    """``"a"`` and ``"a "`` in different partitions: two customers to the data, one most
    likely; refused as in memory, the error naming the ids (the rows are not at hand)."""
    log = LOG.assign(customer_id=["a", "a", "b", "b", "a ", "c"])
    want, got = _errors(log, 3)
    assert isinstance(got, DataError) and isinstance(want, DataError)
    assert got.column == want.column == "customer_id"
    assert got.rows == ("a", "a ")
    assert "differ only by spaces" in str(got)


def test_day_month_text_needs_its_format() -> None:
    """relmark.data infers the order of ``01/02/2024`` from the whole column (a day above 12
    anywhere settles it); no partition sees the whole column, so such dates are refused by row
    unless date_format says the order, and then read as in memory."""
    log = LOG.assign(date=["01/02/2024", "13/02/2024", "01/03/2024", "02/02/2024", "5/5/2024", "x"])
    with dask.config.set(scheduler="synchronous"), pytest.raises(DataError) as err:
        rdask.summarize(dd.from_pandas(log.iloc[:5], npartitions=2))
    assert err.value.column == "date"
    assert err.value.rows == (0, 1, 2, 3, 4)
    assert "date_format=" in str(err.value)
    fine = log.iloc[:5]
    with dask.config.set(scheduler="synchronous"):
        got = rdask.summarize(dd.from_pandas(fine, npartitions=2), date_format="%d/%m/%Y")
    assert got == summarize(fine, date_format="%d/%m/%Y")


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"dayfirst": True}, "dayfirst"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": 1}, "timezone"),
        ({"returns": "keep"}, "returns"),
        ({"missing_ids": "keep"}, "missing_ids"),
        ({"currency": "currency", "monetary_value": None}, "currency"),
        ({"returns": "drop", "monetary_value": None}, "returns"),
        ({"date_format": "%Q"}, "date_format"),
        ({"date_unit": "days"}, "date_unit"),
        ({"date_unit": "s"}, "date_unit"),  # the column holds datetimes
        ({"time_unit": "14D"}, "time_unit"),
        ({"sum_log_interpurchase": 1}, "sum_log_interpurchase"),
        ({"observation_end": True}, "observation_end"),
    ],
)
def test_bad_options_are_argument_errors_before_any_work(
    options: dict[str, Any], argument: str
) -> None:
    """relmark.data's checks of the options (the same names), at once; dayfirst is refused
    (give date_format), as by the DuckDB and Spark engines."""
    kw = {"monetary_value": "amount", **options}
    with pytest.raises(ArgumentError) as err:
        rdask.summarize(dd.from_pandas(LOG, npartitions=2), **kw)
    assert err.value.argument == argument


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"calibration_end": None}, "calibration_end"),
        ({"calibration_end": "later"}, "calibration_end"),
        ({"calibration_end": "2024-01-03", "observation_end": "2024-01-02"}, "observation_end"),
        ({"calibration_end": "2024-01-03", "holdout_spend": "mean"}, "holdout_spend"),
        # a holdout of no length (the end in calibration_end's period) was a DataError
        # listing every customer's duration_holdout of 0
        ({"calibration_end": "2024-01-05 11:00"}, "calibration_end"),
        (
            {"calibration_end": "2024-01-05 11:00", "observation_end": "2024-01-05 23:00"},
            "observation_end",
        ),
        (
            {"calibration_end": "2024-01-01", "observation_end": "2024-01-07", "time_unit": "W"},
            "observation_end",
        ),
    ],
)
def test_bad_split_options_are_argument_errors(options: dict[str, Any], argument: str) -> None:
    with pytest.raises(ArgumentError) as err:
        rdask.calibration_holdout(dd.from_pandas(LOG, npartitions=2), **options)
    assert err.value.argument == argument
    if "05 11:00" in str(options["calibration_end"]) or "time_unit" in options:
        assert "holdout" in str(err.value) and str(pd.Timestamp(options["calibration_end"])) in str(
            err.value
        )


def test_a_pandas_frame_is_refused_naming_the_argument() -> None:
    with pytest.raises(ArgumentError) as err:
        rdask.summarize(LOG)  # type: ignore[arg-type]
    assert err.value.argument == "transactions"


@pytest.mark.parametrize(
    "ids",
    [["a", 1, "b", "b", "c", "c"], [1, 1, 2, "b", "c", "c"]],
    ids=["inside a partition", "across partitions"],
)
def test_text_and_number_ids_are_the_in_memory_error(ids: list[object]) -> None:
    """Ids mixing text and numbers (an object column; Dask's own string conversion is off, as
    it would turn the numbers into text before relmark sees them): relmark.data's error naming
    the number rows, also when each partition holds one kind."""
    log = LOG.assign(customer_id=pd.Series(ids, dtype=object))
    with dask.config.set({"dataframe.convert-string": False}):
        want, got = _errors(log, 2)
    assert str(got) == str(want)
    assert isinstance(got, DataError) and isinstance(want, DataError)
    assert got.rows == want.rows


def test_fit_and_score_refuse_a_pandas_frame_naming_the_argument() -> None:
    from relmark.clv import BGNBD

    rows = pd.DataFrame({"frequency": [1.0, 0.0], "recency": [1.0, 0.0], "T": [2.0, 2.0]})
    with pytest.raises(ArgumentError) as err:
        rdask.fit(BGNBD, rows)  # type: ignore[arg-type]
    assert err.value.argument == "summary"
    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ArgumentError) as err:
        rdask.score(model, rows, horizon=1.0)  # type: ignore[arg-type]
    assert err.value.argument == "customers"


def _same_error(
    log: pd.DataFrame, parts: int, split: bool = False, *, message: bool = True, **kw: Any
) -> DataError:
    with dask.config.set({"dataframe.convert-string": False}):
        want, got = _errors(log, parts, split, **kw)
    assert isinstance(got, DataError) and isinstance(want, DataError)
    if message:
        assert str(got) == str(want)
        assert got.column == want.column
    assert (got.rows, got.count) == (want.rows, want.count)
    return got


def test_a_row_at_fault_twice_across_partitions_is_counted_once() -> None:
    """A row at fault in its partition (a return refused, a late date) that the checks across
    partitions also fault (its integer id beside text ids elsewhere, its date without the
    offset the other partition's dates have, its netted return without a purchase) is one row
    of the error's count, as in relmark.data: the merged count was the sum of the partitions'
    and the cross-partition counts (4 rows at fault of 3, 6 of 4)."""
    ids = pd.Series([1, 1, 2, "b", "c", "c"], dtype=object)
    got = _same_error(
        LOG.assign(customer_id=ids, amount=[10.0, -5, 6, 3, 1, 2]), 2, monetary_value="amount"
    )
    assert got.count == 3  # rows 0, 1, 2: by hand
    text = [
        "2024-01-01 10:00",
        "2024-01-05 10:00",
        "2024-01-05 13:00",
        "2024-01-02 00:00+00:00",
        "2024-01-02 09:00+00:00",
        "2024-01-04 00:00+00:00",
    ]
    got = _same_error(
        LOG.assign(date=text, amount=[10.0, -5, 6, 3, -1, 2]), 2, monetary_value="amount"
    )
    assert got.count == 4  # the three naive rows and row 4's return
    # netted returns without a purchase in their period, one also after observation_end
    orphan = LOG.assign(
        customer_id=["a", "a", "a", "b", "b", "c"],
        date=pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-03",
                "2024-01-09",
                "2024-01-02",
                "2024-01-04",
                "2024-01-04",
            ]
        ),
        amount=[10.0, -5, -6, 3, -1, 2],
    )
    for parts in (1, 2, 3):
        got = _same_error(
            orphan, parts, monetary_value="amount", returns="net", observation_end="2024-01-08"
        )
        assert got.count == 3  # rows 1, 2 (also late), 4
    # the orphan return in a partition without offsets beside one with them
    naive = orphan.assign(amount=[-10.0, 5, 6, 3, 1, 2], date=text)
    # (relmark.data does not net the rows whose dates it refuses; each partition reads its
    # own dates, so the Dask error also lists row 0's return: the rows at fault are the same)
    got = _same_error(naive, 2, message=False, monetary_value="amount", returns="net")
    assert got.count == 3  # the naive rows 0-2, row 0 a return without a purchase too
    assert "without a purchase" in str(got)


@pytest.mark.parametrize("parts", [1, 3, 7])
def test_many_netted_returns_at_fault_name_the_first_rows(parts: int) -> None:
    """25 returns without a purchase in their period and 12 exceeding it, of a few customers
    spread over the partitions (several per customer and period): relmark.data's first ten
    rows of each problem and its counts, from the fixed-width first codes each group carries
    through the shuffle (merged without Python per group)."""
    ids, dates, amounts = [], [], []
    for i in range(25):  # returns on days without a purchase
        ids.append(f"c{i % 4}")
        dates.append(pd.Timestamp("2024-02-01") + pd.Timedelta(days=i % 5))
        amounts.append(-1.0 - i)
    for i in range(12):  # a purchase of 1 and a return of 5 on one day
        ids += [f"c{i % 3}", f"c{i % 3}"]
        day = pd.Timestamp("2024-03-01") + pd.Timedelta(days=i)
        dates += [day, day]
        amounts += [1.0, -5.0]
    ids += ["c0", "c1", "c2", "c3"]  # a purchase of each before
    dates += [pd.Timestamp("2024-01-01")] * 4
    amounts += [10.0] * 4
    log = pd.DataFrame({"customer_id": ids, "date": dates, "amount": amounts})
    log = log.sample(frac=1.0, random_state=3).reset_index(drop=True)
    got = _same_error(log, parts, monetary_value="amount", returns="net")
    assert got.count == 25 + 12
    assert "without a purchase" in str(got) and "exceed" in str(got)


def test_boolean_ids_are_the_in_memory_error() -> None:
    """Boolean ids were refused saying "007 has become 7.0 already" (the float message)."""
    log = LOG.assign(customer_id=[True, True, False, False, True, True])
    want, got = _errors(log, 2)
    assert str(got) == str(want)
    assert isinstance(got, DataError) and got.column == "customer_id"


def test_fit_refuses_a_row_with_a_missing_value() -> None:
    """The grouping into distinct rows dropped a row with NaN (pandas' groupby drops missing
    keys): the fit ran on the other customers, silently; now the in-memory fit's DataError
    naming the column."""
    from relmark.clv import BGNBD
    from relmark.datasets import load_cdnow_summary

    frame = load_cdnow_summary().to_frame().reset_index()
    bad = frame.assign(frequency=frame["frequency"].where(frame.index != 3, float("nan")))
    with dask.config.set(scheduler="synchronous"), pytest.raises(DataError) as err:
        rdask.fit(BGNBD, dd.from_pandas(bad, npartitions=3), time_unit="W")
    assert err.value.column == "frequency" and "NaN" in str(err.value)


@pytest.mark.parametrize(
    ("options", "argument"),
    [({"periods": 0}, "periods"), ({"discount_rate": -2.0}, "discount_rate")],
)
def test_score_checks_the_clv_horizon_without_a_spend_model(
    options: dict[str, Any], argument: str
) -> None:
    """Refused at once as relmark.clv.score refuses them with a spend model (they were
    accepted, and ignored, without one)."""
    from relmark.clv import BGNBD

    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    customers = pd.DataFrame({"frequency": [1.0], "recency": [1.0], "T": [2.0]})
    with pytest.raises(ArgumentError) as err:
        rdask.score(model, dd.from_pandas(customers, npartitions=1), horizon=10.0, **options)
    assert err.value.argument == argument
