"""``relmark summarize --include-first-purchase`` (the summary for reports, which ``fit`` and
``score`` refuse), ``relmark diagnostics``' default models, and the Parquet returns error in
the command line's words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relmark.cli import PURCHASE_MODELS, build_parser, main
from relmark.datasets import load_cdnow_sample_transactions

# a: days 1, 1, 8 and 22 (two purchases on day 1 are one period); b: day 3 only.
LOG = (
    "customer_id,date,amount\n"
    "a,2024-01-01,10\na,2024-01-01,5\na,2024-01-08,20\na,2024-01-22,30\nb,2024-01-03,7\n"
)


def run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:  # a usage error, found by the parser
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A summary CSV written by 'relmark summarize --include-first-purchase'."""
    (tmp_path / "log.csv").write_text(LOG)
    out = tmp_path / "counted.csv"
    argv = ["summarize", tmp_path / "log.csv", "--amount", "amount", "--end", "2024-01-31"]
    code, stdout, err = run([*argv, "--include-first-purchase", "-o", out], capsys)
    assert code == 0, err
    assert "counts the first purchase" in stdout
    return out


def test_summarize_counts_the_first_purchase(counted: Path) -> None:
    # by hand: a bought in 3 periods (15, 20, 30: mean 65/3), the last 21 days after the
    # first, observed for 30 days; b once (recency 0, mean 7), observed for 28 days
    frame = pd.read_csv(counted, dtype={"customer_id": str}).set_index("customer_id")
    assert frame.loc["a", ["frequency", "recency", "T"]].to_numpy().tolist() == [3.0, 21.0, 30.0]
    assert frame.loc["b", ["frequency", "recency", "T"]].to_numpy().tolist() == [1.0, 0.0, 28.0]
    assert frame.loc["a", "monetary_value"] == pytest.approx(65 / 3, rel=1e-15)
    assert frame.loc["b", "monetary_value"] == 7.0
    assert frame["include_first_purchase"].tolist() == [True, True]


def test_a_plain_summary_has_no_flag_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "log.csv").write_text(LOG)
    code, _, err = run(["summarize", tmp_path / "log.csv", "-o", tmp_path / "s.csv"], capsys)
    assert code == 0, err
    frame = pd.read_csv(tmp_path / "s.csv")
    assert "include_first_purchase" not in frame.columns
    assert frame["frequency"].tolist() == [2.0, 0.0]  # repeat periods only


