"""The Dask paths on a real two-process LocalCluster on loopback, against the in-memory ones."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from relmark import dask as rdask  # noqa: E402
from relmark.clv import BGNBD, GammaGamma, clv  # noqa: E402
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
    assert local.monetary_value is not None
    np.testing.assert_allclose(
        scores["clv"],
        clv(memory_fit, spend, local.frequency, local.recency, local.T, local.monetary_value),
        rtol=1e-12,
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_every_path_gives_the_same_answers(client: object) -> None:
    """In memory (rows as they are), compressed (identical rows grouped), chunked scoring and
    the Dask cluster: the same estimates (1e-6) and the same scores."""
    from relmark.datasets import load_cdnow_summary

    s = load_cdnow_summary(with_monetary=True)
    plain = BGNBD.fit(s, compress=False)
    grouped = BGNBD.fit(s, compress=True)
    frame = s.to_frame().reset_index()
    on_cluster = rdask.fit(BGNBD, dd.from_pandas(frame, npartitions=3))
    for other in (grouped, on_cluster):
        np.testing.assert_allclose(other.params_array, plain.params_array, rtol=1e-6)
    assert plain.fit_result.n_unique == 2357
    assert grouped.fit_result.n_unique == 1016
    spend = GammaGamma.fit(s)
    assert s.monetary_value is not None
    args = (s.frequency, s.recency, s.T, s.monetary_value)
    whole = clv(plain.with_time_unit("W"), spend, *args)
    chunked = clv(plain.with_time_unit("W"), spend, *args, chunk_size=97)
    np.testing.assert_allclose(whole, chunked, rtol=1e-14)  # last-ulp differences of the sums
    scores = rdask.score(plain, dd.from_pandas(frame, npartitions=5), horizon=39).compute()
    np.testing.assert_allclose(
        scores["expected_purchases"].to_numpy(),
        plain.conditional_expected_purchases(39, s.frequency, s.recency, s.T),
        rtol=1e-13,
    )
