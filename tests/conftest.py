"""Test-session set-up shared by every test folder.

lifetimes (archived) sets a pandas option at import time that pandas 3 deprecates; with
``filterwarnings = error`` that import would fail wherever a test first touches lifetimes. Import
it once here, with exactly that warning silenced, so tests can use it as a cross-check.
"""

from __future__ import annotations

import warnings

import pandas as pd

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=".*mode.chained_assignment.*", category=pd.errors.Pandas4Warning
    )
    import lifetimes  # noqa: F401
