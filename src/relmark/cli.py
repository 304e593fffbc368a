"""The ``relmark`` command line (also ``python -m relmark``).

Each command is one function that adds its parser and one that runs it; errors print one line
(``relmark: error: ...``) and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from relmark import __version__
from relmark.errors import DataError, RelmarkError

if TYPE_CHECKING:
    from relmark.clv import CLVModel, GammaGamma
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
  relmark fit summary.csv --model bgnbd -o model.json   # the unit comes from the summary
  relmark score summary.csv --model bgnbd -o scores.csv  # CLV over 12 months, 1% a month
  relmark view orders.csv --customer user_id --date ordered_at --amount total \\
      --margin 0.3 -o view.csv               # the relationship view with IDIC proposals

Run 'relmark COMMAND --help' for the options of a command.
"""


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
        "--output", "-o", default="relmark-demo", help="output folder (default: relmark-demo)"
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
UNITS = ["D", "W", "h", "M"]
PURCHASE_MODELS = ["bgnbd", "mbgnbd", "paretonbd"]
"""The continuous-time purchase models that fit a (frequency, recency, T) summary."""
SPEND_MODELS = ["gammagamma"]
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


def _model_name(text: str) -> str:
    """``"BG/NBD"`` -> ``"bgnbd"``: model names ignore case and punctuation."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


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


# ---------------------------------------------------------------------------- summarize
def _add_summarize(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "summarize",
        help="transaction log (CSV) -> one row per customer",
        description="Turn a transaction log into the per-customer summary the models take: "
        "frequency (repeat purchases), recency (time of the last purchase since the first), "
        "T (age) and, with --amount, monetary_value (mean repeat purchase). The summary's time "
        "unit is written in a time_unit column, which 'fit' and 'score' read back.",
    )
    p.add_argument("transactions", type=Path, help="CSV file, one row per transaction")
    p.add_argument("--customer", default="customer_id", help="customer id column")
    p.add_argument("--date", default="date", help="transaction date column")
    p.add_argument("--amount", default=None, help="transaction value column (optional)")
    p.add_argument("--unit", default="D", choices=UNITS, help="period grid (default: days)")
    p.add_argument(
        "--multiplier", type=_positive, default=1, help="divide times by this (D with 7: weeks)"
    )
    p.add_argument("--end", default=None, help="end of observation (default: last date)")
    p.add_argument("--date-format", default=None, help="strftime format of the dates")
    p.add_argument("-o", "--output", type=Path, required=True, help="summary CSV to write")
    p.set_defaults(run=_run_summarize)


def _read_csv(path: Path, text_columns: Sequence[str] = ()) -> pd.DataFrame:
    """The CSV at ``path``; ``text_columns`` are read as text (ids keep leading zeros)."""
    if not path.is_file():
        raise RelmarkError(f"{path}: no such file")
    try:
        return pd.read_csv(path, dtype=dict.fromkeys(text_columns, str))
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise RelmarkError(f"{path}: not a readable CSV file ({exc})") from None


def _check_end(end: str | None, date_format: str | None) -> None:
    """``--end`` is a date in ISO format or in ``--date-format`` (as the library reads it)."""
    if end is None:
        return
    for fmt in [None, date_format] if date_format else [None]:
        try:
            pd.to_datetime(end, format=fmt)
            return
        except (TypeError, ValueError):
            pass
    raise RelmarkError(f"--end: cannot read {end!r} as a date (ISO, or in the --date-format)")


def _run_summarize(args: argparse.Namespace) -> int:
    from relmark.data import summarize

    _check_end(args.end, args.date_format)
    log = _read_csv(args.transactions)
    summary = summarize(
        log,
        customer_id=args.customer,
        datetime=args.date,
        monetary_value=args.amount,
        time_unit=args.unit,
        freq_multiplier=args.multiplier,
        observation_end=args.end,
        date_format=args.date_format,
    )
    summary.to_frame().assign(time_unit=summary.time_unit).to_csv(args.output)
    print(
        f"{len(summary):,} customers summarised (time unit {summary.time_unit}, "
        f"written in the time_unit column) -> {args.output}"
    )
    return 0


# ---------------------------------------------------------------------------- fit / score
def _read_summary(path: Path, unit: str | None) -> RFMSummary:
    """A summary CSV, its numbers checked and its time unit from ``--unit`` or the file."""
    from relmark.data import RFMSummary

    frame = _read_csv(path, text_columns=["customer_id", "time_unit"])
    saved: list[str] = (
        frame.pop("time_unit").dropna().unique().tolist() if "time_unit" in frame else []
    )
    if len(saved) > 1:
        raise RelmarkError(f"{path}: several time units in the time_unit column: {list(saved)}")
    if unit is None and len(saved) == 0:
        raise RelmarkError(
            f"{path} has no time_unit column (a 'relmark summarize' output has one): "
            f"pass --unit ({', '.join(UNITS)})"
        )
    if unit is not None and len(saved) == 1 and saved[0] != unit:
        raise RelmarkError(f"--unit {unit}, but {path} is in time unit {saved[0]}")
    ids = frame["customer_id"] if "customer_id" in frame.columns else None
    if ids is not None and ids.isna().any():
        lines = ", ".join(map(str, np.flatnonzero(ids.isna().to_numpy())[:5] + 2))
        raise DataError(f"{path}: blank customer ids on CSV line(s) {lines}", column="customer_id")
    for name in SUMMARY_NUMBERS:
        if name in frame.columns:
            numbers = pd.to_numeric(frame[name], errors="coerce")
            bad = numbers.isna() & frame[name].notna()
            if bad.any():
                shown = frame.loc[bad, name].head(3).tolist()
                rows = (ids if ids is not None else frame.index.to_series())[bad].tolist()
                raise DataError(f"{path}: not numbers: {shown!r}", column=name, rows=rows)
            frame[name] = numbers
    return RFMSummary.from_frame(
        frame,
        customer_id=None if ids is None else "customer_id",
        time_unit=unit if unit is not None else str(saved[0]),
    )


def _converged(model: M, allow: bool) -> M:
    """``model``, unless its fit did not converge and ``--allow-unconverged`` was not given."""
    fit = model.fit_result
    if not fit.converged and not allow:
        raise RelmarkError(
            f"the {model.name} fit did not converge ({fit.message}; |gradient| "
            f"{fit.grad_norm:.2g}); nothing written. Pass --allow-unconverged to use it anyway"
        )
    return model


def _fit_spend(summary: RFMSummary, path: Path, allow: bool) -> GammaGamma:
    """Gamma-Gamma on the customers it has a density for, with a note on those left out."""
    from relmark.view import fit_spend

    if summary.monetary_value is None:
        raise RelmarkError(f"{path}: needs a monetary_value column (summarize --amount)")
    spend, zero = fit_spend(summary.frequency, summary.monetary_value, time_unit=summary.time_unit)
    if zero:
        print(
            f"note: {zero:,} repeat buyer(s) with a mean spend of 0 left out of the Gamma-Gamma "
            "fit (it has no density there); their expected spend is still predicted"
        )
    return _converged(spend, allow)


def _add_fit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "fit",
        help="fit a model to a summary CSV and save it as JSON",
        description="Fit a CLV model by maximum likelihood to a summary written by "
        "'relmark summarize' (columns customer_id, frequency, recency, T[, monetary_value]"
        "[, time_unit]). A fit that does not converge is not written.",
    )
    p.add_argument("summary", type=Path, help="summary CSV")
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
        choices=UNITS,
        help="time unit of the summary (default: its time_unit column; required without one)",
    )
    p.add_argument(
        "--allow-unconverged", action="store_true", help="write the model even if the fit failed"
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="model JSON to write")
    p.set_defaults(run=_run_fit)


def _run_fit(args: argparse.Namespace) -> int:
    from relmark.clv import get_model

    summary = _read_summary(args.summary, args.unit)
    model: CLVModel
    if args.model in SPEND_MODELS:
        model = _fit_spend(summary, args.summary, args.allow_unconverged)
    else:
        model = _converged(get_model(args.model).fit(summary), args.allow_unconverged)
    args.output.write_text(model.to_json(), encoding="utf-8")
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
    p.add_argument("summary", type=Path, help="summary CSV with monetary_value")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--model",
        default="bgnbd",
        type=_model_name,
        choices=PURCHASE_MODELS,
        help="purchase model to fit (default: bgnbd)",
    )
    which.add_argument("--model-json", type=Path, default=None, help="a saved purchase model")
    p.add_argument(
        "--spend", default="gammagamma", type=_model_name, choices=SPEND_MODELS, help="spend model"
    )
    p.add_argument(
        "--unit",
        default=None,
        choices=UNITS,
        help="time unit of the summary (default: its time_unit column; required without one)",
    )
    p.add_argument("--periods", type=_at_least(1), default=12, help="CLV periods (default: 12)")
    p.add_argument(
        "--period-length",
        type=_positive,
        default=None,
        help="length of a CLV period in the summary's time unit (default: a month: 4.345 W, "
        "30 D, 720 h, 1 M)",
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
        type=_at_least(MIN_DRAWS),
        default=100,
        help=f"parameter draws for the 95%% intervals (default: 100; at least {MIN_DRAWS}: "
        "fewer cannot resolve the 2.5%% and 97.5%% quantiles)",
    )
    p.add_argument("--seed", type=_at_least(0), default=0, help="random seed of the draws (0)")
    p.add_argument("--allow-unconverged", action="store_true", help="score even if a fit failed")
    p.add_argument("-o", "--output", type=Path, required=True, help="scores CSV to write")
    p.set_defaults(run=_run_score)


def _load_purchase_model(path: Path, unit: str | None) -> RFMModel:
    """A saved purchase model, in the summary's time unit."""
    from relmark.clv import load_model
    from relmark.clv._rfm import RFMModel

    model = load_model(path.read_text(encoding="utf-8"))
    if not isinstance(model, RFMModel) or model.discrete:
        raise RelmarkError(
            f"{path} holds a {model.name} model: score needs a purchase model "
            f"({', '.join(PURCHASE_MODELS)})"
        )
    if model.time_unit is not None and model.time_unit != unit:
        raise RelmarkError(f"{path} is in time unit {model.time_unit}, the summary in {unit}")
    return model.with_time_unit(unit)


