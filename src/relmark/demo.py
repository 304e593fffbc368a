"""relmark's main job on the bundled CDNOW data: ``relmark demo`` (and ``make demo``).

The full CDNOW log (23,570 customers; ``--sample``: the 2357-customer 1/10 sample of the
papers) is split at 1997-09-30 into a 39-week calibration period and a 39-week holdout period,
in weeks with day resolution. The report is a list of sections, each a function from the
prepared :class:`DemoData` to Markdown text, so that new capabilities add a section:

1. the data;
2. the purchase models (every registered continuous-time model) and the Gamma-Gamma spend model
   fitted on the calibration period, with standard errors (and the published values beside
   them with ``--sample``);
3. the holdout check: predicted against actual repeat purchases, in total and by calibration
   frequency;
4. the most valuable customers: 12-month CLV with P(alive);
5. the relationship view (segments, stages, IDIC proposals);
6. figures (PNG, when matplotlib is installed).

Customer-level results (CLV, P(alive), the relationship view and the figures) all use one
purchase model, :data:`MAIN_MODEL` (MBG/NBD: unlike BG/NBD it does not declare every one-time
buyer alive), with the Gamma-Gamma spend model.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relmark.clv import GammaGamma, clv, models_of_kind
from relmark.clv.diagnostics import calibration_holdout_table, period_transactions
from relmark.data import RFMSummary, calibration_holdout
from relmark.datasets import load_cdnow_sample_transactions, load_cdnow_transactions
from relmark.view import fit_spend

__all__ = ["MAIN_MODEL", "SECTIONS", "DemoData", "prepare", "run_demo"]

CALIBRATION_END = "1997-09-30"
MAIN_MODEL = "MBGNBD"
"""The purchase model of every customer-level result of the report."""
OBSERVATION_END = "1998-06-30"

PUBLISHED: dict[str, dict[str, float]] = {
    # Fader, Hardie & Lee (2005), Marketing Science 24(2): BG/NBD on the CDNOW sample.
    "BGNBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    # Batislam, Denizel & Filiztekin (2007), as estimated by BTYDplus.
    "MBGNBD": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    # Fader, Hardie & Lee (2005), JMR 42(4): Pareto/NBD on the CDNOW sample.
    "ParetoNBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    # Fader & Hardie note 025: Gamma-Gamma on the 946 repeat buyers.
    "GammaGamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
}


@dataclass
class DemoData:
    """Everything the report sections read."""

    sample: bool
    log: pd.DataFrame
    summary: RFMSummary
    purchase_models: dict[str, Any]
    spend: GammaGamma
    clv: np.ndarray
    figures: list[Path] = field(default_factory=list)


def prepare(*, sample: bool = False) -> DemoData:
    """Load CDNOW, split calibration/holdout, fit the models and compute CLV."""
    log = load_cdnow_sample_transactions() if sample else load_cdnow_transactions()
    summary = calibration_holdout(
        log,
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
        monetary_value="amount",
        freq_multiplier=7,
    )
    models: dict[str, Any] = {}
    for cls in sorted(models_of_kind("purchase"), key=lambda c: c.name):
        # continuous-time models fit a weekly summary (GGompertz/NBD reports its Pareto/NBD
        # boundary b -> 0 on CDNOW, without a warning: the models section says so)
        if not getattr(cls, "discrete", False):
            models[cls.name] = cls.fit(summary)
    # Repeat buyers with a mean spend of 0 are left out of the spend fit; the report says how many.
    assert summary.monetary_value is not None
    spend, _ = fit_spend(summary.frequency, summary.monetary_value, time_unit=summary.time_unit)
    main = models[MAIN_MODEL]
    value = clv(
        main,
        spend,
        summary.frequency,
        summary.recency,
        summary.T,
        summary.monetary_value,
        periods=12,
        discount_rate=0.01,
    )
    return DemoData(sample, log, summary, models, spend, value)


# ---------------------------------------------------------------------------- sections
def _table(frame: pd.DataFrame, floatfmt: str = "{:,.3f}") -> str:
    """A Markdown table (no extra dependency)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join([str(frame.index.name or ""), *cols]) + " |"]
    lines.append("|" + "---|" * (len(cols) + 1))
    for idx, row in frame.iterrows():
        cells = [
            floatfmt.format(v) if isinstance(v, float | np.floating) else str(v)
            for v in row.tolist()
        ]
        lines.append("| " + " | ".join([str(idx), *cells]) + " |")
    return "\n".join(lines)


