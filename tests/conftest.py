"""Test-session set-up shared by every test folder.

Hypothesis profiles: ``dev`` (the default: 100 examples, no deadline, since a shared 2-core
machine makes timings noisy) and ``ci`` (the same count, derandomized so a CI failure can be
reproduced from its seed); ``HYPOTHESIS_PROFILE=thorough`` runs 1,000 examples per property for
a deeper local search. Tests that need fewer examples (costly fits) set their own
``@settings(max_examples=...)``.

lifetimes (archived) sets a pandas option at import time that pandas 3 deprecates; with
``filterwarnings = error`` that import would fail wherever a test first touches lifetimes. Import
it once here, with exactly that warning silenced, so tests can use it as a cross-check.
"""

from __future__ import annotations

import os
import warnings

import pandas as pd
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True)
settings.register_profile("thorough", parent=settings.get_profile("dev"), max_examples=1000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
)

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=".*mode.chained_assignment.*", category=pd.errors.Pandas4Warning
    )
    import lifetimes  # noqa: F401
