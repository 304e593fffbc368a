"""Out-of-core scoring against relmark.clv.score on the whole frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relmark.clv import BGNBD, GammaGamma, ParetoNBD, score
from relmark.data import summarize
from relmark.datasets import load_cdnow_transactions
from relmark.engines.outofcore import score_parquet
from relmark.errors import ArgumentError, DataError


@pytest.fixture(scope="module")
def fitted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, pd.DataFrame, BGNBD, GammaGamma]:
    log = load_cdnow_transactions()
    s = summarize(log, monetary_value="amount", time_unit="D", freq_multiplier=7)
    frame = s.to_frame().reset_index()
    bg = BGNBD.fit(s)
    repeat = frame.query("frequency > 0 and monetary_value > 0")
    gg = GammaGamma.fit(repeat)
    path = tmp_path_factory.mktemp("score") / "customers.parquet"
    frame.to_parquet(path, row_group_size=5_000)
    return path, frame, bg, gg


def test_batches_equal_in_memory_scores(
    fitted: tuple[Path, pd.DataFrame, BGNBD, GammaGamma], tmp_path: Path
) -> None:
    path, frame, bg, gg = fitted
    want = score(
        bg,
        gg,
        frame["frequency"],
        frame["recency"],
        frame["T"],
        frame["monetary_value"],
        horizon=52,
        periods=12,
        chunk_size=1_000,
    )
    seen: list[tuple[int, int]] = []
    n = score_parquet(
        path,
        tmp_path / "s.parquet",
        bg,
        spend=gg,
        horizon=52,
        batch_size=3_000,
        chunk_size=1_000,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert n == len(frame) == 23_570
    got = pd.read_parquet(tmp_path / "s.parquet")
    assert got["customer_id"].tolist() == frame["customer_id"].tolist()
    for name, values in want.items():
        np.testing.assert_array_equal(got[name].to_numpy(), values, err_msg=name)
    assert seen[-1] == (23_570, 23_570) and len(seen) == 8  # ceil(23570 / 3000) batches


def test_models_as_json_text_and_files(
    fitted: tuple[Path, pd.DataFrame, BGNBD, GammaGamma], tmp_path: Path
) -> None:
    path, frame, _bg, _ = fitted
    pareto = ParetoNBD.fit(frame)
    (tmp_path / "model.json").write_text(pareto.to_json())
    want = score(pareto, None, frame["frequency"], frame["recency"], frame["T"], horizon=10)
    for model in (pareto.to_json(), tmp_path / "model.json", str(tmp_path / "model.json")):
        score_parquet(path, tmp_path / "out.parquet", model, horizon=10)
        got = pd.read_parquet(tmp_path / "out.parquet")
        assert list(got.columns) == ["customer_id", "p_alive", "expected_purchases"]
        np.testing.assert_array_equal(got["p_alive"].to_numpy(), want["p_alive"])


def test_bad_input(fitted: tuple[Path, pd.DataFrame, BGNBD, GammaGamma], tmp_path: Path) -> None:
    path, frame, bg, gg = fitted
    out = tmp_path / "o.parquet"
    with pytest.raises(DataError) as err:
        score_parquet(path, out, bg, spend=None, horizon=1, customer_id="id")
    assert err.value.column == "id"
    frame.drop(columns="monetary_value").to_parquet(tmp_path / "no_m.parquet")
    with pytest.raises(DataError) as err:
        score_parquet(tmp_path / "no_m.parquet", out, bg, spend=gg, horizon=1)
    assert err.value.column == "monetary_value"
    bad = frame.copy()
    bad.loc[7_000, "recency"] = 1e6  # recency > T, in the third batch of 3,000
    bad.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(DataError, match=r"bad\.parquet") as err:
        score_parquet(
            tmp_path / "bad.parquet", out, bg, horizon=1, batch_size=3_000, chunk_size=3_000
        )
    assert err.value.rows == (7_000,)
    bad.loc[7_000, "recency"] = None
    bad.to_parquet(tmp_path / "null.parquet")
    with pytest.raises(DataError) as err:
        score_parquet(tmp_path / "null.parquet", out, bg, horizon=1)
    assert err.value.column == "recency"
    (tmp_path / "junk.parquet").write_text("junk")
    with pytest.raises(DataError, match=r"junk\.parquet"):
        score_parquet(tmp_path / "junk.parquet", out, bg, horizon=1)
    cases: list[tuple[dict[str, object], str]] = [
        ({"purchases": 3}, "purchases"),
        ({"purchases": tmp_path / "missing.json"}, "purchases"),
        ({"horizon": -1}, "horizon"),
        ({"horizon": float("nan")}, "horizon"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 1_000}, "batch_size"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"destination": path}, "destination"),
        ({"progress": "yes"}, "progress"),
    ]
    for kwargs, argument in cases:
        call: dict[str, object] = {
            "source": path,
            "destination": out,
            "purchases": bg,
            "horizon": 1.0,
        }
        call.update(kwargs)
        with pytest.raises(ArgumentError) as aerr:
            score_parquet(**call)  # type: ignore[arg-type]
        assert aerr.value.argument == argument


def test_empty_file_gives_an_empty_result(
    fitted: tuple[Path, pd.DataFrame, BGNBD, GammaGamma], tmp_path: Path
) -> None:
    _path, frame, bg, _ = fitted
    frame.iloc[:0].to_parquet(tmp_path / "empty.parquet")
    assert score_parquet(tmp_path / "empty.parquet", tmp_path / "o.parquet", bg, horizon=1) == 0
    got = pd.read_parquet(tmp_path / "o.parquet")
    assert len(got) == 0 and list(got.columns) == ["customer_id", "p_alive", "expected_purchases"]