def _run_score(args: argparse.Namespace) -> int:
    from relmark.clv import clv_interval, get_model
    from relmark.clv._rfm import RFMModel
    from relmark.clv.value import PERIOD_LENGTH

    summary = _read_summary(args.summary, args.unit)
    unit = summary.time_unit
    length = args.period_length
    if length is None:
        if unit not in PERIOD_LENGTH:
            raise RelmarkError(f"the summary's time unit is {unit}: pass --period-length")
        length = PERIOD_LENGTH[str(unit)]
    horizon = args.horizon if args.horizon is not None else args.periods * length
    if args.model_json is not None:
        purchases = _load_purchase_model(args.model_json, unit)
    else:
        fitted = get_model(args.model).fit(summary)
        assert isinstance(fitted, RFMModel)  # (PURCHASE_MODELS are)
        purchases = _converged(fitted, args.allow_unconverged)
    spend = _fit_spend(summary, args.summary, args.allow_unconverged)
    assert summary.monetary_value is not None  # (_fit_spend checked)
    x, tx, T, m = summary.frequency, summary.recency, summary.T, summary.monetary_value
    rng = np.random.default_rng(args.seed)
    p_alive = purchases.interval(lambda mdl: mdl.p_alive(x, tx, T), n_draws=args.draws, rng=rng)
    expected = purchases.interval(
        lambda mdl: mdl.conditional_expected_purchases(horizon, x, tx, T),
        n_draws=args.draws,
        rng=rng,
    )
    value = clv_interval(
        purchases,
        spend,
        x,
        tx,
        T,
        m,
        n_draws=args.draws,
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
    out.to_csv(args.output)
    print(
        f"note: expected purchases over {horizon:g} {unit}; CLV over {args.periods} periods of "
        f"{length:g} {unit} at {args.discount:g} per period"
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
    p.add_argument("transactions", type=Path, help="CSV file, one row per transaction")
    p.add_argument("--customer", default="customer_id", help="customer id column")
    p.add_argument("--date", default="date", help="transaction date column")
    p.add_argument("--amount", default="amount", help="transaction value column")
    p.add_argument("--end", default=None, help="end of observation (default: last date)")
    p.add_argument(
        "--margin",
        type=_share,
        default=None,
        help="unit margin as a share of revenue, in (0, 1], for IDIC proposals",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="view CSV to write")
    p.set_defaults(run=_run_view)


def _run_view(args: argparse.Namespace) -> int:
    from relmark.view import propose_actions, relationship_view

    _check_end(args.end, None)
    log = _read_csv(args.transactions)
    view = relationship_view(
        log,
        customer_id=args.customer,
        datetime=args.date,
        monetary_value=args.amount,
        observation_end=args.end,
        n_draws=100,
        rng=0,
    )
    table = view.table
    if args.margin is not None:
        table = table.join(propose_actions(view, unit_margin=args.margin))
    table.to_csv(args.output)
    for column, why in view.notes.items():
        print(f"note: {column}: {why}")
    print(f"{len(table):,} customers -> {args.output}")
    return 0


COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
    _add_summarize,
    _add_fit,
    _add_score,
    _add_view,
]
"""One function per command; adding a command is adding one here."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``relmark``."""
    parser = argparse.ArgumentParser(
        prog="relmark",
        description="relmark: relationship-marketing models (CLV, lifecycle, scoring).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"relmark {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``relmark`` command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status: int = args.run(args)
        except (RelmarkError, OSError) as exc:
            print(f"relmark: error: {exc}", file=sys.stderr)
            return 2
    for warning in caught:
        print(f"relmark: warning: {warning.message}", file=sys.stderr)
    return status
