"""'relmark diagnostics', 'view', 'cohorts' and 'offers' read Parquet as well as CSV: the same
options, the same results as the CSV path (an independent reader: the CSV text path of the
data layer against DuckDB or pyarrow), and bad input refused in one line naming the option or
column, exit code 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relmark.cli import main
from relmark.datasets import load_cdnow_sample_transactions

pytest.importorskip("duckdb", reason="the sql extra is not installed")


def run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:  # a usage error, found by the parser
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The CDNOW 1/10 sample as one CSV and as two Parquet files (a glob)."""
    d = tmp_path_factory.mktemp("sample")
    log = load_cdnow_sample_transactions()[["customer_id", "date", "amount"]]
    log.to_csv(d / "log.csv", index=False)
    (d / "logs").mkdir()
    for i in range(2):
        log.iloc[i::2].to_parquet(d / "logs" / f"part-{i}.parquet", index=False)
    log.to_parquet(d / "log.parquet", index=False)
    return {
        "dir": d,
        "csv": d / "log.csv",
        "glob": d / "logs" / "*.parquet",
        "one": d / "log.parquet",
    }


def test_diagnostics_from_parquet_equals_csv(
    logs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = logs["dir"]
    common = ["--calibration-end", "1997-09-30", "--end", "1998-06-30", "--model", "bgnbd"]
    assert run(["diagnostics", logs["csv"], *common, "-o", d / "d.csv"], capsys)[0] == 0
    code, out, err = run(["diagnostics", logs["glob"], *common, "-o", d / "d.parquet"], capsys)
    assert code == 0, err
    want = pd.read_csv(d / "d.csv", index_col=0)
    got = pd.read_parquet(d / "d.parquet")
    got = got.set_index(got.columns[0])
    assert got.index.tolist() == want.index.tolist()
    np.testing.assert_allclose(got.to_numpy(dtype=float), want.to_numpy(dtype=float), rtol=1e-9)
    # the holdout: 1997-09-30 .. 1998-06-30 is 273 days, 39 weeks
    assert "holdout of 39 W" in out


def test_view_from_parquet_equals_csv(
    logs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = logs["dir"]
    assert run(["view", logs["csv"], "--margin", "0.3", "-o", d / "v.csv"], capsys)[0] == 0
    code, _, err = run(["view", logs["one"], "--margin", "0.3", "-o", d / "v.parquet"], capsys)
    assert code == 0, err
    want = pd.read_csv(d / "v.csv", index_col=0)
    got = pd.read_parquet(d / "v.parquet").set_index("customer_id")
    # Parquet ids are the file's integers (sorted as numbers), the CSV's text (sorted as text)
    assert got.index.dtype.kind == "i"
    got.index = got.index.astype(str)
    want.index = want.index.astype(str)
    assert sorted(got.index) == sorted(want.index)
    got = got.loc[want.index]
    for column in ("p_alive", "expected_purchases", "clv"):
        np.testing.assert_allclose(got[column], want[column], rtol=1e-9, err_msg=column)
    assert got["tier"].tolist() == want["tier"].tolist()


def test_cohorts_from_parquet_equals_csv(
    logs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = logs["dir"]
    common = ["--amount", "amount", "--kind", "revenue"]
    csv_run = ["cohorts", logs["csv"], *common, "-o", d / "c.csv", "--json", d / "c.json"]
    assert run(csv_run, capsys)[0] == 0
    code, _, err = run(
        ["cohorts", logs["glob"], *common, "-o", d / "c.parquet", "--json", d / "p.json"], capsys
    )
    assert code == 0, err
    got_json, want_json = (json.loads((d / n).read_text()) for n in ("p.json", "c.json"))
    # revenue sums in another row order: equal to the last digits (the rest exactly)
    np.testing.assert_allclose(
        np.array(got_json.pop("revenue"), dtype=float),
        np.array(want_json.pop("revenue"), dtype=float),
        rtol=1e-12,
    )
    assert got_json == want_json
    want = pd.read_csv(d / "c.csv", index_col=0)
    got = pd.read_parquet(d / "c.parquet").set_index("cohort")
    np.testing.assert_allclose(
        got.to_numpy(dtype=float, na_value=np.nan), want.to_numpy(dtype=float), rtol=1e-12
    )
    # by hand from the log: the sample's cohorts are the first quarter of 1997
    assert got.index.tolist() == ["1997-01", "1997-02", "1997-03"]


CANDIDATES = pd.DataFrame(
    {
        "customer_id": ["007", "007", "7"],
        "offer": ["jam", "tea", "jam"],
        "p_response": [0.30, 0.10, 0.20],
        "margin": [8.0, 30.0, 8.0],
        "cost": [0.5, 0.5, 0.5],
    }
)
CUSTOMERS = pd.DataFrame(
    {"customer_id": ["007", "7"], "level": ["accountable", "basic"], "contacts": [0, 1]}
)


def test_offers_from_parquet_equals_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """007: tea 0.10 x 30 - 0.5 = 2.5 beats jam 0.30 x 8 - 0.5 = 1.9 (one contact a period);
    7 has used its contact this period: no offer."""
    CANDIDATES.to_csv(tmp_path / "c.csv", index=False)
    CANDIDATES.to_parquet(tmp_path / "c.parquet", index=False)
    CUSTOMERS.to_csv(tmp_path / "s.csv", index=False)
    CUSTOMERS.to_parquet(tmp_path / "s.parquet", index=False)
    outs = []
    for kind in ("csv", "parquet"):
        out = tmp_path / f"o-{kind}.csv"
        args = ["offers", tmp_path / f"c.{kind}", "--customers", tmp_path / f"s.{kind}"]
        code, _, err = run([*args, "-o", out], capsys)
        assert code == 0, err
        outs.append(pd.read_csv(out, dtype={"customer_id": str}))
    pd.testing.assert_frame_equal(outs[0], outs[1])
    assert outs[1]["customer_id"].tolist() == ["007"]
    assert outs[1]["offer"].tolist() == ["tea"]
    np.testing.assert_allclose(outs[1]["expected_margin"], [2.5])


BAD: list[tuple[str, list[str], str]] = [
    ("diagnostics", ["--calibration-end", "someday"], "--calibration-end"),
    ("diagnostics", ["--calibration-end", "1999-01-01"], "--calibration-end"),
    ("diagnostics", ["--calibration-end", "1997-09-30", "--amount", "spend"], "spend"),
    ("diagnostics", ["--calibration-end", "1997-09-30", "--delimiter", ";"], "--delimiter"),
    ("diagnostics", ["--calibration-end", "1997-09-30", "--timezone", "Mars/Base"], "--timezone"),
    ("diagnostics", ["--calibration-end", "1997-09-30", "--model", "nope"], "--model"),
    ("view", ["--returns", "net"], "--returns"),
    ("view", ["--customer", "user"], "user"),
    ("view", ["--date-unit", "s"], "--date-unit"),
    ("view", ["--end", "1997-01-05"], "--end"),
    ("view", ["--margin", "2"], "--margin"),
    ("view", ["--encoding", "latin-1"], "--encoding"),
    ("cohorts", ["--kind", "revenue"], "--kind"),
    ("cohorts", ["--currency", "cur", "--amount", "amount"], "cur"),
    ("cohorts", ["--date", "when"], "when"),
    ("cohorts", ["--end", "1997-01-05"], "--end"),
    ("cohorts", ["--delimiter", "tab"], "--delimiter"),
    ("cohorts", ["--date-unit", "excel"], "--date-unit"),
    ("cohorts", ["--customer", "amount"], "amount"),
]


@pytest.mark.parametrize(("command", "args", "named"), BAD)
def test_bad_parquet_input_is_one_line_naming_the_option(
    logs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    args: list[str],
    named: str,
) -> None:
    out = tmp_path / "out.csv"
    code, _, err = run([command, logs["one"], *args, "-o", out], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert named in err, err
    assert not out.exists()


def test_unreadable_parquet_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "fake.parquet"
    fake.write_text("customer_id,date\na,2024-01-01\n")
    (tmp_path / "c.parquet").write_bytes(b"PAR1")
    CANDIDATES.drop(columns="margin").to_parquet(tmp_path / "short.parquet", index=False)
    cases = [
        (["cohorts", fake], "cannot read it as Parquet"),
        (["cohorts", tmp_path / "none-*.parquet"], "no file matches"),
        (["view", fake], "fake.parquet"),
        (["diagnostics", fake, "--calibration-end", "2024-01-01"], "fake.parquet"),
        (["offers", fake], "cannot read it as Parquet"),
        (["offers", tmp_path / "short.parquet"], "margin"),
    ]
    for args, named in cases:
        out = tmp_path / "out.csv"
        code, _, err = run([*args, "-o", out], capsys)
        assert code == 2, (args, err)
        assert err.count("\n") == 1 and named in err, (args, err)
        assert not out.exists()


@pytest.mark.parametrize("command", ["summarize", "view", "diagnostics", "cohorts", "offers"])
def test_help_says_parquet_is_read(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0
    assert "Parquet" in out and "--output" in out
    if command in ("view", "diagnostics", "summarize"):
        assert "--returns net" in " ".join(out.split())  # what a Parquet log cannot do