@pytest.mark.parametrize(
    "command",
    [
        ["fit", "--model", "bgnbd"],
        ["fit", "--model", "gammagamma"],
        ["score"],
        ["score", "--model", "paretonbd"],
    ],
    ids=["fit bgnbd", "fit gammagamma", "score", "score paretonbd"],
)
def test_fit_and_score_refuse_a_summary_that_counts_the_first_purchase(
    counted: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = counted.parent / ("out.json" if command[0] == "fit" else "out.csv")
    code, _, err = run([command[0], counted, *command[1:], "-o", out], capsys)
    assert code == 2
    assert "counts the first purchase" in err
    assert "without --include-first-purchase" in err
    assert "include_first_purchase=" not in err  # the option, not the Python keyword
    assert str(counted) in err
    assert not out.exists()


def test_score_with_a_saved_model_refuses_it_too(
    counted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.json"
    model.write_text('{"not": "read"}')  # refused before the model is read
    code, _, err = run(["score", counted, "--model", model, "-o", tmp_path / "o.csv"], capsys)
    assert code == 2
    assert "--include-first-purchase" in err


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["yes", "yes"], ["'include_first_purchase'", "'yes' (line 2)", "(line 3)"]),
        (["True", ""], ["'include_first_purchase'", "'' (line 3)"]),
        (["True", "False"], ["'include_first_purchase'", "both True and False"]),
    ],
    ids=["text", "blank", "mixed"],
)
def test_a_tampered_flag_column_is_named(
    tmp_path: Path, flags: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.csv"
    src.write_text(
        "customer_id,frequency,recency,T,monetary_value,time_unit,include_first_purchase\n"
        f"a,3,21,30,20,D,{flags[0]}\nb,1,0,28,7,D,{flags[1]}\n"
    )
    code, _, err = run(["fit", src, "--model", "bgnbd", "-o", tmp_path / "m.json"], capsys)
    assert code == 2
    for word in words:
        assert word in err, err


def test_a_false_flag_column_is_a_plain_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.csv"
    src.write_text(
        "customer_id,frequency,recency,T,monetary_value,time_unit,include_first_purchase\n"
        "a,2,21,30,20,D,False\nb,0,0,28,0,D,False\nc,1,5,30,3,D,False\n"
    )
    code, _, err = run(["fit", src, "--model", "bgnbd", "-o", tmp_path / "m.json"], capsys)
    assert "include_first_purchase" not in err
    assert code in (0, 2)  # (3 customers may not converge; the flag is not the reason)


def test_diagnostics_checks_every_purchase_model_by_default() -> None:
    argv = ["diagnostics", "log.csv", "--calibration-end", "x", "-o", "t.csv"]
    args = build_parser().parse_args(argv)
    assert args.model == list(PURCHASE_MODELS)
    assert "ggompertznbd" in args.model


def test_diagnostics_on_the_cdnow_sample_has_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = load_cdnow_sample_transactions()[["customer_id", "date", "amount"]]
    log.to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / "holdout.csv"
    argv = ["diagnostics", tmp_path / "log.csv", "--calibration-end", "1997-09-30", "-o", out]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    assert err == ""  # no warning line
    table = pd.read_csv(out)
    assert "GGompertzNBD" in table.columns
    # CDNOW has no age-dependent dropout: GGompertz/NBD's fit is its Pareto/NBD boundary
    np.testing.assert_allclose(table["GGompertzNBD"], table["ParetoNBD"], rtol=1e-3)


def test_parquet_returns_error_names_the_option_not_a_python_function(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("duckdb", reason="the sql extra is not installed")
    pytest.importorskip("pyarrow")
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02"]),
            "amount": [10.0, -4.0, 3.0],
        }
    )
    log.to_parquet(tmp_path / "log.parquet")
    for extra in ([], ["--returns", "net"]):
        argv = ["summarize", tmp_path / "log.parquet", "--amount", "amount", *extra]
        code, _, err = run([*argv, "-o", tmp_path / "s.csv"], capsys)
        assert code == 2
        assert "relmark.data" not in err and "Spark" not in err, err
        assert "--returns" in err and "CSV" in err, err


def test_parquet_summary_counts_the_first_purchase_and_fit_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("duckdb", reason="the sql extra is not installed")
    pytest.importorskip("pyarrow")
    (tmp_path / "log.csv").write_text(LOG)
    log = pd.read_csv(tmp_path / "log.csv", parse_dates=["date"])
    log.to_parquet(tmp_path / "log.parquet")
    common = ["--amount", "amount", "--end", "2024-01-31", "--include-first-purchase"]
    for src, dst in (("log.parquet", "a.parquet"), ("log.csv", "b.parquet")):
        code, _, err = run(["summarize", tmp_path / src, *common, "-o", tmp_path / dst], capsys)
        assert code == 0, err
    a = pd.read_parquet(tmp_path / "a.parquet")
    assert a.set_index("customer_id")["frequency"].to_dict() == {"a": 3.0, "b": 1.0}
    assert a["include_first_purchase"].tolist() == [True, True]
    for model in ("bgnbd", "gammagamma"):
        out = tmp_path / "m.json"
        argv = ["fit", tmp_path / "a.parquet", "--model", model, "-o", out]
        code, stdout, err = run(argv, capsys)
        assert code == 2
        assert "without --include-first-purchase" in err, err
        assert stdout == ""  # refused before any note of the fit
        assert not out.exists()
