"""Defects found by a new-user review of the command line, each pinned by a test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relmark.cli import main
from relmark.clv import BGNBD, clv
from relmark.datasets import load_cdnow_sample_transactions, load_cdnow_transactions
from relmark.view import fit_spend


def _summarize(log: pd.DataFrame, folder: Path) -> Path:
    """`relmark summarize` of ``log`` in weeks, written in ``folder``."""
    src, out = folder / "orders.csv", folder / "summary.csv"
    log.to_csv(src, index=False)
    code = main(["summarize", str(src), "--amount", "amount", "--multiplier", "7", "-o", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def full_summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full CDNOW log summarised (one repeat buyer spends 0)."""
    return _summarize(load_cdnow_transactions(), tmp_path_factory.mktemp("cdnow"))


@pytest.fixture(scope="module")
def sample_summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDNOW sample summarised."""
    return _summarize(load_cdnow_sample_transactions(), tmp_path_factory.mktemp("sample"))


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("relmark: error: "), err
    assert err.count("\n") == 1, err
    return err


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """argparse's own refusal: exit 2 with a message naming the flag."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


def test_score_fits_spend_without_zero_spend_buyers_and_scores_everyone(
    full_summary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(full_summary)
    zero = int(((frame["frequency"] > 0) & (frame["monetary_value"] == 0)).sum())
    assert zero == 1
    out = tmp_path / "scores.csv"
    assert main(["score", str(full_summary), "--draws", "20", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "note: 1 repeat buyer(s) with a mean spend of 0 left out of the Gamma-Gamma" in printed
    scores = pd.read_csv(out)
    assert len(scores) == len(frame) == 23_570
    assert np.isfinite(scores[["expected_spend", "clv"]].to_numpy()).all()
    model = tmp_path / "gg.json"
    assert main(["fit", str(full_summary), "--model", "gammagamma", "-o", str(model)]) == 0
    assert "note: 1 repeat buyer(s)" in capsys.readouterr().out
    saved = json.loads(model.read_text())
    m = frame["monetary_value"].to_numpy()
    expected, _ = fit_spend(frame["frequency"].to_numpy(), m)
    assert saved["params"] == pytest.approx(expected.params, rel=1e-9)


def test_cli_clv_defaults_match_python_clv(
    sample_summary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """12 periods of a month (365.25 / 12 days: 4.348 weeks) at 1% a period, as
    relmark.clv.clv; no rounding."""
    from relmark.timeunit import TimeUnit

    month = TimeUnit("W").per_month
    frame = pd.read_csv(sample_summary)
    x, tx, T, m = (frame[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    bg = BGNBD.fit(frequency=x, recency=tx, T=T, time_unit="W")
    gg, _ = fit_spend(x, m)
    out = tmp_path / "scores.csv"
    assert main(["score", str(sample_summary), "--draws", "20", "-o", str(out)]) == 0
    assert f"CLV over 12 periods of {month:g} W at 0.01 per period" in capsys.readouterr().out
    scores = pd.read_csv(out)
    np.testing.assert_allclose(scores["clv"], clv(bg, gg, x, tx, T, m), rtol=1e-6)
    np.testing.assert_allclose(
        scores["expected_purchases"],
        bg.conditional_expected_purchases(x, tx, T, t=12 * month),
        rtol=1e-6,
    )
    argv = ["score", str(sample_summary), "--draws", "20", "--periods", "3"]
    argv += ["--period-length", "2.5", "--horizon", "2.5", "-o", str(out)]
    assert main(argv) == 0
    scores = pd.read_csv(out)
    want = clv(bg, gg, x, tx, T, m, periods=3, period_length=2.5)
    np.testing.assert_allclose(scores["clv"], want, rtol=1e-6)
    np.testing.assert_allclose(
        scores["expected_purchases"], bg.conditional_expected_purchases(x, tx, T, t=2.5), rtol=1e-6
    )


@pytest.mark.parametrize(
    ("options", "flag"),
    [
        (["--horizon", "0"], "--horizon"),
        (["--horizon", "-1"], "--horizon"),
        (["--period-length", "0"], "--period-length"),
        (["--periods", "0"], "--periods"),
        (["--periods", "2.5"], "--periods"),
        (["--draws", "0"], "--draws"),
        (["--draws", "-3"], "--draws"),
        (["--draws", "1"], "--draws"),
        (["--seed", "-1"], "--seed"),
        (["--discount", "-1"], "--discount"),
        (["--model", "gammagamma"], "--model"),
        (["--spend", "bgnbd"], "--spend"),
        (["--model", "bgnbd", "--model-json", "m.json"], "--model-json"),
        (["--period", "1"], "--period"),
    ],
)
def test_score_refuses_bad_options_naming_the_flag(
    options: list[str], flag: str, sample_summary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _usage_error(["score", str(sample_summary), *options, "-o", "x.csv"], capsys)
    assert line.startswith("relmark score: error: ")
    assert flag in line


def test_fit_model_choices_are_the_ones_that_fit_a_summary(
    sample_summary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _usage_error(["fit", str(sample_summary), "--model", "bgbb", "-o", "x.json"], capsys)
    assert "invalid choice: 'bgbb'" in line
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    assert "bgnbd, mbgnbd, paretonbd" in capsys.readouterr().out


def test_score_refuses_a_spend_model_json(
    sample_summary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gg = tmp_path / "gg.json"
    assert main(["fit", str(sample_summary), "--model", "gammagamma", "-o", str(gg)]) == 0
    capsys.readouterr()
    assert main(["score", str(sample_summary), "--model-json", str(gg), "-o", "x.csv"]) == 2
    assert "holds a GammaGamma model: score needs a purchase model" in _error(capsys)


def test_fit_records_the_time_unit_of_the_summary(
    sample_summary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pd.read_csv(sample_summary)["time_unit"].eq("W").all()
    model = tmp_path / "model.json"
    assert main(["fit", str(sample_summary), "--model", "bgnbd", "-o", str(model)]) == 0
    assert json.loads(model.read_text())["time_unit"] == "W"
    assert main(["fit", str(sample_summary), "--model", "bgnbd", "--unit", "D", "-o", "x"]) == 2
    assert "--unit D, but" in _error(capsys)
    bare = tmp_path / "bare.csv"
    pd.read_csv(sample_summary).drop(columns="time_unit").to_csv(bare, index=False)
    assert main(["fit", str(bare), "--model", "bgnbd", "-o", str(model)]) == 2
    assert "pass --unit" in _error(capsys)


def test_unconverged_fit_is_not_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nobody repeat-buys: BG/NBD's likelihood has no interior maximum."""
    src = tmp_path / "summary.csv"
    pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "frequency": 0, "recency": 0, "T": [5, 6, 7]}
    ).to_csv(src, index=False)
    model = tmp_path / "model.json"
    argv = ["fit", str(src), "--model", "bgnbd", "--unit", "W", "-o", str(model)]
    assert main(argv) == 2
    assert "no customer made a repeat purchase" in _error(capsys)  # the reason, named
    assert not model.exists()
    assert main([*argv, "--allow-unconverged"]) == 0
    assert model.exists()
    assert "relmark: warning: BGNBD: the fit did not converge" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("a,1,2,5,10\nb,two,2,5,3\n", "column 'frequency': "),
        ("a,1,2,5,10\nb,1,2,5,ten\n", "column 'monetary_value': "),
        ("a,1,2,5,10\n,1,2,5,3\n", "column 'customer_id': blank ids on line 3"),
        ("a,1,2,5,10\nb,x,2,5,y\nc,1,,5,3\n", "3 problems: "),
        ("a,1,2,5,10\nb,1,2,5,3\na,0,0,5,0\n", "duplicate ids ['a'] on lines 2, 4"),
        ("a,1,2,5,10\nb,1,2,inf,3\n", "column 'T': missing or not finite numbers: 'inf' (line 3)"),
    ],
)
def test_bad_summary_values_give_one_line_errors(
    rows: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "summary.csv"
    src.write_text("customer_id,frequency,recency,T,monetary_value\n" + rows)
    for command in (["fit", "--model", "bgnbd"], ["score"]):
        assert main([*command, str(src), "--unit", "W", "-o", str(tmp_path / "out")]) == 2
        assert message in _error(capsys)


def test_flags_are_named_in_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "orders.csv"
    pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-05"]}).to_csv(src)
    assert main(["summarize", str(src), "--end", "soon", "-o", str(tmp_path / "s.csv")]) == 2
    assert "--end: unparseable dates such as ['soon']" in _error(capsys)
    line = _usage_error(["summarize", str(src), "--multiplier", "0", "-o", "s.csv"], capsys)
    assert "--multiplier" in line


@pytest.mark.parametrize("margin", ["-0.3", "0", "1.5", "nan"])
def test_view_margin_must_be_a_share(margin: str, capsys: pytest.CaptureFixture[str]) -> None:
    line = _usage_error(["view", "orders.csv", "--margin", margin, "-o", "v.csv"], capsys)
    assert "argument --margin" in line
