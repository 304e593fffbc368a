"""Grouping identical rows before a fit (``relmark.clv._base``): whole-day rows are counted by a
table for the small keys and a sort of the others; the result must be what a plain count of
the rows gives (a Python ``Counter``, independent of numpy's sorting)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import relmark.clv._base as base


@settings(max_examples=60, deadline=None)
@given(
    low=st.lists(st.integers(0, 600), max_size=300),
    high=st.lists(st.integers(0, 2**40), max_size=300),
    table=st.sampled_from([16, 1 << 10, 1 << 19]),
)
def test_count_keys_equals_a_plain_count(low: list[int], high: list[int], table: int) -> None:
    keys = low + high
    if not keys:
        return
    # (small tables exercise both halves and the plain sort)
    got_keys, got_counts = base._count_keys(np.array(keys, dtype=np.int64), table)
    want = sorted(Counter(keys).items())
    assert got_keys.tolist() == [k for k, _ in want]
    assert got_counts.tolist() == [float(c) for _, c in want]
    assert got_counts.dtype == np.float64


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 800), st.integers(0, 800)),
        min_size=1,
        max_size=400,
    )
)
def test_whole_day_rows_grouped_as_a_plain_count(rows: list[tuple[int, int, int]]) -> None:
    """Rows of (frequency, recency, T) in whole days: the distinct rows in key order and their
    counts, as counted row by row."""
    cols = tuple(np.array([r[i] for r in rows], dtype=np.float64) for i in range(3))
    (x, tx, t), counts = base._group_rows(cols, None)
    distinct = zip(x.tolist(), tx.tolist(), t.tolist(), strict=True)
    got = dict(zip(distinct, counts.tolist(), strict=True))
    want = {tuple(float(v) for v in k): float(c) for k, c in Counter(rows).items()}
    assert got == want
    assert sorted(got) == list(zip(x.tolist(), tx.tolist(), t.tolist(), strict=True))


def test_million_whole_day_rows_counted() -> None:
    """A million rows whose frequency-0 rows fall in the table and the others are sorted:
    the counts add up and match ``np.unique`` row by row (numpy's independent row sort)."""
    rng = np.random.default_rng(3)
    n = 1_000_000
    t = rng.integers(1, 730, n)
    x = np.where(rng.random(n) < 0.6, 0, rng.integers(1, 40, n))
    tx = np.where(x > 0, rng.integers(0, 730, n) % np.maximum(t, 1), 0)
    cols = (x.astype(float), tx.astype(float), t.astype(float))
    grouped, counts = base._group_rows(cols, None)
    assert counts.sum() == n
    want, want_counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
    np.testing.assert_array_equal(np.column_stack(grouped), want)
    np.testing.assert_array_equal(counts, want_counts)
