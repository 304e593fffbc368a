"""The ``relmark`` command line (also ``python -m relmark``).

Each command is one function that adds its parser and one that runs it; errors print one line
(``relmark: error: ...``) and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from relmark import __version__
from relmark.errors import RelmarkError

__all__ = ["main"]

EPILOG = """\
examples:
  relmark demo                               # CLV analysis of the bundled CDNOW data
  relmark demo --sample --format html        # the 2357-customer sample, HTML report
  relmark summarize orders.csv --customer user_id --date ordered_at --amount total \\
      --unit D --multiplier 7 -o summary.csv  # one row per customer, in weeks
  relmark fit summary.csv --model bgnbd -o model.json
  relmark score summary.csv --model bgnbd --spend gammagamma --horizon 52 -o scores.csv
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


# ---------------------------------------------------------------------------- summarize
def _add_summarize(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "summarize",
        help="transaction log (CSV) -> one row per customer",
        description="Turn a transaction log into the per-customer summary the models take: "
        "frequency (repeat purchases), recency (time of the last purchase since the first), "
        "T (age) and, with --amount, monetary_value (mean repeat purchase).",
    )
    p.add_argument("transactions", type=Path, help="CSV file, one row per transaction")
    p.add_argument("--customer", default="customer_id", help="customer id column")
    p.add_argument("--date", default="date", help="transaction date column")
    p.add_argument("--amount", default=None, help="transaction value column (optional)")
    p.add_argument(
        "--unit", default="D", choices=["D", "W", "h", "M"], help="period grid (default: days)"
    )
    p.add_argument(
        "--multiplier", type=float, default=1, help="divide times by this (D with 7: weeks)"
    )
    p.add_argument("--end", default=None, help="end of observation (default: last date)")
    p.add_argument("--date-format", default=None, help="strftime format of the dates")
    p.add_argument("-o", "--output", type=Path, required=True, help="summary CSV to write")
    p.set_defaults(run=_run_summarize)


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise RelmarkError(f"{path}: no such file")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise RelmarkError(f"{path}: not a readable CSV file ({exc})") from None


def _run_summarize(args: argparse.Namespace) -> int:
    from relmark.data import summarize

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
    summary.to_frame().to_csv(args.output)
    print(f"{len(summary):,} customers summarised (time unit {summary.time_unit}) -> {args.output}")
    return 0


# ---------------------------------------------------------------------------- fit / score
def _read_summary(path: Path, unit: str | None) -> object:
    from relmark.data import RFMSummary

    frame = _read_csv(path)
    id_col = "customer_id" if "customer_id" in frame.columns else None
    return RFMSummary.from_frame(frame, customer_id=id_col, time_unit=unit)


def _add_fit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "fit",
        help="fit a model to a summary CSV and save it as JSON",
        description="Fit a CLV model by maximum likelihood to a summary written by "
        "'relmark summarize' (columns customer_id, frequency, recency, T[, monetary_value]).",
    )
    p.add_argument("summary", type=Path, help="summary CSV")
    p.add_argument("--model", required=True, help="bgnbd, mbgnbd, paretonbd or gammagamma")
    p.add_argument("--unit", default=None, help="time unit of the summary (e.g. W)")
    p.add_argument("-o", "--output", type=Path, required=True, help="model JSON to write")
    p.set_defaults(run=_run_fit)


def _run_fit(args: argparse.Namespace) -> int:
    from relmark.clv import get_model

    cls = get_model(args.model)
    model = cls.fit(_read_summary(args.summary, args.unit))
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
        "uncertainty. Models are fitted to the summary unless given as JSON.",
    )
    p.add_argument("summary", type=Path, help="summary CSV with monetary_value")
    p.add_argument("--model", default="bgnbd", help="purchase model: bgnbd, mbgnbd, paretonbd")
    p.add_argument("--model-json", type=Path, default=None, help="a saved purchase model")
    p.add_argument("--spend", default="gammagamma", help="spend model (gammagamma)")
    p.add_argument(
        "--horizon", type=float, default=52, help="horizon in the summary's time unit (52)"
    )
    p.add_argument("--period", type=float, default=1.0, help="discounting period in time units (1)")
    p.add_argument("--discount", type=float, default=0.01, help="discount rate per period")
    p.add_argument("--draws", type=int, default=100, help="parameter draws for intervals")
    p.add_argument("--seed", type=int, default=0, help="random seed of the draws")
    p.add_argument("-o", "--output", type=Path, required=True, help="scores CSV to write")
    p.set_defaults(run=_run_score)


def _run_score(args: argparse.Namespace) -> int:
    from relmark.clv import clv_interval, get_model, load_model
    from relmark.data import RFMSummary

    summary = _read_summary(args.summary, None)
    assert isinstance(summary, RFMSummary)
    if summary.monetary_value is None:
        raise RelmarkError(f"{args.summary}: needs a monetary_value column (summarize --amount)")
    if args.model_json is not None:
        purchases = load_model(args.model_json.read_text(encoding="utf-8"))
    else:
        purchases = get_model(args.model).fit(summary)
    spend = get_model(args.spend).fit(summary)
    periods = max(1, round(args.horizon / args.period))
    x, tx, T, m = summary.frequency, summary.recency, summary.T, summary.monetary_value
    rng = np.random.default_rng(args.seed)
    p_alive = purchases.interval(lambda mdl: mdl.p_alive(x, tx, T), n_draws=args.draws, rng=rng)  # type: ignore[attr-defined]
    expected = purchases.interval(
        lambda mdl: mdl.conditional_expected_purchases(args.horizon, x, tx, T),  # type: ignore[attr-defined]
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
        periods=periods,
        period_length=args.period,
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
            "expected_spend": spend.expected_spend(x, m),  # type: ignore[attr-defined]
            "clv": value.estimate,
            "clv_low": value.lower,
            "clv_high": value.upper,
        },
        index=pd.Index(summary.customer_id, name="customer_id"),
    )
    out.to_csv(args.output)
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
    p.add_argument("--margin", type=float, default=None, help="unit margin for IDIC proposals")
    p.add_argument("-o", "--output", type=Path, required=True, help="view CSV to write")
    p.set_defaults(run=_run_view)


def _run_view(args: argparse.Namespace) -> int:
    from relmark.view import propose_actions, relationship_view

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
    try:
        status: int = args.run(args)
    except (RelmarkError, OSError) as exc:
        print(f"relmark: error: {exc}", file=sys.stderr)
        return 2
    return status
