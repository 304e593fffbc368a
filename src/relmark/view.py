r"""The relationship view: one row per customer across every model, and the IDIC loop.

:func:`relationship_view` turns a transaction log, or a lifetimes-style summary (``frequency``,
``recency``, ``T``, ``monetary_value`` indexed by customer id), plus, optionally, survey scores,
kept and broken promises, referrals, contact records, cost to serve and influencer/knowledge
values, into one typed result with, per customer: the purchase summary, P(alive) and expected
purchases with intervals, expected spend and CLV, RFM scores and segment, customer-pyramid tier,
lifecycle stage with the rule that fired, relationship quality and trust where those data exist,
referral value (CRV) with the CLV × CRV quadrant where referral data exist, the communication
score and its components, profit after cost to serve with the driver of a loss, and the customer
engagement value (CLV + CRV + CIV + CKV). A missing side input leaves its columns empty and
:attr:`RelationshipView.notes` says why; it never fails the whole view. The settings are one
frozen, validated :class:`ViewOptions`.

Every formula is the library's own: trust is :func:`relmark.scoring.reputation_scores` (beta
reputation), CRV is :func:`relmark.domain.customer_referral_value` (Kumar, Petersen & Leone),
CLV is :func:`relmark.clv.clv`, the communication score is
:func:`relmark.scoring.communication_scores`, profit is
:func:`relmark.decide.customer_profitability` (Kaplan & Narayanan), the engagement value is
:func:`relmark.decide.customer_engagement_value` (Kumar et al. 2010), and the loyalty
break-even is :func:`relmark.domain.breakeven_retention`.

:func:`propose_actions` makes Peppers & Rogers' IDIC operational (identify → differentiate →
interact → customize): per customer, Kotler's relationship level (from the number of customers
in their segment and the unit margin), the next contact and its channel, and whether a
retention, referral or loyalty offer pays for itself for *this* customer. The decisions and the
numbers behind them are computed first; the reason text is written from them afterwards.

:func:`migration` compares two views: how customers and value moved between segments or stages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import pairwise
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import (
    FloatArray,
    as_float_array,
    as_numbers,
    check_choice,
    check_count,
    check_flag,
    check_number,
    check_probability,
)
from relmark.clv import MBGNBD, CLVModel, GammaGamma, clv
from relmark.clv._base import refuse_first_purchase
from relmark.clv._rfm import RFMModel
from relmark.data import RFMSummary, summarize
from relmark.decide.advocacy import _values_by_id, customer_engagement_value
from relmark.decide.offers import ContactPolicy, choose_offers
from relmark.decide.profitability import CustomerProfitability
from relmark.domain.core import Interaction
from relmark.domain.pricing import breakeven_retention, simple_clv
from relmark.domain.referral import clv_crv_quadrant, customer_referral_value
from relmark.errors import ArgumentError, DataError, RelmarkError
from relmark.lifecycle import (
    FOUR_STAGES,
    KOTLER_LEVELS,
    Condition,
    KotlerThresholds,
    Rule,
    StageModel,
    assign_stages,
    relationship_level,
)
from relmark.scoring import customer_pyramid, reputation_scores, rfm_from_summary, segment
from relmark.scoring.communication import CommunicationScores, communication_scores
from relmark.timeunit import TimeUnit
from relmark.typing import RngLike

__all__ = [
    "DEFAULT_STAGE_RULES",
    "VIEW_METRICS",
    "ActionOptions",
    "RelationshipView",
    "ViewOptions",
    "fit_spend",
    "migration",
    "propose_actions",
    "relationship_view",
]

TIME_UNITS = ("D", "W", "h", "M")

VIEW_METRICS: tuple[str, ...] = (
    "purchases",
    "tenure",
    "time_since_last",
    "p_alive",
    "expected_purchases",
    "clv",
    "referrals",
)
"""Metrics stage rules may use: ``purchases`` (all, first included), ``tenure`` (``T``),
``time_since_last`` (``T - recency``), ``p_alive``, ``expected_purchases`` (over the horizon),
``clv`` and ``referrals`` (referrals made, 0 without referral data)."""

DEFAULT_STAGE_RULES: tuple[Rule, ...] = (
    Rule(
        name="advocate: refers others and is very likely active",
        stage="delight",
        conditions=(
            Condition(metric="referrals", op=">=", value=1),
            Condition(metric="p_alive", op=">=", value=0.7),
        ),
    ),
    Rule(
        name="repeat buyer, likely active",
        stage="retain",
        conditions=(
            Condition(metric="purchases", op=">=", value=3),
            Condition(metric="p_alive", op=">=", value=0.5),
        ),
    ),
    Rule(
        name="has bought again",
        stage="convert",
        conditions=(Condition(metric="purchases", op=">=", value=2),),
    ),
    Rule(name="first purchase only", stage="attract"),
)
"""Example rules for the four-stage model (attract, convert, retain, delight) over the view's
:data:`VIEW_METRICS`. Replace them with your own."""

MAX_DRAWS = 10_000
"""The most parameter draws a view's intervals may take (each draw predicts every customer)."""

_SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")
_REFERRAL_COLUMNS = ("referrer", "referee", "would_have_joined", "period")
_PROMISE_COLUMNS = ("kept", "broken")


def _check_name(value: object, name: str) -> str:
    """A column name: non-empty text."""
    if not isinstance(value, str) or not value:
        raise ArgumentError(f"must be a column name (non-empty text), got {value!r}", argument=name)
    return value


def _check_rng(rng: object) -> RngLike:
    """``None``, a :class:`numpy.random.Generator` or a whole seed >= 0 (not a bool)."""
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool | np.bool_):
        return check_count(rng, "rng")
    raise ArgumentError(
        f"must be a numpy Generator, a seed >= 0 or None, got {rng!r}", argument="rng"
    )


def _month_length(time_unit: str) -> float:
    """Length of one month in a view's time unit (the library's month,
    :data:`relmark.timeunit.MONTH_DAYS` days, as :func:`relmark.clv.clv` uses).

    >>> round(_month_length("W"), 4), _month_length("D"), round(_month_length("2W"), 4)
    (4.3482, 30.4375, 2.1741)
    """
    return TimeUnit.parse(time_unit).per_month


@dataclass(frozen=True, kw_only=True)
class ViewOptions:
    """Settings of :func:`relationship_view`, validated once at construction.

    Parameters
    ----------
    customer_id, datetime, monetary_value
        Column names of a transaction log (customer id, date, amount). For a summary frame,
        ``customer_id`` names a column of ids if there is one (the index is used otherwise).
    time_unit, freq_multiplier
        The period grid of a transaction log: ``time_unit`` one of ``"D"``, ``"W"``, ``"h"``,
        ``"M"``, times divided by ``freq_multiplier`` (``"D"`` and 7: weeks with day resolution,
        as in the CDNOW papers).
    observation_end
        End of observation of a transaction log (default: its last date). Not allowed with a
        summary, whose ``T`` already says it.
    summary_time_unit
        Time unit of ``recency`` and ``T`` of a summary frame, a
        :class:`~relmark.timeunit.TimeUnit` or its label (``"W"`` for a lifetimes summary made
        with ``freq="W"``); required for a summary frame, and for an
        :class:`~relmark.data.RFMSummary` without a time unit.
    purchase_model
        Model class fitted for P(alive), expected purchases and CLV. MBG/NBD by default: unlike
        BG/NBD it does not declare every one-time buyer alive.
    horizon
        Horizon of the expected purchases, in the view's time unit (52 weeks by default).
    periods, discount_rate
        CLV over ``periods`` months at ``discount_rate`` per month (>= 0); the same rate
        discounts referral values per period.
    stage_model, stage_rules
        The stage model and the rules (over :data:`VIEW_METRICS`) that assign its stages.
    acquisition_cost, referral_reward
        What acquiring a customer costs otherwise (saved by a referee who would have joined
        anyway) and the reward paid per referee: the CRV inputs.
    n_draws
        Parameter draws for the 95% intervals of P(alive) and expected purchases (0: none, or
        2 to :data:`MAX_DRAWS`).
    communication_in_quality
        Whether the communication score (0-100, from ``interactions``) enters ``quality`` as
        one more construct beside the survey's (0-100 scaled) construct scores: the quality of
        a customer is then the mean of their answered constructs and their communication
        score (Palmatier et al. 2006: communication is an antecedent of relationship
        quality). Without contact records it changes nothing (the notes say so).

    Raises
    ------
    ArgumentError
        Naming the setting: text where a number is expected, NaN, infinities, booleans,
        negative or fractional counts, an unknown time unit, a purchase model that is not an
        RFM model class, rules naming stages outside ``stage_model`` or unknown metrics.

    Examples
    --------
    >>> ViewOptions(horizon=26, n_draws=0).horizon
    26.0
    >>> ViewOptions(horizon=float("nan"))
    Traceback (most recent call last):
    ...
    relmark.errors.ArgumentError: argument 'horizon': must be finite, got nan
    """

    customer_id: str = "customer_id"
    datetime: str = "date"
    monetary_value: str = "amount"
    time_unit: str = "D"
    freq_multiplier: float = 7.0
    observation_end: Any = None
    summary_time_unit: str | TimeUnit | None = None
    purchase_model: type[RFMModel] = MBGNBD
    horizon: float = 52.0
    periods: int = 12
    discount_rate: float = 0.01
    stage_model: StageModel = FOUR_STAGES
    stage_rules: tuple[Rule, ...] = DEFAULT_STAGE_RULES
    acquisition_cost: float = 0.0
    referral_reward: float = 0.0
    n_draws: int = 100
    communication_in_quality: bool = False

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        for name in ("customer_id", "datetime", "monetary_value"):
            _check_name(getattr(self, name), name)
        check_choice(self.time_unit, "time_unit", TIME_UNITS)
        put(
            "freq_multiplier",
            check_number(self.freq_multiplier, "freq_multiplier", low=0, low_open=True),
        )
        if self.summary_time_unit is not None:
            unit = TimeUnit.parse(self.summary_time_unit, argument="summary_time_unit")
            put("summary_time_unit", unit.label)
        model = self.purchase_model
        if not (isinstance(model, type) and issubclass(model, RFMModel)) or model is RFMModel:
            raise ArgumentError(
                f"must be a purchase model class such as MBGNBD or BGNBD, got {model!r}",
                argument="purchase_model",
            )
        put("horizon", check_number(self.horizon, "horizon", low=0, low_open=True))
        put("periods", check_count(self.periods, "periods", minimum=1))
        put("discount_rate", check_number(self.discount_rate, "discount_rate", low=0))
        if not isinstance(self.stage_model, StageModel):
            raise ArgumentError(
                f"must be a StageModel, got {type(self.stage_model).__name__}",
                argument="stage_model",
            )
        put("stage_rules", self._checked_rules(self.stage_rules, self.stage_model))
        put("acquisition_cost", check_number(self.acquisition_cost, "acquisition_cost", low=0))
        put("referral_reward", check_number(self.referral_reward, "referral_reward", low=0))
        n_draws = check_count(self.n_draws, "n_draws")
        if n_draws == 1:
            raise ArgumentError("an interval needs at least 2 draws (0: none)", argument="n_draws")
        if n_draws > MAX_DRAWS:
            raise ArgumentError(
                f"at most {MAX_DRAWS:,} draws (each one predicts every customer again), got "
                f"{n_draws:,}",
                argument="n_draws",
            )
        put("n_draws", n_draws)
        put(
            "communication_in_quality",
            check_flag(self.communication_in_quality, "communication_in_quality"),
        )

    @staticmethod
    def _checked_rules(rules: object, model: StageModel) -> tuple[Rule, ...]:
        if isinstance(rules, Rule) or not isinstance(rules, Sequence) or isinstance(rules, str):
            raise ArgumentError(
                f"must be a tuple or list of Rule, got {type(rules).__name__}",
                argument="stage_rules",
            )
        out = tuple(rules)
        if not out:
            raise ArgumentError("no rules: every customer needs a stage", argument="stage_rules")
        for i, rule in enumerate(out):
            if not isinstance(rule, Rule):
                raise ArgumentError(
                    f"rule {i} is a {type(rule).__name__}, not a Rule", argument="stage_rules"
                )
            if rule.stage not in model.stages:
                raise ArgumentError(
                    f"rule {rule.name!r} names stage {rule.stage!r}, not one of {model.name!r}: "
                    f"{', '.join(model.stages)}",
                    argument="stage_rules",
                )
            unknown = [c.metric for c in rule.conditions if c.metric not in VIEW_METRICS]
            if unknown:
                raise ArgumentError(
                    f"rule {rule.name!r} uses metric {unknown[0]!r}; the view has "
                    f"{', '.join(VIEW_METRICS)}",
                    argument="stage_rules",
                )
        return out


