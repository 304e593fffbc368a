"""Data where it lives: ``relmark summarize 'logs/*.parquet'`` (DuckDB, out of core) and
``relmark score customers.parquet --model m.json`` (in batches), equal to the CSV paths."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.cli import main
from relmark.datasets import load_cdnow_transactions

pytest.importorskip("duckdb", reason="the sql extra is not installed")


def run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:  # a usage error, found by the parser
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """CDNOW as one CSV file and as three Parquet files; its summary (CSV, Parquet), the
    BG/NBD and Gamma-Gamma fitted to it by 'relmark fit'."""
    d = tmp_path_factory.mktemp("cdnow")
    log = load_cdnow_transactions()[["customer_id", "date", "amount"]]
    log.to_csv(d / "log.csv", index=False)
    (d / "logs").mkdir()
    for i in range(3):
        log.iloc[i::3].to_parquet(d / "logs" / f"part-{i}.parquet")
    common = ["--amount", "amount", "--unit", "D", "--multiplier", "7"]
    assert main(["summarize", str(d / "log.csv"), *common, "-o", str(d / "s.csv")]) == 0
    glob = str(d / "logs" / "*.parquet")
    assert main(["summarize", glob, *common, "-o", str(d / "s.parquet")]) == 0
    for name in ("bgnbd", "gammagamma"):
        assert main(["fit", str(d / "s.csv"), "--model", name, "-o", str(d / f"{name}.json")]) == 0
    return {
        "dir": d,
        "glob": Path(glob),
        "csv": d / "s.csv",
        "parquet": d / "s.parquet",
        "bgnbd": d / "bgnbd.json",
        "gg": d / "gammagamma.json",
    }


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(customer_id=frame["customer_id"].astype(str)).set_index("customer_id")


def test_parquet_summary_equals_the_csv_summary(files: dict[str, Path]) -> None:
    csv = _by_id(pd.read_csv(files["csv"], dtype={"customer_id": str}))
    pq = _by_id(pd.read_parquet(files["parquet"])).loc[csv.index]
    assert len(pq) == len(csv) == 23_570
    assert set(pq["time_unit"]) == set(csv["time_unit"]) == {"W"}
    for col in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(pq[col].to_numpy(), csv[col].to_numpy(), err_msg=col)
    # the CSV round trip writes 17 significant digits: equal to the last place or so
    np.testing.assert_allclose(pq["monetary_value"], csv["monetary_value"], rtol=1e-13)


def test_parquet_scores_equal_the_csv_scores(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = files["dir"]
    options = ["--horizon", "26", "--periods", "6", "--discount", "0.02"]
    models = ["--model", files["bgnbd"], "--spend", files["gg"]]
    code, _, _ = run(["score", files["csv"], *models, *options, "-o", d / "sc.csv"], capsys)
    assert code == 0
    code, out, err = run(
        ["score", files["parquet"], *models, *options, "--progress", "-o", d / "sc.parquet"],
        capsys,
    )
    assert code == 0, err
    assert "23,570 customers scored out of core" in out
    assert "100%" in err and "[" not in out  # the bar on stderr only, when asked
    want = _by_id(pd.read_csv(d / "sc.csv", dtype={"customer_id": str}))
    got = _by_id(pd.read_parquet(d / "sc.parquet")).loc[want.index]
    for col in ("p_alive", "expected_purchases", "expected_spend", "clv"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, atol=1e-14, err_msg=col)
    # no bar without --progress
    code, _, err = run(["score", files["parquet"], *models, "-o", d / "quiet.parquet"], capsys)
    assert code == 0 and err == ""


def test_parquet_scores_without_a_spend_model(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dst = files["dir"] / "purchases.parquet"
    code, out, _ = run(["score", files["parquet"], "--model", files["bgnbd"], "-o", dst], capsys)
    assert code == 0
    assert "no spend or CLV" in out
    assert list(pd.read_parquet(dst).columns) == ["customer_id", "p_alive", "expected_purchases"]


def test_summarize_writes_parquet_from_csv_and_csv_from_parquet(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = files["dir"]
    common = ["--amount", "amount", "--unit", "D", "--multiplier", "7", "--progress"]
    code, _, err = run(["summarize", d / "log.csv", *common, "-o", d / "from-csv.pq"], capsys)
    assert code == 0 and "read log.csv:" in err and "summary: [" in err  # its steps' bars
    code, _, err = run(["summarize", files["glob"], *common, "-o", d / "from-pq.csv"], capsys)
    assert code == 0 and "100%" in err
    a = _by_id(pd.read_parquet(d / "from-csv.pq"))
    b = _by_id(pd.read_csv(d / "from-pq.csv", dtype={"customer_id": str})).loc[a.index]
    np.testing.assert_array_equal(a["recency"].to_numpy(), b["recency"].to_numpy())


def _one_line(code: int, err: str) -> str:
    assert code == 2
    assert err.startswith("relmark: error: ") or ": error: " in err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--model", "bgnbd"], "--model"),
        ([], "--model"),
        (["--model", "{bgnbd}", "--draws", "50"], "--draws"),
        (["--model", "{bgnbd}", "--seed", "3"], "--seed"),
        (["--model", "{bgnbd}", "--spend", "gammagamma"], "--spend"),
        (["--model", "{bgnbd}", "--spend", "{bgnbd}"], "--spend"),
        (["--model", "{gg}"], "GammaGamma"),
        (["--model", "{bgnbd}", "--unit", "D"], "--unit"),
        (["--model", "{bgnbd}", "--allow-unconverged"], "--allow-unconverged"),
        (["--model", "{bgnbd}", "--output-csv"], "--output"),
    ],
)
def test_bad_parquet_score_options_name_the_option(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    d = files["dir"]
    out = d / "bad.parquet"
    if "--output-csv" in extra:
        extra, out = extra[:-1], d / "bad.csv"
    args = [a.format(bgnbd=files["bgnbd"], gg=files["gg"]) for a in extra]
    code, _, err = run(["score", files["parquet"], *args, "-o", out], capsys)
    assert named in _one_line(code, err)
    assert not out.exists()


def test_bad_parquet_summaries_name_the_column_and_leave_no_output(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = files["dir"]
    dst = d / "kept.parquet"
    dst.write_bytes(b"previous")
    frame = pd.read_parquet(files["parquet"])
    frame.drop(columns="recency").to_parquet(d / "no-recency.parquet")
    broken = frame.assign(frequency=frame["frequency"].where(frame.index != 30_00, np.nan))
    broken.to_parquet(d / "nan.parquet")
    model = ["--model", files["bgnbd"]]
    for src, column in (("no-recency.parquet", "'recency'"), ("nan.parquet", "'frequency'")):
        code, _, err = run(["score", d / src, *model, "-o", dst], capsys)
        assert column in _one_line(code, err)
        assert dst.read_bytes() == b"previous"  # atomic: the old output is intact
    assert not [p for p in d.iterdir() if p.name.startswith(".kept.parquet.")]  # no temp files


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--amount", "amount", "--returns", "net"], "--returns"),
        (["--dayfirst"], "--dayfirst"),
        (["--delimiter", ";"], "--delimiter"),
        (["--encoding", "latin-1"], "--encoding"),
        (["--customer", "cust"], "'cust'"),
        (["--amount", "price"], "'price'"),
        (["--currency", "cur"], "--currency"),
        (["--timezone", "Mars/Olympus"], "--timezone"),
        (["--end", "1997-02-01"], "'date'"),
    ],
)
def test_bad_parquet_logs_name_the_option_or_column(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    out = files["dir"] / "bad-summary.parquet"
    code, _, err = run(["summarize", files["glob"], *extra, "-o", out], capsys)
    assert named in _one_line(code, err)
    assert not out.exists()


def test_missing_sql_extra_is_one_line(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb raises ImportError
    monkeypatch.delitem(sys.modules, "relmark.engines.sql", raising=False)
    out = files["dir"] / "no-duckdb.parquet"
    code, _, err = run(["summarize", files["glob"], "-o", out], capsys)
    assert "pip install 'relmark[sql]'" in _one_line(code, err)
    assert not out.exists()


@pytest.mark.parametrize("name", ["bgnbd", "paretonbd", "gammagamma"])
def test_fit_of_a_parquet_summary_equals_the_csv_fit(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Out of core from the distinct rows grouped by DuckDB: the parameters of the CSV fit
    (Gamma-Gamma leaves out the same zero-spend repeat buyer, with the same note)."""
    d = files["dir"]
    code, want_out, _ = run(["fit", files["csv"], "--model", name, "-o", d / "c.json"], capsys)
    assert code == 0
    code, got_out, err = run(["fit", files["parquet"], "--model", name, "-o", d / "p.json"], capsys)
    assert code == 0, err
    want = json.loads((d / "c.json").read_text())
    got = json.loads((d / "p.json").read_text())
    assert got["time_unit"] == want["time_unit"] == "W"
    for key, value in want["params"].items():
        assert got["params"][key] == pytest.approx(value, rel=1e-9), key
    assert ("left out of the Gamma-Gamma fit" in got_out) == ("left out" in want_out)


