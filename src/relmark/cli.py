"""The ``relmark`` command line (also ``python -m relmark``).

Each command is one function that adds its parser and one that runs it. Every error prints one
line (``relmark: error: ...`` or ``relmark COMMAND: error: ...`` for a bad option) and exits
with status 2, never a traceback; an output file is written whole or not at all.

Transaction logs (``summarize``, ``view``, ``diagnostics``, ``cohorts``) in CSV are read as
text, so customer ids stay text (``007`` and ``7`` are two customers), and every problem of the
file is reported in one error, with 1-based CSV line numbers (the header is line 1). Parquet
logs (a name ending in ``.parquet`` or ``.pq``, or a glob of them) keep their column types:
``summarize``, ``view`` and ``diagnostics`` summarise them out of core with DuckDB
(:mod:`relmark.engines.sql`), ``cohorts`` reads them into memory; ``offers`` reads its
candidate and customer tables from CSV or Parquet.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import itertools
import math
import os
import re
import sys
import tempfile
import warnings
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import numpy as np
import pandas as pd

from relmark import __version__
from relmark.data.transactions import DATE_UNITS as DATA_DATE_UNITS
from relmark.errors import ArgumentError, DataError, RelmarkError
from relmark.timeunit import BASES

if TYPE_CHECKING:
    from relmark.clv import CLVModel, FitResult, GammaGamma
    from relmark.clv._rfm import RFMModel
    from relmark.data import RFMSummary

__all__ = ["main"]

M = TypeVar("M", bound="CLVModel")

EPILOG = """\
examples:
  relmark demo                               # CLV analysis of the bundled CDNOW data
  relmark demo --sample --format html        # the 2357-customer sample, HTML report
  relmark summarize orders.csv --customer user_id --date ordered_at --amount total \\
      --unit D --multiplier 7 -o summary.csv  # one row per customer, in weeks
  relmark summarize export.csv --delimiter ';' --dayfirst --timezone Europe/Paris \\
      --returns net --amount total -o summary.csv  # a European export with refunds
  relmark fit summary.csv --model bgnbd -o model.json   # the unit comes from the summary
  relmark score summary.csv --model bgnbd -o scores.csv  # CLV over 12 months, 1% a month
  relmark view orders.csv --customer user_id --date ordered_at --amount total \\
      --margin 0.3 -o view.csv               # the relationship view with IDIC proposals
  relmark diagnostics orders.csv --calibration-end 1997-09-30 -o holdout.csv
  relmark cohorts orders.csv --amount total --kind revenue_per_customer -o cohorts.csv
  relmark diagnostics 'logs/*.parquet' --calibration-end 1997-09-30 -o holdout.parquet
  relmark offers candidates.parquet --customers customers.csv -o offers.csv

Run 'relmark COMMAND --help' for the options of a command.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command and the option."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n")


# ---------------------------------------------------------------------------- demo
def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="customer-base analysis of the bundled CDNOW data",
        description="Fit the CLV models on CDNOW (39-week calibration, 39-week holdout), "
        "check them on the holdout, rank customers by CLV and write a report.",
    )
    p.add_argument("--sample", action="store_true", help="use the 2357-customer 1/10 sample")
    p.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        type=_folder,
        default="relmark-demo",
        help="output folder (default: relmark-demo)",
    )
    p.add_argument("--format", choices=["md", "html"], default="md", help="report format")
    p.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from relmark.demo import run_demo

    text, path = run_demo(sample=args.sample, output=args.output, fmt=args.format)
    print(text)
    print(f"report written to {path}")
    return 0


# ---------------------------------------------------------------------------- argument types
UNITS = list(BASES)
"""The period grids of ``summarize`` (``relmark.timeunit.BASES``)."""


def _registered(kind: str) -> list[str]:
    """Command-line names of the registered models of ``kind`` that fit a continuous-time
    summary (the registry, :func:`relmark.clv.models_of_kind`, is the one list of models)."""
    from relmark.clv import models_of_kind

    return [
        "".join(ch for ch in cls.name.lower() if ch.isalnum())
        for cls in models_of_kind(kind)  # type: ignore[arg-type]
        if not getattr(cls, "discrete", False)
    ]


PURCHASE_MODELS = _registered("purchase")
"""The continuous-time purchase models that fit a (frequency, recency, T) summary."""
SPEND_MODELS = _registered("spend")
"""The spend models (Gamma-Gamma)."""
SUMMARY_NUMBERS = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "weights",
    "frequency_holdout",
    "monetary_value_holdout",
    "duration_holdout",
)
"""The numeric columns a summary CSV may hold (``RFMSummary.from_frame`` reads these)."""
MIN_DRAWS = 20
LINE_INDEX = "csv_line"
"""The index of a log read by the command line: 1-based CSV line numbers (the header is line
1), which the data layer's errors and notes then name (as ``relmark.data.read_transactions``)."""
_DATE_UNIT_WORDS = {
    "excel": "Excel serial days (days since 1899-12-30: 45292 is 2024-01-01)",
    "s": "seconds since 1970-01-01 UTC",
    "ms": "milliseconds since 1970-01-01 UTC",
}
DATE_UNITS = {unit: _DATE_UNIT_WORDS.get(unit, unit) for unit in DATA_DATE_UNITS}
"""``--date-unit`` choices (``relmark.data``'s ``date_unit``): what a date written as a number
counts."""
RETURNS = ["refuse", "drop", "net"]
"""``--returns`` choices: the ``returns=`` of :func:`relmark.data.summarize`."""


def _model_name(text: str) -> str:
    """``"BG/NBD"`` -> ``"bgnbd"``: model names ignore case and punctuation."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


class _NamesOrJSON(list[str]):
    """Model-name choices that also take a saved model: a path ending in ``.json``."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, Path) or super().__contains__(value)


def _model_or_json(text: str) -> str | Path:
    """A model name (``bgnbd``) or a saved model JSON file (``model.json``, which must exist);
    another file (``summary.csv``) is refused as such, not as an unknown model ``summarycsv``."""
    if text.strip().lower().endswith(".json"):
        return _input_file(text)
    suffix = Path(text).suffix.lower()
    if suffix and (Path(text).is_file() or suffix in (".csv", ".tsv", ".txt", *PARQUET)):
        raise argparse.ArgumentTypeError(
            f"{text}: not a model name nor a saved model (a .json file written by 'relmark fit')"
        )
    return _model_name(text)


PARQUET = (".parquet", ".pq")
"""File names the command line reads and writes as Parquet (everything else is CSV)."""


def _is_parquet(path: Path | str) -> bool:
    return str(path).lower().endswith(PARQUET)


def _engine(module: str) -> Any:
    """An optional engine module, or one line saying which extra installs it."""
    import importlib

    try:
        return importlib.import_module(f"relmark.engines.{module}")
    except ImportError as exc:
        needs = {"sql": "duckdb and sqlglot", "outofcore": "pyarrow"}[module]
        raise RelmarkError(
            f"Parquet files need {needs}, which the sql extra installs: "
            f"pip install 'relmark[sql]' ({_one_line(exc)})"
        ) from None


