"""One local Spark session for every engines test that needs it (starting one takes seconds)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local-mode session (1 core, UTC); skips with the reason when pyspark or Java is
    missing."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra)")
    if shutil.which("java") is None:
        pytest.skip("Java is not on PATH: Spark cannot start")
    from relmark.engines.spark import local_session

    session = local_session(cores=1)
    yield session
    session.stop()
