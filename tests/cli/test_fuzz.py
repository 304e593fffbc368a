"""Generated malformed transaction logs: every command that reads one exits with status 2,
prints exactly one line on stderr, no traceback, and writes no output (not even a partial or
temporary file)."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.cli import main
from tests.cli.strategies import Log, malformed_logs, offer_files, valid_logs

COMMANDS = {
    "summarize": ["--amount", "amount"],
    "view": [],
    "diagnostics": ["--calibration-end", "2000-01-01"],
    "cohorts": ["--amount", "amount"],
}


def _run(log: Log, command: str) -> tuple[int, str, list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        src, out = Path(folder) / "orders.csv", Path(folder) / "out.csv"
        src.write_bytes(log.text())
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([command, str(src), *COMMANDS[command], "-o", str(out)])
        return code, err.getvalue(), sorted(p.name for p in Path(folder).iterdir())


@settings(max_examples=60)
@given(log=malformed_logs(), command=st.sampled_from(sorted(COMMANDS)))
def test_malformed_logs_are_one_line_errors_and_write_nothing(log: Log, command: str) -> None:
    code, err, files = _run(log, command)
    assert code == 2, (log.broken, err)
    assert err.startswith("relmark: error: "), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert files == ["orders.csv"], files


@settings(max_examples=25)
@given(log=valid_logs(), bom=st.booleans())
def test_valid_logs_are_summarised_one_row_per_distinct_id(log: Log, bom: bool) -> None:
    """The counterpart: valid logs (with or without a BOM) go through, ids kept as text."""
    log = Log(log.rows, bom=bom)
    with tempfile.TemporaryDirectory() as folder:
        src, out = Path(folder) / "orders.csv", Path(folder) / "out.csv"
        src.write_bytes(log.text())
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["summarize", str(src), "--amount", "amount", "-o", str(out)])
        assert code == 0
        written = out.read_text().splitlines()[1:]
    assert sorted(line.split(",")[0] for line in written) == sorted({r[0] for r in log.rows[1:]})


OPTIONS = [
    "--multiplier",
    "--unit",
    "--end",
    "--timezone",
    "--date-format",
    "--delimiter",
    "--encoding",
    "--date-unit",
    "--returns",
    "--customer",
]
text_values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0", "-1", "nan", "inf", "1e309", "7", "2.5", "%Y", "%", "W", "tab"]),
)


@settings(max_examples=60)
@given(option=st.sampled_from(OPTIONS), value=text_values)
def test_any_option_value_is_accepted_or_refused_on_one_line(option: str, value: str) -> None:
    """Random values of each option of summarize: exit 0, or exit 2 with one line on stderr
    naming the option; never a traceback or an internal error."""
    with tempfile.TemporaryDirectory() as folder:
        src, out = Path(folder) / "orders.csv", Path(folder) / "out.csv"
        src.write_text("customer_id,date,amount\na,2024-01-01,10\na,2024-01-09,5\nb,2024-01-03,2\n")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(["summarize", str(src), option, value, "-o", str(out)])
            except SystemExit as stop:  # argparse's refusal
                code = stop.code  # type: ignore[assignment]
        assert code in (0, 2), err.getvalue()
        if code == 2:
            assert err.getvalue().count("\n") == 1, err.getvalue()
            assert "Traceback" not in err.getvalue()
            assert not out.exists()


@settings(max_examples=60)
@given(candidates=offer_files(), parquet_out=st.booleans())
def test_offer_files_are_chosen_or_refused_on_one_line(
    candidates: tuple[bytes, tuple[str, ...]], parquet_out: bool
) -> None:
    """'relmark offers' on generated candidate files: a valid file gives exit 0 and an offer
    file; a broken one (a missing column, text or a probability outside [0, 1], a blank id,
    the same offer twice, an empty file, NaN or overflow, bad bytes, another delimiter) gives
    exit 2, one line on stderr, no traceback and no file written."""
    text, broken = candidates
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "candidates.csv"
        out = Path(folder) / ("offers.parquet" if parquet_out else "offers.csv")
        src.write_bytes(text)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(
                ["offers", str(src), "--json", str(Path(folder) / "plan.json"), "-o", str(out)]
            )
        files = sorted(p.name for p in Path(folder).iterdir())
    if not broken:
        assert code == 0, err.getvalue()
        assert out.name in files and "plan.json" in files
        return
    assert code == 2, (broken, err.getvalue())
    assert err.getvalue().startswith("relmark: error: "), err.getvalue()
    assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()
    assert files == ["candidates.csv"], files


@settings(max_examples=40)
@given(option=st.sampled_from(["--max-contacts", "--contact-cost"]), value=text_values)
def test_any_offers_option_value_is_accepted_or_refused_on_one_line(
    option: str, value: str
) -> None:
    """Random values of the contact-policy options of 'relmark offers'."""
    with tempfile.TemporaryDirectory() as folder:
        src, out = Path(folder) / "candidates.csv", Path(folder) / "out.csv"
        src.write_text("customer_id,offer,p_response,margin,cost\na,jam,0.3,8,0.5\n")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(["offers", str(src), option, value, "-o", str(out)])
            except SystemExit as stop:  # argparse's refusal
                code = stop.code  # type: ignore[assignment]
        assert code in (0, 2), err.getvalue()
        if code == 2:
            assert err.getvalue().count("\n") == 1, err.getvalue()
            assert option in err.getvalue() and "Traceback" not in err.getvalue()
            assert not out.exists()