def section_data(d: DemoData) -> str:
    """Data summary."""
    s = d.summary
    cal = d.log[d.log["date"] <= CALIBRATION_END]
    rows = pd.DataFrame(
        {
            "value": [
                f"{len(s):,}",
                f"{len(d.log):,} ({len(cal):,} in calibration)",
                f"{int((s.frequency > 0).sum()):,}",
                f"{s.frequency.mean():.3f}",
                f"{int(s.frequency.sum()):,}",
                f"{int(np.asarray(s.frequency_holdout).sum()):,}",
                f"${cal['amount'].sum():,.2f}",
            ]
        },
        index=pd.Index(
            [
                "customers",
                "transactions",
                "repeat buyers in calibration",
                "mean repeat purchases (calibration)",
                "repeat purchases in calibration",
                "repeat purchases in holdout (actual)",
                "spend in calibration",
            ],
            name="",
        ),
    )
    which = "the 1/10 sample (2357 customers)" if d.sample else "the full log (23,570 customers)"
    return (
        f"## Data\n\nCDNOW, {which}; calibration 1997-01-01 to {CALIBRATION_END} (39 weeks), "
        f"holdout to {OBSERVATION_END} (39 weeks); times in weeks.\n\n{_table(rows)}"
    )


def section_models(d: DemoData) -> str:
    """Fitted models with standard errors (and published values for the sample)."""
    parts = ["## Fitted models (calibration period)"]
    for name, model in [*d.purchase_models.items(), ("GammaGamma", d.spend)]:
        fit = model.fit_result
        ci = fit.conf_int(0.95)
        frame = pd.DataFrame(
            {
                "estimate": [fit.params[p] for p in fit.param_names],
                "std err": [fit.bse[p] for p in fit.param_names],
                "95% low": [ci[p][0] for p in fit.param_names],
                "95% high": [ci[p][1] for p in fit.param_names],
            },
            index=pd.Index(fit.param_names, name="param"),
        )
        if d.sample and name in PUBLISHED:
            frame["published"] = [PUBLISHED[name][p] for p in fit.param_names]
        zero = fit.extra.get("n_zero_spend", 0)
        note = f" ({zero} repeat buyers with zero mean spend left out)" if zero else ""
        boundary = fit.extra.get("boundary")
        after = (
            ""
            if boundary is None
            else (
                f". The estimate is on the boundary {boundary['parameter']} -> 0, where the "
                f"model is the {boundary['nested']} with beta/b = "
                f"{boundary['nested_params']['beta']:.3f} (boundary likelihood-ratio test "
                f"against it: statistic {boundary['statistic']:.3f}, p = "
                f"{boundary['p_value']:.3f}); b and beta have no standard errors"
            )
        )
        parts.append(
            f"### {name}\n\n{fit.nobs:,} customers{note}, "
            f"log-likelihood {fit.log_likelihood:,.1f}, AIC {fit.aic:,.1f}, "
            f"converged: {'yes' if fit.converged else 'NO'}{after}\n\n" + _table(frame)
        )
    return "\n\n".join(parts)


def holdout_table(d: DemoData, max_frequency: int = 7) -> pd.DataFrame:
    """Mean predicted and actual holdout repeat purchases by calibration frequency."""
    table = calibration_holdout_table(d.purchase_models, d.summary, max_frequency=max_frequency)
    table["customers"] = [f"{c:,}" for c in table["customers"]]
    return table


def section_holdout(d: DemoData) -> str:
    """Holdout check in total and by calibration frequency."""
    s = d.summary
    duration = float(np.asarray(s.duration_holdout)[0])
    actual = float(np.asarray(s.frequency_holdout).sum())
    totals = pd.DataFrame(
        {
            "predicted": [
                float(
                    model.conditional_expected_purchases(
                        s.frequency,
                        s.recency,
                        s.T,
                        t=duration,
                    ).sum()
                )
                for model in d.purchase_models.values()
            ],
        },
        index=pd.Index(list(d.purchase_models), name="model"),
    )
    totals["actual"] = actual
    totals["error %"] = 100 * (totals["predicted"] - actual) / actual
    return (
        f"## Holdout check ({duration:g} weeks)\n\nTotal repeat purchases:\n\n"
        f"{_table(totals, '{:,.1f}')}\n\nMean per customer by calibration frequency:\n\n"
        f"{_table(holdout_table(d))}"
    )


def section_top_customers(d: DemoData, n: int = 10) -> str:
    """The most valuable customers by 12-month CLV."""
    s = d.summary
    main = d.purchase_models[MAIN_MODEL]
    assert s.monetary_value is not None
    order = np.argsort(-d.clv)[:n]
    frame = pd.DataFrame(
        {
            "frequency": s.frequency[order],
            "recency": s.recency[order],
            "T": s.T[order],
            "P(alive)": main.p_alive(s.frequency[order], s.recency[order], s.T[order]),
            "E[purchases 52w]": main.conditional_expected_purchases(
                s.frequency[order],
                s.recency[order],
                s.T[order],
                t=52,
            ),
            "E[spend]": d.spend.expected_spend(s.frequency[order], s.monetary_value[order]),
            "CLV 12m ($)": d.clv[order],
        },
        index=pd.Index(s.customer_id[order], name="customer"),
    )
    total = float(d.clv.sum())
    return (
        f"## Most valuable customers\n\nCLV over 12 months ({MAIN_MODEL} + Gamma-Gamma, "
        f"1% per month; total ${total:,.0f} for {len(s):,} customers):\n\n"
        + _table(frame, "{:,.2f}")
    )


