"""The command line as a user meets it: help, the demo, summarize/fit/score, and wrong input."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from relmark.cli import main
from relmark.datasets import load_cdnow_sample_transactions
from relmark.demo import MAIN_MODEL


def test_help_lists_commands_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("demo", "summarize", "fit", "score", "examples:"):
        assert word in out


def test_demo_on_the_sample_reproduces_published_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo report shows the BG/NBD fit beside Fader, Hardie & Lee's (2005) values; its
    time covers the whole job; customer-level sections use one purchase model."""
    start = time.perf_counter()
    assert main(["demo", "--sample", "--output", str(tmp_path)]) == 0
    wall = time.perf_counter() - start
    out = capsys.readouterr().out
    report = (tmp_path / "report.md").read_text()
    shown = float(re.findall(r"_Computed in ([0-9.]+) s \(loading, fitting, report", report)[0])
    assert wall - 0.3 <= shown <= wall + 0.05
    top, view = report.split("## Most valuable customers")[1].split("## The relationship view")
    assert f"({MAIN_MODEL} + Gamma-Gamma" in top
    assert f"across every model ({MAIN_MODEL}, Gamma-Gamma" in view
    top_ids = [line.split("|")[1].strip() for line in top.splitlines() if line[:2] == "| "]
    view_ids = [line.split("|")[1].strip() for line in view.splitlines() if line[:2] == "| "]
    assert top_ids[1:6] == view_ids[-5:]  # (after the header) the same five customers
    assert "| r | 0.243 |" in report
    assert "log-likelihood -9,582.4" in report
    assert "Holdout check" in report
    assert "Most valuable customers" in report
    assert f"report written to {tmp_path / 'report.md'}" in out
    png = (tmp_path / "calibration_holdout.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 10_000


def test_demo_html(tmp_path: Path) -> None:
    assert main(["demo", "--sample", "--format", "html", "-o", str(tmp_path)]) == 0
    text = (tmp_path / "report.html").read_text()
    assert "<table" in text
    assert "<img src='calibration_holdout.png'>" in text


def test_summarize_fit_score_round_trip(tmp_path: Path) -> None:
    log = load_cdnow_sample_transactions()
    log = log[log["date"] <= "1997-09-30"].assign(date=lambda d: d["date"].dt.strftime("%Y%m%d"))
    src = tmp_path / "orders.csv"
    log.to_csv(src, index=False)
    summary = tmp_path / "summary.csv"
    code = main(
        [
            "summarize",
            str(src),
            "--customer",
            "customer_id",
            "--date",
            "date",
            "--amount",
            "amount",
            "--multiplier",
            "7",
            "--date-format",
            "%Y%m%d",
            "--end",
            "1997-09-30",
            "-o",
            str(summary),
        ]
    )
    assert code == 0
    frame = pd.read_csv(summary)
    assert len(frame) == 2357
    assert round(frame["T"].max(), 2) == 38.86
    model_path = tmp_path / "model.json"
    assert (
        main(["fit", str(summary), "--model", "bg/nbd", "--unit", "W", "-o", str(model_path)]) == 0
    )
    saved = json.loads(model_path.read_text())
    assert saved["model"] == "BGNBD"
    assert round(saved["params"]["r"], 3) == 0.243
    scores = tmp_path / "scores.csv"
    code = main(
        [
            "score",
            str(summary),
            "--model-json",
            str(model_path),
            "--horizon",
            "52",
            "--draws",
            "30",
            "-o",
            str(scores),
        ]
    )
    assert code == 0
    out = pd.read_csv(scores)
    assert len(out) == 2357
    assert ((out["p_alive_low"] <= out["p_alive"] + 1e-12) & (out["p_alive"] <= 1)).all()
    assert (out["clv_low"] <= out["clv_high"]).all()


def test_wrong_input_gives_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "orders.csv"
    pd.DataFrame({"user": [1, 2], "when": ["2024-01-01", "yesterday"]}).to_csv(src, index=False)
    out = tmp_path / "s.csv"
    assert main(["summarize", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"relmark: error: {src}: missing column(s) 'customer_id'")
    assert err.count("\n") == 1
    assert (
        main(["summarize", str(src), "--customer", "user", "--date", "when", "-o", str(out)]) == 2
    )
    assert "unparseable dates such as ['yesterday']" in (err := capsys.readouterr().err)
    assert "[CSV lines: 3]" in err
    assert main(["summarize", str(tmp_path / "nope.csv"), "-o", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["fit", str(src), "--model", "nosuchmodel", "-o", str(out)])
    assert stop.value.code == 2
    assert "argument --model: invalid choice: 'nosuchmodel'" in capsys.readouterr().err


def test_view_command_writes_the_relationship_view(tmp_path: Path) -> None:
    log = load_cdnow_sample_transactions()
    src = tmp_path / "orders.csv"
    log.to_csv(src, index=False)
    out = tmp_path / "view.csv"
    assert main(["view", str(src), "--margin", "0.3", "-o", str(out)]) == 0
    view = pd.read_csv(out)
    assert len(view) == 2357
    for column in ("p_alive", "clv", "segment", "tier", "stage", "stage_rule", "level", "reason"):
        assert column in view.columns


@pytest.mark.parametrize("command", ["demo", "summarize", "fit", "score", "view", "diagnostics"])
def test_every_help_text_renders_cleanly(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each subcommand's --help renders without raw format escapes (a literal '%%')."""
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "%%" not in text
    assert f"relmark {command}" in text
