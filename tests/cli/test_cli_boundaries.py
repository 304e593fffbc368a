"""Command-line boundaries found by attacking ``fit`` and ``score`` with wrong files and
options: each is one ``relmark: error`` line (exit status 2) naming the option or column, and
nothing is written or overwritten.

- ``fit s.csv -o s.csv`` replaced the summary by the model JSON (``summarize`` refused it);
  ``score`` did the same to its summary or to a model file.
- ``--draws 1000000000`` and ``--periods 1000000`` were refused in the library's words
  (``argument 'n_draws'``, ``argument 'periods'``), after the fits.
- A ``time_unit`` or ``currency`` column blank on some lines was read from the other lines;
  a currency ``eur`` was accepted (the library refuses it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from relmark.cli import main

SUMMARY = (
    "customer_id,frequency,recency,T,time_unit,monetary_value\n"
    "a,1,5,10,W,3\nb,0,0,10,W,0\nc,2,8,10,W,5\nd,3,9,11,W,4\n"
)


def _error(argv: list[object], capsys: pytest.CaptureFixture[str]) -> str:
    code: object
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own errors (an option's value)
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error: " in lines[0] and "Traceback" not in err, err
    return lines[0]


def test_fit_refuses_to_overwrite_its_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.csv"
    src.write_text(SUMMARY)
    err = _error(["fit", src, "--model", "bgnbd", "-o", src], capsys)
    assert "is the input file" in err and "--output" in err
    assert src.read_text() == SUMMARY


@pytest.mark.parametrize("which", ["summary", "model"])
def test_score_refuses_to_overwrite_an_input(
    which: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.csv"
    src.write_text(SUMMARY)
    model = tmp_path / "m.json"
    model.write_text('{"not": "read"}')
    out = src if which == "summary" else model
    before = out.read_text()
    err = _error(["score", src, "--model", model, "-o", out], capsys)
    assert "is an input file" in err
    assert out.read_text() == before


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--draws", "1000000000", "must be at most 1,000,000"),
        ("--draws", "19", "must be >= 20"),
        ("--periods", "1000000", "must be at most 10,000"),
        ("--periods", "0", "must be >= 1"),
    ],
)
def test_score_counts_are_refused_as_options(
    option: str, value: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.csv"
    src.write_text(SUMMARY)
    err = _error(["score", src, option, value, "-o", tmp_path / "out.csv"], capsys)
    assert f"argument {option}: {words}" in err
    assert "n_draws" not in err and "'periods'" not in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda t: t.replace("b,0,0,10,W,0", "b,0,0,10,,0"), "column 'time_unit': blank on line 3"),
        (
            lambda t: (
                t.replace("monetary_value\n", "monetary_value,currency\n")
                .replace(",3\n", ",3,EUR\n")
                .replace(",0\n", ",0,\n")
                .replace(",5\n", ",5,EUR\n")
                .replace(",4\n", ",4,EUR\n")
            ),
            "column 'currency': blank on line 3",
        ),
        (
            lambda t: (
                t.replace("monetary_value\n", "monetary_value,currency\n")
                .replace(",3\n", ",3,eur\n")
                .replace(",0\n", ",0,eur\n")
                .replace(",5\n", ",5,eur\n")
                .replace(",4\n", ",4,eur\n")
            ),
            "'eur' is not an ISO 4217 code",
        ),
    ],
    ids=["time_unit blank", "currency blank", "currency lower case"],
)
def test_summary_constant_columns_are_whole_and_valid(
    edit: object, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.csv"
    src.write_text(edit(SUMMARY))  # type: ignore[operator]
    err = _error(["fit", src, "--model", "gammagamma", "-o", tmp_path / "m.json"], capsys)
    assert words in err
    assert not (tmp_path / "m.json").exists()


def test_a_repeated_warning_is_printed_once_with_its_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warning raised in every batch (numpy's 'overflow encountered in multiply' from a
    view whose spend model ran off to q = 3e169) filled the terminal with 165 equal lines."""
    import warnings

    import relmark.cli as cli

    def noisy(args: object) -> int:
        for _ in range(165):
            warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        warnings.warn("another", UserWarning, stacklevel=1)
        return 0

    parser = cli.build_parser()
    real = parser.parse_args

    def parse(argv: list[str]) -> object:
        args = real(argv)
        args.run = noisy
        return args

    monkeypatch.setattr(parser, "parse_args", parse)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    src = tmp_path / "s.csv"
    src.write_text(SUMMARY)
    assert main(["fit", str(src), "--model", "bgnbd", "-o", str(tmp_path / "m.json")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "relmark: warning: overflow encountered in multiply (165 times)",
        "relmark: warning: another",
    ]


@pytest.mark.parametrize("name", ["scores.xlsx", "scores.JSON", "scores.feather"])
def test_a_table_is_not_written_under_another_formats_name(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``summarize log.csv -o summary.xlsx`` wrote CSV text into summary.xlsx."""
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date\na,2024-01-01\na,2024-01-08\nb,2024-01-03\n")
    err = _error(["summarize", log, "-o", tmp_path / name], capsys)
    assert "a table is written as CSV or Parquet" in err and name in err
    assert not (tmp_path / name).exists()
