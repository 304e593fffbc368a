"""Hypothesis strategies for the command line: valid transaction logs and malformed ones.

:func:`malformed_logs` takes a valid log and breaks it in one to three ways a real export is
broken (a missing column, text in a number, a blank id, an unreadable date, a negative amount,
an empty file, a wrong delimiter, a number too large for a float, dates written as numbers,
undecodable or NUL bytes, broken quoting, a duplicate header, ambiguous day/month dates, an id
padded with spaces), sometimes behind a UTF-8 byte-order mark, which alone is valid.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from hypothesis import strategies as st

COLUMNS = ("customer_id", "date", "amount")


@dataclass(frozen=True)
class Log:
    """A transaction log as CSV rows (text, header first) and how it was broken."""

    rows: list[list[str]]
    broken: tuple[str, ...] = ()
    delimiter: str = ","
    bom: bool = False
    empty: bool = False
    junk: bytes = b""

    def text(self) -> bytes:
        if self.empty:
            return b"\xef\xbb\xbf" if self.bom else b""
        body = "\n".join(self.delimiter.join(row) for row in self.rows) + "\n"
        return (b"\xef\xbb\xbf" if self.bom else b"") + body.encode() + self.junk


ids = st.text(alphabet="abcxyz0123456789", min_size=1, max_size=4)
dates = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2262, 1, 1)).map(str)
amounts = st.decimals(min_value=0, max_value=10_000, places=2).map(str)


@st.composite
def valid_logs(draw: st.DrawFn) -> Log:
    """A valid log of 1 to 8 transactions (ids text, ISO dates, amounts >= 0)."""
    n = draw(st.integers(1, 8))
    rows = [[draw(ids), draw(dates), draw(amounts)] for _ in range(n)]
    return Log([list(COLUMNS), *rows])


def _cell(draw: st.DrawFn, log: Log, column: int, value: str) -> Log:
    row = draw(st.integers(1, len(log.rows) - 1))
    rows = [list(r) for r in log.rows]
    rows[row][column] = value
    return Log(rows, log.broken, log.delimiter, log.bom, log.empty, log.junk)


def _rows(log: Log, rows: list[list[str]]) -> Log:
    return Log(rows, log.broken, log.delimiter, log.bom, log.empty, log.junk)


BREAKS = (
    "missing column",
    "text amount",
    "blank id",
    "bad date",
    "negative amount",
    "empty file",
    "wrong delimiter",
    "huge number",
    "number date",
    "ragged row",
    "bad bytes",
    "broken quote",
    "duplicate header",
    "ambiguous dates",
    "padded id",
)


@st.composite
def malformed_logs(draw: st.DrawFn) -> Log:
    """A valid log broken in one to three ways (see :data:`BREAKS`), maybe with a BOM."""
    log = draw(valid_logs())
    for kind in draw(st.lists(st.sampled_from(BREAKS), min_size=1, max_size=3, unique=True)):
        if kind == "missing column":
            drop = draw(st.integers(0, 2))
            rows = [[v for i, v in enumerate(r) if i != drop] for r in log.rows]
            log = _rows(log, rows)
        elif kind == "text amount" and len(log.rows[0]) == 3:
            word = draw(st.sampled_from(["ten", "12,5", "1.2.3", "$5", "--1", "one hundred"]))
            log = _cell(draw, log, 2, f'"{word}"' if "," in word else word)
        elif kind == "blank id":
            log = _cell(draw, log, 0, draw(st.sampled_from(["", " ", "   "])))
        elif kind == "bad date" and len(log.rows[0]) >= 2:
            word = draw(st.sampled_from(["yesterday", "2024-13-45", "31/31/2024", "3000-01-01"]))
            log = _cell(draw, log, 1, word)
        elif kind == "negative amount" and len(log.rows[0]) == 3:
            log = _cell(draw, log, 2, draw(st.sampled_from(["-1", "-0.01", "-1e9"])))
        elif kind == "empty file":
            log = Log(log.rows, log.broken, log.delimiter, log.bom, True)
        elif kind == "wrong delimiter":
            log = Log(log.rows, log.broken, draw(st.sampled_from([";", "\t", "|"])), log.bom)
        elif kind == "huge number" and len(log.rows[0]) == 3:
            log = _cell(draw, log, 2, draw(st.sampled_from(["1e400", "9" * 400, "inf"])))
        elif kind == "number date" and len(log.rows[0]) >= 2:
            log = _cell(draw, log, 1, draw(st.sampled_from(["45292", "1704067200", "0"])))
        elif kind == "bad bytes":
            junk = draw(
                st.sampled_from([b"z,2024-01-01,1\xff\n", b"\x00\n", b"\xe9,2024-01-01,1\n"])
            )
            log = Log(log.rows, log.broken, log.delimiter, log.bom, log.empty, junk)
        elif kind == "broken quote":
            log = _cell(draw, log, 0, '"a"b')
        elif kind == "duplicate header":
            rows = [list(r) for r in log.rows]
            rows[0] = [rows[0][0]] * len(rows[0])
            log = _rows(log, rows)
        elif kind == "ambiguous dates" and len(log.rows[0]) >= 2:
            rows = [list(r) for r in log.rows]
            for r in rows[1:]:
                r[1] = draw(st.sampled_from(["01/02/2024", "03/04/2024", "12/11/2023"]))
            log = _rows(log, rows)
        elif kind == "padded id":
            rows = [list(r) for r in log.rows]
            rows.append([f" {rows[1][0]}", *rows[1][1:]])
            log = _rows(log, rows)
        elif kind == "ragged row":
            rows = [list(r) for r in log.rows]
            rows[draw(st.integers(1, len(rows) - 1))].append("extra")
            log = _rows(log, rows)
        else:  # (a break that needs a column an earlier break removed: drop one)
            continue
        log = Log(log.rows, (*log.broken, kind), log.delimiter, log.bom, log.empty, log.junk)
    if not log.broken:  # every drawn break needed a removed column: remove another one
        rows = [r[:1] for r in log.rows]
        log = Log(rows, ("missing column",), log.delimiter, log.bom, log.empty, log.junk)
    return Log(log.rows, log.broken, log.delimiter, draw(st.booleans()), log.empty, log.junk)


OFFER_COLUMNS = ("customer_id", "offer", "p_response", "margin", "cost")

OFFER_BREAKS = (
    "missing column",
    "text number",
    "probability above 1",
    "blank id",
    "duplicate offer",
    "empty file",
    "huge number",
    "bad bytes",
    "wrong delimiter",
)
"""Ways to break a candidate offers file; each makes it invalid."""


@st.composite
def offer_files(draw: st.DrawFn) -> tuple[bytes, tuple[str, ...]]:
    """A candidate offers CSV (1 to 6 rows), valid (no breaks) or broken in one or two ways."""
    n = draw(st.integers(1, 6))
    rows = [
        [
            draw(ids),
            draw(st.sampled_from(["jam", "tea", "mug"])) + str(i),
            str(draw(st.floats(0, 1).map(lambda v: round(v, 3)))),
            draw(amounts),
            draw(st.decimals(min_value=0, max_value=5, places=2).map(str)),
        ]
        for i in range(n)
    ]
    broken = tuple(draw(st.lists(st.sampled_from(OFFER_BREAKS), max_size=2, unique=True)))
    header = list(OFFER_COLUMNS)
    delimiter, junk = ",", b""
    row = draw(st.integers(0, n - 1))
    for kind in broken:
        if kind == "missing column":
            drop = draw(st.integers(0, 4))
            header = [h for i, h in enumerate(header) if i != drop]
            rows = [[v for i, v in enumerate(r) if i != drop] for r in rows]
        elif kind == "text number" and "p_response" in header:
            rows[row][header.index("p_response")] = draw(st.sampled_from(["high", "", "1,5"]))
        elif kind == "probability above 1" and "p_response" in header:
            rows[row][header.index("p_response")] = draw(st.sampled_from(["1.5", "-0.1", "inf"]))
        elif kind == "blank id" and "customer_id" in header:
            rows[row][0] = draw(st.sampled_from(["", " "]))
        elif kind == "duplicate offer":
            rows.append(list(rows[row]))
        elif kind == "huge number" and "margin" in header:
            rows[row][header.index("margin")] = draw(st.sampled_from(["1e400", "nan"]))
        elif kind == "bad bytes":
            junk = draw(st.sampled_from([b"\xff\xfe,\x00\n", b"z,jam,0.1,\xe9,1\n"]))
        elif kind == "wrong delimiter":
            delimiter = draw(st.sampled_from([";", "\t"]))
    if "empty file" in broken:
        return b"", broken
    lines = [delimiter.join(header), *(delimiter.join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode() + junk, broken
