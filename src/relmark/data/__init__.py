"""From transactions to the per-customer summary every model takes.

- :class:`RFMSummary`: per-customer frequency, recency, T (and spend, holdout columns), with
  customer ids and the time unit; lifetimes-compatible column names.
- :func:`summarize`: a transaction log (pandas, polars or arrays) to an :class:`RFMSummary`.
- :func:`calibration_holdout`: the same with a holdout period, for model checking.
- :func:`read_transactions`: a transaction CSV as text columns indexed by line number (ids
  keep their leading zeros; errors name the lines).
- :func:`read_items`: a log with a product column to an :class:`ItemLog` (baskets x items).
"""

from relmark.data.items import ItemLog, read_items
from relmark.data.summary import RFMSummary
from relmark.data.transactions import calibration_holdout, read_transactions, summarize

__all__ = [
    "ItemLog",
    "RFMSummary",
    "calibration_holdout",
    "read_items",
    "read_transactions",
    "summarize",
]
