"""The bundled data sets against their published descriptions."""

from __future__ import annotations

import pytest

from relmark.datasets import (
    RETENTION_TABLES,
    load_cdnow_summary,
    load_cdnow_transactions,
    load_donations,
    load_retention,
)
from relmark.errors import ArgumentError


def test_cdnow_log_matches_its_description() -> None:
    """Fader & Hardie's CDNOW cohort: 23,570 customers, first purchases in 1997 Q1, observed
    to 1998-06-30; 69,659 transaction rows."""
    log = load_cdnow_transactions()
    assert len(log) == 69_659
    assert log["customer_id"].nunique() == 23_570
    first = log.groupby("customer_id")["date"].min()
    assert first.max() <= __import__("pandas").Timestamp("1997-03-31")
    assert log["date"].max() == __import__("pandas").Timestamp("1998-06-30")
    assert (log["amount"] >= 0).all()


def test_cdnow_summary_counts() -> None:
    """2357 sample customers, 946 repeat buyers (Fader & Hardie note 025)."""
    s = load_cdnow_summary(with_monetary=True)
    assert len(s) == 2357
    assert int((s.frequency > 0).sum()) == 946
    assert s.monetary_value is not None
    assert float(s.monetary_value[0]) == 22.35


def test_donations_pattern_table() -> None:
    """Fader, Hardie & Shang (2010): 11,104 donors, 6 opportunities, 22 patterns."""
    d = load_donations()
    assert len(d) == 22
    assert int(d["weights"].sum()) == 11_104
    assert set(d["periods"]) == {6}
    assert (d["frequency"] <= d["recency"]).all()


def test_retention_tables_are_the_papers() -> None:
    """Fader & Hardie (2007), Table 1: survival percentages by year."""
    assert RETENTION_TABLES["regular"][:8] == (100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1)
    assert RETENTION_TABLES["high_end"][7] == 49.1
    table = load_retention("high_end", cohort_size=1000)
    assert table["alive"].tolist()[:3] == [1000, 869, 743]
    with pytest.raises(ArgumentError, match="segment"):
        load_retention("vip")