class _TextBar:
    """A progress bar on stderr: a tqdm bar when tqdm is installed (the ``progress`` extra),
    else a line of text redrawn in place (``desc: [#####.....]  50% 5/10 unit``)."""

    def __init__(self, total: float, unit: str, desc: str | None = None) -> None:
        self.total, self.unit, self.desc, self.shown = total, unit, desc, -1
        import importlib

        try:
            tqdm: Any = importlib.import_module("tqdm").tqdm  # optional, never required
        except ImportError:
            self.bar: Any = None
        else:
            named = {} if desc is None else {"desc": desc}
            self.bar = tqdm(total=total, unit=unit, file=sys.stderr, leave=True, **named)

    def update(self, done: float, total: float | None = None) -> None:
        """Show ``done`` of ``total`` (the bar's total by default)."""
        total = self.total if total is None else total
        if self.bar is not None:
            self.bar.total = total
            self.bar.update(done - self.bar.n)
            return
        share = 1.0 if total <= 0 else min(done / total, 1.0)
        if int(share * 100) == self.shown:
            return
        self.shown = int(share * 100)
        filled = int(share * 30)
        count = f"{done:,.0f}/{total:,.0f} {self.unit}" if self.unit != "%" else ""
        label = "" if self.desc is None else f"{self.desc}: "
        print(
            f"\r{label}[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {count}".rstrip(),
            end="",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.shown >= 0:
            print(file=sys.stderr, flush=True)


class _Progress:
    """``--progress``: one bar on stderr per step of a command (reading the log, the summary,
    each fit, the scoring), off by default; stdout keeps only the results.

    A step with a progress hook (the lines of a CSV file read, DuckDB's percentage for a
    Parquet summary, a fit's ``progress(stage, fraction)``, the out-of-core scoring's
    customers) moves its bar as it runs; a step without one (a summary in memory, the
    intervals, the view) shows its bar at 0% when it starts and at 100% when it ends. The bar
    is tqdm's when tqdm is installed (``pip install 'relmark[progress]'``), else a line of
    text redrawn in place.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @contextmanager
    def step(self, desc: str, total: float = 100.0, unit: str = "%") -> Iterator[_TextBar | None]:
        """A bar for one step (None when progress is off), completed when the step succeeds
        and closed in any case."""
        if not self.enabled:
            yield None
            return
        bar = _TextBar(total, unit, desc)
        bar.update(0.0)
        try:
            yield bar
            bar.update(bar.total)
        finally:
            bar.close()

    @contextmanager
    def fit(self, name: str) -> Iterator[Callable[[str, float], None] | None]:
        """A bar for a fit: yields the ``progress(stage, fraction)`` of ``CLVModel.fit``."""
        with self.step(f"{name} fit") as bar:
            if bar is None:
                yield None
                return

            def report(stage: str, fraction: float) -> None:
                bar.update(100.0 * fraction)

            yield report


def _add_progress(p: argparse.ArgumentParser) -> None:
    """``--progress``, the same for every command that does long work."""
    p.add_argument(
        "--progress",
        action="store_true",
        help="show the progress of each step on stderr (a tqdm bar if tqdm is installed, "
        "else a line of text; off by default)",
    )


def _text(option: str) -> Callable[[str], str]:
    """A non-blank text (a column name, a folder)."""

    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"must not be blank, got {text!r}")
        return text

    parse.__name__ = option  # (argparse names the type in some messages)
    return parse


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text}")
    return value


def _positive(text: str) -> float:
    """A finite number > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _rate(text: str) -> float:
    """A finite rate > -1."""
    value = _number(text)
    if value <= -1:
        raise argparse.ArgumentTypeError(f"must be > -1, got {text}")
    return value


def _share(text: str) -> float:
    """A share of revenue, in (0, 1]."""
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be a share of revenue in (0, 1], got {text}")
    return value


def _at_least(minimum: int) -> Callable[[str], int]:
    """A whole number >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text}")
        return value

    return parse


def _periods(text: str) -> int:
    """A number of CLV periods: at least 1, at most what :func:`relmark.clv.clv` takes (its
    limit, named ``--periods``)."""
    from relmark.clv.value import _MAX_PERIODS

    value = _at_least(1)(text)
    if value > _MAX_PERIODS:
        raise argparse.ArgumentTypeError(f"must be at most {_MAX_PERIODS:,}, got {text}")
    return value


def _draws(text: str) -> int:
    """A number of parameter draws: at least :data:`MIN_DRAWS`, at most what
    :meth:`relmark.clv.CLVModel.sample_params` draws (its limit, named ``--draws``)."""
    from relmark.clv._base import _MAX_DRAWS

    value = _at_least(MIN_DRAWS)(text)
    if value > _MAX_DRAWS:
        raise argparse.ArgumentTypeError(f"must be at most {_MAX_DRAWS:,}, got {text}")
    return value


def _delimiter(text: str) -> str:
    """One character; ``tab`` or ``\\t`` for a tab."""
    if text in ("tab", "\\t"):
        return "\t"
    if len(text) != 1 or text in '\r\n"' or text.isalnum():
        raise argparse.ArgumentTypeError(
            f"must be one character such as ',' ';' '|' or 'tab', got {text!r}"
        )
    return text


def _date_format(text: str) -> str:
    """A strftime format: at least one ``%`` directive, and pandas can use it."""
    if "%" not in text:
        raise argparse.ArgumentTypeError(
            f"must be a strftime format such as %d/%m/%Y, got {text!r}"
        )
    try:
        pd.Timestamp("2024-01-31 12:34:56").strftime(text)
        pd.to_datetime(pd.Series(["x"]), format=text, errors="coerce")  # pandas' own check
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a strftime format: {text!r} ({exc})") from None
    return text


def _timezone(text: str) -> str:
    """An IANA time zone name (``Europe/Paris``, ``UTC``)."""
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"not a time zone: {text!r} (an IANA name such as Europe/Paris, America/New_York "
            "or UTC)"
        ) from None
    return text


def _input_file(text: str) -> Path:
    """A file that exists."""
    path = Path(text)
    if not path.is_file():
        what = "a folder, not a file" if path.is_dir() else "no such file"
        raise argparse.ArgumentTypeError(f"{text}: {what}")
    return path


def _folder(text: str) -> str:
    """A folder to write into: a folder or nothing yet, inside an existing folder."""
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    if not path.exists() and not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {path.parent}")
    return text


def _output(text: str) -> Path:
    """A file to write: its folder exists and it is not itself a folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {path.parent}")
    return path


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it only when the block succeeds: an
    error never leaves a partial (or truncated previous) output."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with _atomic(path) as tmp:
        frame.to_csv(tmp)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` (with its index as columns) to a Parquet file, atomically (needs pyarrow)."""
    _engine("outofcore")  # (a clear line when pyarrow is missing)
    with _atomic(path) as tmp:
        frame.reset_index().to_parquet(tmp, index=False)


OTHER_FORMATS = (".xlsx", ".xls", ".ods", ".json", ".feather", ".arrow", ".orc", ".avro")
"""Names of table formats the command line does not write: a table is CSV or Parquet, and
CSV text in ``scores.xlsx`` is a file its name misdescribes."""


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    """CSV or Parquet by the output's name (a name of another format is refused)."""
    if path.suffix.lower() in OTHER_FORMATS:
        raise RelmarkError(
            f"--output {path}: a table is written as CSV or Parquet, not {path.suffix}: name "
            f"it .csv, or {' or '.join(PARQUET)}"
        )
    (_write_parquet if _is_parquet(path) else _write_csv)(frame, path)


def _write_text(text: str, path: Path) -> None:
    with _atomic(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:  # pragma: no cover - broken links
        return False


# ---------------------------------------------------------------------------- transaction logs
@dataclass(frozen=True)
class LogOptions:
    """How to read a transaction log: its columns and the options of every command that reads
    one (``summarize``, ``view``, ``diagnostics``)."""

    path: Path
    customer: str
    date: str
    amount: str | None
    currency: str | None
    end: str | None
    delimiter: str
    encoding: str | None
    date_format: str | None
    dayfirst: bool | None
    date_unit: str | None
    timezone: str | None
    returns: str
    drop_missing_ids: bool


PARQUET_SUMMARY = (
    "summarised out of core by DuckDB (the sql extra; --returns net, --dayfirst and "
    "--monthfirst are for CSV files: give Parquet dates as timestamps or use --date-format)"
)
"""How 'summarize', 'view' and 'diagnostics' read Parquet logs."""


def _add_log_options(
    p: argparse.ArgumentParser, *, amount: str | None, parquet: bool | str = False
) -> None:
    """The options of every command that reads a transaction log (``parquet``: the log may be
    Parquet files, read as this text says; ``True`` for :data:`PARQUET_SUMMARY`)."""
    how = PARQUET_SUMMARY if parquet is True else parquet
    p.add_argument(
        "transactions",
        type=Path,
        help="CSV file, one row per transaction"
        + (
            "; or Parquet files (a name ending in .parquet or .pq, a glob such as "
            f"'logs/*.parquet' in quotes), {how}"
            if how
            else ""
        ),
    )
    cols = p.add_argument_group("columns")
    cols.add_argument(
        "--customer",
        metavar="COL",
        type=_text("--customer"),
        default="customer_id",
        help="customer id column, read as text: 007 and 7 are two customers (default: customer_id)",
    )
    cols.add_argument(
        "--date",
        metavar="COL",
        type=_text("--date"),
        default="date",
        help="transaction date column (default: date)",
    )
    cols.add_argument(
        "--amount",
        metavar="COL",
        type=_text("--amount"),
        default=amount,
        help="transaction value column"
        + (f" (default: {amount})" if amount else " (optional: without it, no spend)"),
    )
    cols.add_argument(
        "--currency",
        metavar="COL",
        type=_text("--currency"),
        default=None,
        help="column of ISO 4217 currency codes (optional): the spend must be in one currency",
    )
    read = p.add_argument_group("reading the file")
    read.add_argument(
        "--delimiter",
        metavar="CHAR",
        type=_delimiter,
        default=",",
        help="field separator: one character, or 'tab' (default: ',')",
    )
    read.add_argument(
        "--encoding",
        type=_encoding,
        default=None,
        help="text encoding, e.g. cp1252 or latin-1 (default: UTF-8, with or without a "
        "byte-order mark, or UTF-16 with one)",
    )
    dates = read.add_mutually_exclusive_group()
    dates.add_argument(
        "--date-format",
        metavar="FORMAT",
        type=_date_format,
        default=None,
        help="strftime format of the dates, e.g. %%d/%%m/%%Y or %%Y%%m%%d (default: ISO "
        "8601 or a format pandas infers)",
    )
    dates.add_argument(
        "--dayfirst",
        action="store_const",
        const=True,
        default=None,
        help="read 01/02/2024 as 1 February (day first). Without --dayfirst, --monthfirst or "
        "--date-format, the order is inferred from a day above 12, and a column where no date "
        "settles it is refused",
    )
    dates.add_argument(
        "--monthfirst",
        dest="dayfirst",
        action="store_const",
        const=False,
        help="read 01/02/2024 as 2 January (month first)",
    )
    dates.add_argument(
        "--date-unit",
        choices=list(DATE_UNITS),
        default=None,
        help="dates are numbers counting: "
        + "; ".join(f"{k}: {v}" for k, v in DATE_UNITS.items())
        + ". Numbers are refused without this option",
    )
    read.add_argument(
        "--timezone",
        metavar="ZONE",
        type=_timezone,
        default=None,
        help="bin purchases by local days in this IANA time zone (e.g. Europe/Paris): dates "
        "with a UTC offset are converted to it, dates without one are already local "
        "(default: offsets converted to UTC)",
    )
    read.add_argument(
        "--returns",
        choices=RETURNS,
        default="refuse",
        help="negative amounts (returns, refunds): refuse the file (default), drop the rows, "
        "or net them (a return reduces its customer's spend in its period)",
    )
    read.add_argument(
        "--drop-missing-ids",
        action="store_true",
        help="drop rows with a blank customer id and say how many (default: refuse the file)",
    )
    read.add_argument(
        "--end",
        metavar="DATE",
        default=None,
        help="end of observation: an ISO date (2024-12-31) or a date read like the log's "
        "(default: the last date)",
    )


def _log_options(args: argparse.Namespace) -> LogOptions:
    roles = [("--customer", args.customer), ("--date", args.date)]
    roles += [(f, c) for f, c in (("--amount", args.amount), ("--currency", args.currency)) if c]
    for i, (flag, column) in enumerate(roles):
        for other, same in roles[:i]:
            if same == column:  # (ids read as dates, or as amounts, would be summarised)
                raise RelmarkError(
                    f"{other} and {flag} both name the column {column!r}: each role needs its "
                    "own column"
                )
    return LogOptions(
        path=args.transactions,
        customer=args.customer,
        date=args.date,
        amount=args.amount,
        currency=args.currency,
        end=args.end,
        delimiter=args.delimiter,
        encoding=args.encoding,
        date_format=args.date_format,
        dayfirst=args.dayfirst,
        date_unit=args.date_unit,
        timezone=args.timezone,
        returns=args.returns,
        drop_missing_ids=args.drop_missing_ids,
    )


def _lines(lines: Sequence[int], limit: int = 5) -> str:
    """``line 3`` / ``lines 3, 5, 9 (and 12 more)``: 1-based CSV line numbers."""
    shown = ", ".join(str(n) for n in lines[:limit])
    more = f" (and {len(lines) - limit:,} more)" if len(lines) > limit else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"


def _examples(values: pd.Series, limit: int = 3) -> str:
    """``'ten' (line 4), 'x' (line 7)``: offending values with their CSV lines."""
    return ", ".join(f"{v!r} (line {n})" for n, v in values.head(limit).items())


def _decode(raw: bytes, path: Path, encoding: str | None = None) -> str:
    """The text of a CSV file: UTF-8 (with or without a byte-order mark), UTF-16 with one, or
    ``encoding`` when given (``--encoding cp1252`` for an older Excel export)."""
    if encoding is None and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    if b"\x00" in raw and not (encoding or "").lower().startswith("utf-16"):
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise RelmarkError(f"{path}: line {line} holds a NUL byte: not a text (CSV) file")
    try:
        return raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        if encoding is None:
            why = (
                f"line {line} is not UTF-8 text (save the file as UTF-8 CSV, or pass its "
                "--encoding, e.g. cp1252 or latin-1)"
            )
        else:
            why = f"line {line} is not {encoding} text (is --encoding {encoding} right?)"
        raise RelmarkError(f"{path}: {why}") from None


def _encoding(text: str) -> str:
    """A text encoding Python knows (``utf-8``, ``cp1252``, ``latin-1``, ``utf-16``)."""
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(
            f"unknown encoding {text!r} (e.g. utf-8, cp1252, latin-1, utf-16)"
        ) from None
    return text


READ_CHUNK = 100_000
"""Records of a CSV file read between two progress reports (``--progress``)."""


def _records(
    text: str, delimiter: str, path: Path, progress: Callable[[float], None] | None = None
) -> tuple[list[list[str]], Sequence[int]]:
    """The CSV records of ``text`` and the 1-based line each starts on (quoted fields may hold
    line breaks; blank lines are records of no field); ``progress(percent)`` as the lines are
    read (``--progress``)."""

    def reader() -> Any:
        return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    rows = reader()
    try:
        if progress is None:
            records = list(rows)  # (the fast path: one C loop)
        else:  # the same C loop, 100,000 records at a time
            lines, records = max(text.count("\n"), 1), []
            while chunk := list(itertools.islice(rows, READ_CHUNK)):
                records.extend(chunk)
                progress(min(100.0 * rows.line_num / lines, 100.0))
    except csv.Error as exc:
        raise RelmarkError(f"{path}: line {rows.line_num} is not valid CSV ({exc})") from None
    if rows.line_num == len(records):  # one line per record: record i is on line i + 1
        return records, range(1, len(records) + 1)
    rows, starts, prev = reader(), [], 0
    for _ in rows:  # (a field with a line break: follow the lines)
        starts.append(prev + 1)
        prev = rows.line_num
    return records, starts


def _read_table(
    path: Path,
    delimiter: str,
    encoding: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> tuple[list[str], pd.DataFrame, list[str]]:
    """The header, the rows (text, indexed by their 1-based CSV line) and the file's problems
    (rows with the wrong number of fields, duplicate column names)."""
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "no such file"
        raise RelmarkError(f"{path}: {what}")
    text = _decode(path.read_bytes(), path, encoding)
    if not text.strip():
        raise RelmarkError(f"{path}: the file is empty (no header line)")
    records, starts = _records(text, delimiter, path, progress)
    header: list[str] | None = None
    kept: list[list[str]] = []
    lines: list[int] = []
    ragged: list[int] = []
    for record, start in zip(records, starts, strict=True):
        if not "".join(record).strip():
            continue  # a blank line, or one of delimiters only: no transaction
        if header is None:
            header = record
        elif len(record) != len(header):
            ragged.append(start)
        else:
            kept.append(record)
            lines.append(start)
    records = kept
    assert header is not None  # (the text is not blank)
    problems = []
    seen = [name for i, name in enumerate(header) if name in header[:i]]
    if seen:
        problems.append(f"duplicate column names {sorted(set(seen))!r} on the header line")
    if ragged:
        problems.append(
            f"{len(ragged):,} row(s) with a number of fields other than the header's "
            f"{len(header)} on {_lines(ragged)}"
        )
    names = [
        f"{name}" if name not in header[:i] else f"{name}.{i}" for i, name in enumerate(header)
    ]
    frame = pd.DataFrame(
        records or None,
        columns=names,
        index=pd.Index(lines, dtype=np.int64, name=LINE_INDEX),
        dtype=object,
    )
    return header, frame, problems


def _spaces_hint(header: list[str], missing: list[str]) -> str:
    """A hint when a missing column is in the header with spaces around its name."""
    spaced = [name for name in header if name != name.strip() and name.strip() in missing]
    if not spaced:
        return ""
    return f" (names with spaces around them: {', '.join(map(repr, spaced))})"


def _delimiter_hint(header: list[str], delimiter: str) -> str:
    """A hint when the header is one field that another delimiter would split."""
    if len(header) != 1:
        return ""
    for char, name in ((";", "';'"), ("\t", "tab"), ("|", "'|'"), (",", "','")):
        if char != delimiter and char in header[0]:
            return f" (the header looks {name}-separated: pass --delimiter {name})"
    return ""


@dataclass(frozen=True)
class _Log:
    """A transaction log as text, indexed by CSV line, with the file's own problems (rows with
    the wrong number of fields, duplicate column names), reported with the data layer's."""

    frame: pd.DataFrame
    problems: list[str]


def _read_transactions(opts: LogOptions, progress: Callable[[float], None] | None = None) -> _Log:
    """Read a transaction log as text (ids stay text: ``007`` and ``7`` are two customers).

    The file's problems are collected here; the values (ids, dates, amounts, currencies) are
    checked by :mod:`relmark.data`, which reports every problem in one error naming the CSV
    lines (the frame's index is :data:`LINE_INDEX`).
    """
    header, frame, problems = _read_table(opts.path, opts.delimiter, opts.encoding, progress)
    wanted = [c for c in (opts.customer, opts.date, opts.amount, opts.currency) if c]
    missing = [c for c in wanted if c not in header]
    if missing:
        found = ", ".join(map(repr, header))
        problems.insert(
            0,
            f"missing column(s) {', '.join(map(repr, missing))} (found: {found})"
            + _delimiter_hint(header, opts.delimiter)
            + _spaces_hint(header, missing),
        )
    elif frame.empty:
        problems.append("no transactions (only a header line)")
    if missing or frame.empty:
        raise _problems(opts.path, problems)
    return _Log(frame, problems)


PARQUET_ROW = "parquet_row"
"""Name of the index of a Parquet log read into memory: 1-based row numbers, which errors
show."""


def _parquet_files(path: Path) -> list[str]:
    """The files of a Parquet path or glob (``'logs/*.parquet'``), sorted."""
    import glob

    text = str(path)
    files = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
    if not files:
        raise RelmarkError(f"{path}: no file matches")
    for name in files:
        if not Path(name).is_file():
            what = "is a folder, not a file" if Path(name).is_dir() else "no such file"
            raise RelmarkError(f"{name}: {what}")
    return files


def _read_parquet_frame(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Parquet file(s) into memory (only ``columns``, which must all be there), indexed by
    1-based row number (:data:`PARQUET_ROW`)."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency of the extras
        raise RelmarkError(f"Parquet files need pyarrow ({_one_line(exc)})") from None
    files = _parquet_files(path)
    try:
        found = list(pq.read_schema(files[0]).names)
        missing = [c for c in columns or () if c not in found]
        if missing:
            raise RelmarkError(
                f"{path}: missing column(s) {', '.join(map(repr, missing))} (found: "
                f"{', '.join(map(repr, found))})"
            )
        table = pq.read_table(files if len(files) > 1 else files[0], columns=columns)
    except RelmarkError:
        raise
    except Exception as exc:  # pyarrow's errors: not Parquet, schemas that differ, ...
        raise RelmarkError(f"{path}: cannot read it as Parquet: {_one_line(exc)}") from None
    frame: pd.DataFrame = table.to_pandas()
    frame.index = pd.Index(np.arange(1, len(frame) + 1), name=PARQUET_ROW)
    return frame


def _read_parquet_log(opts: LogOptions) -> _Log:
    """A Parquet transaction log read into memory, for the data layer's checks (the rows of
    its errors are 1-based row numbers)."""
    _csv_only_options(opts)
    wanted = list(
        dict.fromkeys(c for c in (opts.customer, opts.date, opts.amount, opts.currency) if c)
    )
    frame = _read_parquet_frame(opts.path, wanted)
    if frame.empty:
        raise RelmarkError(f"{opts.path}: no transactions (no rows)")
    return _Log(frame, [])


def _problems(path: Path, problems: Sequence[str]) -> RelmarkError:
    """One error for every problem of a file."""
    if len(problems) == 1:
        return RelmarkError(f"{path}: {problems[0]}")
    return RelmarkError(f"{path}: {len(problems)} problems: " + "; ".join(problems))


FLAGS = {
    "customer_id": "--customer",
    "datetime": "--date",
    "monetary_value": "--amount",
    "currency": "--currency",
    "observation_end": "--end",
    "calibration_end": "--calibration-end",
    "date_format": "--date-format",
    "dayfirst": "--dayfirst",
    "date_unit": "--date-unit",
    "timezone": "--timezone",
    "returns": "--returns",
    "missing_ids": "--drop-missing-ids",
    "time_unit": "--unit",
    "freq_multiplier": "--multiplier",
    "include_first_purchase": "--include-first-purchase",
}
"""The command-line option of each keyword of :mod:`relmark.data` (errors name the option)."""


def _library_options(opts: LogOptions) -> dict[str, Any]:
    """The keywords of :func:`relmark.data.summarize` for the log options."""
    return {
        "customer_id": opts.customer,
        "datetime": opts.date,
        "monetary_value": opts.amount,
        "currency": opts.currency,
        "date_format": opts.date_format,
        "dayfirst": opts.dayfirst,
        "date_unit": opts.date_unit,
        "timezone": opts.timezone,
        "returns": opts.returns,
        "missing_ids": "drop" if opts.drop_missing_ids else "refuse",
    }


R = TypeVar("R")

_ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)


def _option_date(text: str | None) -> object:
    """A date option (``--end``, ``--calibration-end``): an ISO date (``2024-12-31``) whatever
    the log's format, else the text, which the data layer reads like the log's dates."""
    if text is not None and _ISO_DATE.fullmatch(text.strip()):
        try:
            return pd.Timestamp(text.strip())
        except (ValueError, OverflowError):
            return text
    return text


def _flag_error(exc: ArgumentError, flags: dict[str, str] = FLAGS) -> RelmarkError:
    """An argument error of the library as one naming the command-line option."""
    flag = flags.get(exc.argument or "", exc.argument)
    message = str(exc).removeprefix(f"argument {exc.argument!r}: ")
    return RelmarkError(f"{flag}: {_in_cli_words(message)}")


def _through_data_layer(func: Callable[..., R], log: _Log, opts: LogOptions, **keywords: Any) -> R:
    """``func(log, **options)`` with its errors as the command line's: an argument error
    names the option, a data error is reported with the file's own problems, in one line."""
    try:
        result = func(log.frame, **_library_options(opts), **keywords)
    except ArgumentError as exc:
        raise _flag_error(exc) from None
    except DataError as exc:
        raise _problems(opts.path, [*log.problems, _in_cli_words(str(exc))]) from None
    except RelmarkError as exc:  # a currency error
        raise RelmarkError(f"{opts.path}: {_in_cli_words(str(exc))}") from None
    if log.problems:
        raise _problems(opts.path, log.problems)
    return result


_KEYWORD = re.compile(r"\b(" + "|".join(FLAGS) + r")=('?)([\w%/-]*)\2")


def _in_cli_words(text: str) -> str:
    """The data layer's advice in the command line's words: ``date_unit='excel'`` is
    ``--date-unit excel``, ``missing_ids='drop'`` is ``--drop-missing-ids``, rows indexed by
    CSV line are ``CSV lines``."""

    def flag(match: re.Match[str]) -> str:
        keyword, value = match[1], match[3]
        if keyword == "include_first_purchase":
            return "--include-first-purchase" if value == "True" else "no --include-first-purchase"
        if keyword == "missing_ids":
            return "--drop-missing-ids"
        if keyword == "dayfirst":
            return {"True": "--dayfirst", "False": "--monthfirst"}.get(value, "--dayfirst")
        return f"{FLAGS[keyword]} {value}".rstrip()

    text = text.replace(
        "with include_first_purchase=False (the default)", "without --include-first-purchase"
    )
    text = _KEYWORD.sub(flag, text)
    for keyword in ("calibration_end", "observation_end"):
        text = re.sub(rf"\b{keyword}\b", FLAGS[keyword], text)
    if "(CSV lines " in text:  # each problem names its lines: the summary of them is noise
        text = re.sub(r" \[first offending rows: [^\]]*\]$", "", text)
    return text.replace(" (rows are CSV line numbers) [first offending rows: ", " [CSV lines: ")


def _print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"note: {_in_cli_words(note)}")


# ---------------------------------------------------------------------------- summarize
def _add_summarize(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "summarize",
        help="transaction log (CSV or Parquet) -> one row per customer",
        description="Turn a transaction log into the per-customer summary the models take: "
        "frequency (repeat purchases), recency (time of the last purchase since the first), "
        "T (age) and, with --amount, monetary_value (mean repeat purchase). The summary's time "
        "unit is written in a time_unit column, which 'fit' and 'score' read back. Every "
        "problem of the file is reported in one error, with its CSV line numbers.",
    )
    _add_log_options(p, amount=None, parquet=True)
    grid = p.add_argument_group("time unit")
    grid.add_argument("--unit", default="D", choices=UNITS, help="period grid (default: days)")
    grid.add_argument(
        "--multiplier",
        metavar="N",
        type=_positive,
        default=1,
        help="divide times by this: --unit D --multiplier 7 is weeks with day resolution "
        "(default: 1)",
    )
    p.add_argument(
        "--include-first-purchase",
        action="store_true",
        help="count the first purchase too (lifetimes' include_first_transaction): frequency is "
        "the number of purchase periods and monetary_value their mean spend; for reports, "
        "written in an include_first_purchase column, and refused by 'fit' and 'score'",
    )
    _add_progress(p)
    p.add_argument(
        "-o",
        "--output",
        type=_output,
        required=True,
        metavar="FILE",
        help="summary to write: Parquet if its name ends in .parquet or .pq, else CSV",
    )
    p.set_defaults(run=_run_summarize)


def _check_paths(opts: LogOptions, output: Path) -> None:
    if _same_file(opts.path, output):
        raise RelmarkError(f"--output {output} is the input file: choose another name")


def _csv_only_options(opts: LogOptions) -> None:
    for flag, given in (("--delimiter", opts.delimiter != ","), ("--encoding", opts.encoding)):
        if given:
            raise RelmarkError(f"{flag}: applies to CSV files, not to Parquet {opts.path}")


def _summarize_parquet(opts: LogOptions, args: argparse.Namespace) -> RFMSummary:
    """The summary of Parquet files by DuckDB, out of core (``relmark.engines.sql``)."""
    return _parquet_summary(
        opts,
        _Progress(args.progress),
        time_unit=args.unit,
        freq_multiplier=args.multiplier,
        include_first_purchase=args.include_first_purchase,
    )


def _parquet_summary(opts: LogOptions, progress: _Progress, **keywords: Any) -> RFMSummary:
    """The summary of Parquet files by DuckDB, out of core (``relmark.engines.sql``):
    ``calibration_holdout`` when ``keywords`` name a ``calibration_end``, else ``summarize``;
    errors in the command line's words."""
    _csv_only_options(opts)
    sql = _engine("sql")
    split = "calibration_end" in keywords
    func = sql.calibration_holdout if split else sql.summarize
    with progress.step("calibration/holdout (DuckDB)" if split else "summary (DuckDB)") as bar:
        return _in_duckdb(func, opts, None if bar is None else bar.update, **keywords)


def _in_duckdb(
    func: Callable[..., RFMSummary],
    opts: LogOptions,
    progress: Callable[[float], None] | None,
    **keywords: Any,
) -> RFMSummary:
    try:
        summary: RFMSummary = func(
            str(opts.path),
            **_library_options(opts),
            observation_end=_option_date(opts.end),
            progress=progress,
            **keywords,
        )
    except ArgumentError as exc:
        error = _flag_error(exc)
        text = str(error).replace("or the Spark engine, ", "")  # (not a CLI option)
        text = text.replace("use relmark.data.summarize", "summarize a CSV export of the log")
        raise RelmarkError(text) from None
    except RelmarkError as exc:
        text = _in_cli_words(str(exc))
        text = text.replace(" (rows are customer ids) [first offending rows: ", " [customers: ")
        text = text.replace(  # (the CLI nets returns in memory, reading the log as CSV)
            "(netting them, --returns net, is done by relmark.data.summarize)",
            "(netting them, --returns net, needs the log as CSV: DuckDB, which reads Parquet, "
            "does not net)",
        )
        if "after the end of observation" in text and "--end" not in text:
            text = text.replace(
                "after the end of observation", "after the end of observation (--end)", 1
            )
        raise RelmarkError(text) from None
    return summary


def _read_log(opts: LogOptions, progress: _Progress, *, parquet: bool = False) -> _Log:
    """The transaction log read into memory (a CSV file, or with ``parquet`` a Parquet one)."""
    with progress.step(f"read {opts.path.name}") as bar:
        if parquet:
            return _read_parquet_log(opts)
        return _read_transactions(opts, None if bar is None else bar.update)


def _run_summarize(args: argparse.Namespace) -> int:
    from relmark.data import summarize

    opts = _log_options(args)
    if Path(opts.path).is_dir():  # (the Python API's hint: 'lake' is read as one CSV file)
        folder = str(opts.path).rstrip("/" + os.sep) or str(opts.path)
        raise RelmarkError(
            f"{opts.path}: is a folder, not a file: pass a glob of its files in quotes, e.g. "
            f"'{folder}/*.parquet' (or '{folder}/**/*.parquet' with sub-folders)"
        )
    _check_paths(opts, args.output)
    progress = _Progress(args.progress)
    if _is_parquet(opts.path):
        summary = _summarize_parquet(opts, args)
    else:
        log = _read_log(opts, progress)
        with progress.step("summary"):
            summary = _through_data_layer(
                summarize,
                log,
                opts,
                time_unit=args.unit,
                freq_multiplier=args.multiplier,
                observation_end=_option_date(opts.end),
                include_first_purchase=args.include_first_purchase,
            )
    frame = summary.to_frame().assign(time_unit=summary.time_unit)
    if summary.currency is not None:
        frame = frame.assign(currency=summary.currency)
    if summary.include_first_purchase:  # (read back by 'fit' and 'score', which refuse it)
        frame = frame.assign(include_first_purchase=True)
    _write_table(frame, args.output)
    _print_notes(summary.notes)
    money = f", spend in {summary.currency}" if summary.currency else ""
    first = (
        "; frequency counts the first purchase (include_first_purchase column: for reports, "
        "not for 'fit' or 'score')"
        if summary.include_first_purchase
        else ""
    )
    print(
        f"{len(summary):,} customers summarised (time unit {summary.time_unit}, "
        f"written in the time_unit column{money}{first}) -> {args.output}"
    )
    return 0


def _read_summary(
    path: Path, unit: str | None, progress: Callable[[float], None] | None = None
) -> tuple[RFMSummary, str | None]:
    """A summary CSV, its numbers checked (every problem in one error, with CSV lines) and its
    time unit from ``--unit`` or the file's ``time_unit`` column; with it, the one currency of
    its ``currency`` column (a 'relmark summarize --currency' output has one)."""
    from relmark.data import RFMSummary
    from relmark.timeunit import TimeUnit

    header, frame, problems = _read_table(path, ",", progress=progress)
    missing = [c for c in ("frequency", "recency", "T") if c not in header]
    if missing:
        problems.insert(
            0,
            f"missing column(s) {', '.join(map(repr, missing))} (found: "
            f"{', '.join(map(repr, header))}; a 'relmark summarize' output has them)",
        )
    if frame.empty and not missing:
        problems.append("no customers (only a header line)")
    currency: str | None = None
    if "currency" in frame.columns:
        codes = frame.pop("currency").astype(str).str.strip()
        found = sorted(set(codes[codes != ""]))
        _blank_on_some(codes, "currency", problems)
        if len(found) > 1:
            problems.append(f"column 'currency': several currencies {found}")
        not_iso = [c for c in found if re.fullmatch(r"[A-Z]{3}", c) is None]
        if not_iso:
            problems.append(
                f"column 'currency': {not_iso[0]!r} is not an ISO 4217 code (three capital "
                "letters, e.g. EUR)"
            )
        currency = found[0] if len(found) == 1 else None
    saved: list[str] = []
    if "time_unit" in frame.columns:
        labels = frame.pop("time_unit").astype(str).str.strip()
        saved = sorted(set(labels[labels != ""]))
        _blank_on_some(labels, "time_unit", problems)
        if len(saved) > 1:
            problems.append(f"column 'time_unit': several time units {saved}")
        for label in saved:
            try:
                TimeUnit.parse(label)
            except RelmarkError:
                problems.append(
                    f"column 'time_unit': {label!r} is not a time unit (e.g. W, D, 2W, 24h)"
                )
    counted = False  # the include_first_purchase column of 'relmark summarize --include-first-...'
    if "include_first_purchase" in frame.columns:
        flags = frame.pop("include_first_purchase").astype(str).str.strip()
        not_flag = ~flags.isin(["True", "False"])
        if not_flag.any():
            problems.append(
                "column 'include_first_purchase': must be True or False, got "
                f"{_examples(flags[not_flag])}"
            )
        elif flags.nunique() > 1:
            problems.append(
                "column 'include_first_purchase': both True and False (one value for the whole "
                "summary)"
            )
        else:
            counted = bool(len(flags)) and flags.iloc[0] == "True"
    ids = frame["customer_id"].astype(str) if "customer_id" in frame.columns else None
    if ids is not None:
        blank = ids.str.strip() == ""
        if blank.any():
            problems.append(
                f"column 'customer_id': blank ids on {_lines(ids.index[blank].tolist())}"
            )
        twice = ids.duplicated(keep=False) & ~blank
        if twice.any():
            shown = sorted(set(ids[twice]))[:5]
            problems.append(
                f"column 'customer_id': duplicate ids {shown!r} on "
                f"{_lines(ids.index[twice].tolist())}"
            )
    for name in SUMMARY_NUMBERS:
        if name in frame.columns:
            text = frame[name].astype(str).str.strip()
            numbers = pd.to_numeric(text.where(text != "", None), errors="coerce")
            bad = ~np.isfinite(numbers.to_numpy(dtype=np.float64, na_value=np.nan))
            if bad.any():
                problems.append(
                    f"column {name!r}: missing or not finite numbers: {_examples(text[bad])}"
                    + (f" ({int(bad.sum()):,} in all)" if bad.sum() > 3 else "")
                )
            frame[name] = numbers.astype(np.float64)
    if problems:
        raise _problems(path, problems)
    if unit is None and not saved:
        raise RelmarkError(
            f"{path} has no time_unit column (a 'relmark summarize' output has one): "
            "pass --unit (e.g. W, D, 2W)"
        )
    if unit is not None and saved and TimeUnit.parse(saved[0]) != TimeUnit.parse(unit):
        raise RelmarkError(f"--unit {unit}, but {path} is in time unit {saved[0]}")
    if ids is not None:
        frame["customer_id"] = ids
    try:
        summary = RFMSummary.from_frame(
            frame,
            customer_id=None if ids is None else "customer_id",
            time_unit=TimeUnit.parse(unit if unit is not None else saved[0]).label,
            include_first_purchase=counted,
        )
        return summary, currency
    except DataError as exc:  # its rows are the customer ids of the summary
        why = str(exc).replace("[first offending rows: ", "[customers: ")
        raise RelmarkError(f"{path}: {why}") from None


def _blank_on_some(values: pd.Series, column: str, problems: list[str]) -> None:
    """A summary's constant column (``time_unit``, ``currency``) blank on some lines and not
    on others: a problem naming the lines (all blank: the column states nothing)."""
    blank = values == ""
    if blank.any() and not blank.all():
        problems.append(f"column {column!r}: blank on {_lines(values.index[blank].tolist())}")


def _time_unit(text: str) -> str:
    """A time unit label (``W``, ``D``, ``2W``, ``24h``), as :class:`relmark.timeunit.TimeUnit`
    reads it."""
    from relmark.timeunit import TimeUnit

    try:
        return TimeUnit.parse(text).label
    except RelmarkError:
        raise argparse.ArgumentTypeError(
            f"not a time unit: {text!r} (D, W, h or M, with an optional multiple: 2W, 14D, 24h)"
        ) from None


def _has_repeat_buyers(summary: RFMSummary, where: object, allow: bool) -> None:
    """Refuse a summary without a single repeat purchase before fitting a purchase model to
    it: the likelihood then has no interior maximum (the fit runs to a boundary and was
    reported as not converged, which hid the reason); ``--allow-unconverged`` fits it
    anyway."""
    if not allow and len(summary) and not np.any(np.asarray(summary.frequency) > 0):
        raise RelmarkError(
            f"{where}: no customer made a repeat purchase (frequency is 0 for all "
            f"{len(summary):,} customers): a purchase model has no estimate to find (pass "
            "--allow-unconverged to write its boundary fit anyway)"
        )


def _repeat_purchases_only(summary: RFMSummary | pd.DataFrame, path: Path) -> None:
    """Refuse a summary that counts the first purchase ('relmark summarize
    --include-first-purchase') with the models' own error, in the command line's words."""
    from relmark.clv._base import refuse_first_purchase

    try:
        refuse_first_purchase(summary)
    except DataError as exc:
        raise RelmarkError(f"{path}: {_in_cli_words(str(exc))}") from None


def _not_converged_because(fit: FitResult) -> str:
    """Why a fit is not converged, in words, from its own criteria: the log-likelihood still
    to gain (the Newton decrement; negative or not finite where the Hessian is not positive
    definite) and the per-customer gradient, with the estimates that ran towards 0 or
    infinity. (The optimiser's own message is not the reason: it comes from the L-BFGS stage
    before the Newton steps, "CONVERGENCE: ..." on fits that did not converge, and scipy's
    "ABNORMAL: " carries no reason at all.)"""
    gain, grad = fit.log_likelihood_change, fit.grad_norm
    if not (math.isfinite(gain) and gain >= 0):
        why = (
            "the log-likelihood is not curved like a maximum at the estimates (its Hessian is "
            "not positive definite: these data do not pin the parameters down)"
        )
    elif gain > 0:
        why = f"the log-likelihood could still rise by {gain:.2g}"
    else:
        why = "the gradient at the estimates is not 0"
    why += f"; per-customer |gradient| {grad:.2g}"
    extreme = [
        f"{name} = {value:.3g}"
        for name, value in fit.params.items()
        if math.isfinite(value) and value != 0 and not 1e-6 <= abs(value) <= 1e6
    ]
    if extreme:
        why += f"; estimates running off towards 0 or infinity: {', '.join(extreme)}"
    return f"{fit.nobs:,} customer{'s' if fit.nobs != 1 else ''}: {why}"


def _converged(model: M, allow: bool) -> M:
    """``model``, unless its fit did not converge and ``--allow-unconverged`` was not given."""
    fit = model.fit_result
    if not fit.converged and not allow:
        raise RelmarkError(
            f"the {model.name} fit did not converge on {_not_converged_because(fit)}; nothing "
            "written. Pass --allow-unconverged to use it anyway"
        )
    return model


def _fit_spend(
    summary: RFMSummary, path: Path, allow: bool, progress: _Progress | None = None
) -> GammaGamma:
    """Gamma-Gamma on the customers it has a density for, with a note on those left out."""
    from relmark.view import fit_spend

    if summary.monetary_value is None:
        raise RelmarkError(f"{path}: needs a monetary_value column (summarize --amount)")
    with (progress or _Progress(False)).step("GammaGamma fit"):
        spend, zero = fit_spend(
            summary.frequency, summary.monetary_value, time_unit=summary.time_unit
        )
    if zero:
        print(
            f"note: {zero:,} repeat buyer(s) with a mean spend of 0 left out of the Gamma-Gamma "
            "fit (it has no density there); their expected spend is still predicted"
        )
    return _converged(spend, allow)


def _add_fit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "fit",
        help="fit a model to a summary (CSV or Parquet) and save it as JSON",
        description="Fit a CLV model by maximum likelihood to a summary written by "
        "'relmark summarize' (columns customer_id, frequency, recency, T[, monetary_value]"
        "[, time_unit]). A fit that does not converge is not written.",
    )
    p.add_argument(
        "summary",
        type=Path,
        help="summary CSV; or a Parquet summary (.parquet, .pq), fitted out of core from its "
        "distinct rows grouped by DuckDB (the sql extra)",
    )
    p.add_argument(
        "--model",
        required=True,
        type=_model_name,
        choices=PURCHASE_MODELS + SPEND_MODELS,
        help="purchase model (bgnbd, mbgnbd, paretonbd) or spend model (gammagamma)",
    )
    p.add_argument(
        "--unit",
        default=None,
        type=_time_unit,
        help="time unit of the summary, e.g. W or 2W (default: its time_unit column; required "
        "without one)",
    )
    p.add_argument(
        "--allow-unconverged", action="store_true", help="write the model even if the fit failed"
    )
    _add_progress(p)
    p.add_argument(
        "-o", "--output", type=_output, required=True, metavar="FILE", help="model JSON to write"
    )
    p.set_defaults(run=_run_fit)


def _parquet_unit(path: Path, unit: str | None) -> str:
    """The time unit of a Parquet summary: ``--unit`` or its ``time_unit`` column, which must
    agree (read from the file's statistics, without a scan)."""
    from relmark.timeunit import TimeUnit

    _engine("outofcore")  # (a clear line when pyarrow is missing)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise RelmarkError(f"{path}: cannot read it as Parquet: {_one_line(exc)}") from None
    schema = reader.schema_arrow
    for name in SUMMARY_NUMBERS:  # (text in a number column was an internal error)
        if name in schema.names:
            kind = schema.field(name).type
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
                raise RelmarkError(
                    f"{path}: column {name!r}: must hold numbers, but its Parquet type is "
                    f"{kind} (a 'relmark summarize' output holds doubles)"
                )
    if "include_first_purchase" in schema.names:  # (before a fit's notes and its reading)
        import pyarrow.compute as pc

        column = reader.read(columns=["include_first_purchase"]).column(0)
        flags = pd.DataFrame({"include_first_purchase": pc.unique(column).to_pylist()})
        _repeat_purchases_only(flags, path)
    saved = _parquet_constant(reader, "time_unit")
    if unit is None and saved is None:
        raise RelmarkError(
            f"{path} has no time_unit column (a 'relmark summarize' output has one): "
            "pass --unit (e.g. W, D, 2W)"
        )
    if unit is not None and saved is not None and TimeUnit.parse(saved) != TimeUnit.parse(unit):
        raise RelmarkError(f"--unit {unit}, but {path} is in time unit {saved}")
    return TimeUnit.parse(unit if unit is not None else str(saved)).label


def _fit_parquet(args: argparse.Namespace) -> CLVModel:
    """A model fitted to a Parquet summary from its distinct rows grouped in DuckDB
    (``relmark.engines.sql.fit``): the in-memory estimate, out of core. Gamma-Gamma leaves out
    the repeat buyers with a mean spend of 0, as for a CSV summary."""
    from relmark.clv import get_model

    unit = _parquet_unit(args.summary, args.unit)
    sql = _engine("sql")
    import duckdb

    cls = get_model(args.model)
    path = "'" + str(args.summary).replace("'", "''") + "'"
    con = duckdb.connect()
    try:
        source: Any = str(args.summary)
        if args.model in SPEND_MODELS:
            rel = con.sql(f"SELECT * FROM read_parquet({path})")
            for column in ("frequency", "monetary_value"):
                if column not in rel.columns:
                    raise RelmarkError(
                        f"{args.summary}: column {column!r}: missing (found: "
                        f"{', '.join(rel.columns)}; 'relmark summarize --amount' writes it)"
                    )
            zero = "frequency > 0 AND monetary_value = 0"
            got = con.execute(f"SELECT COUNT(*) FROM read_parquet({path}) WHERE {zero}")
            n_zero = int(got.fetchall()[0][0])
            source = con.sql(f"SELECT * FROM read_parquet({path}) WHERE NOT ({zero})")
            if n_zero:
                print(
                    f"note: {n_zero:,} repeat buyer(s) with a mean spend of 0 left out of the "
                    "Gamma-Gamma fit (it has no density there); their expected spend is still "
                    "predicted"
                )
        with _Progress(args.progress).fit(cls.name) as report:
            model: CLVModel = sql.fit(cls, source, time_unit=unit, progress=report)
    except duckdb.Error as exc:
        raise RelmarkError(f"{args.summary}: {_one_line(exc)}") from None
    except RelmarkError as exc:
        text = _one_line(exc)
        raise RelmarkError(
            text if str(args.summary) in text else f"{args.summary}: {text}"
        ) from None
    finally:
        con.close()
    return _converged(model, args.allow_unconverged)


def _run_fit(args: argparse.Namespace) -> int:
    from relmark.clv import get_model

    if _same_file(args.summary, args.output):
        raise RelmarkError(f"--output {args.output} is the input file: choose another name")
    if _is_parquet(args.summary):
        fitted = _fit_parquet(args)
        _write_text(fitted.to_json(), args.output)
        print(fitted.fit_result.summary())
        print(f"model written to {args.output}")
        return 0
    progress = _Progress(args.progress)
    with progress.step(f"read {args.summary.name}") as bar:
        summary, _ = _read_summary(args.summary, args.unit, None if bar is None else bar.update)
    _repeat_purchases_only(summary, args.summary)
    model: CLVModel
    if args.model == "gammagamma":  # the other spend models fit as any model
        model = _fit_spend(summary, args.summary, args.allow_unconverged, progress)
    else:
        _has_repeat_buyers(summary, args.summary, args.allow_unconverged)
        cls = get_model(args.model)
        with progress.fit(cls.name) as report:
            fitted = cls.fit(summary, progress=report)
        model = _converged(fitted, args.allow_unconverged)
    _write_text(model.to_json(), args.output)
    print(model.fit_result.summary())
    print(f"model written to {args.output}")
    return 0


def _add_score(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "score",
        help="per-customer P(alive), expected purchases, spend and CLV",
        description="Score every customer of a summary CSV: P(alive), expected purchases over "
        "the horizon, expected spend per purchase and CLV with 95% intervals from parameter "
        "uncertainty. Models are fitted to the summary unless given as JSON. CLV is the value "
        "of --periods periods of --period-length, discounted at --discount per period (by "
        "default 12 months at 1% a month, as relmark.clv.clv).",
    )
    p.add_argument(
        "summary",
        type=Path,
        help="summary CSV with monetary_value; or a Parquet summary (.parquet, .pq), scored out "
        "of core in batches with saved models (--model model.json), without intervals",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--model",
        default=None,
        type=_model_or_json,
        choices=_NamesOrJSON(PURCHASE_MODELS),
        metavar="{" + ",".join(PURCHASE_MODELS) + ",FILE.json}",
        help="purchase model to fit (default: bgnbd), or a saved one ('relmark fit' output)",
    )
    which.add_argument(
        "--model-json",
        metavar="FILE",
        type=_input_file,
        default=None,
        help="a saved purchase model ('relmark fit' output)",
    )
    p.add_argument(
        "--spend",
        default=None,
        type=_model_or_json,
        choices=_NamesOrJSON(SPEND_MODELS),
        metavar="{" + ",".join(SPEND_MODELS) + ",FILE.json}",
        help="spend model to fit (default: gammagamma), or a saved one ('relmark fit --model "
        "gammagamma' output); a Parquet summary without one gets no spend or CLV",
    )
    p.add_argument(
        "--unit",
        default=None,
        type=_time_unit,
        help="time unit of the summary, e.g. W or 2W (default: its time_unit column; required "
        "without one)",
    )
    p.add_argument("--periods", type=_periods, default=12, help="CLV periods (default: 12)")
    p.add_argument(
        "--period-length",
        type=_positive,
        default=None,
        help="length of a CLV period in the summary's time unit (default: a month of 365.25/12 "
        "days: 4.348 W, 30.44 D, 730.5 h, 1 M)",
    )
    p.add_argument(
        "--discount", type=_rate, default=0.01, help="discount rate per period (default: 0.01)"
    )
    p.add_argument(
        "--horizon",
        type=_positive,
        default=None,
        help="horizon of the expected purchases, in the summary's time unit (default: the CLV "
        "horizon, periods x period length)",
    )
    p.add_argument(
        "--draws",
        type=_draws,
        default=None,
        help=f"parameter draws for the 95%% intervals (default: 100; at least {MIN_DRAWS}: "
        "fewer cannot resolve the 2.5%% and 97.5%% quantiles; CSV summaries only)",
    )
    p.add_argument(
        "--seed", type=_at_least(0), default=None, help="random seed of the draws (default: 0)"
    )
    p.add_argument("--allow-unconverged", action="store_true", help="score even if a fit failed")
    _add_progress(p)
    p.add_argument(
        "-o",
        "--output",
        type=_output,
        required=True,
        metavar="FILE",
        help="scores to write: CSV, or Parquet for a Parquet summary",
    )
    p.set_defaults(run=_run_score)


def _clv_horizon(args: argparse.Namespace, length: float) -> float:
    """The horizon of the expected purchases: ``--horizon``, else the CLV horizon (periods x
    period length), which must be a finite number of time units."""
    if not math.isfinite(args.periods * length):
        raise RelmarkError(
            f"--periods {args.periods} x --period-length {length:g}: the CLV horizon is not a "
            "finite number of time units"
        )
    return float(args.horizon if args.horizon is not None else args.periods * length)


def _load_purchase_model(path: Path, unit: str | None) -> RFMModel:
    """A saved purchase model, in the summary's time unit."""
    from relmark.clv import load_model
    from relmark.clv._rfm import RFMModel

    try:
        model = load_model(path.read_bytes())
    except RelmarkError as exc:
        raise RelmarkError(f"{path}: {exc}") from None
    if not isinstance(model, RFMModel) or model.discrete:
        raise RelmarkError(
            f"{path} holds a {model.name} model: score needs a purchase model "
            f"({', '.join(PURCHASE_MODELS)})"
        )
    if model.time_unit is not None and model.time_unit != unit:
        raise RelmarkError(f"{path} is in time unit {model.time_unit}, the summary in {unit}")
    return model.with_time_unit(unit)


def _load_spend_model(path: Path) -> GammaGamma:
    """A saved spend model."""
    from relmark.clv import GammaGamma, load_model

    try:
        model = load_model(path.read_bytes())
    except RelmarkError as exc:
        raise RelmarkError(f"{path}: {exc}") from None
    if not isinstance(model, GammaGamma):
        raise RelmarkError(
            f"--spend {path} holds a {model.name} model: a spend model is needed "
            f"({', '.join(SPEND_MODELS)})"
        )
    return model


def _parquet_constant(reader: Any, column: str) -> str | None:
    """The one value of a text column of a Parquet file (``time_unit``, ``currency``), from the
    row groups' statistics (no scan); None without the column."""
    names = reader.schema_arrow.names
    if column not in names:
        return None
    index = names.index(column)
    found: set[object] = set()
    meta = reader.metadata
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(index).statistics
        if stats is None or not stats.has_min_max:
            found.add(None)
            continue
        found.update((stats.min, stats.max))
    if None in found:  # no statistics: the first value
        first = next(reader.iter_batches(batch_size=1, columns=[column]), None)
        found.discard(None)
        if first is not None and first.num_rows:
            found.add(first.column(0)[0].as_py())
    values = sorted(str(v.decode() if isinstance(v, bytes) else v) for v in found if v)
    if len(values) > 1:
        raise RelmarkError(f"column {column!r}: several values {values[:5]}")
    return values[0] if values else None


SCORE_FLAGS = {
    "horizon": "--horizon",
    "periods": "--periods",
    "period_length": "--period-length",
    "discount_rate": "--discount",
    "purchases": "--model",
    "spend": "--spend",
    "destination": "--output",
}
"""The command-line option of each keyword of ``relmark.engines.outofcore.score_parquet``."""


def _score_parquet(args: argparse.Namespace) -> int:
    """Score a Parquet summary out of core (``relmark.engines.outofcore.score_parquet``)."""
    from relmark.timeunit import TimeUnit

    outofcore = _engine("outofcore")
    import pyarrow.parquet as pq

    if not _is_parquet(args.output):
        raise RelmarkError(
            f"--output {args.output}: a Parquet summary is scored into a Parquet file "
            f"(a name ending in {' or '.join(PARQUET)})"
        )
    if _same_file(args.summary, args.output):
        raise RelmarkError(f"--output {args.output} is the input file: choose another name")
    for flag, given in (("--draws", args.draws), ("--seed", args.seed)):
        if given is not None:
            raise RelmarkError(
                f"{flag}: intervals are computed for CSV summaries only (a Parquet summary is "
                "scored out of core, point estimates)"
            )
    if args.allow_unconverged:
        raise RelmarkError("--allow-unconverged: a Parquet summary is scored with saved models")
    model_file = args.model_json if args.model_json is not None else args.model
    if not isinstance(model_file, Path):
        raise RelmarkError(
            f"--model: a Parquet summary is scored with a saved model (--model model.json, a "
            f"'relmark fit' output), not fitted{f' ({model_file})' if model_file else ''}"
        )
    if args.spend is not None and not isinstance(args.spend, Path):
        raise RelmarkError(
            f"--spend {args.spend}: a Parquet summary is scored with a saved spend model "
            "(--spend spend.json, a 'relmark fit --model gammagamma' output)"
        )
    unit = _parquet_unit(args.summary, args.unit)
    reader = pq.ParquetFile(args.summary)
    currency = _parquet_constant(reader, "currency")
    purchases = _load_purchase_model(model_file, unit)
    spend = None if args.spend is None else _load_spend_model(args.spend)
    length = args.period_length
    if length is None:
        length = TimeUnit.parse(unit).per_month
    horizon = _clv_horizon(args, length)
    progress = _Progress(args.progress)
    try:
        with (
            progress.step("score", float(reader.metadata.num_rows), "customers") as bar,
            _atomic(args.output) as tmp,
        ):
            n = outofcore.score_parquet(
                args.summary,
                tmp,
                purchases,
                horizon=horizon,
                spend=spend,
                periods=args.periods,
                period_length=length,
                discount_rate=args.discount,
                progress=None if bar is None else bar.update,
            )
    except ArgumentError as exc:
        raise _flag_error(exc, SCORE_FLAGS) from None
    except RelmarkError as exc:
        raise RelmarkError(f"{args.summary}: {exc}") from None
    what = "P(alive) and expected purchases" + (", spend and CLV" if spend else "")
    print(
        f"note: expected purchases over {horizon:g} {unit}"
        + (
            f"; CLV over {args.periods} periods of {length:g} {unit} at {args.discount:g} per "
            "period" + (f", in {currency}" if currency else "")
            if spend
            else " (no --spend model: no spend or CLV)"
        )
    )
    print(f"{n:,} customers scored out of core ({what}, {purchases.name}) -> {args.output}")
    return 0


def _run_score(args: argparse.Namespace) -> int:
    from relmark.clv import GammaGamma, clv_interval, get_model
    from relmark.clv._rfm import RFMModel
    from relmark.timeunit import TimeUnit

    if _is_parquet(args.summary):
        return _score_parquet(args)
    if _is_parquet(args.output):
        raise RelmarkError(
            f"--output {args.output}: a CSV summary is scored into a CSV file (score a "
            "Parquet summary for Parquet scores)"
        )
    if isinstance(args.model, Path):
        args.model_json, args.model = args.model, None
    for given in (args.summary, args.model_json, args.spend):
        if isinstance(given, Path) and _same_file(given, args.output):
            raise RelmarkError(f"--output {args.output} is an input file: choose another name")
    draws = 100 if args.draws is None else args.draws
    seed = 0 if args.seed is None else args.seed
    progress = _Progress(args.progress)
    with progress.step(f"read {args.summary.name}") as bar:
        summary, currency = _read_summary(
            args.summary, args.unit, None if bar is None else bar.update
        )
    _repeat_purchases_only(summary, args.summary)
    if summary.monetary_value is None:
        raise RelmarkError(f"{args.summary}: needs a monetary_value column (summarize --amount)")
    unit = summary.time_unit
    length = args.period_length
    if length is None:
        length = TimeUnit.parse(unit).per_month
    horizon = _clv_horizon(args, length)
    if args.model_json is not None:
        purchases = _load_purchase_model(args.model_json, unit)
    else:
        _has_repeat_buyers(summary, args.summary, args.allow_unconverged)
        cls = get_model(args.model or "bgnbd")
        with progress.fit(cls.name) as report:
            fitted = cls.fit(summary, progress=report)
        assert isinstance(fitted, RFMModel)  # (PURCHASE_MODELS are)
        purchases = _converged(fitted, args.allow_unconverged)
    if isinstance(args.spend, Path):
        spend = _load_spend_model(args.spend)  # (spend per purchase: no time unit to match)
    elif args.spend in (None, "gammagamma"):
        spend = _fit_spend(summary, args.summary, args.allow_unconverged, progress)
    else:  # another registered spend model (frequencygammagamma), fitted as itself
        spend_cls = get_model(args.spend)
        with progress.fit(spend_cls.name) as report:
            other = _converged(spend_cls.fit(summary, progress=report), args.allow_unconverged)
        assert isinstance(other, GammaGamma)  # (the registered spend models are)
        spend = other
    assert summary.monetary_value is not None  # (checked above)
    x, tx, T, m = summary.frequency, summary.recency, summary.T, summary.monetary_value
    rng = np.random.default_rng(seed)
    with progress.step(f"intervals ({draws} parameter draws)") as bar:
        p_alive = purchases.interval(lambda mdl: mdl.p_alive(x, tx, T), n_draws=draws, rng=rng)
        if bar is not None:
            bar.update(100 / 3)
        expected = purchases.interval(
            lambda mdl: mdl.conditional_expected_purchases(x, tx, T, t=horizon),
            n_draws=draws,
            rng=rng,
        )
        if bar is not None:
            bar.update(200 / 3)
        value = clv_interval(
            purchases,
            spend,
            x,
            tx,
            T,
            m,
            n_draws=draws,
            rng=rng,
            periods=args.periods,
            period_length=length,
            discount_rate=args.discount,
        )
    out = pd.DataFrame(
        {
            "p_alive": p_alive.estimate,
            "p_alive_low": p_alive.lower,
            "p_alive_high": p_alive.upper,
            "expected_purchases": expected.estimate,
            "expected_purchases_low": expected.lower,
            "expected_purchases_high": expected.upper,
            "expected_spend": spend.expected_spend(x, m),
            "clv": value.estimate,
            "clv_low": value.lower,
            "clv_high": value.upper,
        },
        index=pd.Index(summary.customer_id, name="customer_id"),
    )
    if currency is not None:
        out["currency"] = currency
    _write_csv(out, args.output)
    print(
        f"note: expected purchases over {horizon:g} {unit}; CLV over {args.periods} periods of "
        f"{length:g} {unit} at {args.discount:g} per period"
        + (f", in {currency}" if currency else "")
    )
    print(f"{len(out):,} customers scored ({purchases.name} + {spend.name}) -> {args.output}")
    return 0


def _add_view(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "view",
        help="one row per customer across every model, with IDIC proposals",
        description="Build the relationship view of a transaction log: P(alive), expected "
        "purchases, spend, CLV, RFM segment, pyramid tier, lifecycle stage and, with "
        "--margin, the proposed relationship level, next contact and offers.",
    )
    _add_log_options(p, amount="amount", parquet=True)
    p.add_argument(
        "--margin",
        type=_share,
        default=None,
        help="unit margin as a share of revenue, in (0, 1], for IDIC proposals",
    )
    p.add_argument(
        "--allow-unconverged", action="store_true", help="write the view even if a fit failed"
    )
    _add_progress(p)
    p.add_argument(
        "-o",
        "--output",
        type=_output,
        required=True,
        metavar="FILE",
        help="view to write: Parquet if its name ends in .parquet or .pq, else CSV",
    )
    p.set_defaults(run=_run_view)


def _run_view(args: argparse.Namespace) -> int:
    from relmark.data import summarize

    opts = _log_options(args)
    _check_paths(opts, args.output)
    progress = _Progress(args.progress)
    if _is_parquet(opts.path):
        summary = _parquet_summary(opts, progress, time_unit="D", freq_multiplier=7)
    else:
        log = _read_log(opts, progress)
        with progress.step("summary"):
            summary = _through_data_layer(
                summarize,
                log,
                opts,
                time_unit="D",
                freq_multiplier=7,
                observation_end=_option_date(opts.end),
            )
    from relmark.view import propose_actions, relationship_view  # (after the checks: slow)

    _has_repeat_buyers(summary, opts.path, args.allow_unconverged)
    with progress.step("relationship view (MBG/NBD and Gamma-Gamma fits, 100 draws)"):
        view = relationship_view(summary, n_draws=100, rng=0)
    for model in view.models.values():
        _converged(model, args.allow_unconverged)
    table = view.table
    if args.margin is not None:
        table = table.join(propose_actions(view, unit_margin=args.margin))
    _write_table(table, args.output)
    _print_notes(summary.notes)
    for column, why in view.notes.items():
        print(f"note: {column}: {why}")
    print(f"{len(table):,} customers -> {args.output}")
    return 0


# ---------------------------------------------------------------------------- diagnostics
def _add_diagnostics(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diagnostics",
        help="calibration/holdout check of the purchase models on a transaction log",
        description="Split a transaction log at --calibration-end, fit the purchase models "
        "on the calibration period and write, by number of calibration repeat purchases, the "
        "mean actual and predicted repeat purchases in the holdout period (up to --end).",
    )
    _add_log_options(p, amount=None, parquet=True)
    p.add_argument(
        "--calibration-end",
        metavar="DATE",
        required=True,
        help="last day of the calibration period (ISO such as 1997-09-30, or in --date-format)",
    )
    grid = p.add_argument_group("time unit")
    grid.add_argument("--unit", default="D", choices=UNITS, help="period grid (default: days)")
    grid.add_argument(
        "--multiplier",
        type=_positive,
        default=7,
        help="divide times by this (default: 7, weeks with day resolution)",
    )
    p.add_argument(
        "--model",
        nargs="+",
        type=_model_name,
        choices=PURCHASE_MODELS,
        default=list(PURCHASE_MODELS),
        help=f"purchase models to check (default: all of {', '.join(PURCHASE_MODELS)})",
    )
    p.add_argument(
        "--max-frequency",
        type=_at_least(1),
        default=7,
        help="pool calibration frequencies at or above this in one row (default: 7)",
    )
    p.add_argument("--allow-unconverged", action="store_true", help="check even if a fit failed")
    _add_progress(p)
    p.add_argument(
        "-o",
        "--output",
        type=_output,
        required=True,
        metavar="FILE",
        help="table to write: Parquet if its name ends in .parquet or .pq, else CSV",
    )
    p.set_defaults(run=_run_diagnostics)


def _run_diagnostics(args: argparse.Namespace) -> int:
    from relmark.clv import get_model
    from relmark.clv.diagnostics import calibration_holdout_table
    from relmark.data import calibration_holdout

    opts = _log_options(args)
    _check_paths(opts, args.output)
    progress = _Progress(args.progress)
    if _is_parquet(opts.path):
        summary = _parquet_summary(
            opts,
            progress,
            calibration_end=_option_date(args.calibration_end),
            time_unit=args.unit,
            freq_multiplier=args.multiplier,
        )
    else:
        log = _read_log(opts, progress)
        with progress.step("calibration/holdout"):
            summary = _through_data_layer(
                calibration_holdout,
                log,
                opts,
                calibration_end=_option_date(args.calibration_end),
                observation_end=_option_date(opts.end),
                time_unit=args.unit,
                freq_multiplier=args.multiplier,
            )
    _has_repeat_buyers(
        summary,
        f"{opts.path} up to --calibration-end {args.calibration_end}",
        args.allow_unconverged,
    )
    models = {}
    for name in dict.fromkeys(args.model):
        cls = get_model(name)
        with progress.fit(cls.name) as report:
            fitted = cls.fit(summary, progress=report)
        models[cls.name] = _converged(fitted, args.allow_unconverged)
    with progress.step("holdout table"):
        table = calibration_holdout_table(models, summary, max_frequency=args.max_frequency)
    _write_table(table, args.output)
    _print_notes(summary.notes)
    duration = float(np.asarray(summary.duration_holdout)[0])
    print(
        f"{len(summary):,} customers; holdout of {duration:g} {summary.time_unit}: mean repeat "
        "purchases, actual and predicted, by calibration repeat purchases"
    )
    print(table.to_string(float_format=lambda v: f"{v:,.3f}"))
    print(f"table written to {args.output}")
    return 0


# ---------------------------------------------------------------------------- cohorts
COHORT_KINDS = ("retention", "active", "revenue", "revenue_per_customer")
"""The matrices 'relmark cohorts' writes (``relmark.decide.CohortTable.to_frame`` kinds)."""


def _add_cohorts(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cohorts",
        help="transaction log (CSV or Parquet) -> cohort retention or revenue table",
        description="The cohort table of a transaction log: one row per acquisition month "
        "(the month of a customer's first purchase), one column per age in months (0 = the "
        "acquisition month). Cells are the share of the cohort that bought at that age "
        "(retention), the count (active) or, with --amount, the cohort's spend (revenue) or "
        "spend per customer acquired (revenue_per_customer). Months after the end of "
        "observation are empty, not 0. The log is read as by 'summarize'.",
    )
    _add_log_options(p, amount=None, parquet="read into memory (pyarrow)")
    p.add_argument(
        "--kind",
        choices=COHORT_KINDS,
        default="retention",
        help="the matrix to write (default: retention); revenue kinds need --amount",
    )
    _add_progress(p)
    p.add_argument(
        "--json",
        type=_output,
        default=None,
        metavar="FILE",
        help="also write the whole table (sizes, counts, revenue) as JSON, for a service",
    )
    p.add_argument(
        "-o",
        "--output",
        type=_output,
        required=True,
        metavar="FILE",
        help="table to write: Parquet if its name ends in .parquet or .pq, else CSV",
    )
    p.set_defaults(run=_run_cohorts)


def _run_cohorts(args: argparse.Namespace) -> int:
    from relmark.decide import cohort_table

    opts = _log_options(args)
    _check_paths(opts, args.output)
    if args.json is not None and (
        _same_file(opts.path, args.json) or _same_file(args.output, args.json)
    ):
        raise RelmarkError(f"--json {args.json} is the input or the --output file")
    if args.kind.startswith("revenue") and opts.amount is None:
        raise RelmarkError(f"--kind {args.kind}: needs --amount (the transaction value column)")
    progress = _Progress(args.progress)
    log = _read_log(opts, progress, parquet=_is_parquet(opts.path))
    with progress.step("cohort table"):
        table = _through_data_layer(cohort_table, log, opts, observation_end=_option_date(opts.end))
    frame = table.to_frame(args.kind)
    frame.columns = pd.Index([str(a) for a in frame.columns], name="age")
    frame.insert(0, "customers", pd.Series(table.sizes, index=frame.index, dtype="Int64"))
    _write_table(frame, args.output)
    if args.json is not None:
        _write_text(table.to_json(), args.json)
    also = f" and {args.json}" if args.json is not None else ""
    print(
        f"{len(table.cohorts)} cohorts ({table.cohorts[0]} to {table.cohorts[-1]}), "
        f"{sum(table.sizes):,} customers, ages 0-{table.ages[-1]} months, {args.kind} -> "
        f"{args.output}{also}"
    )
    return 0


# ---------------------------------------------------------------------------- offers
def _add_offers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "offers",
        help="candidate offers (CSV or Parquet) -> each customer's next-best offers, with reasons",
        description="Choose each customer's offers by expected margin, P(response) x margin - "
        "cost - the contact cost of their channel, under a contact policy: at most "
        "--max-contacts offers a period (minus the contacts already made), none to a customer "
        "with an open complaint, the channel by Kotler relationship level "
        "(relmark.decide.choose_offers). Errors name the CSV line.",
    )
    p.add_argument(
        "candidates",
        type=_input_file,
        help="CSV, or Parquet (.parquet, .pq), one row per (customer, offer): customer_id, "
        "offer, p_response, margin, cost (and optionally note, appended to the reason)",
    )
    p.add_argument(
        "--customers",
        type=_input_file,
        default=None,
        metavar="FILE",
        help="CSV or Parquet: customer_id and any of level (basic, reactive, accountable, "
        "proactive, partnership), open_complaint (true/false), contacts (made this period)",
    )
    p.add_argument(
        "--max-contacts", type=int, default=1, metavar="N", help="contacts a period (default 1)"
    )
    p.add_argument(
        "--contact-cost",
        action="append",
        default=[],
        metavar="CHANNEL=COST",
        help="cost of one contact on a channel (web, email, phone, 'account manager'); repeat",
    )
    p.add_argument(
        "--json", type=_output, default=None, metavar="FILE", help="also write the plan as JSON"
    )
    p.add_argument(
        "-o",
        "--output",
        type=_output,
        required=True,
        metavar="FILE",
        help="the chosen offers: Parquet if its name ends in .parquet or .pq, else CSV",
    )
    p.set_defaults(run=_run_offers)


OFFER_FLAGS = {"max_contacts": "--max-contacts", "contact_cost": "--contact-cost"}
"""The command-line option of each keyword of ``relmark.decide.ContactPolicy``."""


OFFER_NUMBERS = ("p_response", "margin", "cost", "contacts")
"""The numeric columns of the candidate and customer tables of 'relmark offers'."""


def _offer_csv(path: Path, text_columns: tuple[str, ...]) -> pd.DataFrame:
    """A CSV with ids as text, indexed by line number (the header is line 1); or a Parquet
    file, indexed by 1-based row number, its whole-number ids as text (as a CSV's are). Text
    in a numeric column is refused with its lines (rows)."""
    if _is_parquet(path):
        frame = _read_parquet_frame(path)
        for name in text_columns:
            if name in frame.columns and pd.api.types.is_integer_dtype(frame[name].dtype):
                frame[name] = frame[name].astype(str)
    else:
        try:
            frame = pd.read_csv(path, dtype=dict.fromkeys(text_columns, str), keep_default_na=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not a readable CSV file ({_one_line(exc)})") from None
        frame.index = pd.Index(np.arange(len(frame)) + 2, name="csv_line")
    for name in ("customer_id", "offer", "level"):  # " " is no id (nor offer, nor level)
        if name in text_columns and name in frame.columns:
            blank = frame[name].map(lambda v: isinstance(v, str) and not v.strip())
            if blank.any():
                where = "rows" if _is_parquet(path) else "CSV lines"
                shown = ", ".join(str(n) for n in frame.index[blank.to_numpy(dtype=bool)][:5])
                raise RelmarkError(f"{path}: column {name!r}: blank values [{where}: {shown}]")
    for name in OFFER_NUMBERS:
        if name in frame.columns and pd.api.types.is_string_dtype(frame[name].dtype):
            values = frame[name]
            text = values.map(lambda v: isinstance(v, str) and not _is_number_text(v))
            if text.any():
                where = "rows" if _is_parquet(path) else "CSV lines"
                bad = values[text.to_numpy(dtype=bool)]
                shown = ", ".join(str(n) for n in bad.index[:5])
                more = f" (and {len(bad) - 5:,} more)" if len(bad) > 5 else ""
                raise RelmarkError(
                    f"{path}: column {name!r}: values that are not numbers, such as "
                    f"{bad.head(3).tolist()!r} [{where}: {shown}{more}]"
                )
    return frame


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _run_offers(args: argparse.Namespace) -> int:
    from relmark.decide import ContactPolicy, choose_offers
    from relmark.decide.offers import DEFAULT_CHANNELS

    costs: dict[str, float] = {}
    for text in args.contact_cost:
        channel, sep, value = str(text).partition("=")
        try:
            costs[channel.strip()] = float(value) if sep and channel.strip() else math.nan
        except ValueError:
            costs[channel.strip()] = math.nan
        if math.isnan(costs[channel.strip()]):
            raise RelmarkError(f"--contact-cost {text!r}: expected CHANNEL=COST, e.g. phone=1.5")
        channels = dict.fromkeys(DEFAULT_CHANNELS.values())
        if channel.strip() not in channels:  # (a typo would cost nothing, silently)
            raise RelmarkError(
                f"--contact-cost {text!r}: unknown channel {channel.strip()!r} (channels: "
                f"{', '.join(channels)})"
            )
    try:
        policy = ContactPolicy(max_contacts=args.max_contacts, contact_cost=costs)
    except ArgumentError as exc:
        raise _flag_error(exc, OFFER_FLAGS) from None
    for out in (args.output, args.json):
        if out is not None and any(
            _same_file(out, src) for src in (args.candidates, args.customers) if src is not None
        ):
            raise RelmarkError(f"{out} is an input file")
    candidates = _offer_csv(args.candidates, ("customer_id", "offer", "note"))
    customers = None
    if args.customers is not None:
        customers = _offer_csv(args.customers, ("customer_id", "level"))
        if "open_complaint" in customers.columns:
            flags = customers["open_complaint"].astype(str).str.strip().str.lower()
            bad = ~flags.isin(["true", "false"])
            if bad.any():
                where = "CSV lines" if not _is_parquet(args.customers) else "rows"
                shown = ", ".join(str(n) for n in customers.index[bad.to_numpy()][:5])
                raise RelmarkError(
                    f"{args.customers}: column 'open_complaint': must be true or false "
                    f"[{where}: {shown}]"
                )
            customers["open_complaint"] = (flags == "true").to_numpy()
    try:
        plan = choose_offers(candidates, customers=customers, policy=policy)
    except DataError as exc:  # name the file, and its rows as the file counts them
        path = args.candidates
        if customers is not None and exc.column in set(customers.columns) - {"customer_id"}:
            path = args.customers
        rows = "CSV lines" if not _is_parquet(path) else "rows"
        if path is args.customers or not all(isinstance(r, int | np.integer) for r in exc.rows):
            rows = "customers"  # (rows given by customer id, not by line)
        text = str(exc).replace("[first offending rows: ", f"[{rows}: ")
        raise RelmarkError(f"{path}: {text}") from None
    _write_table(plan.offers.set_index("customer_id"), args.output)
    if args.json is not None:
        _write_text(plan.to_json(), args.json)
    print(
        f"{len(plan.offers):,} offers to {plan.offers['customer_id'].nunique():,} customers, "
        f"expected margin {plan.expected_margin:,.2f}; {len(plan.skipped):,} customers "
        f"without an offer -> {args.output}"
    )
    return 0


COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
    _add_summarize,
    _add_cohorts,
    _add_fit,
    _add_score,
    _add_view,
    _add_diagnostics,
    _add_offers,
]
"""One function per command; adding a command is adding one here."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``relmark``."""
    parser = _Parser(
        prog="relmark",
        description="relmark: relationship-marketing models (CLV, lifecycle, scoring).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"relmark {__version__}")
    sub: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``relmark`` command line and return its exit status.

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 for bad input (one line on stderr, nothing written); 1 for an internal
        error (one line asking for a report; a bug, never bad input).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 0
    # every warning of this run is recorded and printed as a line of its own (a repeated one
    # once, with its count); the filter lives only inside this block (catch_warnings
    # restores the caller's on exit)
    with warnings.catch_warnings(record=True, action="always") as caught:
        try:
            status: int = args.run(args)
        except (RelmarkError, OSError) as exc:
            print(f"relmark: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except Exception as exc:  # a bug: one line, not a traceback for the user
            print(
                f"relmark: internal error (please report it): {type(exc).__name__}: "
                f"{_one_line(exc)}",
                file=sys.stderr,
            )
            return 1
    repeats: dict[str, int] = {}  # the same warning from every batch or draw: one line
    for warning in caught:
        text = _one_line(warning.message)
        repeats[text] = repeats.get(text, 0) + 1
    for text, count in repeats.items():
        times = f" ({count:,} times)" if count > 1 else ""
        print(f"relmark: warning: {text}{times}", file=sys.stderr)
    return status


def _one_line(message: object) -> str:
    """``message`` on one line (values from a file may hold line breaks)."""
    return str(message).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
