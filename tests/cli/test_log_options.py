"""The options of the commands that read transactions, on valid real-world exports: each gives
the summary of an independent, hand-made ISO log (ids as text, dates, time zones, returns,
missing ids, delimiters, encodings)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from relmark.cli import main

ISO = "customer_id,date,amount\n007,2024-01-01,10\n7,2024-01-05,20\n007,2024-01-09,5\n"


def _summary(
    tmp_path: Path, text: str | bytes, options: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[pd.DataFrame, str]:
    src, out = tmp_path / "orders.csv", tmp_path / "summary.csv"
    src.write_bytes(text.encode() if isinstance(text, str) else text)
    code = main(["summarize", str(src), "--amount", "amount", *options, "-o", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id"), printed.out


def test_ids_are_text_007_and_7_are_two_customers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame, _ = _summary(tmp_path, ISO, [], capsys)
    assert sorted(frame.index) == ["007", "7"]
    assert frame.loc["007", "frequency"] == 1
    assert frame.loc["007", "recency"] == 8
    assert frame.loc["7", "T"] == 4


def test_ids_stay_text_through_fit_and_score(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from relmark.datasets import load_cdnow_summary

    frame = load_cdnow_summary(with_monetary=True).to_frame().reset_index(drop=True)
    frame.insert(0, "customer_id", [f"{i:03d}" for i in range(1, len(frame) + 1)])
    frame.loc[len(frame) - 1, "customer_id"] = "7"  # beside "007"
    src = tmp_path / "summary.csv"
    frame.assign(time_unit="W").to_csv(src, index=False)
    out = tmp_path / "scores.csv"
    assert main(["score", str(src), "--draws", "20", "-o", str(out)]) == 0
    scores = pd.read_csv(out, dtype={"customer_id": str})
    assert {"007", "7"} <= set(scores["customer_id"])
    assert len(scores) == len(frame) == 2357


def test_excel_serial_days_and_epoch_times_equal_the_iso_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """45292 is 2024-01-01 in Excel (days since 1899-12-30); 1704067200 s is 2024-01-01 UTC."""
    want, _ = _summary(tmp_path, ISO, [], capsys)
    excel = ISO.replace("2024-01-01", "45292").replace("2024-01-05", "45296.5")
    excel = excel.replace("2024-01-09", "45300")
    got, _ = _summary(tmp_path, excel, ["--date-unit", "excel"], capsys)
    pd.testing.assert_frame_equal(got, want)
    day = 86_400
    epoch = ISO.replace("2024-01-01", "1704067200").replace("2024-01-05", str(1704067200 + 4 * day))
    epoch = epoch.replace("2024-01-09", str(1704067200 + 8 * day))
    got, _ = _summary(tmp_path, epoch, ["--date-unit", "s"], capsys)
    pd.testing.assert_frame_equal(got, want)
    ms = "customer_id,date,amount\n" + "".join(
        f"{line.split(',')[0]},{int(line.split(',')[1]) * 1000},{line.split(',')[2]}\n"
        for line in epoch.splitlines()[1:]
    )
    got, _ = _summary(tmp_path, ms, ["--date-unit", "ms"], capsys)
    pd.testing.assert_frame_equal(got, want)


def test_mixed_utc_offsets_and_local_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Across the spring change of clocks (+01:00, then +02:00). 23:30 UTC on 1 April is 01:30
    on 2 April in Paris, the day of the third purchase there: by UTC days the customer bought
    on 30 March, 1 and 2 April (2 repeat purchases), by Paris days on 30 March and 2 April."""
    text = (
        "customer_id,date,amount\n"
        "a,2024-03-30T10:00:00+01:00,10\n"
        "a,2024-04-01T23:30:00Z,20\n"
        "a,2024-04-02T10:00:00+02:00,5\n"
    )
    utc, _ = _summary(tmp_path, text, [], capsys)
    assert list(utc.loc["a"].to_numpy()[:3]) == [2, 3, 3]  # frequency, recency, T
    paris, _ = _summary(tmp_path, text, ["--timezone", "Europe/Paris"], capsys)
    assert list(paris.loc["a"].to_numpy()[:3]) == [1, 3, 3]
    assert paris.loc["a", "monetary_value"] == 25  # the two purchases of 2 April merged


def test_dayfirst_reads_day_month_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "customer_id,date,amount\na,01/02/2024,10\na,03/02/2024,20\n"
    first, _ = _summary(tmp_path, text, ["--dayfirst"], capsys)
    assert first.loc["a", "recency"] == 2  # 1 and 3 February
    fmt, _ = _summary(tmp_path, text, ["--date-format", "%m/%d/%Y"], capsys)
    assert fmt.loc["a", "recency"] == 60  # 2 January and 2 March (2024 is a leap year)


def test_returns_dropped_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ISO + "007,2024-01-09,-5\n"
    got, printed = _summary(tmp_path, text, ["--returns", "drop"], capsys)
    want, _ = _summary(tmp_path, ISO, [], capsys)
    pd.testing.assert_frame_equal(got, want)
    (note,) = [line for line in printed.splitlines() if line.startswith("note: ")]
    assert "1 return" in note
    assert note.rstrip(")").endswith("5")  # its CSV line


def test_missing_ids_dropped_are_counted_with_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = ISO + ",2024-01-02,3\n  ,2024-01-03,4\n"
    got, printed = _summary(tmp_path, text, ["--drop-missing-ids"], capsys)
    want, _ = _summary(tmp_path, ISO, [], capsys)
    pd.testing.assert_frame_equal(got, want)
    (note,) = [line for line in printed.splitlines() if line.startswith("note: ")]
    assert "2 transactions with a missing customer id" in note
    assert note.endswith("(CSV lines 5, 6)")


