"""Bad input for every command, as a user meets it: each case exits with status 2, prints one
line naming the option, the column or the CSV line at fault, no traceback, and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from relmark.cli import main

HEADER = "customer_id,date,amount\n"
GOOD = HEADER + "a,2024-01-01,10\na,2024-01-08,20\nb,2024-01-03,5\n"
SUMMARY = "customer_id,frequency,recency,T,monetary_value,time_unit\na,1,7,14,20,D\nb,0,0,12,0,D\n"

# (id, file text, command and options after the file, words the error must hold)
LOG_CASES: list[tuple[str, str, list[str], list[str]]] = [
    ("empty file", "", ["summarize"], ["empty"]),
    ("blank lines only", "\n\n  \n", ["summarize"], ["empty"]),
    ("header only", HEADER, ["summarize"], ["no transactions"]),
    ("missing id column", "user,date\n1,2024-01-01\n", ["summarize"], ["'customer_id'", "found"]),
    ("missing date column", "customer_id,when\na,2024-01-01\n", ["summarize"], ["'date'"]),
    (
        "missing amount column",
        "customer_id,date\na,2024-01-01\n",
        ["summarize", "--amount", "total"],
        ["'total'"],
    ),
    (
        "semicolon file",
        "customer_id;date;amount\na;2024-01-01;10\n",
        ["summarize"],
        ["--delimiter ';'"],
    ),
    ("tab file", "customer_id\tdate\na\t2024-01-01\n", ["summarize"], ["--delimiter tab"]),
    (
        "blank id",
        HEADER + "a,2024-01-01,1\n,2024-01-02,1\n",
        ["summarize"],
        ["'customer_id'", "missing customer ids", "CSV lines: 3", "--drop-missing-ids"],
    ),
    (
        "blank id, spaces",
        HEADER + "  ,2024-01-02,1\n",
        ["summarize"],
        ["'customer_id'", "CSV lines: 2"],
    ),
    (
        "text amount",
        HEADER + "a,2024-01-01,ten\n",
        ["summarize", "--amount", "amount"],
        ["'amount'", "'ten'", "CSV lines: 2"],
    ),
    (
        "decimal comma",
        'customer_id,date,amount\na,2024-01-01,"10,5"\n',
        ["summarize", "--amount", "amount"],
        ["'amount'", "'10,5'", "CSV lines: 2"],
    ),
    (
        "missing amount",
        HEADER + "a,2024-01-01,\n",
        ["summarize", "--amount", "amount"],
        ["'amount'", "missing amounts", "CSV lines: 2"],
    ),
    (
        "infinite amount",
        HEADER + "a,2024-01-01,inf\n",
        ["summarize", "--amount", "amount"],
        ["'amount'", "CSV lines: 2"],
    ),
    (
        "NaN amount",
        HEADER + "a,2024-01-01,NaN\n",
        ["summarize", "--amount", "amount"],
        ["'amount'", "CSV lines: 2"],
    ),
    (
        "overflowing amount",
        HEADER + "a,2024-01-01,1e400\n",
        ["summarize", "--amount", "amount"],
        ["'amount'", "CSV lines: 2"],
    ),
    (
        "amounts whose total overflows",
        HEADER + "a,2024-01-01,5\na,2024-01-02,1e308\na,2024-01-02,1e308\n",
        ["summarize", "--amount", "amount"],
        ["'amount'", "beyond the float range", "'a'"],
    ),
    (
        "negative amount",
        HEADER + "a,2024-01-01,10\na,2024-01-02,-4\n",
        ["summarize", "--amount", "amount"],
        ["'amount'", "negative", "CSV lines: 3", "--returns drop"],
    ),
    (
        "negative amount in view",
        HEADER + "a,2024-01-01,-4\n",
        ["view"],
        ["'amount'", "negative", "CSV lines: 2"],
    ),
    (
        "excel serial days",
        HEADER + "a,45292,1\n",
        ["summarize"],
        ["'date'", "numbers", "--date-unit excel", "CSV lines: 2"],
    ),
    (
        "epoch seconds",
        HEADER + "a,1704067200,1\n",
        ["summarize"],
        ["'date'", "'1704067200'", "--date-unit", "CSV lines: 2"],
    ),
    (
        "numbers in view",
        HEADER + "a,45292,1\n",
        ["view"],
        ["'date'", "--date-unit", "CSV lines: 2"],
    ),
    (
        "text date",
        HEADER + "a,2024-01-01,1\nb,yesterday,1\n",
        ["summarize"],
        ["'date'", "'yesterday'", "CSV lines: 3"],
    ),
    ("missing date", HEADER + "a,,1\n", ["summarize"], ["'date'", "missing dates", "CSV lines: 2"]),
    (
        "date out of range",
        HEADER + "a,2999-01-01,1\n",
        ["summarize"],
        ["'date'", "2262", "CSV lines: 2"],
    ),
    (
        "excel day out of range",
        HEADER + "a,99999999,1\n",
        ["summarize", "--date-unit", "excel"],
        ["'date'", "outside", "--date-unit excel", "CSV lines: 2"],
    ),
    (
        "text with --date-unit",
        HEADER + "a,2024-01-01,1\n",
        ["summarize", "--date-unit", "s"],
        ["'date'", "--date-unit s", "CSV lines: 2"],
    ),
    (
        "wrong --date-format",
        HEADER + "a,2024-01-01,1\n",
        ["summarize", "--date-format", "%d/%m/%Y"],
        ["'date'", "%d/%m/%Y", "CSV lines: 2"],
    ),
    ("ragged row", HEADER + "a,2024-01-01,1\nb,2024-01-02\n", ["summarize"], ["line 3", "fields"]),
    ("extra field", HEADER + "a,2024-01-01,1,9\n", ["summarize"], ["line 2", "fields"]),
    ("bad quoting", HEADER + 'a,"2024-01-01"x,1\n', ["summarize"], ["line 2", "CSV"]),
    (
        "duplicate header",
        "customer_id,date,date\na,2024-01-01,2024-01-02\n",
        ["summarize"],
        ["duplicate column"],
    ),
    ("NUL byte", HEADER + "a,2024-01-01,1\x00\n", ["summarize"], ["line 2", "NUL"]),
    (
        "not UTF-8",
        "customer_id,date\n\xe9,2024-01-01\n",
        ["summarize"],
        ["line 2", "UTF-8", "--encoding"],
    ),
    (
        "not the encoding given",
        "customer_id,date\n\xe9,2024-01-01\n",
        ["summarize", "--encoding", "utf-8"],
        ["line 2", "--encoding utf-8"],
    ),
    (
        "spaces around column names",
        "customer_id, date\na, 2024-01-01\n",
        ["summarize"],
        ["'date'", "spaces around", "' date'"],
    ),
    (
        "ids differing by spaces",
        HEADER + "007,2024-01-01,1\n 007,2024-01-05,1\n",
        ["summarize"],
        ["'customer_id'", "spaces around them", "CSV lines: 2, 3"],
    ),
    (
        "several problems, one error",
        HEADER + ",2024-01-01,1\na,soon,1\nb,2024-01-02,x\n",
        ["summarize", "--amount", "amount"],
        [
            "3 problems",
            "'customer_id'",
            "CSV lines 2",
            "'date'",
            "CSV lines 3",
            "'amount'",
            "CSV lines 4",
        ],
    ),
    (
        "lines after a quoted line break",
        HEADER + 'a,2024-01-01,"1\n"\nb,bad,1\n',
        ["summarize"],
        ["'bad'", "CSV lines: 4"],
    ),
    ("after the end", GOOD, ["summarize", "--end", "2024-01-05"], ["CSV lines: 3", "'date'"]),
    ("unreadable --end", GOOD, ["summarize", "--end", "soon"], ["--end", "'soon'"]),
    ("--end out of range", GOOD, ["summarize", "--end", "3000-01-01"], ["--end"]),
    ("view: missing amount column", "customer_id,date\na,2024-01-01\n", ["view"], ["'amount'"]),
    (
        "diagnostics: blank id",
        HEADER + ",2024-01-01,1\n",
        ["diagnostics", "--calibration-end", "2024-01-01"],
        ["'customer_id'", "CSV lines: 2"],
    ),
    (
        "diagnostics: numbers",
        HEADER + "a,45292,1\n",
        ["diagnostics", "--calibration-end", "2024-01-01"],
        ["--date-unit"],
    ),
    (
        "diagnostics: bad --calibration-end",
        GOOD,
        ["diagnostics", "--calibration-end", "later"],
        ["--calibration-end", "'later'"],
    ),
    (
        "diagnostics: end before calibration end",
        GOOD,
        ["diagnostics", "--calibration-end", "2024-01-05", "--end", "2024-01-02"],
        ["--end", "--calibration-end"],
    ),
    ("view: too few customers to fit", GOOD, ["view"], ["did not converge", "--allow-unconverged"]),
    (
        "mixed currencies",
        "customer_id,date,amount,cur\na,2024-01-01,10,EUR\na,2024-01-05,10,USD\n",
        ["summarize", "--amount", "amount", "--currency", "cur"],
        ["'cur'", "currencies", "CSV lines 3"],
    ),
    (
        "ambiguous day and month",
        "customer_id,date\na,01/02/2024\na,03/02/2024\n",
        ["summarize"],
        ["ambiguous", "--dayfirst", "--monthfirst"],
    ),
    (
        "dropping every row",
        HEADER + ",2024-01-01,1\n",
        ["summarize", "--drop-missing-ids"],
        ["no transactions left"],
    ),
]


def _run(
    tmp_path: Path, text: str | bytes, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> str:
    src = tmp_path / "orders.csv"
    if isinstance(text, str):
        src.write_bytes(text.encode("latin-1") if "\xe9" in text else text.encode())
    else:
        src.write_bytes(text)
    out = tmp_path / "out.csv"
    command, *options = argv
    code = main([command, str(src), *options, "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.startswith("relmark: error: "), captured.err
    assert captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["orders.csv"]  # no temporary file left
    return captured.err


@pytest.mark.parametrize(
    ("text", "argv", "words"), [c[1:] for c in LOG_CASES], ids=[c[0] for c in LOG_CASES]
)
def test_a_bad_log_is_one_error_naming_the_column_and_line(
    text: str, argv: list[str], words: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _run(tmp_path, text, argv, capsys)
    for word in words:
        assert word in err, err


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["summarize"], ["view"], ["fit", "--model", "bgnbd"], ["score"]):
        code = main([*command, str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")])
        assert code == 2
        assert "nope.csv: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["score", "--model-json", "nope.json"], "argument --model-json: nope.json: no such file"),
        (["score", "--model-json", "."], "argument --model-json: .: a folder, not a file"),
    ],
)
def test_a_model_file_that_is_not_there_is_a_usage_error(
    argv: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "summary.csv"
    src.write_text(SUMMARY)
    command, *options = argv
    with pytest.raises(SystemExit) as stop:
        main([command, str(src), *options, "-o", str(tmp_path / "out.csv")])
    assert stop.value.code == 2
    assert words in capsys.readouterr().err


def test_a_model_json_that_is_not_a_model_names_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, model = tmp_path / "summary.csv", tmp_path / "model.json"
    src.write_text(SUMMARY)
    model.write_text('{"model": "BGNBD"}')
    assert main(["score", str(src), "--model-json", str(model), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"relmark: error: {model}: key ")
    assert err.count("\n") == 1


def test_a_folder_is_not_a_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summarize", str(tmp_path), "-o", str(tmp_path / "o.csv")]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err


def test_the_demo_output_must_be_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "report").write_text("")
    with pytest.raises(SystemExit) as stop:
        main(["demo", "--output", str(tmp_path / "report")])
    assert stop.value.code == 2
    assert "argument --output/-o:" in capsys.readouterr().err


def test_the_output_is_never_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "orders.csv"
    src.write_text(GOOD)
    assert main(["summarize", str(src), "-o", str(src)]) == 2
    assert "--output" in capsys.readouterr().err
    assert src.read_text() == GOOD


def test_a_failed_run_keeps_the_previous_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "orders.csv", tmp_path / "out.csv"
    out.write_text("previous")
    src.write_text(HEADER + "a,never,1\n")
    assert main(["summarize", str(src), "-o", str(out)]) == 2
    assert out.read_text() == "previous"


# (command, options, the option the one-line usage error must name)
OPTION_CASES: list[tuple[str, list[str], str]] = [
    ("summarize", ["--multiplier", "0"], "--multiplier"),
    ("summarize", ["--multiplier", "nan"], "--multiplier"),
    ("summarize", ["--multiplier", "x"], "--multiplier"),
    ("summarize", ["--unit", "days"], "--unit"),
    ("summarize", ["--delimiter", ";;"], "--delimiter"),
    ("summarize", ["--delimiter", "a"], "--delimiter"),
    ("summarize", ["--date-format", "Y-m-d"], "--date-format"),
    ("summarize", ["--date-format", "%"], "--date-format"),
    ("summarize", ["--date-format", "%Y", "--dayfirst"], "--dayfirst"),
    ("summarize", ["--dayfirst", "--monthfirst"], "--monthfirst"),
    ("summarize", ["--currency", ""], "--currency"),
    ("summarize", ["--encoding", "klingon"], "--encoding"),
    ("summarize", ["--date-unit", "days"], "--date-unit"),
    ("summarize", ["--date-unit", "s", "--date-format", "%Y"], "--date-format"),
    ("summarize", ["--timezone", "Mars/Olympus"], "--timezone"),
    ("summarize", ["--returns", "keep"], "--returns"),
    ("summarize", ["--customer", ""], "--customer"),
    ("summarize", ["--date", " "], "--date"),
    ("view", ["--amount", ""], "--amount"),
    ("view", ["--margin", "2"], "--margin"),
    ("view", ["--timezone", "CEST"], "--timezone"),
    ("diagnostics", ["--model", "bgbb", "--calibration-end", "2024-01-01"], "--model"),
    ("diagnostics", ["--max-frequency", "0", "--calibration-end", "2024-01-01"], "--max-frequency"),
    ("diagnostics", [], "--calibration-end"),
    ("fit", ["--model", "nosuch"], "--model"),
    ("fit", ["--model", "bgnbd", "--unit", "weeks"], "--unit"),
    ("score", ["--draws", "5"], "--draws"),
    ("score", ["--discount", "-1"], "--discount"),
    ("score", ["--periods", "1.5"], "--periods"),
]


@pytest.mark.parametrize(("command", "options", "flag"), OPTION_CASES)
def test_a_bad_option_is_one_line_naming_it(
    command: str, options: list[str], flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(SUMMARY if command in ("fit", "score") else GOOD)
    with pytest.raises(SystemExit) as stop:
        main([command, str(src), *options, "-o", str(tmp_path / "out.csv")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"relmark {command}: error: ")
    assert flag in err
    assert f"see 'relmark {command} --help'" in err
    assert not (tmp_path / "out.csv").exists()


def test_an_output_in_a_missing_folder_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD)
    with pytest.raises(SystemExit) as stop:
        main(["summarize", str(src), "-o", str(tmp_path / "no" / "out.csv")])
    assert stop.value.code == 2
    assert "argument -o/--output: no such folder" in capsys.readouterr().err


# ------------------------------------------------------------ adversarial review (brief D, item 6)
NO_REPEATS_LOG = HEADER + "a,2024-01-01,10\nb,2024-01-03,5\n"
NO_REPEATS = "customer_id,frequency,recency,T,monetary_value,time_unit\na,0,0,14,0,D\nb,0,0,9,0,D\n"


@pytest.mark.parametrize(
    ("text", "argv"),
    [
        (NO_REPEATS, ["fit", "--model", "bgnbd"]),
        (NO_REPEATS, ["score"]),
        (NO_REPEATS_LOG, ["view"]),
        (NO_REPEATS_LOG + "a,2024-02-01,3\n", ["diagnostics", "--calibration-end", "2024-01-15"]),
    ],
    ids=["fit", "score", "view", "diagnostics"],
)
def test_no_repeat_buyer_is_named_not_reported_as_an_unconverged_fit(
    text: str, argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a single repeat purchase the likelihood has no maximum: the error said 'the fit
    did not converge ... pass --allow-unconverged', which hid the reason."""
    err = _run(tmp_path, text, argv, capsys)
    assert "no customer made a repeat purchase" in err and "orders.csv" in err
    assert "did not converge" not in err


