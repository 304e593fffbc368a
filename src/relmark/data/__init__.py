"""From transactions to the per-customer summary every model takes.

- :class:`RFMSummary`: per-customer frequency, recency, T (and spend, holdout columns), with
  customer ids and the time unit; lifetimes-compatible column names.
- :func:`summarize`: a transaction log (pandas, polars or arrays) to an :class:`RFMSummary`.
- :func:`calibration_holdout`: the same with a holdout period, for model checking.
- :func:`read_transactions`: a transaction CSV as text columns indexed by line number (ids
  keep their leading zeros; errors name the lines).
"""

from relmark.data.summary import RFMSummary
from relmark.data.transactions import calibration_holdout, read_transactions, summarize

__all__ = ["RFMSummary", "calibration_holdout", "read_transactions", "summarize"]