def test_bad_parquet_fits_name_the_column_or_option(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = files["dir"]
    log = d / "logs" / "part-0.parquet"  # a log, not a summary
    out = d / "bad-fit.json"
    code, _, err = run(["fit", log, "--model", "bgnbd", "-o", out], capsys)
    assert "--unit" in _one_line(code, err)
    code, _, err = run(["fit", log, "--model", "bgnbd", "--unit", "D", "-o", out], capsys)
    assert "'frequency'" in _one_line(code, err)
    code, _, err = run(["fit", log, "--model", "gammagamma", "--unit", "D", "-o", out], capsys)
    assert "'frequency'" in _one_line(code, err)
    code, _, err = run(
        ["fit", files["parquet"], "--model", "bgnbd", "--unit", "D", "-o", out], capsys
    )
    assert "--unit D" in _one_line(code, err)
    assert not out.exists()


def test_progress_uses_tqdm_when_installed(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With tqdm importable, --progress drives a tqdm bar on stderr up to every customer."""
    import types

    bars: list[Any] = []

    class FakeBar:
        def __init__(self, *, total: float, unit: str, file: Any, leave: bool, desc: str) -> None:
            self.total, self.n, self.file, self.closed = total, 0.0, file, False
            self.desc = desc
            bars.append(self)

        def update(self, step: float) -> None:
            self.n += step

        def close(self) -> None:
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    model = ["--model", files["bgnbd"]]
    out = files["dir"] / "tqdm.parquet"
    code, _, _ = run(["score", files["parquet"], *model, "--progress", "-o", out], capsys)
    assert code == 0
    (bar,) = bars
    assert bar.n == bar.total == 23_570 and bar.closed and bar.file is sys.stderr
    assert bar.desc == "score"