@pytest.mark.parametrize(
    ("delimiter", "option"), [(";", ";"), ("\t", "tab"), ("|", "|"), ("\t", "\\t")]
)
def test_other_delimiters(
    delimiter: str, option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    want, _ = _summary(tmp_path, ISO, [], capsys)
    got, _ = _summary(tmp_path, ISO.replace(",", delimiter), ["--delimiter", option], capsys)
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: b"\xef\xbb\xbf" + t.encode(),  # Excel's "CSV UTF-8"
        lambda t: t.encode("utf-16"),  # Excel's "Unicode text" (with a BOM)
        lambda t: t.replace("\n", "\r\n").encode(),  # Windows line ends
        lambda t: t.replace("\n", "\r").encode(),  # old Mac line ends
    ],
    ids=["utf-8 BOM", "utf-16", "CRLF", "CR"],
)
def test_encodings_and_line_ends(
    encode: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    want, _ = _summary(tmp_path, ISO, [], capsys)
    got, _ = _summary(tmp_path, encode(ISO), [], capsys)  # type: ignore[operator]
    pd.testing.assert_frame_equal(got, want)


def test_a_cp1252_export_with_its_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = ISO.replace("007", "Zoë").replace("\n7,", "\nZoe,")
    got, _ = _summary(tmp_path, text.encode("cp1252"), ["--encoding", "cp1252"], capsys)
    assert sorted(got.index) == ["Zoe", "Zoë"]
    assert got.loc["Zoë", "frequency"] == 1


def test_view_reads_the_same_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CDNOW sample as a European export: ';'-separated, Excel serial days, ids padded
    with zeros, one row without an id; customer 7 beside 00007."""
    from relmark.datasets import load_cdnow_sample_transactions

    log = load_cdnow_sample_transactions()
    serial = (log["date"] - pd.Timestamp("1899-12-30")).dt.days
    rows = ["customer_id;date;amount"]
    rows += [
        f"{c:05d};{d};{a}"
        for c, d, a in zip(log["customer_id"], serial, log["amount"], strict=True)
    ]
    assert "00007" in {r.split(";")[0] for r in rows}
    rows += ["7;35500;12", ";35501;9"]
    src, out = tmp_path / "orders.csv", tmp_path / "view.csv"
    src.write_text("\n".join(rows) + "\n")
    argv = ["view", str(src), "--delimiter", ";", "--date-unit", "excel", "--drop-missing-ids"]
    assert main([*argv, "-o", str(out)]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert f"missing customer id (CSV lines {len(rows)})" in printed
    view = pd.read_csv(out, dtype={"customer_id": str})
    assert {"00007", "7"} <= set(view["customer_id"])
    assert len(view) == 2357 + 1


def test_diagnostics_table_matches_the_python_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from relmark.clv import BGNBD
    from relmark.clv.diagnostics import calibration_holdout_table
    from relmark.data import calibration_holdout
    from relmark.datasets import load_cdnow_sample_transactions

    log = load_cdnow_sample_transactions()
    src, out = tmp_path / "orders.csv", tmp_path / "holdout.csv"
    log.to_csv(src, index=False)
    argv = ["diagnostics", str(src), "--calibration-end", "1997-09-30", "--end", "1998-06-30"]
    assert main([*argv, "--model", "bgnbd", "-o", str(out)]) == 0
    assert "holdout of 39 W" in capsys.readouterr().out
    got = pd.read_csv(out, index_col=0)
    summary = calibration_holdout(
        log, calibration_end="1997-09-30", observation_end="1998-06-30", freq_multiplier=7
    )
    want = calibration_holdout_table({"BGNBD": BGNBD.fit(summary)}, summary)
    assert list(got.columns) == list(want.columns)
    for column in want.columns:
        assert got[column].to_numpy() == pytest.approx(want[column].to_numpy(), rel=1e-9)
    # the actual holdout means, counted independently from the log
    cal = log[log["date"] <= "1997-09-30"]
    repeat = cal.groupby("customer_id")["date"].nunique() - 1
    hold = log[(log["date"] > "1997-09-30")].groupby("customer_id")["date"].nunique()
    per = hold.reindex(repeat.index, fill_value=0).groupby(repeat.clip(upper=7)).mean()
    assert got["actual"].to_numpy() == pytest.approx(per.to_numpy(), rel=1e-12)


def test_the_currency_goes_from_the_log_to_the_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from relmark.datasets import load_cdnow_sample_transactions

    src, summary, scores = (tmp_path / n for n in ("orders.csv", "summary.csv", "scores.csv"))
    load_cdnow_sample_transactions().assign(cur="EUR").to_csv(src, index=False)
    argv = ["summarize", str(src), "--amount", "amount", "--currency", "cur", "--multiplier", "7"]
    assert main([*argv, "-o", str(summary)]) == 0
    assert "spend in EUR" in capsys.readouterr().out
    assert main(["score", str(summary), "--draws", "20", "-o", str(scores)]) == 0
    assert "in EUR" in capsys.readouterr().out
    assert set(pd.read_csv(scores)["currency"]) == {"EUR"}
    mixed = tmp_path / "mixed.csv"
    frame = pd.read_csv(summary, dtype=str)
    frame.loc[0, "currency"] = "USD"
    frame.to_csv(mixed, index=False)
    assert main(["score", str(mixed), "--draws", "20", "-o", str(scores)]) == 2
    assert "column 'currency': several currencies ['EUR', 'USD']" in capsys.readouterr().err
