"""Bundled data sets: CDNOW, donations and the sBG retention tables.

CDNOW and donations are read from the files that lifetimes ships (located without importing
lifetimes, whose import-time side effects trip pandas deprecation warnings); the two sBG
retention tables are shipped with relmark.
"""

from relmark.datasets._loaders import (
    RETENTION_TABLES,
    load_cdnow_sample_transactions,
    load_cdnow_summary,
    load_cdnow_transactions,
    load_donations,
    load_retention,
)
from relmark.datasets.items import ItemData, make_item_transactions

__all__ = [
    "RETENTION_TABLES",
    "ItemData",
    "load_cdnow_sample_transactions",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "load_donations",
    "load_retention",
    "make_item_transactions",
]
