"""Progress of the DuckDB engine: :func:`relmark.engines.sql.fit`'s ``progress(stage,
fraction)`` over the grouping query and the fit (monotone, ``("done", 1.0)`` last, the fit
unchanged), ``relmark fit --progress`` on a Parquet summary, and the percentages of
``summarize`` and ``summarize_to_parquet`` while their query runs (DuckDB tracks a query's
progress only when asked in a non-interactive process: they reported 100 only).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from relmark.cli import main
from relmark.clv import BGNBD
from relmark.data import RFMSummary
from relmark.datasets import load_cdnow_summary
from relmark.engines import sql
from relmark.errors import ArgumentError


@pytest.fixture(scope="module")
def summary_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CDNOW's 2,357 customers, each repeated 1,700 times (four million rows): the grouping
    query runs for about a second, the fit is CDNOW's (the same distinct rows, the counts
    scaled), whose estimates Fader, Hardie and Lee (2005, Marketing Science 24(2), section 5)
    publish (r = 0.243, alpha = 4.414, a = 0.793, b = 2.426)."""
    path = tmp_path_factory.mktemp("progress") / "summary.parquet"
    cdnow = load_cdnow_summary().to_frame().reset_index()
    cdnow["customer_id"] = cdnow["customer_id"].astype("int64")
    con = duckdb.connect()
    con.register("cdnow", cdnow)
    con.sql(
        "COPY (SELECT c.customer_id + 10000 * k.k AS customer_id, c.frequency, c.recency, c.T, "
        "'W' AS time_unit FROM cdnow AS c CROSS JOIN range(1700) AS k(k)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    return path


def _check_calls(calls: list[tuple[str, float]]) -> None:
    """Monotone fractions in [0, 1]: the grouping first (up to 0.5, with DuckDB's reports
    between), the fit's stages after, ``("done", 1.0)`` once and last."""
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[0] >= 0.0 and fractions[-1] == 1.0
    assert calls[0] == ("group", 0.0) and calls[-1] == ("done", 1.0)
    assert [s for s, _ in calls].count("done") == 1
    groups = [f for s, f in calls if s == "group"]
    assert calls[: len(groups)] == [("group", f) for f in groups]  # the grouping comes first
    assert groups[-1] == 0.5 and any(0.0 < f < 0.5 for f in groups)  # DuckDB's percentage
    fit = calls[len(groups) : -1]
    assert fit and all(f >= 0.5 for _, f in fit)
    assert {s for s, _ in fit} >= {"start", "optimise"}


def test_fit_reports_grouping_then_fit_and_equals_in_memory(
    summary_file: Path, tmp_path: Path
) -> None:
    """The parameters are those of the in-memory fit of the same summary, with or without a
    callback. The summary is read from CSV here (parsing four million rows takes seconds,
    so DuckDB's reports, every 0.2 s, come whatever the machine's load)."""
    csv = tmp_path / "summary.csv"
    duckdb.sql(f"COPY (SELECT * FROM read_parquet('{summary_file}')) TO '{csv}' (HEADER)")
    calls: list[tuple[str, float]] = []
    model = sql.fit(BGNBD, str(csv), progress=lambda s, f: calls.append((s, f)))
    _check_calls(calls)
    frame = pd.read_parquet(summary_file)
    summary = RFMSummary.from_frame(frame.drop(columns="time_unit"), time_unit="W")
    want = BGNBD.fit(summary, compress=True)
    assert model.params == want.params
    assert sql.fit(BGNBD, str(summary_file)).params == want.params
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: round(v, 3) for k, v in model.params.items()} == published


