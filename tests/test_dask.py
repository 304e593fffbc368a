"""The Dask paths on a real two-process LocalCluster on loopback, against the in-memory ones."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from relmark import dask as rdask  # noqa: E402
from relmark.clv import BGNBD, GammaGamma  # noqa: E402
from relmark.data import summarize  # noqa: E402
from relmark.datasets import load_cdnow_transactions  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_summary_fit_and_scores_equal_the_in_memory_results(client: object) -> None:
    log = load_cdnow_transactions()
    ddf = dd.from_pandas(log, npartitions=6)
    ours = rdask.summarize(ddf, monetary_value="amount", freq_multiplier=7)
    local = summarize(log, monetary_value="amount", freq_multiplier=7)
    np.testing.assert_array_equal(ours.customer_id, local.customer_id)
    np.testing.assert_array_equal(ours.frequency, local.frequency)
    np.testing.assert_array_equal(ours.recency, local.recency)
    np.testing.assert_array_equal(ours.T, local.T)
    assert ours.monetary_value is not None
    np.testing.assert_allclose(ours.monetary_value, np.asarray(local.monetary_value), rtol=1e-12)

    frame = local.to_frame().reset_index()
    dframe = dd.from_pandas(frame, npartitions=4)
    distributed_fit = rdask.fit(BGNBD, dframe)
    memory_fit = BGNBD.fit(local)
    np.testing.assert_allclose(distributed_fit.params_array, memory_fit.params_array, rtol=1e-6)
    assert distributed_fit.fit_result.loglik == pytest.approx(
        memory_fit.fit_result.loglik, rel=1e-12
    )

    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    scores = rdask.score(memory_fit, dframe, horizon=52, spend=spend).compute()
    np.testing.assert_allclose(
        scores["p_alive"], memory_fit.p_alive(local.frequency, local.recency, local.T), rtol=1e-12
    )
    np.testing.assert_allclose(
        scores["expected_purchases"],
        memory_fit.conditional_expected_purchases(52, local.frequency, local.recency, local.T),
        rtol=1e-12,
    )
    assert isinstance(scores, pd.DataFrame)
