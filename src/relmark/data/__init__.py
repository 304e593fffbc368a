"""From transactions to the per-customer summary every model takes.

- :class:`RFMSummary`: per-customer frequency, recency, T (and spend, holdout columns), with
  customer ids and the time unit; lifetimes-compatible column names.
- :func:`summarize`: a transaction log (pandas, polars or arrays) to an :class:`RFMSummary`.
- :func:`calibration_holdout`: the same with a holdout period, for model checking.
- :func:`read_transactions`: a transaction CSV as text columns indexed by line number (ids
  keep their leading zeros; errors name the lines).
- :func:`first_purchase_flag`: whether a summary, in any form it comes in, counts the first
  purchase (``include_first_purchase``); the models refuse such summaries.
- :func:`read_items`: a log with a product column to an :class:`ItemLog` (baskets x items).
"""

from relmark.data.items import ItemLog, read_items
from relmark.data.summary import RFMSummary, first_purchase_flag
from relmark.data.transactions import calibration_holdout, read_transactions, summarize

__all__ = [
    "ItemLog",
    "RFMSummary",
    "calibration_holdout",
    "first_purchase_flag",
    "read_items",
    "read_transactions",
    "summarize",
]