def test_fit_progress_tqdm(summary_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``"tqdm"`` draws one bar named by the model, moved monotonically to its end and closed;
    without tqdm the ArgumentError names progress and the extra."""
    bars: list[Any] = []

    class FakeBar:
        def __init__(self, *, total: int, desc: str, leave: bool) -> None:
            self.total, self.desc, self.n, self.closed = total, desc, 0, False
            self.seen: list[int] = []
            bars.append(self)

        def set_postfix_str(self, text: str, refresh: bool) -> None:
            pass

        def update(self, step: int) -> None:
            self.n += step
            self.seen.append(self.n)

        def close(self) -> None:
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", types.SimpleNamespace(tqdm=FakeBar))
    sql.fit(BGNBD, str(summary_file), progress="tqdm")
    assert [b.desc for b in bars] == ["BGNBD fit"]
    bar = bars[0]
    assert bar.closed and bar.n == bar.total == 1000 and bar.seen == sorted(bar.seen)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # not installed
    with pytest.raises(ArgumentError, match=r"relmark\[progress\]") as err:
        sql.fit(BGNBD, str(summary_file), progress="tqdm")
    assert err.value.argument == "progress"


@pytest.mark.parametrize("bad", ["yes", 5, lambda fraction: None, int])
def test_fit_refuses_a_bad_progress_before_reading(bad: object, tmp_path: Path) -> None:
    """Checked first: the missing file is never opened."""
    with pytest.raises(ArgumentError) as err:
        sql.fit(BGNBD, str(tmp_path / "missing.parquet"), progress=bad)  # type: ignore[arg-type]
    assert err.value.argument == "progress"


def test_cli_fit_of_a_parquet_summary_shows_the_progress(
    summary_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``relmark fit s.parquet --progress`` goes through sql.fit: one bar on stderr reaching
    100%, nothing without --progress, the same model either way."""
    quiet, loud = tmp_path / "quiet.json", tmp_path / "loud.json"
    assert main(["fit", str(summary_file), "--model", "bgnbd", "-o", str(quiet)]) == 0
    out_quiet, err = capsys.readouterr()
    assert err == ""
    args = ["fit", str(summary_file), "--model", "bgnbd", "--progress", "-o", str(loud)]
    assert main(args) == 0
    out_loud, err = capsys.readouterr()
    lines = [line for line in err.replace("\r", "\n").splitlines() if line]
    assert any(line.startswith("BGNBD fit") and line.endswith("100%") for line in lines)
    assert any(line.startswith("BGNBD fit") and "100%" not in line for line in lines)
    assert out_loud.replace(str(loud), str(quiet)) == out_quiet
    assert loud.read_bytes() == quiet.read_bytes()


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three million transactions of 300,000 customers."""
    path = tmp_path_factory.mktemp("progress-log") / "log.parquet"
    duckdb.sql(
        "COPY (SELECT i % 300000 AS customer_id, TIMESTAMP '2020-01-01' + "
        "to_seconds((i * 7919) % 90000000) AS date, CAST(i % 100 AS DOUBLE) AS amount "
        f"FROM range(3000000) AS t(i)) TO '{path}' (FORMAT parquet)"
    )
    return path


def test_summaries_report_percentages_while_running(
    log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between 0 and 100, rising, 100 last, and a percentage below 100 while the query runs;
    the summary itself unchanged by the callback (the file is the one written without it).
    DuckDB's progress is read every millisecond here (every 0.2 s by default, which an idle
    machine's 3M-row query could beat, leaving 100 only): the query runs a tenth of a second
    at the very least, a hundred readings."""
    monkeypatch.setattr(sql, "_PROGRESS_EVERY", 0.001)
    for run in ("summarize", "to_parquet"):
        seen: list[float] = []
        if run == "summarize":
            got = sql.summarize(str(log_file), monetary_value="amount", progress=seen.append)
            assert got == sql.summarize(str(log_file), monetary_value="amount")
        else:
            kw: dict[str, Any] = {"monetary_value": "amount", "partitions": 2}
            with_bar, without = tmp_path / "a.parquet", tmp_path / "b.parquet"
            sql.summarize_to_parquet(str(log_file), with_bar, progress=seen.append, **kw)
            sql.summarize_to_parquet(str(log_file), without, **kw)
            a, b = pd.read_parquet(with_bar), pd.read_parquet(without)
            key = "customer_id"
            pd.testing.assert_frame_equal(
                a.sort_values(key).reset_index(drop=True),
                b.sort_values(key).reset_index(drop=True),
            )
        assert seen == sorted(seen) and seen[-1] == 100.0, run
        assert any(0.0 < p < 100.0 for p in seen), run
