"""``--progress`` on every command that does long work: one bar per step on stderr when asked,
nothing without it, and stdout the same either way (the results only)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from relmark.cli import main
from relmark.datasets import load_cdnow_sample_transactions

LONG_COMMANDS = ("summarize", "fit", "score", "view", "diagnostics", "cohorts")


def run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:  # a usage error, found by the parser
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The CDNOW sample's log and its weekly summary (written by 'relmark summarize')."""
    d = tmp_path_factory.mktemp("progress")
    log = load_cdnow_sample_transactions()[["customer_id", "date", "amount"]]
    log.to_csv(d / "log.csv", index=False)
    summary = d / "s.csv"
    args = ["summarize", d / "log.csv", "--amount", "amount", "--multiplier", "7", "-o", summary]
    assert main([str(a) for a in args]) == 0
    return {"dir": d, "log": d / "log.csv", "summary": summary}


def _commands(files: dict[str, Path], out: Path) -> dict[str, list[object]]:
    log, summary = files["log"], files["summary"]
    return {
        "summarize": ["summarize", log, "--amount", "amount", "--multiplier", "7", "-o", out],
        "fit": ["fit", summary, "--model", "bgnbd", "-o", out],
        "score": ["score", summary, "--draws", "20", "-o", out],
        "view": ["view", log, "-o", out],
        "diagnostics": [
            "diagnostics",
            log,
            "--calibration-end",
            "1997-09-30",
            "--model",
            "bgnbd",
            "-o",
            out,
        ],
        "cohorts": ["cohorts", log, "-o", out],
    }


STEPS = {
    "summarize": ["read log.csv", "summary"],
    "fit": ["read s.csv", "BGNBD fit"],
    "score": ["read s.csv", "BGNBD fit", "GammaGamma fit", "intervals (20 parameter draws)"],
    "view": ["read log.csv", "summary", "relationship view"],
    "diagnostics": ["read log.csv", "calibration/holdout", "BGNBD fit", "holdout table"],
    "cohorts": ["read log.csv", "cohort table"],
}


@pytest.mark.parametrize("command", LONG_COMMANDS)
def test_progress_on_stderr_only_when_asked(
    command: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without tqdm (not a dependency) the bars are lines of text on stderr, one per step,
    each reaching 100%; stdout is the same with and without --progress."""
    quiet_out = files["dir"] / f"{command}-quiet.{'json' if command == 'fit' else 'csv'}"
    loud_out = files["dir"] / f"{command}-loud.{'json' if command == 'fit' else 'csv'}"
    code, quiet, err = run(_commands(files, quiet_out)[command], capsys)
    assert code == 0 and err == ""  # off by default
    code, loud, err = run([*_commands(files, loud_out)[command], "--progress"], capsys)
    assert code == 0, err
    assert loud.replace(str(loud_out), str(quiet_out)) == quiet
    assert "[#" not in loud and "[." not in loud and "\r" not in loud
    lines = [line for line in err.replace("\r", "\n").splitlines() if line]
    for step in STEPS[command]:
        done = [line for line in lines if line.startswith(step) and line.endswith("100%")]
        assert done, (step, lines[-5:])
    assert quiet_out.read_bytes() == loud_out.read_bytes()


def test_progress_drives_tqdm_when_installed(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With tqdm importable, each step is a tqdm bar on stderr named by the step, and the
    fit's bar follows the fit's progress callback (monotone, up to 100)."""
    bars: list[Any] = []

    class FakeBar:
        def __init__(self, *, total: float, unit: str, file: Any, leave: bool, desc: str) -> None:
            self.total, self.n, self.file, self.desc, self.closed = total, 0.0, file, desc, False
            self.seen: list[float] = []
            bars.append(self)

        def update(self, step: float) -> None:
            self.n += step
            self.seen.append(self.n)

        def close(self) -> None:
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    out = files["dir"] / "tqdm.json"
    code, _, err = run(
        ["fit", files["summary"], "--model", "bgnbd", "--progress", "-o", out], capsys
    )
    assert code == 0, err
    assert [b.desc for b in bars] == ["read s.csv", "BGNBD fit"]
    fit = bars[1]
    assert fit.file is sys.stderr and fit.closed and fit.n == fit.total == 100
    assert len(fit.seen) > 3  # intermediate positions, not only start and end
    assert all(a <= b for a, b in zip(fit.seen, fit.seen[1:], strict=False))


def test_a_failed_step_closes_its_bar_and_prints_one_error(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = files["dir"] / "bad.csv"
    bad.write_text("customer_id,date,amount\n1,soon,3\n", encoding="utf-8")
    code, out, err = run(["summarize", bad, "--progress", "-o", files["dir"] / "x.csv"], capsys)
    assert code == 2 and out == ""
    *bars, error = err.rstrip("\n").split("\n")
    assert error.startswith("relmark: error: ") and "column 'date'" in error
    assert all("100%" not in b.split("\r")[-1] for b in bars if b.startswith("\rsummary"))


def test_reading_a_csv_reports_its_lines_and_reads_the_same_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a progress callback the CSV is read in chunks (here of 2 records): the percentages
    rise to 100 and the records and their line numbers equal those of the one-pass read, a
    quoted field with a line break included."""
    from relmark import cli

    monkeypatch.setattr(cli, "READ_CHUNK", 2)
    text = 'customer_id,date,note\na,2024-01-01,x\nb,2024-01-02,"two\nlines"\nc,2024-01-03,y\n\n'
    seen: list[float] = []
    got = cli._records(text, ",", Path("t.csv"), seen.append)
    want = cli._records(text, ",", Path("t.csv"))
    assert got[0] == want[0] and list(got[1]) == list(want[1]) == [1, 2, 3, 5, 6]
    assert len(seen) == 3 and seen == sorted(seen) and seen[-1] == 100.0
