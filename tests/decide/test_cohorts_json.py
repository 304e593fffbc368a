"""CohortTable.from_json: the round trip, and tampered JSON refused with a SchemaError naming
the key (the cell, for a matrix)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from relmark.decide import CohortTable, cohort_table
from relmark.errors import SchemaError

# a: January, February and March; b: February; c: January only (hand counts below)
LOG = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "c"],
        "date": ["2024-01-05", "2024-02-07", "2024-03-01", "2024-02-01", "2024-01-20"],
        "amount": [10.0, 4.0, 2.5, 7.0, 1.0],
    }
)


def _saved() -> dict[str, Any]:
    saved: dict[str, Any] = json.loads(cohort_table(LOG, monetary_value="amount").to_json())
    return saved


def test_round_trip_equals_the_hand_table() -> None:
    t = cohort_table(LOG, monetary_value="amount")
    back = CohortTable.from_json(t.to_json())
    assert back == t
    # by hand: cohort 2024-01 = {a, c}: 2 at age 0, a at ages 1 and 2; 2024-02 = {b}
    assert back.active == ((2, 1, 1), (1, 0, None))
    assert back.revenue == ((11.0, 4.0, 2.5), (7.0, 0.0, None))
    assert CohortTable.from_json(t.to_json().encode()) == t


def _set(path: str, value: Any) -> dict[str, Any]:
    d = _saved()
    *parents, last = path.split(".")
    node: Any = d
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return d


TAMPERED: list[tuple[dict[str, Any], str]] = [
    ({k: v for k, v in _saved().items() if k != "sizes"}, "sizes"),
    ({**_saved(), "extra": 1}, "extra"),
    (_set("cohorts", []), "cohorts"),
    (_set("cohorts.0", "2024-13"), "cohorts.0"),
    (_set("cohorts.1", "2023-12"), "cohorts.1"),
    (_set("cohorts.0", 202401), "cohorts.0"),
    (_set("ages", [0, 2, 3]), "ages"),
    (_set("ages.1", "1"), "ages.1"),
    (_set("sizes", [2]), "sizes"),
    (_set("sizes.1", 0), "sizes.1"),
    (_set("sizes.0", True), "sizes.0"),
    (_set("active.0.0", 3), "active.0.0"),
    (_set("active.0.1", 5), "active.0.1"),
    (_set("active.0.1", -1), "active.0.1"),
    (_set("active.0.1", 1.5), "active.0.1"),
    (_set("active.1", [1, 0]), "active.1"),
    (_set("active", [[2, 1, 1]]), "active"),
    (_set("active.0.1", None), "active.0.2"),
    (_set("active.1.1", None), "revenue.1.1"),
    (_set("revenue.1.2", 3.0), "revenue.1.2"),
    (_set("revenue.0.1", "4"), "revenue.0.1"),
    (_set("observation_end", "the end"), "observation_end"),
    (_set("observation_end", 20240301), "observation_end"),
    (_set("currency", "eur"), "currency"),
]


@pytest.mark.parametrize(("saved", "key"), TAMPERED)
def test_tampered_json_names_the_key(saved: dict[str, Any], key: str) -> None:
    with pytest.raises(SchemaError) as err:
        CohortTable.from_json(json.dumps(saved))
    assert err.value.key == key, str(err.value)


@pytest.mark.parametrize("text", ["", "[1, 2]", "{not json", b"\xff\xfe"])
def test_not_a_table(text: str | bytes) -> None:
    with pytest.raises(SchemaError):
        CohortTable.from_json(text)


def test_not_text() -> None:
    with pytest.raises(SchemaError, match="JSON text"):
        CohortTable.from_json(_saved())  # type: ignore[arg-type]
