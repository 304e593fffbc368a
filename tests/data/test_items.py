"""Reading item-level logs: baskets by id, by customer-day or by customer; categories; the
matrices checked cell by cell against the rows written by hand."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest

from relmark.data import ItemLog, read_items, read_transactions
from relmark.errors import ArgumentError, DataError

LOG = pd.DataFrame(
    {
        "customer_id": ["007", "007", "007", "7", "7"],
        "date": ["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-02", "2024-01-01", "2024-01-01"],
        "item": ["milk", "bread", "milk", "milk", "milk"],
        "category": ["dairy", "bakery", "dairy", "dairy", "dairy"],
        "order": ["A", "B", "C", "D", "D"],
    }
)


def test_baskets_by_id() -> None:
    items = read_items(LOG, basket="order", category="category")
    assert items.customers.tolist() == ["007", "7"]  # leading zeros are kept: two customers
    assert items.items.tolist() == ["bread", "milk"]
    assert items.categories is not None and items.categories.tolist() == ["bakery", "dairy"]
    assert items.n_baskets == 4
    # baskets A (milk), B (bread), C (milk), D (milk twice: one purchase)
    assert items.basket_matrix().toarray().tolist() == [[0, 1], [1, 0], [0, 1], [0, 1]]
    assert items.basket_customer.tolist() == [0, 0, 0, 1]
    assert items.customer_matrix().toarray().tolist() == [[1, 1], [0, 1]]


def test_baskets_by_customer_day_and_by_customer() -> None:
    by_day = read_items(LOG, datetime="date")
    # 007 on Jan 1 (milk, bread), 007 on Jan 2 (milk), 7 on Jan 1 (milk)
    assert by_day.n_baskets == 3
    assert sorted(by_day.basket_matrix().toarray().tolist()) == [[0, 1], [0, 1], [1, 1]]
    by_customer = read_items(LOG)
    assert by_customer.n_baskets == 2
    assert by_customer.basket_matrix().toarray().tolist() == [[1, 1], [0, 1]]


def test_from_a_csv(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "log.csv"
    LOG.to_csv(f, index=False)
    items = read_items(read_transactions(f), basket="order")
    assert isinstance(items, ItemLog)
    assert items.customers.tolist() == ["007", "7"]


def test_errors_name_the_column_and_rows(tmp_path: pathlib.Path) -> None:
    bad = LOG.copy()
    bad.loc[2, "category"] = "bakery"  # milk filed under two categories
    with pytest.raises(DataError) as err:
        read_items(bad, category="category")
    assert err.value.column == "category" and 2 in err.value.rows
    shared = LOG.copy()
    shared.loc[4, "customer_id"] = "x"  # basket D of two customers
    with pytest.raises(DataError) as err:
        read_items(shared, basket="order")
    assert err.value.column == "order"
    f = tmp_path / "log.csv"
    LOG.assign(item=["milk", "", "milk", "milk", "milk"]).to_csv(f, index=False)
    with pytest.raises(DataError) as err:
        read_items(read_transactions(f))
    assert err.value.column == "item" and err.value.rows == (3,)  # CSV line 3


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"item": "product"}, DataError, "product"),
        ({"customer_id": 3}, ArgumentError, "customer_id"),
        ({"basket": "nope"}, DataError, "nope"),
        ({"datetime": "item"}, DataError, "item"),
        ({"category": "nope"}, DataError, "nope"),
        ({"datetime": 5}, ArgumentError, "datetime"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], name: str) -> None:
    with pytest.raises(error) as err:
        read_items(LOG, **kwargs)  # type: ignore[arg-type]
    assert name in str(err.value)


def test_bad_tables() -> None:
    with pytest.raises(ArgumentError, match="transactions"):
        read_items([1, 2])
    with pytest.raises(DataError, match="empty"):
        read_items(LOG.iloc[:0])
    with pytest.raises(DataError) as err:
        read_items(LOG.assign(customer_id=[True, False, True, True, False]))
    assert err.value.column == "customer_id"
    with pytest.raises(DataError) as err:
        read_items(LOG.assign(item=[1, "a", 2, 3, 4]))
    assert err.value.column == "item"
    with pytest.raises(DataError) as err:
        read_items(LOG.assign(item=pd.Series([None, "a", "b", "c", "d"], dtype=object)))
    assert err.value.column == "item" and err.value.rows == (0,)
    assert np.array_equal(read_items(LOG).item, [1, 0, 1, 1, 1])


# ---------------------------------------------------------------- adversarial review (round 3)
@pytest.mark.parametrize(
    ("table", "column"),
    [
        # ids read as floats (a blank in the column, 007 read as 7.0) were taken as ids
        (pd.DataFrame({"customer_id": [1.0, 2.5], "item": ["x", "y"]}), "customer_id"),
        (pd.DataFrame({"customer_id": [1, 1], "item": [1, 1.0]}), "item"),
        # a blank id (spaces only) was an item of its own
        (pd.DataFrame({"customer_id": ["a", "b"], "item": ["x", "  "]}), "item"),
        # "x" and " x", "é" and "e" + combining accent were two items / customers
        (pd.DataFrame({"customer_id": ["a", "a"], "item": ["x", " x"]}), "item"),
        (pd.DataFrame({"customer_id": ["\u00e9", "e\u0301"], "item": ["x", "y"]}), "customer_id"),
    ],
)
def test_ids_read_like_summarize(table: pd.DataFrame, column: str) -> None:
    with pytest.raises(DataError) as err:
        read_items(table)
    assert err.value.column == column and column in str(err.value)


def test_two_dimensional_mapping_column() -> None:
    """A 2-d column of a mapping raised pyarrow's ArrowInvalid."""
    with pytest.raises(DataError) as err:
        read_items({"customer_id": [["a", "b"]], "item": [["x", "y"]]})
    assert err.value.column == "customer_id"


def test_padded_id_alone_is_kept() -> None:
    """Spaces are refused only when they make twins: a lone ' x' is an id as given."""
    assert read_items(
        pd.DataFrame({"customer_id": ["a", "a"], "item": [" x", "y"]})
    ).items.tolist() == [
        " x",
        "y",
    ]
