"""'relmark offers': candidate offers CSV to the chosen offers, worked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from relmark.cli import main

CANDIDATES = (
    "customer_id,offer,p_response,margin,cost,note\n"
    "007,jam,0.30,8,0.5,bought tea\n"
    "007,tea,0.10,30,0.5,\n"
    "7,jam,0.20,8,0.5,\n"
)
CUSTOMERS = "customer_id,level,open_complaint,contacts\n007,accountable,false,0\n7,basic,TRUE,0\n"


def test_offers_by_hand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c.csv").write_text(CANDIDATES)
    (tmp_path / "s.csv").write_text(CUSTOMERS)
    out, plan = tmp_path / "offers.csv", tmp_path / "plan.json"
    code = main(
        [
            "offers",
            str(tmp_path / "c.csv"),
            "--customers",
            str(tmp_path / "s.csv"),
            "--max-contacts",
            "2",
            "--contact-cost",
            "phone=1",
            "-o",
            str(out),
            "--json",
            str(plan),
        ]
    )
    assert code == 0
    got = pd.read_csv(out, dtype={"customer_id": str})
    # 007 (accountable -> phone, 1 a contact): tea 0.1*30 - 0.5 - 1 = 1.5, jam 0.3*8 - 1.5 = 0.9
    # 7 has an open complaint: nothing
    assert got[["customer_id", "offer"]].values.tolist() == [["007", "tea"], ["007", "jam"]]
    assert got["expected_margin"].tolist() == pytest.approx([1.5, 0.9])
    assert str(got.loc[1, "reason"]).endswith("; bought tea")
    stored = json.loads(plan.read_text())
    assert stored["skipped"]["reason"] == ["open complaint: no offer until it is resolved"]
    assert "2 offers to 1 customers" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("csv", "extra", "words"),
    [
        (CANDIDATES.replace("0.30", "1.30"), [], "p_response"),
        (CANDIDATES, ["--contact-cost", "phone"], "--contact-cost"),
        (CANDIDATES, ["--max-contacts", "-1"], "--max-contacts"),
        (CANDIDATES, ["--contact-cost", "phone=-1"], "--contact-cost"),
        (CANDIDATES, ["--contact-cost", "mail=1"], "unknown channel 'mail'"),
        (CANDIDATES.replace("0.30", "high"), [], "c.csv: column 'p_response'"),
        (CANDIDATES.replace("margin", "profit"), [], "margin"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], csv: str, extra: list[str], words: str
) -> None:
    (tmp_path / "c.csv").write_text(csv)
    code = main(["offers", str(tmp_path / "c.csv"), "-o", str(tmp_path / "o.csv"), *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("customers", "words"),
    [
        ("customer_id,level\n007,vip\n7,basic\n", "s.csv: column 'level'"),
        ("customer_id,open_complaint\n007,maybe\n7,true\n", "s.csv: column 'open_complaint'"),
        ("customer_id,contacts\n007,-1\n7,0\n", "s.csv: column 'contacts'"),
        ("customer_id,contacts\n007,0\n", "missing from customers [customers: '7']"),
    ],
)
def test_bad_customers_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], customers: str, words: str
) -> None:
    (tmp_path / "c.csv").write_text(CANDIDATES)
    (tmp_path / "s.csv").write_text(customers)
    args = ["offers", str(tmp_path / "c.csv"), "--customers", str(tmp_path / "s.csv")]
    code = main([*args, "-o", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and words in err and err.count("\n") == 1, err
    assert not (tmp_path / "o.csv").exists()