def test_summary_errors_name_customers_not_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The summary's rows are its customers: '[customers: 'b']', not '[first offending rows:
    'b']' (which read as line numbers)."""
    text = "customer_id,frequency,recency,T,time_unit\na,1,7,14,D\nb,1,20,14,D\n"
    err = _run(tmp_path, text, ["fit", "--model", "bgnbd"], capsys)
    assert "column 'recency'" in err and "[customers: 'b']" in err and "rows" not in err


@pytest.mark.parametrize("flag", ["--model", "--spend"])
def test_a_data_file_given_as_a_model_is_named_as_such(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'--spend summary.csv' read as the model name 'summarycsv' ('invalid choice')."""
    src = tmp_path / "s.csv"
    src.write_text(SUMMARY)
    with pytest.raises(SystemExit) as stop:
        main(["score", str(src), flag, str(src), "-o", str(tmp_path / "o.csv")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: {src}: not a model name nor a saved model" in err
    assert "invalid choice" not in err and err.count("\n") == 1


def test_model_names_still_ignore_punctuation(tmp_path: Path) -> None:
    """A name with a dot is a name (``BG.NBD`` is ``bgnbd``) unless it names a data file."""
    from relmark.cli import build_parser

    src = tmp_path / "s.csv"
    src.write_text(SUMMARY)
    args = build_parser().parse_args(["score", str(src), "--model", "BG.NBD", "-o", "o.csv"])
    assert args.model == "bgnbd"


def test_a_clv_horizon_that_overflows_names_the_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """12 periods of 1e308 overflow to inf: the error named the library's argument 't'."""
    err = _run(tmp_path, SUMMARY, ["score", "--period-length", "1e308"], capsys)
    assert "--periods 12 x --period-length 1e+308" in err and "'t'" not in err


@pytest.mark.parametrize(
    ("table", "text", "column", "line"),
    [
        (
            "candidates",
            "customer_id,offer,p_response,margin,cost\na,x,0.5,3,1\nb,y,high,3,1\n",
            "p_response",
            "3",
        ),
        (
            "candidates",
            "customer_id,offer,p_response,margin,cost\na,x,0.5,three,1\n",
            "margin",
            "2",
        ),
        ("customers", "customer_id,level,contacts\na,basic,two\n", "contacts", "2"),
    ],
)
def test_text_in_a_numeric_offer_column_names_its_lines(
    table: str,
    text: str,
    column: str,
    line: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """'values are text, not numbers' named no line (the docs promise CSV lines)."""
    good = "customer_id,offer,p_response,margin,cost\na,x,0.5,3,1\n"
    candidates, customers = tmp_path / "c.csv", tmp_path / "k.csv"
    candidates.write_text(text if table == "candidates" else good)
    customers.write_text(text if table == "customers" else "customer_id,level\na,basic\n")
    out = tmp_path / "o.csv"
    code = main(["offers", str(candidates), "--customers", str(customers), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"column {column!r}: values that are not numbers" in err
    assert f"[CSV lines: {line}]" in err and not out.exists()


@pytest.mark.parametrize("command", ["fit", "score"])
def test_a_parquet_summary_with_text_numbers_is_named(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text in a number column of a Parquet summary was 'internal error: ValueError'."""
    pytest.importorskip("duckdb")
    pytest.importorskip("pyarrow")
    import pandas as pd

    src = tmp_path / "s.parquet"
    pd.DataFrame(
        {"customer_id": ["a", "b"], "frequency": ["1", "x"], "recency": [1.0, 0.0], "T": [3.0, 2]}
    ).assign(time_unit="W").to_parquet(src)
    model = tmp_path / "m.json"
    model.write_text('{"not": "read"}')  # (the summary is checked first)
    options = ["--model", "bgnbd"] if command == "fit" else ["--model", str(model)]
    out = tmp_path / ("m2.json" if command == "fit" else "o.parquet")
    code = main([command, str(src), *options, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "column 'frequency': must hold numbers" in err and "internal error" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["summarize", "--customer", "date"], "--customer and --date both name the column 'date'"),
        (["view", "--amount", "customer_id"], "--customer and --amount both name"),
        (["cohorts", "--amount", "amount", "--currency", "amount"], "--amount and --currency"),
        (
            ["diagnostics", "--calibration-end", "2024-01-05", "--date", "customer_id"],
            "--customer and --date both name the column 'customer_id'",
        ),
    ],
)
def test_one_column_in_two_roles_is_refused(
    argv: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'--customer date' summarised the dates as customer ids (3 'customers'), '--amount
    customer_id' the ids as amounts: one line, naming both options."""
    assert words in _run(tmp_path, GOOD, argv, capsys)