def section_view(d: DemoData) -> str:
    """The relationship view of the customers: segments, stages, value, top proposals."""
    from relmark.view import propose_actions, relationship_view

    log = d.log[d.log["date"] <= CALIBRATION_END]
    view = relationship_view(
        log,
        observation_end=CALIBRATION_END,
        purchase_model=type(d.purchase_models[MAIN_MODEL]),
        n_draws=0,
    )
    proposals = propose_actions(view, unit_margin=0.25)
    t = view.table
    top = t.sort_values("clv", ascending=False).head(5).index
    shown = proposals.loc[top, ["level", "next_contact", "channel", "retention_offer"]]
    offers = int(proposals["retention_offer"].sum())

    def by(column: str) -> pd.DataFrame:
        table = view.value_by(column)
        table["customers"] = [f"{c:,}" for c in table["customers"]]
        return table

    return (
        "## The relationship view (end of calibration)\n\n"
        f"One row per customer across every model ({MAIN_MODEL}, Gamma-Gamma, RFM, pyramid, "
        "lifecycle rules).\n\nValue by RFM segment:\n\n"
        f"{_table(by('segment'), '{:,.2f}')}\n\nValue by lifecycle stage:\n\n"
        f"{_table(by('stage'), '{:,.2f}')}\n\n"
        f"IDIC proposals for the five most valuable customers ({offers:,} retention offers pay "
        f"for themselves overall):\n\n{_table(shown)}"
    )


def section_figures(d: DemoData) -> str:
    """Links to the PNG figures, when they were drawn."""
    if not d.figures:
        return (
            "## Figures\n\nInstall the `plot` extra (`pip install relmark[plot]`) for PNG figures."
        )
    links = "\n".join(f"![{p.stem}]({p.name})" for p in d.figures)
    return f"## Figures\n\n{links}"


SECTIONS: list[Callable[[DemoData], str]] = [
    section_data,
    section_models,
    section_holdout,
    section_top_customers,
    section_view,
    section_figures,
]
"""The report, in order; each section maps the prepared data to Markdown."""


def _draw_figures(d: DemoData, out: Path) -> list[Path]:
    try:
        from relmark.plot import (
            plot_calibration_holdout,
            plot_p_alive_matrix,
            plot_period_transactions,
        )
    except ImportError:
        return []
    main = d.purchase_models[MAIN_MODEL]
    table = calibration_holdout_table(d.purchase_models, d.summary)
    figures = {  # default titles: the holdout length, customers and chi-square, with units
        "calibration_holdout": plot_calibration_holdout(table),
        "period_transactions": plot_period_transactions(period_transactions(main, d.summary)),
        "p_alive_matrix": plot_p_alive_matrix(main, T=float(d.summary.T.max())),
    }
    paths = []
    for name, fig in figures.items():
        path = out / f"{name}.png"
        fig.savefig(path)
        paths.append(path)
    return paths


def run_demo(
    *, sample: bool = False, output: Path | str = "relmark-demo", fmt: str = "md"
) -> tuple[str, Path]:
    """Run the demo: returns the report text and the path of the report file written.

    The time reported covers the whole job: loading, fitting, the sections and the figures.
    """
    t0 = time.perf_counter()
    d = prepare(sample=sample)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    d.figures = _draw_figures(d, out)
    body = "\n\n".join(section(d) for section in SECTIONS)
    text = f"# relmark demo: customer-base analysis of CDNOW\n\n{body}\n"
    seconds = time.perf_counter() - t0
    text += f"\n_Computed in {seconds:.1f} s (loading, fitting, report and figures)._\n"
    if fmt == "html":
        path = out / "report.html"
        path.write_text(_markdown_to_html(text), encoding="utf-8")
    else:
        path = out / "report.md"
        path.write_text(text, encoding="utf-8")
    return text, path


def _markdown_to_html(text: str) -> str:
    """A small converter for the report's own Markdown (headings, tables, images, paragraphs)."""
    out = ["<!doctype html><meta charset='utf-8'><title>relmark demo</title>", "<body>"]
    rows: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            if set(line) <= {"|", "-"}:
                continue
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            tag = "th" if not rows else "td"
            rows.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>")
            continue
        if rows:
            out.append("<table border='1' cellspacing='0'>" + "".join(rows) + "</table>")
            rows = []
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("!["):
            src = line[line.index("(") + 1 : line.rindex(")")]
            out.append(f"<img src='{html.escape(src)}'>")
        elif line:
            out.append(f"<p>{html.escape(line)}</p>")
    out.append("</body>")
    return "\n".join(out)