def _options_from(
    cls: type[Any], options: object, given: Mapping[str, object], argument: str = "options"
) -> Any:
    """``options`` if given (and then every keyword left at its default), else ``cls(**given)``."""
    if options is None:
        return cls(**given)
    if not isinstance(options, cls):
        raise ArgumentError(
            f"must be a {cls.__name__}, got {type(options).__name__}", argument=argument
        )
    defaults = {f.name: f.default for f in fields(cls)}
    for name, value in given.items():
        default = defaults.get(name)
        same = value is default
        if not same:
            try:
                same = type(value) is type(default) and bool(value == default)
            except (TypeError, ValueError):
                same = False
        if not same:
            raise ArgumentError(
                f"given both as a keyword and in {argument}=; give it in one place",
                argument=name,
            )
    return options


@dataclass(frozen=True)
class RelationshipView:
    """Per-customer view of the whole relationship.

    Parameters
    ----------
    table
        One row per customer (indexed by customer id).
    notes
        Why some columns are empty or what was left out, by column.
    models
        The fitted models (``"purchases"``, and ``"spend"`` when it could be fitted).
    time_unit
        Time unit of ``recency``, ``T`` and the horizon (e.g. ``"W"``).
    options
        The settings the view was built with.
    """

    table: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)
    models: dict[str, CLVModel] = field(default_factory=dict)
    time_unit: str | None = None
    options: ViewOptions = field(default_factory=ViewOptions)

    def to_frame(self) -> pd.DataFrame:
        """The table (indexed by customer id).

        Returns
        -------
        pandas.DataFrame
            A copy of :attr:`table`.
        """
        return self.table.copy()

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready records: one dict per customer, missing values as ``None``.

        Returns
        -------
        list of dict
            ``customer_id`` and every column, as plain Python values.
        """
        out = []
        for cid, row in self.table.iterrows():
            rec: dict[str, Any] = {"customer_id": cid.item() if hasattr(cid, "item") else cid}
            for k, v in row.items():
                if isinstance(v, float | np.floating):
                    rec[str(k)] = None if math.isnan(float(v)) else float(v)
                elif isinstance(v, np.integer):
                    rec[str(k)] = int(v)
                elif isinstance(v, np.bool_):
                    rec[str(k)] = bool(v)
                else:
                    rec[str(k)] = v
            out.append(rec)
        return out

    def value_by(self, column: str) -> pd.DataFrame:
        """Customers, mean P(alive) and total CLV by ``segment``, ``tier``, ``stage``, ...

        Parameters
        ----------
        column
            A column of the table to group by.

        Returns
        -------
        pandas.DataFrame
            ``customers``, ``p_alive`` and ``clv`` per value, the most valuable first.

        Raises
        ------
        ArgumentError
            If ``column`` is not a column of the table.
        """
        if not isinstance(column, str) or column not in self.table.columns:
            raise ArgumentError(
                f"no such column in the view; it has {', '.join(map(str, self.table.columns))}",
                argument="column",
            )
        g = self.table.groupby(self.table[column].rename(None), dropna=False)
        out = pd.DataFrame(
            {
                "customers": g.size(),
                "p_alive": g["p_alive"].mean(),
                "clv": g["clv"].sum(min_count=1),  # a view without CLV: NaN, not 0
            }
        ).sort_values("clv", ascending=False)
        out.index.name = column
        return out


def fit_spend(
    frequency: npt.ArrayLike, monetary_value: npt.ArrayLike, *, time_unit: str | None = None
) -> tuple[GammaGamma, int]:
    """Gamma-Gamma fitted on the customers it has a density for.

    Repeat buyers whose repeat purchases were all free (mean spend 0) have no Gamma-Gamma
    density: they are left out of the fit, and counted. Their expected spend is still defined
    (the model's prediction for a mean spend of 0), so every customer can be scored.

    Parameters
    ----------
    frequency, monetary_value
        Repeat purchases and mean repeat spend per customer.
    time_unit
        Time unit recorded in the model.

    Returns
    -------
    spend : GammaGamma
        The fitted model (``fit_result.extra["n_zero_spend"]`` also holds the count).
    n_zero_spend : int
        The number of repeat buyers left out.

    Raises
    ------
    DataError
        Naming the column: text, booleans, NaN, infinities, not 1-d, lengths that differ,
        a negative mean spend (and what :meth:`GammaGamma.fit` refuses).
    """
    x = as_float_array(frequency, "frequency")
    m = as_float_array(monetary_value, "monetary_value")
    if x.shape != m.shape:
        raise DataError(
            f"has {m.shape[0]} values for {x.shape[0]} customers", column="monetary_value"
        )
    negative = m < 0
    if negative.any():
        raise DataError(
            "a mean spend cannot be negative",
            column="monetary_value",
            rows=np.flatnonzero(negative).tolist(),
        )
    priced = (x == 0) | (m > 0)
    spend = GammaGamma.fit(frequency=x[priced], monetary_value=m[priced], time_unit=time_unit)
    n_zero_spend = int((~priced).sum())
    spend.fit_result.extra["n_zero_spend"] = n_zero_spend
    return spend, n_zero_spend


# ---------------------------------------------------------------------- the view, step by step
def _is_polars(data: object) -> bool:
    return type(data).__module__.split(".")[0] == "polars"


_LOG_SETTINGS = ("datetime", "monetary_value", "time_unit", "freq_multiplier", "observation_end")
"""Settings that only a transaction log uses (a summary has its own times and spend)."""


def _columns_of(data: object) -> set[str]:
    if isinstance(data, pd.DataFrame) or _is_polars(data):
        return {str(c) for c in data.columns}  # type: ignore[attr-defined]
    if isinstance(data, Mapping):
        return {str(k) for k in data}
    return set()


def _summary_of(data: object, opts: ViewOptions) -> RFMSummary:
    """Step 1: the per-customer summary, from a summary (frame or RFMSummary) or a log."""
    refuse_first_purchase(data)  # the CLV models need repeat purchases
    present = {"frequency", "recency", "T"} & _columns_of(data)
    is_summary = isinstance(data, RFMSummary) or len(present) == 3
    if present and not is_summary:
        missing = [c for c in ("frequency", "recency", "T") if c not in present]
        raise DataError(
            "a summary needs frequency, recency and T (and monetary_value)", column=missing[0]
        )
    if is_summary:
        defaults = ViewOptions()
        for name in _LOG_SETTINGS:
            if getattr(opts, name) != getattr(defaults, name):
                raise ArgumentError(
                    "applies to a transaction log only; a summary has its own times and spend "
                    "(give its time unit as summary_time_unit)",
                    argument=name,
                )
    if isinstance(data, RFMSummary):
        return _checked_summary(data, opts)
    if is_summary:
        if isinstance(data, pd.DataFrame):
            frame = data
        elif _is_polars(data):
            frame = data.to_pandas()  # type: ignore[attr-defined]
        else:
            frame = pd.DataFrame(dict(data))  # type: ignore[call-overload]
        return _summary_from_frame(frame, opts)
    if opts.summary_time_unit is not None:
        raise ArgumentError(
            "applies to a summary only; a transaction log's unit is time_unit x freq_multiplier",
            argument="summary_time_unit",
        )
    if isinstance(data, pd.DataFrame | Mapping) or _is_polars(data):
        return summarize(
            data,
            customer_id=opts.customer_id,
            datetime=opts.datetime,
            monetary_value=opts.monetary_value,
            time_unit=opts.time_unit,
            freq_multiplier=opts.freq_multiplier,
            observation_end=opts.observation_end,
        )
    raise ArgumentError(
        "must be a transaction log (a DataFrame) or a summary (a DataFrame with frequency, "
        f"recency, T and monetary_value, or an RFMSummary), got {type(data).__name__}",
        argument="data",
    )


def _checked_summary(summary: RFMSummary, opts: ViewOptions) -> RFMSummary:
    unit, given = summary.time_unit, opts.summary_time_unit
    if unit is not None and given is not None and TimeUnit.parse(unit) != TimeUnit.parse(given):
        raise ArgumentError(
            f"the summary's time unit is {unit!r}, not {given!r}", argument="summary_time_unit"
        )
    if unit is None and given is None:
        raise ArgumentError(
            "the summary does not say its time unit: pass summary_time_unit ('W' for weeks, "
            "'D' for days, ...)",
            argument="summary_time_unit",
        )
    if summary.monetary_value is None:
        raise DataError("the view needs each customer's mean spend", column="monetary_value")
    if summary.weights is not None:
        raise DataError(
            "a weighted (grouped) summary has no customers to view: one row per customer",
            column="weights",
        )
    if unit is None:
        summary = RFMSummary(
            customer_id=summary.customer_id,
            frequency=summary.frequency,
            recency=summary.recency,
            T=summary.T,
            monetary_value=summary.monetary_value,
            time_unit=given,
        )
    return summary


def _summary_from_frame(frame: pd.DataFrame, opts: ViewOptions) -> RFMSummary:
    id_column = opts.customer_id if opts.customer_id in frame.columns else None
    allowed = {*_SUMMARY_COLUMNS, *([id_column] if id_column else [])}
    unknown = [str(c) for c in frame.columns if c not in allowed]
    if unknown:
        raise DataError(
            f"unknown column in the summary (it may have {', '.join(_SUMMARY_COLUMNS)} and a "
            "customer id column)",
            column=unknown[0],
        )
    if "monetary_value" not in frame.columns:
        raise DataError("the view needs each customer's mean spend", column="monetary_value")
    ids = frame[id_column].to_numpy() if id_column else frame.index.to_numpy()
    missing = pd.isna(ids)
    if missing.any():
        raise DataError(
            "missing customer ids",
            column=id_column or "index",
            rows=np.flatnonzero(missing).tolist(),
        )
    columns: dict[str, FloatArray] = {}
    for name in _SUMMARY_COLUMNS:
        raw = frame[name]
        if raw.dtype == bool:
            raise DataError("values are True/False, not numbers", column=name)
        columns[name] = as_numbers(raw.to_numpy(), name)
    summary = RFMSummary(
        customer_id=ids,
        frequency=columns["frequency"],
        recency=columns["recency"],
        T=columns["T"],
        monetary_value=columns["monetary_value"],
    )
    return _checked_summary(summary, opts)


def _purchase_step(
    summary: RFMSummary, opts: ViewOptions, rng: RngLike, notes: dict[str, str]
) -> tuple[RFMModel, dict[str, FloatArray]]:
    """Step 2: P(alive) and expected purchases (with intervals) from the purchase model."""
    x, tx, T, h = summary.frequency, summary.recency, summary.T, opts.horizon
    model = opts.purchase_model.fit(summary)  # (its ConvergenceWarning reaches the caller)
    fit = model.fit_result
    if not (fit.converged and np.isfinite(fit.cov_unconstrained).all()):
        # the predictions below come from estimates these data do not pin down: say so in
        # the view itself, not only in a warning that a report reader never sees
        said = "did not converge" if not fit.converged else "is not identified by these data"
        notes["p_alive"] = notes["expected_purchases"] = (
            f"the {model.name} fit {said} (no standard errors): P(alive) and expected "
            "purchases come from unreliable estimates; more customers or a longer history "
            "are needed"
        )
    cols = {
        "p_alive": model.p_alive(x, tx, T),
        "expected_purchases": model.conditional_expected_purchases(x, tx, T, t=h),
    }
    if opts.n_draws:
        gen = np.random.default_rng(rng)
        try:
            for name, predict in (
                ("p_alive", lambda m: m.p_alive(x, tx, T)),
                ("expected_purchases", lambda m: m.conditional_expected_purchases(x, tx, T, t=h)),
            ):
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    iv = model.interval(predict, n_draws=opts.n_draws, rng=gen)
                low = np.asarray(iv.lower, dtype=np.float64)
                high = np.asarray(iv.upper, dtype=np.float64)
                bad = ~(np.isfinite(low) & np.isfinite(high))
                if bad.any():  # draws far from the estimate overflowed: say so, keep the rest
                    low, high = np.where(bad, np.nan, low), np.where(bad, np.nan, high)
                    notes[f"{name}_low"] = (
                        f"no interval for {int(bad.sum())} of {bad.size} customers: the "
                        "parameter draws gave NaN or infinite predictions for them"
                    )
                cols[f"{name}_low"], cols[f"{name}_high"] = low, high
        except RelmarkError as exc:
            notes["p_alive_low"] = f"no intervals: {exc}"
    return model, cols


def _value_step(
    summary: RFMSummary, purchases: RFMModel, opts: ViewOptions, notes: dict[str, str]
) -> tuple[GammaGamma | None, FloatArray, FloatArray]:
    """Step 3: expected spend (Gamma-Gamma) and CLV (:func:`relmark.clv.clv`)."""
    x, m = summary.frequency, summary.monetary_value
    assert m is not None  # _summary_of refuses a summary without spend
    n = x.shape[0]
    try:
        spend, zero_spend = fit_spend(x, m, time_unit=summary.time_unit)
    except RelmarkError as exc:
        notes["clv"] = f"spend model could not be fitted: {exc}"
        return None, np.full(n, np.nan), np.full(n, np.nan)
    if zero_spend:
        notes["expected_spend"] = (
            f"{zero_spend} repeat buyers with zero mean spend left out of the "
            "Gamma-Gamma fit (their expected spend is still predicted)"
        )
    value = clv(
        purchases.with_time_unit(summary.time_unit),
        spend,
        x,
        summary.recency,
        summary.T,
        m,
        periods=opts.periods,
        discount_rate=opts.discount_rate,
        period_length=_month_length(str(summary.time_unit)),
    )
    return spend, spend.expected_spend(x, m), value


def _differentiate_step(summary: RFMSummary, value: FloatArray) -> dict[str, Any]:
    """Step 4: RFM scores, segment and customer-pyramid tier."""
    rfm = rfm_from_summary(summary)
    finite = bool(np.isfinite(value).all())
    return {
        "R": rfm.recency_score,
        "F": rfm.frequency_score,
        "M": rfm.monetary_score,
        "rfm_cell": rfm.cells,
        "segment": segment(rfm.cells),
        "tier": customer_pyramid(value) if finite else None,
    }


def _table_frame(frame: object, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(
            f"must be a pandas DataFrame or None, got {type(frame).__name__}", argument=name
        )
    return frame


def _exact_columns(frame: pd.DataFrame, need: Sequence[str], what: str) -> None:
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"{what} need columns {', '.join(need)}", column=missing[0])
    unknown = [str(c) for c in frame.columns if c not in need]
    if unknown:
        raise DataError(
            f"unknown column in {what} (they have {', '.join(need)}; select those)",
            column=unknown[0],
        )


def _unique_index(frame: pd.DataFrame, what: str) -> None:
    if frame.index.hasnans:
        bad = [i for i, v in enumerate(frame.index.isna()) if v]
        raise DataError(f"{what}: missing customer ids in the index", column="index", rows=bad)
    dup = frame.index.duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"{what}: one row per customer; these customer ids repeat",
            column="index",
            rows=frame.index[dup].unique().tolist(),
        )


def _outsiders(frame: pd.DataFrame, index: pd.Index, what: str) -> str:
    n = int((~frame.index.isin(index)).sum())
    return f"; {n} {what} of customers not in this view left out" if n else ""


def _referral_step(
    table: pd.DataFrame, referrals: object, opts: ViewOptions, notes: dict[str, str]
) -> tuple[dict[str, Any], FloatArray]:
    """Step 5: customer referral value (Kumar et al., via the domain's formula) and quadrant."""
    n = len(table)
    if referrals is None:
        notes["crv"] = "no referral data given"
        return {"crv": np.full(n, np.nan), "clv_crv_quadrant": None}, np.zeros(n)
    refs = _table_frame(referrals, "referrals")
    _exact_columns(refs, _REFERRAL_COLUMNS, "referrals")
    rows = refs.index.tolist()
    for column in ("referrer", "referee"):
        missing = refs[column].isna().to_numpy()
        if missing.any():
            raise DataError(
                "missing ids", column=column, rows=[rows[i] for i in np.flatnonzero(missing)]
            )
    self_ref = (refs["referrer"] == refs["referee"]).to_numpy()
    if self_ref.any():
        raise DataError(
            "a customer cannot refer themselves",
            column="referee",
            rows=[rows[i] for i in np.flatnonzero(self_ref)],
        )
    twice = refs["referee"].duplicated(keep=False).to_numpy()
    if twice.any():
        raise DataError(
            "a referee is credited to one referrer only (several rows name the same referee)",
            column="referee",
            rows=[rows[i] for i in np.flatnonzero(twice)],
        )
    joined_raw = refs["would_have_joined"]
    if joined_raw.dtype == bool or (
        joined_raw.dtype == object and all(isinstance(v, bool | np.bool_) for v in joined_raw)
    ):  # object-dtype True/False (e.g. from JSON) are flags too
        joined = joined_raw.to_numpy(dtype=bool)
    else:
        values = as_numbers(joined_raw.to_numpy(), "would_have_joined")
        bad = ~np.isin(values, (0.0, 1.0))
        if bad.any():
            raise DataError(
                "must be True/False (or 1/0)",
                column="would_have_joined",
                rows=[rows[i] for i in np.flatnonzero(bad)],
            )
        joined = values == 1.0
    if refs["period"].dtype == bool:
        raise DataError("must be whole periods >= 0, not True/False", column="period")
    when = as_numbers(refs["period"].to_numpy(), "period")
    bad = ~(np.isfinite(when) & (when >= 0) & (when == np.round(when)))
    if bad.any():
        raise DataError(
            "must be whole periods >= 0 (0 = now)",
            column="period",
            rows=[rows[i] for i in np.flatnonzero(bad)],
        )
    known = refs["referrer"].isin(table.index).to_numpy()
    said = []
    if (~known).any():
        said.append(
            f"{int((~known).sum())} referrals by referrers not in this view are not counted"
        )
    strangers = int((~refs["referee"].isin(table.index)).sum())
    if strangers:
        said.append(f"{strangers} referees not in this view count with CLV 0")
    counts = np.bincount(
        table.index.get_indexer(pd.Index(refs["referrer"]))[known], minlength=n
    ).astype(np.float64)
    if table["clv"].isna().all():  # no spend model: every referee would count at CLV 0
        notes["crv"] = "; ".join(
            ["no CLV in this view (see the note on clv): CRV needs the referees' CLV", *said]
        )
        return {"crv": np.full(n, np.nan), "clv_crv_quadrant": None}, counts
    if said:
        notes["crv"] = "; ".join(said)
    clv_of = table["clv"].fillna(0.0)
    referee_clv = clv_of.reindex(refs["referee"]).fillna(0.0).to_numpy(dtype=np.float64)
    codes = table.index.get_indexer(pd.Index(refs["referrer"]))
    crv = np.zeros(n)
    order = np.argsort(codes[known], kind="stable")
    k_codes, k_clv = codes[known][order], referee_clv[known][order]
    k_joined, k_when = joined[known][order], when[known][order]
    starts: list[int] = np.flatnonzero(np.r_[True, k_codes[1:] != k_codes[:-1]]).tolist()
    bounds = [*starts, int(k_codes.size)] if k_codes.size else []
    for lo, hi in pairwise(bounds):
        crv[k_codes[lo]] = customer_referral_value(
            k_clv[lo:hi],
            k_joined[lo:hi],
            k_when[lo:hi],
            acquisition_cost=opts.acquisition_cost,
            reward_cost=opts.referral_reward,
            discount_rate=opts.discount_rate,
        )
    return {"crv": crv, "clv_crv_quadrant": clv_crv_quadrant(clv_of.to_numpy(), crv)}, counts


def _stage_step(
    table: pd.DataFrame, opts: ViewOptions, referrals_made: FloatArray
) -> dict[str, Any]:
    """Step 6: lifecycle stage and the rule that fired."""
    metrics = {
        "purchases": table["frequency"].to_numpy() + 1.0,
        "tenure": table["T"].to_numpy(),
        "time_since_last": (table["T"] - table["recency"]).to_numpy(),
        "p_alive": table["p_alive"].to_numpy(),
        "expected_purchases": table["expected_purchases"].to_numpy(),
        "clv": table["clv"].to_numpy(),
        "referrals": referrals_made,
    }
    stages, fired = assign_stages(list(opts.stage_rules), metrics)
    return {"stage": stages, "stage_rule": fired}


def _quality_step(
    table: pd.DataFrame,
    survey_scores: object,
    opts: ViewOptions,
    communication: FloatArray,
    notes: dict[str, str],
) -> FloatArray:
    """Step 7a: relationship quality, the mean of the survey's construct scores (and of the
    communication score, as one more construct, with ``communication_in_quality``)."""
    if survey_scores is None:
        quality, answers = np.full(len(table), np.nan), np.zeros(len(table))
        notes["quality"] = "no survey data given"
    else:
        quality, answers = _survey_quality(table, survey_scores, notes)
    if not opts.communication_in_quality:
        return quality
    scored = ~np.isnan(communication)
    if not scored.any():
        notes["quality"] += (
            "; communication_in_quality: no communication score for any customer of this view "
            "(see the note on communication)"
        )
        return quality
    # one more construct: (sum of the answered ones + communication) / (answers + 1), as shares
    # of the total so that huge finite scores cannot overflow
    with np.errstate(invalid="ignore"):
        combined = np.where(
            answers > 0,
            quality * (answers / (answers + 1.0)) + communication / (answers + 1.0),
            communication,
        )
    quality = np.where(scored, combined, quality)
    notes["quality"] += (
        f"; the communication score enters as one more construct for {int(scored.sum())} customers"
    )
    return quality


def _survey_quality(
    table: pd.DataFrame, survey_scores: object, notes: dict[str, str]
) -> tuple[FloatArray, FloatArray]:
    """The mean of the answered survey constructs per customer, and how many were answered."""
    survey = _table_frame(survey_scores, "survey_scores")
    if survey.shape[1] == 0:
        raise DataError("survey scores have no columns (one per construct)", column="survey_scores")
    _unique_index(survey, "survey scores")
    repeated = survey.columns[survey.columns.duplicated()]
    if len(repeated):
        raise DataError("survey scores: two columns have this name", column=str(repeated[0]))
    for column in survey.columns:
        if survey[column].dtype == bool:
            raise DataError("scores are True/False, not numbers", column=str(column))
        values = as_numbers(survey[column].to_numpy(), str(column))
        if np.isinf(values).any():
            raise DataError(
                "survey scores must be finite (NaN: not answered)",
                column=str(column),
                rows=survey.index[np.isinf(values)].tolist(),
            )
    scores = survey.astype(np.float64)
    answers = scores.notna().sum(axis=1)
    # the mean as a sum of shares: finite for any finite scores (1e308 + 1e308 overflowed)
    quality = (
        scores.div(answers.where(answers > 0), axis=0).sum(axis=1, min_count=1).reindex(table.index)
    )
    answered = int(quality.notna().sum())
    notes["quality"] = f"survey scores for {answered} of {len(table)} customers" + _outsiders(
        survey, table.index, "answers"
    )
    counts = answers.reindex(table.index).fillna(0).to_numpy(dtype=np.float64)
    return quality.to_numpy(dtype=np.float64), counts


def _trust_step(
    table: pd.DataFrame, promises: object, notes: dict[str, str]
) -> dict[str, FloatArray]:
    """Step 7b: beta-reputation trust (:func:`relmark.scoring.reputation_scores`)."""
    n = len(table)
    if promises is None:
        notes["trust"] = "no kept/broken promise data given"
        return {name: np.full(n, np.nan) for name in ("trust", "trust_low", "trust_high")}
    frame = _table_frame(promises, "promises")
    _exact_columns(frame, _PROMISE_COLUMNS, "promises")
    _unique_index(frame, "promises")
    counts = {}
    for column in _PROMISE_COLUMNS:
        if frame[column].dtype == bool:
            raise DataError("must be counts, not True/False", column=column)
        values = as_numbers(frame[column].to_numpy(), column)
        bad = ~(np.isfinite(values) & (values >= 0))
        if bad.any():
            raise DataError(
                "must be finite counts >= 0", column=column, rows=frame.index[bad].tolist()
            )
        counts[column] = values
    inside = frame.index.isin(table.index)
    out = {name: np.full(n, np.nan) for name in ("trust", "trust_low", "trust_high")}
    if inside.any():
        try:
            scores = reputation_scores(counts["kept"][inside, None], counts["broken"][inside, None])
        except DataError as exc:  # it names positions among the known customers: name the ids
            known = frame.index[inside]
            ids = known.tolist()
            rows = [ids[i] if isinstance(i, int) else i for i in exc.rows]
            message = str(exc).split("[first offending rows")[0].strip()
            message = message.removeprefix(f"column {exc.column!r}: ")
            raise DataError(message, column=exc.column, rows=rows, count=exc.count) from None
        where = table.index.get_indexer(frame.index[inside])
        for name, values in zip(("trust", "trust_low", "trust_high"), scores, strict=True):
            out[name][where] = values
    notes["trust"] = f"promise records for {int(inside.sum())} of {n} customers" + _outsiders(
        frame, table.index, "records"
    )
    return out


_COMMUNICATION_COLUMNS = {
    "communication": "score",
    "dialogue": "dialogue",
    "responsiveness": "responsiveness",
    "cadence": "cadence",
}
"""View column -> column of :attr:`CommunicationScores.by_customer`."""


def _text_positions(index: pd.Index, ids: Sequence[object], what: str) -> npt.NDArray[np.intp]:
    """Position in the view of each id, matched as text (-1: not in the view).

    The communication, profitability and engagement results keep customer ids as text (they
    survive JSON that way); the view keeps its input's ids (whole numbers for CDNOW)."""
    keys = pd.Index([str(v) for v in index])
    if keys.has_duplicates:
        dup = keys[keys.duplicated()].unique().tolist()
        raise DataError(
            f"the view's customer ids are not distinct as text, so {what} cannot be matched "
            "to them",
            column="index",
            rows=dup,
        )
    return np.asarray(keys.get_indexer(pd.Index([str(v) for v in ids])), dtype=np.intp)


def _not_in_view(positions: npt.NDArray[np.intp], what: str) -> str:
    n = int((positions < 0).sum())
    return f"; {n} {what} not in this view left out" if n else ""


def _communication_step(
    table: pd.DataFrame, interactions: object, notes: dict[str, str]
) -> dict[str, FloatArray]:
    """Step 8: the communication score and its components
    (:func:`relmark.scoring.communication_scores`)."""
    n = len(table)
    out = {name: np.full(n, np.nan) for name in _COMMUNICATION_COLUMNS}
    if interactions is None:
        notes["communication"] = "no contact records given"
        return out
    scores = (
        interactions
        if isinstance(interactions, CommunicationScores)
        else communication_scores(interactions)  # type: ignore[arg-type]
    )
    by = scores.by_customer
    ids = by.index.tolist()
    if len(set(ids)) != len(ids):
        raise DataError(
            "the communication scores repeat a customer", column="interactions", rows=ids
        )
    where = _text_positions(table.index, ids, "the communication scores")
    inside = where >= 0
    for name, column in _COMMUNICATION_COLUMNS.items():
        values = by[column].to_numpy(dtype=np.float64, na_value=np.nan)
        out[name][where[inside]] = values[inside]
    said = [f"contact records for {int(inside.sum())} of {n} customers"]
    no_reply = int(
        (inside & np.isnan(by["responsiveness"].to_numpy(np.float64, na_value=np.nan))).sum()
    )
    if no_reply:
        said.append(
            f"responsiveness empty for {no_reply} customers with no inbound contact decided "
            "yet (the score averages their other components)"
        )
    notes["communication"] = "; ".join(said) + _not_in_view(where, "customers with contacts")
    return out


_PROFIT_COLUMNS = ("cost_to_serve", "profit", "unprofitable", "loss_driver")


def _profitability_step(
    table: pd.DataFrame, profitability: object, notes: dict[str, str]
) -> dict[str, Any]:
    """Step 9: cost to serve, profit, the unprofitable flag and the driver of the loss
    (:func:`relmark.decide.customer_profitability`)."""
    n = len(table)
    out: dict[str, Any] = {
        "cost_to_serve": np.full(n, np.nan),
        "profit": np.full(n, np.nan),
        "unprofitable": np.full(n, None, dtype=object),
        "loss_driver": np.full(n, None, dtype=object),
    }
    if profitability is None:
        notes["profit"] = "no cost-to-serve data given (see relmark.decide.customer_profitability)"
        return out
    if not isinstance(profitability, CustomerProfitability):
        raise ArgumentError(
            "must be a CustomerProfitability (from relmark.decide.customer_profitability) or "
            f"None, got {type(profitability).__name__}",
            argument="profitability",
        )
    p = profitability
    ids = list(p.customers)
    for name in ("cost_to_serve", "profit", "reasons"):
        if len(getattr(p, name)) != len(ids):
            raise DataError(
                f"has {len(getattr(p, name))} values for {len(ids)} customers",
                column=name,
            )
    seen = pd.Index(ids)
    if seen.has_duplicates:
        raise DataError(
            "the profitability repeats a customer",
            column="customers",
            rows=seen[seen.duplicated()].unique().tolist(),
        )
    where = _text_positions(table.index, ids, "the profitability")
    inside = where >= 0
    at = where[inside]
    profit = np.asarray(p.profit, dtype=np.float64)
    out["cost_to_serve"][at] = np.asarray(p.cost_to_serve, dtype=np.float64)[inside]
    out["profit"][at] = profit[inside]
    losing = profit < 0
    flags = np.asarray([bool(v) for v in losing], dtype=object)
    out["unprofitable"][at] = flags[inside]
    reasons = np.asarray(list(p.reasons), dtype=object)
    out["loss_driver"][at] = reasons[inside]
    currency = f" ({p.currency})" if p.currency else ""
    notes["profit"] = (
        f"cost to serve for {int(inside.sum())} of {n} customers{currency}, "
        f"{int((losing & inside).sum())} unprofitable"
        + _not_in_view(where, "customers of the profitability")
    )
    return out


_ENGAGEMENT_COLUMNS = ("civ", "ckv", "cev", "engagement_share")


def _engagement_part(
    table: pd.DataFrame, part: object, name: str, what: str, notes: dict[str, str]
) -> pd.Series[float] | None:
    """A CIV or CKV Series, its ids matched to the view's as text; outsiders noted."""
    if part is None:
        notes[name] = f"no {what} data given"
        return None
    values = _values_by_id(part, name)  # ArgumentError / DataError naming it
    ids = values.index.tolist()
    keys = pd.Index([str(v) for v in ids])
    if keys.has_duplicates:
        raise DataError(
            "customer ids repeat (as text)", column=name, rows=keys[keys.duplicated()].tolist()
        )
    where = _text_positions(table.index, ids, name)
    inside = where >= 0
    notes[name] = f"{what} values for {int(inside.sum())} of {len(table)} customers" + (
        _not_in_view(where, "customers")
    )
    return pd.Series(values.to_numpy()[inside], index=keys[inside], name=name)


def _engagement_step(
    table: pd.DataFrame,
    civ: object,
    ckv: object,
    referrals_given: bool,
    notes: dict[str, str],
) -> dict[str, FloatArray]:
    """Step 10: customer engagement value CLV + CRV + CIV + CKV
    (:func:`relmark.decide.customer_engagement_value`)."""
    n = len(table)
    out = {name: np.full(n, np.nan) for name in _ENGAGEMENT_COLUMNS}
    parts = {
        "civ": _engagement_part(table, civ, "civ", "influencer", notes),
        "ckv": _engagement_part(table, ckv, "ckv", "knowledge", notes),
    }
    if not referrals_given and all(v is None for v in parts.values()):
        notes["cev"] = "no referral, influencer or knowledge data given (CEV would be CLV)"
        return out
    value = table["clv"].to_numpy(dtype=np.float64)
    if np.isnan(value).any():
        notes["cev"] = "no CLV in this view (see the note on clv): CEV needs it"
        return out
    keys = pd.Index([str(v) for v in table.index])
    crv = table["crv"].to_numpy(dtype=np.float64)
    has_crv = not np.isnan(crv).all()
    cev = customer_engagement_value(
        pd.Series(value, index=keys),
        crv=pd.Series(crv, index=keys) if has_crv else None,
        civ=parts["civ"],
        ckv=parts["ckv"],
    ).reindex(keys)
    for name in ("civ", "ckv"):
        if parts[name] is not None:
            out[name] = cev[name].to_numpy(dtype=np.float64)
    out["cev"] = cev["cev"].to_numpy(dtype=np.float64)
    out["engagement_share"] = cev["engagement_share"].to_numpy(dtype=np.float64, na_value=np.nan)
    zero = [
        label
        for label, missing in (
            ("CRV", not has_crv),
            ("CIV", parts["civ"] is None),
            ("CKV", parts["ckv"] is None),
        )
        if missing
    ]
    notes["cev"] = "CLV + CRV + CIV + CKV" + (
        f"; no data for {', '.join(zero)}: counted as 0" if zero else ""
    )
    return out


def relationship_view(
    data: Any,
    *,
    options: ViewOptions | None = None,
    survey_scores: pd.DataFrame | None = None,
    promises: pd.DataFrame | None = None,
    referrals: pd.DataFrame | None = None,
    interactions: Sequence[Interaction] | pd.DataFrame | CommunicationScores | None = None,
    profitability: CustomerProfitability | None = None,
    civ: pd.Series[float] | None = None,
    ckv: pd.Series[float] | None = None,
    rng: RngLike = None,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str = "amount",
    time_unit: str = "D",
    freq_multiplier: float = 7.0,
    observation_end: Any = None,
    summary_time_unit: str | TimeUnit | None = None,
    purchase_model: type[RFMModel] = MBGNBD,
    horizon: float = 52.0,
    periods: int = 12,
    discount_rate: float = 0.01,
    stage_model: StageModel = FOUR_STAGES,
    stage_rules: tuple[Rule, ...] = DEFAULT_STAGE_RULES,
    acquisition_cost: float = 0.0,
    referral_reward: float = 0.0,
    n_draws: int = 100,
    communication_in_quality: bool = False,
) -> RelationshipView:
    """Build the relationship view from a transaction log or a customer summary.

    Parameters
    ----------
    data
        A transaction log (a pandas or polars DataFrame, one row per transaction: customer id,
        date, amount), or a summary: a lifetimes-style DataFrame with ``frequency``,
        ``recency``, ``T`` and ``monetary_value`` indexed by customer id, or an
        :class:`~relmark.data.RFMSummary`.
    options
        All settings at once, as a :class:`ViewOptions`; or give them as the keywords below
        (one or the other: a keyword that differs from its default next to ``options`` is
        refused).
    survey_scores
        Construct scores per customer (index = customer id), e.g. ``SurveyScores.scaled``; their
        mean becomes ``quality`` (NaN: not answered).
    promises
        Kept and broken promises per customer (index = customer id, columns ``kept`` and
        ``broken``): the beta-reputation ``trust`` and its 95% credible interval.
    referrals
        One row per referral: ``referrer``, ``referee``, ``would_have_joined`` (bool) and
        ``period`` (0 = now); referees' CLV comes from this view (0 if they are not in it).
    interactions
        Contact records: :class:`relmark.domain.Interaction` objects or a frame as
        :func:`relmark.scoring.communication_scores` takes them (scored with its defaults), or
        its result (a :class:`~relmark.scoring.CommunicationScores`, for other settings). The
        columns ``communication`` (the score), ``dialogue``, ``responsiveness`` and
        ``cadence``, each in [0, 100].
    profitability
        A :class:`~relmark.decide.CustomerProfitability` (from
        :func:`relmark.decide.customer_profitability`): the columns ``cost_to_serve``,
        ``profit``, ``unprofitable`` (True/False) and ``loss_driver`` (the cost driver behind
        a loss, or ``"low margin"``; ``None`` for a profitable customer).
    civ, ckv
        Customer influencer and knowledge value per customer id (from
        :func:`relmark.decide.influencer_value` and :func:`relmark.decide.knowledge_value`).
        With them, or with ``referrals``, the columns ``cev`` (CLV + CRV + CIV + CKV,
        :func:`relmark.decide.customer_engagement_value`: a part without data counts as 0, as
        a customer absent from a part does) and ``engagement_share`` (the share of CEV beyond
        CLV); ``civ``/``ckv`` are empty when not given.
    rng
        Random generator or seed for the intervals' parameter draws.
    customer_id, datetime, monetary_value, time_unit, freq_multiplier, observation_end, \
summary_time_unit, purchase_model, horizon, periods, discount_rate, stage_model, stage_rules, \
acquisition_cost, referral_reward, n_draws, communication_in_quality
        The fields of :class:`ViewOptions`.

    Returns
    -------
    RelationshipView
        The table (one row per customer), notes on what is empty and why, the fitted models
        and the options.

    Raises
    ------
    ArgumentError
        A bad setting (see :class:`ViewOptions`), a side input of the wrong type (a
        DataFrame, Interaction records, a CustomerProfitability, a Series), data that is
        neither a log nor a summary, a bad ``rng``.
    DataError
        Bad data, naming the column and rows: a summary or log that does not validate, side
        inputs with missing or unknown columns, repeated or missing customer ids, text, NaN or
        negative counts, a referee credited twice or a self-referral, contact records that
        :func:`~relmark.scoring.communication_scores` refuses, CIV/CKV values that are not
        finite numbers.

    Notes
    -----
    The communication, profitability and engagement inputs keep customer ids as text (as their
    JSON does): they are matched to the view's ids as text, ``str(id)``. Their customers outside
    the view are counted in the notes and left out, as for the other side inputs.

    .. math::

        \\mathrm{CEV}_i = \\mathrm{CLV}_i + \\mathrm{CRV}_i + \\mathrm{CIV}_i + \\mathrm{CKV}_i,
        \\qquad \\pi_i = \\text{margin}_i - \\sum_d \\text{rate}_d\\, q_{id}

    References
    ----------
    Kumar, V., Aksoy, L., Donkers, B., Venkatesan, R., Wiesel, T. & Tillmanns, S. (2010).
    Undervalued or overvalued customers: capturing total customer engagement value. *Journal
    of Service Research*, 13(3), 297-310. Kaplan, R. S. & Narayanan, V. G. (2001). Measuring
    and managing customer profitability. *Journal of Cost Management*, 15(5), 5-15.
    Palmatier, R. W., Dant, R. P., Grewal, D. & Evans, K. R. (2006). Factors influencing the
    effectiveness of relationship marketing: a meta-analysis. *Journal of Marketing*, 70(4),
    136-153.

    Examples
    --------
    A lifetimes-style summary (CDNOW, in weeks):

    >>> from relmark.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary(with_monetary=True).to_frame()
    >>> view = relationship_view(summary, summary_time_unit="W", n_draws=0)
    >>> first = view.table.iloc[0]
    >>> round(float(first["p_alive"]), 3), first["segment"], first["stage"]
    (0.706, 'champions', 'retain')
    """
    opts: ViewOptions = _options_from(
        ViewOptions,
        options,
        {
            "customer_id": customer_id,
            "datetime": datetime,
            "monetary_value": monetary_value,
            "time_unit": time_unit,
            "freq_multiplier": freq_multiplier,
            "observation_end": observation_end,
            "summary_time_unit": summary_time_unit,
            "purchase_model": purchase_model,
            "horizon": horizon,
            "periods": periods,
            "discount_rate": discount_rate,
            "stage_model": stage_model,
            "stage_rules": stage_rules,
            "acquisition_cost": acquisition_cost,
            "referral_reward": referral_reward,
            "n_draws": n_draws,
            "communication_in_quality": communication_in_quality,
        },
    )
    gen = _check_rng(rng)
    for name, side in (
        ("survey_scores", survey_scores),
        ("promises", promises),
        ("referrals", referrals),
    ):
        if side is not None:
            _table_frame(side, name)
    notes: dict[str, str] = {}
    summary = _summary_of(data, opts)
    table = summary.to_frame()
    purchases, purchase_cols = _purchase_step(summary, opts, gen, notes)
    table = table.assign(**purchase_cols)
    spend, expected_spend, value = _value_step(summary, purchases, opts, notes)
    table = table.assign(expected_spend=expected_spend, clv=value)
    table = table.assign(**_differentiate_step(summary, value))
    referral_cols, referrals_made = _referral_step(table, referrals, opts, notes)
    table = table.assign(**referral_cols)
    table = table.assign(**_stage_step(table, opts, referrals_made))
    communication = _communication_step(table, interactions, notes)
    table = table.assign(
        quality=_quality_step(table, survey_scores, opts, communication["communication"], notes)
    )
    table = table.assign(**_trust_step(table, promises, notes))
    table = table.assign(**communication)
    table = table.assign(**_profitability_step(table, profitability, notes))
    table = table.assign(**_engagement_step(table, civ, ckv, referrals is not None, notes))
    models: dict[str, CLVModel] = {"purchases": purchases}
    if spend is not None:
        models["spend"] = spend
    return RelationshipView(table, notes, models, summary.time_unit, opts)


# ---------------------------------------------------------------------- proposals (IDIC)
@dataclass(frozen=True, kw_only=True)
class ActionOptions:
    r"""Settings of :func:`propose_actions`, validated once at construction.

    Parameters
    ----------
    unit_margin
        The margin as a share of revenue, in (0, 1].
    thresholds
        Kotler's cut points (:class:`~relmark.lifecycle.KotlerThresholds`; defaults if None).
    retention_offer_cost, retention_uplift
        Cost of a retention offer (>= 0) and the share of the CLV at risk it saves, in [0, 1].
    referral_reward, referral_conversion, referral_offer_cost, referral_min_p_alive
        Reward paid per referee (>= 0), the chance an offer brings a referee, in [0, 1], the
        cost of making the offer (>= 0) and the P(alive) a customer needs to be asked.
    loyalty_discount, loyalty_uplift, loyalty_min_p_alive
        The loyalty price discount as a share of revenue, in [0, 1) (0: no programme), the
        rise of monthly retention it brings, and the P(alive) a customer needs to be offered it.
    monthly_retention
        Monthly retention of an active customer without the discount, in [0, 1);
        ``monthly_retention + loyalty_uplift`` must stay below 1.
    discount_rate
        Monthly discount rate, >= 0.
    level_overrides
        Relationship level per segment, overriding Kotler's matrix (segments of the view and
        levels of :data:`~relmark.lifecycle.KOTLER_LEVELS` only).

    Raises
    ------
    ArgumentError
        Naming the setting: NaN, infinities, text, booleans, values outside their range,
        an unknown relationship level.

    Examples
    --------
    >>> ActionOptions(unit_margin=0.3).loyalty_min_p_alive
    0.5
    >>> ActionOptions(unit_margin=1.5)
    Traceback (most recent call last):
    ...
    relmark.errors.ArgumentError: argument 'unit_margin': must be <= 1, got 1.5
    """

    unit_margin: float
    thresholds: KotlerThresholds | None = None
    retention_offer_cost: float = 5.0
    retention_uplift: float = 0.10
    referral_reward: float = 10.0
    referral_conversion: float = 0.05
    referral_offer_cost: float = 0.0
    referral_min_p_alive: float = 0.7
    loyalty_discount: float = 0.05
    loyalty_uplift: float = 0.03
    loyalty_min_p_alive: float = 0.5
    monthly_retention: float = 0.9
    discount_rate: float = 0.01
    level_overrides: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        put(
            "unit_margin",
            check_number(self.unit_margin, "unit_margin", low=0, low_open=True, high=1),
        )
        if self.thresholds is not None and not isinstance(self.thresholds, KotlerThresholds):
            raise ArgumentError(
                f"must be KotlerThresholds or None, got {type(self.thresholds).__name__}",
                argument="thresholds",
            )
        for name in ("retention_offer_cost", "referral_reward", "referral_offer_cost"):
            put(name, check_number(getattr(self, name), name, low=0))
        for name in (
            "retention_uplift",
            "referral_conversion",
            "referral_min_p_alive",
            "loyalty_min_p_alive",
        ):
            put(name, check_probability(getattr(self, name), name))
        put(
            "loyalty_discount",
            check_number(self.loyalty_discount, "loyalty_discount", low=0, high=1, high_open=True),
        )
        put(
            "monthly_retention",
            check_number(
                self.monthly_retention, "monthly_retention", low=0, high=1, high_open=True
            ),
        )
        put("loyalty_uplift", check_number(self.loyalty_uplift, "loyalty_uplift", low=0, high=1))
        if self.monthly_retention + self.loyalty_uplift >= 1:
            raise ArgumentError(
                f"monthly_retention + loyalty_uplift = "
                f"{self.monthly_retention + self.loyalty_uplift:g} must stay below 1 (a retention "
                "of 1 is an infinite CLV)",
                argument="loyalty_uplift",
            )
        put("discount_rate", check_number(self.discount_rate, "discount_rate", low=0))
        put("level_overrides", self._checked_overrides(self.level_overrides))

    @property
    def overrides(self) -> Mapping[str, str]:
        """``level_overrides`` as a read-only mapping (empty if none)."""
        return self.level_overrides or MappingProxyType({})

    @staticmethod
    def _checked_overrides(overrides: object) -> Mapping[str, str]:
        if overrides is None:
            return MappingProxyType({})
        if not isinstance(overrides, Mapping):
            raise ArgumentError(
                f"must be a mapping segment -> level, got {type(overrides).__name__}",
                argument="level_overrides",
            )
        for key, level in overrides.items():
            if (
                not isinstance(key, str)
                or not isinstance(level, str)
                or level not in KOTLER_LEVELS.stages
            ):
                raise ArgumentError(
                    f"{key!r}: {level!r} is not one of {', '.join(KOTLER_LEVELS.stages)}",
                    argument="level_overrides",
                )
        return MappingProxyType(dict(overrides))


_NEEDED = ("p_alive", "clv", "expected_spend", "expected_purchases", "segment", "tier", "stage")


@dataclass(frozen=True)
class _Decisions:
    """What to do per customer and the numbers behind it (no text)."""

    level: npt.NDArray[np.object_]
    segment_size: npt.NDArray[np.int64]
    contact: npt.NDArray[np.object_]
    channel: npt.NDArray[np.object_]
    retention: npt.NDArray[np.bool_]
    retention_value: FloatArray
    referral: npt.NDArray[np.bool_]
    referral_value: FloatArray
    referee_value: float
    loyalty: npt.NDArray[np.bool_]
    loyalty_gain: FloatArray
    loyalty_pays: bool
    break_even: float
    new_retention: float
    unprofitable: npt.NDArray[np.bool_]
    profit: FloatArray
    loss_driver: npt.NDArray[np.object_]


def _missing(value: object) -> bool:
    """None, NaN or pandas' NA (not a list or other non-scalar)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _profit_columns(t: pd.DataFrame) -> tuple[npt.NDArray[np.bool_], FloatArray, list[object]]:
    """The ``unprofitable`` flags (False where unknown), profits (NaN where unknown) and loss
    drivers of a view with cost to serve; all unknown without those columns."""
    n = len(t)
    if "unprofitable" not in t.columns:
        return np.zeros(n, dtype=bool), np.full(n, np.nan), [None] * n
    flags = t["unprofitable"].tolist()
    bad = [i for i, v in enumerate(flags) if not (isinstance(v, bool | np.bool_) or _missing(v))]
    if bad:
        raise DataError(
            "must be True, False or missing (no cost-to-serve data)",
            column="unprofitable",
            rows=t.index[bad].tolist(),
        )
    losing = np.asarray([v is True or v is np.True_ for v in flags], dtype=bool)
    profit = np.full(n, np.nan)
    if "profit" in t.columns:
        if t["profit"].dtype == bool:
            raise DataError("values are True/False, not numbers", column="profit")
        profit = as_numbers(t["profit"].to_numpy(), "profit")
    wrong = losing & ~(profit < 0)
    if wrong.any():
        raise DataError(
            "an unprofitable customer needs a negative profit",
            column="profit",
            rows=t.index[wrong].tolist(),
        )
    drivers = t["loss_driver"].tolist() if "loss_driver" in t.columns else [None] * n
    return losing, profit, drivers


def _checked_view(view: object, overrides: Mapping[str, str]) -> pd.DataFrame:
    if not isinstance(view, RelationshipView):
        raise ArgumentError(
            f"must be a RelationshipView (from relationship_view), got {type(view).__name__}",
            argument="view",
        )
    t = view.table
    missing = [c for c in _NEEDED if c not in t.columns]
    if missing:
        raise DataError("the view lacks a column propose_actions needs", column=missing[0])
    if t.empty:
        raise DataError("the view has no customers", column="clv")
    if t["clv"].isna().any():
        raise DataError(
            "the view has no CLV (see its notes): propose_actions needs the spend model",
            column="clv",
        )
    _check_view_table(t)
    try:
        TimeUnit.parse(view.time_unit)
    except RelmarkError:
        raise ArgumentError(
            f"the view's time_unit {view.time_unit!r} is not a time unit (build the view with "
            "relationship_view)",
            argument="view",
        ) from None
    unknown = sorted(set(overrides) - set(t["segment"].astype(str)))
    if unknown:
        raise ArgumentError(
            f"segment {unknown[0]!r} is not a segment of this view", argument="level_overrides"
        )
    return t


def _check_view_table(t: pd.DataFrame) -> None:
    """The columns the proposals use, as relationship_view makes them: finite numbers
    (P(alive) a probability, spend and purchases >= 0), labels present, one row per customer
    (a view edited by hand gave NaN values and no offers, silently)."""
    _unique_index(t, "the view")
    for column in ("p_alive", "clv", "expected_spend", "expected_purchases"):
        if t[column].dtype == bool:
            raise DataError("values are True/False, not numbers", column=column)
        values = as_numbers(t[column].to_numpy(), column)
        bad = ~np.isfinite(values)
        if column != "clv":
            bad |= values < 0
        if column == "p_alive":
            bad |= values > 1
        if bad.any():
            what = "a probability in [0, 1]" if column == "p_alive" else "finite and >= 0"
            raise DataError(f"must be {what}", column=column, rows=t.index[bad].tolist())
    for column in ("segment", "tier", "stage"):
        missing = t[column].isna().to_numpy()
        if missing.any():
            raise DataError("missing labels", column=column, rows=t.index[missing].tolist())


def _decide(t: pd.DataFrame, opts: ActionOptions, horizon_months: float) -> _Decisions:
    """Every decision per customer, from the view and the library's formulas."""
    seg = t["segment"].astype(str)
    counts = seg.value_counts()
    sizes = np.asarray(seg.map(counts).to_numpy(), dtype=np.int64)
    per_segment = {
        str(s): opts.overrides.get(
            str(s), relationship_level(int(n), opts.unit_margin, opts.thresholds)
        )
        for s, n in counts.items()
    }
    level = seg.map(per_segment).to_numpy(dtype=object)
    pa = t["p_alive"].to_numpy(dtype=np.float64)
    value = t["clv"].to_numpy(dtype=np.float64)
    # retention: the CLV an offer is expected to save against its cost
    saved = opts.retention_uplift * (1.0 - pa) * value
    retention = saved > opts.retention_offer_cost
    # cost to serve: a costly offer to a customer who already loses money deepens the loss
    unprofitable, profit, drivers = _profit_columns(t)
    if opts.retention_offer_cost > 0:
        retention &= ~unprofitable
    # referral: the value of one referee who would not have joined otherwise (Kumar et al.'s
    # CRV of one type-one referral now, worth the base's mean CLV net of the reward), times the
    # chance the offer brings one and that the customer is still active to make it
    referee_value = customer_referral_value(
        [float(value.mean())],
        [False],
        [0],
        acquisition_cost=0.0,
        reward_cost=opts.referral_reward,
        discount_rate=opts.discount_rate,
    )
    referral_value = pa * opts.referral_conversion * referee_value
    referral = (pa >= opts.referral_min_p_alive) & (referral_value > opts.referral_offer_cost)
    # loyalty: relationship pricing, margins as shares of revenue (m = unit margin, delta = the
    # discount); r* from relmark.domain.pricing
    m, delta, r, i = (
        opts.unit_margin,
        opts.loyalty_discount,
        opts.monthly_retention,
        opts.discount_rate,
    )
    new_r = r + opts.loyalty_uplift
    if delta == 0.0 or delta >= m:
        r_star = r if delta == 0.0 else math.inf  # no discount / one that takes the whole margin
    else:
        try:
            r_star = breakeven_retention(m, r, i, delta)
        except RelmarkError:  # every argument is valid: only r* >= 1 is left, it cannot pay
            r_star = math.inf
    pays = delta > 0.0 and new_r >= r_star
    revenue_per_month = (
        t["expected_spend"].to_numpy(dtype=np.float64)
        * t["expected_purchases"].to_numpy(dtype=np.float64)
        / horizon_months
    )
    kept = 1.0 - delta / m  # share of the margin left after the discount
    per_margin = simple_clv(kept, new_r, i) - simple_clv(1.0, r, i) if delta > 0 else 0.0
    gain = pa * m * revenue_per_month * per_margin
    # the discount is given up margin on every purchase of a customer who already loses money
    loyalty = pays & (pa >= opts.loyalty_min_p_alive) & (gain > 0) & ~unprofitable
    # contact and channel
    personal = (level == "partnership") | (t["tier"].to_numpy() == "platinum")
    lapsing = ~personal & (pa < 0.3)
    engaged = ~personal & ~lapsing & t["stage"].isin(["retain", "delight"]).to_numpy()
    conditions = [personal, lapsing, engaged]
    contact = np.select(
        conditions,
        ["personal review now", "win-back message", "thank-you with a personalised offer"],
        "next-purchase suggestion",
    ).astype(object)
    channel = np.select(
        conditions, ["account manager (phone / in person)", "email", "email + app"], "email"
    ).astype(object)
    return _Decisions(
        level=level,
        segment_size=sizes,
        contact=contact,
        channel=channel,
        retention=retention,
        retention_value=saved,
        referral=referral,
        referral_value=referral_value,
        referee_value=referee_value,
        loyalty=loyalty,
        loyalty_gain=gain,
        loyalty_pays=bool(pays),
        break_even=float(r_star),
        new_retention=float(new_r),
        unprofitable=unprofitable,
        profit=profit,
        loss_driver=np.asarray(drivers, dtype=object),
    )


def _explain(t: pd.DataFrame, d: _Decisions, opts: ActionOptions) -> list[str]:
    """The reason of every decision, in words, written from the decisions."""
    if opts.loyalty_discount == 0.0:
        programme = "no loyalty discount in this plan"
    elif d.loyalty_pays:
        programme = (
            f"loyalty discount pays: retention {d.new_retention:.3f} >= break-even "
            f"{d.break_even:.3f}"
        )
    elif math.isinf(d.break_even):
        programme = "loyalty discount does not pay: no retention below 1 breaks even"
    else:
        programme = (
            f"loyalty discount does not pay: retention {d.new_retention:.3f} < break-even "
            f"{d.break_even:.3f}"
        )
    out = []
    rows = zip(
        t["segment"].astype(str),
        d.level,
        d.segment_size,
        t["p_alive"].to_numpy(dtype=np.float64),
        t["clv"].to_numpy(dtype=np.float64),
        d.retention,
        d.retention_value,
        d.referral,
        d.referral_value,
        d.loyalty,
        d.loyalty_gain,
        d.unprofitable,
        d.profit,
        d.loss_driver,
        strict=True,
    )
    cost = opts.retention_offer_cost
    for row in rows:
        seg, level, size, pa, value, ret, saved, ref, ref_value, loy, gain = row[:11]
        losing, profit, driver = row[11:]
        parts = [
            f"{seg} in '{level}' relationship (Kotler: {size} customers in the segment, margin "
            f"{opts.unit_margin:g}); P(alive) {pa:.2f}, CLV {value:,.2f}"
        ]
        if losing:
            parts.append(f"unprofitable: profit {profit:,.2f} after cost to serve ({driver})")
        if ret:
            parts.append(f"retention offer saves {saved:,.2f} > cost {cost:g}")
        elif losing and cost > 0 and saved > cost:
            parts.append(
                f"no retention offer: it would save {saved:,.2f} > cost {cost:g}, but the "
                "customer is unprofitable and the offer would deepen the loss"
            )
        else:
            parts.append(f"retention offer would save {saved:,.2f} <= cost {cost:g}")
        if ref:
            parts.append(
                f"referral offer: expected referee value {ref_value:,.2f} > cost "
                f"{opts.referral_offer_cost:g}"
            )
        elif pa < opts.referral_min_p_alive:
            parts.append(f"no referral offer: P(alive) below {opts.referral_min_p_alive:g}")
        else:
            parts.append(
                f"no referral offer: expected referee value {ref_value:,.2f} <= cost "
                f"{opts.referral_offer_cost:g}"
            )
        if loy:
            parts.append(f"{programme}; loyalty offer gains {gain:,.2f}")
        elif d.loyalty_pays and losing and pa >= opts.loyalty_min_p_alive and gain > 0:
            parts.append(
                f"{programme}; no loyalty offer: it would gain {gain:,.2f}, but the customer is "
                "unprofitable and the discount gives up margin on every purchase"
            )
        elif d.loyalty_pays and pa < opts.loyalty_min_p_alive:
            parts.append(
                f"{programme}; no loyalty offer: P(alive) below {opts.loyalty_min_p_alive:g}"
            )
        elif d.loyalty_pays:
            parts.append(f"{programme}; no loyalty offer: no expected gain ({gain:,.2f})")
        else:
            parts.append(programme)
        out.append("; ".join(parts))
    return out


def propose_actions(
    view: RelationshipView,
    *,
    options: ActionOptions | None = None,
    unit_margin: float | None = None,
    thresholds: KotlerThresholds | None = None,
    retention_offer_cost: float = 5.0,
    retention_uplift: float = 0.10,
    referral_reward: float = 10.0,
    referral_conversion: float = 0.05,
    referral_offer_cost: float = 0.0,
    referral_min_p_alive: float = 0.7,
    loyalty_discount: float = 0.05,
    loyalty_uplift: float = 0.03,
    loyalty_min_p_alive: float = 0.5,
    monthly_retention: float = 0.9,
    discount_rate: float = 0.01,
    level_overrides: Mapping[str, str] | None = None,
    offers: pd.DataFrame | None = None,
    contact_policy: ContactPolicy | None = None,
    customer_status: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """IDIC proposals per customer: decisions, the numbers behind them, and the reason.

    Each offer depends on the customer:

    - **level**: Kotler's relationship level from the number of customers in the customer's
      segment and ``unit_margin`` (overridable per segment with ``level_overrides``);
    - **next contact / channel**: from the stage, P(alive), the level and the tier;
    - **retention offer**: when the CLV it is expected to save,
      ``retention_value`` = ``retention_uplift`` × (1 − P(alive)) × CLV, exceeds its cost;
    - **referral offer**: ``referral_value`` = P(alive) × ``referral_conversion`` × the
      customer referral value of one referee who would not have joined otherwise
      (:func:`relmark.domain.customer_referral_value`: the base's mean CLV net of
      ``referral_reward``); offered when the customer's P(alive) is at least
      ``referral_min_p_alive`` and ``referral_value`` exceeds ``referral_offer_cost``;
    - **loyalty offer** (relationship pricing, DOMAIN.md 2.4): a discount of
      ``loyalty_discount`` of revenue pays when it lifts the monthly retention of an active
      customer to at least the break-even :math:`r^* = 1 + i - (1+i-r)(m-\\delta)/m`
      (:func:`relmark.domain.breakeven_retention`). ``loyalty_gain`` is the customer's expected
      CLV change, P(alive) × their monthly margin × the change of :math:`m(1+i)/(1+i-r)` per
      unit of margin (:func:`relmark.domain.simple_clv`); the monthly margin is
      ``unit_margin`` × expected spend × expected purchases per month of the view's horizon.
      The offer goes to a customer when the discount pays, their P(alive) is at least
      ``loyalty_min_p_alive`` and their gain is positive: a customer who has almost certainly
      left (P(alive) 2e-7) gets none.
    - **cost to serve**: in a view built with ``profitability=``, an unprofitable customer
      (profit < 0 after cost to serve, :func:`relmark.decide.customer_profitability`) gets no
      retention offer that costs anything and no loyalty discount (it gives up margin on every
      purchase of a customer who already loses money); the reason says so, with the profit
      and the driver of the loss. The referral offer is unchanged: its value is that of the
      referee. A candidate offer the chooser picks for an unprofitable customer is still made
      (it pays on its own expected margin), and ``offer_reason`` says that its margin must be
      net of the cost to serve the order.

    Parameters
    ----------
    view
        A :class:`RelationshipView` with CLV (the spend model fitted).
    options
        All settings at once, as an :class:`ActionOptions`; or give them as the keywords below
        (``unit_margin`` is then required).
    unit_margin, thresholds, retention_offer_cost, retention_uplift, referral_reward, \
referral_conversion, referral_offer_cost, referral_min_p_alive, loyalty_discount, \
loyalty_uplift, loyalty_min_p_alive, monthly_retention, discount_rate, level_overrides
        The fields of :class:`ActionOptions`.
    offers
        Candidate offers, one row per (customer, offer) as :func:`relmark.decide.choose_offers`
        takes them (``customer_id``, ``offer``, ``p_response``, ``margin``, ``cost``). With
        them the chooser picks each customer's next-best offer under ``contact_policy``, on
        the channel of the customer's Kotler level; without them the contact stays a label.
    contact_policy
        A :class:`relmark.decide.ContactPolicy` (with ``offers``; its default otherwise).
    customer_status
        With ``offers``: per customer (indexed like the view) ``open_complaint`` and/or
        ``contacts`` already made this period.

    Returns
    -------
    pandas.DataFrame
        Indexed like the view: ``level``, ``next_contact``, ``channel``, ``retention_offer``,
        ``retention_value``, ``referral_offer``, ``referral_value``, ``loyalty_offer``,
        ``loyalty_gain`` and ``reason`` (the decisions in words). With ``offers``, also
        ``offer`` (the best offer or ``None``), ``offer_channel``, ``offer_expected_margin``
        (0 without an offer) and ``offer_reason`` (the numbers behind it, or why none), and
        ``next_contact`` names the offer.

    Raises
    ------
    ArgumentError
        A bad setting (see :class:`ActionOptions`), a ``view`` that is not a
        :class:`RelationshipView` (or one without a time unit), an override for a segment the
        view does not have.
    DataError
        A view without CLV or without customers, or one edited into NaN, out-of-range or
        missing values or repeated customers.

    Examples
    --------
    >>> from relmark.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary(with_monetary=True).to_frame()
    >>> view = relationship_view(summary, summary_time_unit="W", n_draws=0)
    >>> proposals = propose_actions(view, unit_margin=0.25)
    >>> sorted(proposals["loyalty_offer"].unique().tolist())
    [False, True]
    """
    given: dict[str, object] = {
        "thresholds": thresholds,
        "retention_offer_cost": retention_offer_cost,
        "retention_uplift": retention_uplift,
        "referral_reward": referral_reward,
        "referral_conversion": referral_conversion,
        "referral_offer_cost": referral_offer_cost,
        "referral_min_p_alive": referral_min_p_alive,
        "loyalty_discount": loyalty_discount,
        "loyalty_uplift": loyalty_uplift,
        "loyalty_min_p_alive": loyalty_min_p_alive,
        "monthly_retention": monthly_retention,
        "discount_rate": discount_rate,
        "level_overrides": level_overrides,
    }
    if options is None:
        if unit_margin is None:
            raise ArgumentError("is required (or give options=)", argument="unit_margin")
        opts = ActionOptions(unit_margin=unit_margin, **given)  # type: ignore[arg-type]
    else:
        if unit_margin is not None:
            raise ArgumentError(
                "given both as a keyword and in options=; give it in one place",
                argument="unit_margin",
            )
        opts = _options_from(ActionOptions, options, given)
    t = _checked_view(view, opts.overrides)
    horizon_months = view.options.horizon / _month_length(str(view.time_unit))
    decisions = _decide(t, opts, horizon_months)
    out = pd.DataFrame(
        {
            "level": decisions.level,
            "next_contact": decisions.contact,
            "channel": decisions.channel,
            "retention_offer": decisions.retention,
            "retention_value": decisions.retention_value,
            "referral_offer": decisions.referral,
            "referral_value": decisions.referral_value,
            "loyalty_offer": decisions.loyalty,
            "loyalty_gain": decisions.loyalty_gain,
            "reason": _explain(t, decisions, opts),
        },
        index=t.index,
    )
    if offers is None:
        if contact_policy is not None or customer_status is not None:
            raise ArgumentError(
                "applies only with offers=",
                argument="contact_policy" if contact_policy is not None else "customer_status",
            )
        return out
    return _with_offers(out, offers, contact_policy, customer_status, decisions)


def _with_offers(
    out: pd.DataFrame,
    offers: pd.DataFrame,
    policy: ContactPolicy | None,
    status: pd.DataFrame | None,
    decisions: _Decisions,
) -> pd.DataFrame:
    """The chooser's best offer per customer of the view, on the channel of their level."""
    customers = pd.DataFrame({"level": out["level"]}, index=out.index)
    if status is not None:
        if not isinstance(status, pd.DataFrame):
            raise ArgumentError("must be a pandas DataFrame", argument="customer_status")
        _unique_index(status, "customer_status")  # reindex raised a raw ValueError on repeats
        missing = out.index.difference(status.index)
        if len(missing):
            raise DataError(
                "customers of the view missing", column="customer_status", rows=list(missing)
            )
        unknown = [c for c in status.columns if c not in ("open_complaint", "contacts")]
        if unknown:  # a "level" column would be ignored: the level is the view's
            raise DataError(
                f"customer_status reads open_complaint and contacts only; {unknown[0]!r} would "
                "be ignored (the relationship level comes from the view)",
                column=str(unknown[0]),
            )
        for col in ("open_complaint", "contacts"):
            if col in status.columns:
                customers[col] = status[col].reindex(out.index)
    plan = choose_offers(offers, customers=customers, policy=policy)
    best = plan.best()
    why = plan.skipped.set_index("customer_id")["reason"]
    has = out.index.isin(best.index)
    out["offer"] = best["offer"].reindex(out.index).astype(object).where(has, None)
    out["offer_channel"] = best["channel"].reindex(out.index).astype(object).where(has, None)
    out["offer_expected_margin"] = best["expected_margin"].reindex(out.index).fillna(0.0)
    reason = best["reason"].reindex(out.index).astype(object)
    reason = reason.where(has, why.reindex(out.index).astype(object))
    out["offer_reason"] = reason.where(reason.notna(), "no candidate offers")
    losing = has & decisions.unprofitable
    if losing.any():  # the chooser's margins are the user's: say what they must be net of
        warn = [
            f"; the customer is unprofitable (profit {p:,.2f}): the offer pays only if its margin "
            "is net of the cost to serve the order"
            for p in decisions.profit[losing]
        ]
        out.loc[losing, "offer_reason"] = out.loc[losing, "offer_reason"].astype(str) + warn
    out["next_contact"] = out["next_contact"].where(~has, "offer: " + out["offer"].astype(str))
    return out


def migration(
    before: RelationshipView, after: RelationshipView, *, column: str = "segment"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and CLV that moved between values of ``column`` (segment, stage, tier)
    from one view to a later one; customers in both views only.

    Parameters
    ----------
    before, after
        Two views, the earlier first.
    column
        The column whose values customers move between.

    Returns
    -------
    counts : pandas.DataFrame
        Customers per (before, after) value: rows before, columns after.
    value : pandas.DataFrame
        Their later CLV, likewise.

    Raises
    ------
    ArgumentError
        If ``before`` or ``after`` is not a view, or ``column`` is not in both.
    DataError
        If the two views share no customer, a view repeats a customer, ``column`` has missing
        values for shared customers (they would vanish from the tables), or the later view has
        no CLV for them.
    """
    for name, v in (("before", before), ("after", after)):
        if not isinstance(v, RelationshipView):
            raise ArgumentError(
                f"must be a RelationshipView, got {type(v).__name__}", argument=name
            )
        if not isinstance(column, str) or column not in v.table.columns:
            raise ArgumentError(f"not a column of the view {name!r}", argument="column")
    for name, v in (("before", before), ("after", after)):
        _unique_index(v.table, f"the view {name!r}")
    common = before.table.index.intersection(after.table.index)
    if common.empty:
        raise DataError("the two views share no customer")
    a = before.table.loc[common, column]
    b = after.table.loc[common, column]
    for name, values in (("before", a), ("after", b)):
        missing = values.isna().to_numpy()
        if missing.any():  # crosstab drops them: customers would vanish from both tables
            raise DataError(
                f"missing in the view {name!r} (see its notes): those customers cannot be placed",
                column=column,
                rows=common[missing].tolist(),
            )
    no_value = after.table.loc[common, "clv"].isna().to_numpy()
    if no_value.any():  # their value would be summed as 0
        raise DataError(
            "the view 'after' has no CLV for these customers (see its notes)",
            column="clv",
            rows=common[no_value].tolist(),
        )
    counts = pd.crosstab(a, b)
    value = pd.crosstab(a, b, values=after.table.loc[common, "clv"], aggfunc="sum").fillna(0.0)
    return counts, value
