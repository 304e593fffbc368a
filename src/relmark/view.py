"""The relationship view: one row per customer across every model, and the IDIC loop.

:func:`relationship_view` turns a transaction log (plus, optionally, survey scores, kept and
broken promises, and referrals) into one typed result with, per customer: the purchase summary,
P(alive) and expected purchases with intervals, expected spend and CLV, RFM scores and segment,
customer-pyramid tier, lifecycle stage with the rule that fired, relationship quality and trust
where those data exist, and referral value (CRV) with the CLV × CRV quadrant where referral data
exist. A missing input leaves its columns empty and :attr:`RelationshipView.notes` says why;
it never fails the whole view.

:func:`propose_actions` makes Peppers & Rogers' IDIC operational (identify → differentiate →
interact → customize): per customer, Kotler's relationship level (from the number of customers
in their segment and the unit margin), the next contact and its channel, and whether a
retention or referral offer pays for itself, each with its reason in words.

:func:`migration` compares two views: how customers and value moved between segments or stages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from relmark._validation import FloatArray, as_numbers
from relmark.clv import MBGNBD, CLVModel, GammaGamma, clv
from relmark.clv._rfm import RFMModel
from relmark.data import summarize
from relmark.domain.referral import clv_crv_quadrant
from relmark.errors import DataError, RelmarkError
from relmark.lifecycle import (
    FOUR_STAGES,
    Condition,
    KotlerThresholds,
    Rule,
    StageModel,
    assign_stages,
    relationship_level,
)
from relmark.scoring import customer_pyramid, rfm_from_summary, segment

__all__ = [
    "DEFAULT_STAGE_RULES",
    "RelationshipView",
    "fit_spend",
    "migration",
    "propose_actions",
    "relationship_view",
]

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
metrics: ``purchases`` (all, first included), ``tenure``, ``time_since_last``, ``p_alive``,
``referrals``. Replace them with your own."""


@dataclass(frozen=True)
class RelationshipView:
    """Per-customer view of the whole relationship."""

    table: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)
    models: dict[str, CLVModel] = field(default_factory=dict)
    time_unit: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The table (indexed by customer id)."""
        return self.table.copy()

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready records: one dict per customer, missing values as ``None``."""
        out = []
        for cid, row in self.table.iterrows():
            rec: dict[str, Any] = {"customer_id": cid.item() if hasattr(cid, "item") else cid}
            for k, v in row.items():
                if isinstance(v, float | np.floating):
                    rec[str(k)] = None if math.isnan(float(v)) else float(v)
                elif isinstance(v, np.integer):
                    rec[str(k)] = int(v)
                elif v is None or (isinstance(v, float) and math.isnan(v)):
                    rec[str(k)] = None
                else:
                    rec[str(k)] = v
            out.append(rec)
        return out

    def value_by(self, column: str) -> pd.DataFrame:
        """Customers, mean P(alive) and total CLV by ``segment``, ``tier`` or ``stage``."""
        if column not in self.table.columns:
            raise DataError("no such column in the view", column=column)
        g = self.table.groupby(column, dropna=False)
        return pd.DataFrame(
            {"customers": g.size(), "p_alive": g["p_alive"].mean(), "clv": g["clv"].sum()}
        ).sort_values("clv", ascending=False)


def fit_spend(
    frequency: FloatArray, monetary_value: FloatArray, *, time_unit: str | None = None
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
    spend, n_zero_spend
        The fitted model (``fit_result.extra["n_zero_spend"]`` also holds the count) and the
        number of repeat buyers left out.
    """
    priced = (frequency == 0) | (monetary_value > 0)
    spend = GammaGamma.fit(
        frequency=frequency[priced], monetary_value=monetary_value[priced], time_unit=time_unit
    )
    n_zero_spend = int((~priced).sum())
    spend.fit_result.extra["n_zero_spend"] = n_zero_spend
    return spend, n_zero_spend


def relationship_view(
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str = "amount",
    time_unit: str = "D",
    freq_multiplier: float = 7,
    observation_end: Any = None,
    purchase_model: type[RFMModel] = MBGNBD,
    horizon: float = 52.0,
    periods: int = 12,
    discount_rate: float = 0.01,
    stage_model: StageModel = FOUR_STAGES,
    stage_rules: tuple[Rule, ...] = DEFAULT_STAGE_RULES,
    survey_scores: pd.DataFrame | None = None,
    promises: pd.DataFrame | None = None,
    referrals: pd.DataFrame | None = None,
    acquisition_cost: float = 0.0,
    referral_reward: float = 0.0,
    n_draws: int = 100,
    rng: np.random.Generator | int | None = None,
) -> RelationshipView:
    """Build the relationship view from a transaction log.

    Parameters
    ----------
    transactions
        One row per transaction (customer id, date, amount).
    purchase_model
        Model fitted for P(alive), expected purchases and CLV. MBG/NBD by default: unlike
        BG/NBD it does not declare every one-time buyer alive.
    horizon
        Horizon of the expected purchases, in the summary's time unit (weeks by default).
    periods, discount_rate
        CLV over ``periods`` months (4.345 weeks, 30 days) at ``discount_rate`` per month.
    survey_scores
        Construct scores per customer (index = customer id), e.g. ``SurveyScores.scaled``; their
        mean becomes ``quality``.
    promises
        Kept and broken promises per customer (index = customer id, columns ``kept``,
        ``broken``) for the beta-reputation ``trust`` score.
    referrals
        One row per referral: ``referrer``, ``referee``, ``would_have_joined`` (bool) and
        ``period`` (0 = now); referees' CLV comes from this view (0 if they are not in it).
    n_draws
        Parameter draws for the intervals of P(alive) and expected purchases (0: none).
    """
    notes: dict[str, str] = {}
    summary = summarize(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary_value=monetary_value,
        time_unit=time_unit,
        freq_multiplier=freq_multiplier,
        observation_end=observation_end,
    )
    x, tx, T = summary.frequency, summary.recency, summary.T
    assert summary.monetary_value is not None
    m = summary.monetary_value
    table = summary.to_frame()
    purchases = purchase_model.fit(summary)
    table["p_alive"] = purchases.p_alive(x, tx, T)
    table["expected_purchases"] = purchases.conditional_expected_purchases(horizon, x, tx, T)
    if n_draws > 0:
        gen = np.random.default_rng(rng)
        iv = purchases.interval(lambda mdl: mdl.p_alive(x, tx, T), n_draws=n_draws, rng=gen)
        table["p_alive_low"], table["p_alive_high"] = iv.lower, iv.upper
        iv = purchases.interval(
            lambda mdl: mdl.conditional_expected_purchases(horizon, x, tx, T),
            n_draws=n_draws,
            rng=gen,
        )
        table["expected_purchases_low"], table["expected_purchases_high"] = iv.lower, iv.upper
    models: dict[str, CLVModel] = {"purchases": purchases}
    try:
        spend, zero_spend = fit_spend(x, m)
        models["spend"] = spend
        table["expected_spend"] = spend.expected_spend(x, m)
        table["clv"] = clv(
            purchases.with_time_unit(summary.time_unit),
            spend,
            x,
            tx,
            T,
            m,
            periods=periods,
            discount_rate=discount_rate,
            period_length=4.345 * 7 / freq_multiplier if time_unit == "D" else None,
        )
        if zero_spend:
            notes["expected_spend"] = (
                f"{zero_spend} repeat buyers with zero mean spend left out of the "
                "Gamma-Gamma fit (their expected spend is still predicted)"
            )
    except RelmarkError as exc:
        table["expected_spend"] = np.nan
        table["clv"] = np.nan
        notes["clv"] = f"spend model could not be fitted: {exc}"
    # Differentiate: RFM, segment, pyramid.
    rfm = rfm_from_summary(summary)
    table["R"], table["F"], table["M"] = rfm.recency_score, rfm.frequency_score, rfm.monetary_score
    table["rfm_cell"] = rfm.cells
    table["segment"] = segment(rfm.cells)
    value = table["clv"].to_numpy(dtype=np.float64)
    table["tier"] = customer_pyramid(value) if np.isfinite(value).all() else None
    # Referrals: counts, CRV, quadrant.
    referral_counts = pd.Series(0, index=table.index)
    if referrals is not None:
        need = {"referrer", "referee", "would_have_joined", "period"}
        if not need <= set(referrals.columns):
            missing = sorted(need - set(referrals.columns))
            raise DataError(f"referrals need columns {sorted(need)}", column=missing[0])
        joined = referrals["would_have_joined"]
        if joined.dtype != bool and not joined.isin([0, 1]).all():
            raise DataError("must be True/False (or 1/0)", column="would_have_joined")
        when = as_numbers(referrals["period"].to_numpy(), "period")
        if not (np.all(when >= 0) and np.all(when == np.round(when))):  # NaN fails too
            raise DataError("must be whole periods >= 0 (0 = now)", column="period")
        strangers = int((~referrals["referrer"].isin(table.index)).sum())
        if strangers:
            notes["crv"] = f"{strangers} referrals by referrers not in this view are not counted"
        referee_clv = table["clv"].reindex(referrals["referee"]).fillna(0.0).to_numpy()
        worth = (
            np.where(
                joined.to_numpy(dtype=bool),
                acquisition_cost,
                referee_clv - referral_reward,
            )
            / (1.0 + discount_rate) ** when
        )
        crv = pd.Series(worth, index=referrals["referrer"].to_numpy()).groupby(level=0).sum()
        table["crv"] = crv.reindex(table.index).fillna(0.0)
        referral_counts = referrals.groupby("referrer").size().reindex(table.index).fillna(0)
        table["clv_crv_quadrant"] = clv_crv_quadrant(table["clv"].fillna(0.0), table["crv"])
    else:
        table["crv"] = np.nan
        table["clv_crv_quadrant"] = None
        notes["crv"] = "no referral data given"
    # Lifecycle stage with the rule that fired.
    metrics = {
        "purchases": x + 1.0,
        "tenure": T,
        "time_since_last": T - tx,
        "p_alive": table["p_alive"].to_numpy(),
        "referrals": referral_counts.to_numpy(dtype=np.float64),
    }
    unknown = [r.stage for r in stage_rules if r.stage not in stage_model.stages]
    if unknown:
        raise DataError(f"rules name stages not in {stage_model.name!r}: {unknown}")
    stages, fired = assign_stages(list(stage_rules), metrics)
    table["stage"], table["stage_rule"] = stages, fired
    # Relationship quality and trust.
    if survey_scores is not None:
        for column in survey_scores.columns:
            values = as_numbers(survey_scores[column].to_numpy(), str(column))
            if np.isinf(values).any():
                raise DataError(
                    "survey scores must be finite (NaN: not answered)", column=str(column)
                )
        table["quality"] = survey_scores.mean(axis=1).reindex(table.index)
        answered = int(table["quality"].notna().sum())
        notes["quality"] = f"survey scores for {answered} of {len(table)} customers"
    else:
        table["quality"] = np.nan
        notes["quality"] = "no survey data given"
    if promises is not None:
        for column in ("kept", "broken"):
            if column not in promises.columns:
                raise DataError("promises need columns kept and broken", column=column)
            counts = as_numbers(promises[column].to_numpy(), column)
            if not np.all((counts >= 0) & np.isfinite(counts)):
                raise DataError("must be finite counts >= 0", column=column)
        kept = promises["kept"].reindex(table.index).fillna(0.0)
        broken = promises["broken"].reindex(table.index).fillna(0.0)
        table["trust"] = (kept + 1.0) / (kept + broken + 2.0)
        table.loc[~table.index.isin(promises.index), "trust"] = np.nan
    else:
        table["trust"] = np.nan
        notes["trust"] = "no kept/broken promise data given"
    return RelationshipView(table, notes, models, summary.time_unit)


def propose_actions(
    view: RelationshipView,
    *,
    unit_margin: float,
    thresholds: KotlerThresholds | None = None,
    retention_offer_cost: float = 5.0,
    retention_uplift: float = 0.10,
    referral_reward: float = 10.0,
    referral_conversion: float = 0.05,
    loyalty_discount: float = 0.05,
    loyalty_uplift: float = 0.03,
    monthly_retention: float = 0.9,
    discount_rate: float = 0.01,
    level_overrides: dict[str, str] | None = None,
) -> pd.DataFrame:
    """IDIC proposals per customer, each with its reason in words.

    - **level**: Kotler's relationship level from the number of customers in the customer's
      segment and ``unit_margin`` (overridable per segment with ``level_overrides``);
    - **next contact / channel**: from the stage, P(alive) and the level;
    - **retention offer**: pays when the CLV it is expected to save
      (``retention_uplift`` × (1 − P(alive)) × CLV) exceeds its cost;
    - **referral offer**: pays when the expected value of referees
      (``referral_conversion`` × mean CLV of the base) exceeds the reward;
    - **loyalty offer** (relationship pricing, DOMAIN.md 2.4): a price discount of
      ``loyalty_discount`` of revenue pays when it lifts the monthly retention of an active
      customer (``monthly_retention``) to at least the break-even
      :math:`r^* = 1 + i - (1+i-r)(m-\\delta)/m`; with one retention rate the decision is the
      programme's, and ``loyalty_gain`` gives each customer's expected CLV change
      (P(alive) × the change of :math:`m(1+i)/(1+i-r)` at their monthly margin).
    """
    if not 0 < unit_margin <= 1:  # NaN fails too
        raise DataError(
            f"must be a share of revenue in (0, 1], got {unit_margin!r}", column="unit_margin"
        )
    t = view.table
    if t["clv"].isna().all():
        raise DataError("the view has no CLV: propose_actions needs the spend model")
    sizes = t.groupby("segment")["segment"].transform("size")
    overrides = level_overrides or {}
    per_segment = {
        seg: overrides.get(str(seg), relationship_level(int(n), unit_margin, thresholds))
        for seg, n in t.groupby("segment")["segment"].size().items()
    }
    levels = t["segment"].map(per_segment).tolist()
    mean_clv = float(t["clv"].mean())
    pa = t["p_alive"].to_numpy(dtype=np.float64)
    value = t["clv"].to_numpy(dtype=np.float64)
    level = np.asarray(levels, dtype=object)
    saved = retention_uplift * (1.0 - pa) * value
    retention = saved > retention_offer_cost
    referral_value = referral_conversion * mean_clv
    referral = (pa >= 0.7) & (referral_value > referral_reward)
    from relmark.domain.pricing import simple_clv

    margin_share = unit_margin
    kept = 1.0 - loyalty_discount / margin_share  # share of the margin left after the discount
    # break-even retention r* = 1 + i - (1 + i - r)(m - delta)/m; a discount that takes the
    # whole margin (kept <= 0), or an r* >= 1, can never pay: no offer, not an error
    r_star = 1.0 + discount_rate - (1.0 + discount_rate - monthly_retention) * kept
    if kept <= 0:
        r_star = math.inf
    new_r = min(monthly_retention + loyalty_uplift, 0.999999)
    loyalty = bool(new_r >= r_star)
    monthly_margin = (
        margin_share
        * t["expected_spend"].to_numpy(dtype=np.float64)
        * t["expected_purchases"].to_numpy(dtype=np.float64)
        / 12.0
    )
    # the expected CLV change (negative where the discount costs more than it keeps)
    gain = (
        pa
        * (
            simple_clv(kept, new_r, discount_rate)
            - simple_clv(1.0, monthly_retention, discount_rate)
        )
        * monthly_margin
    )
    personal = (level == "partnership") | (t["tier"].to_numpy() == "platinum")
    lapsing = ~personal & (pa < 0.3)
    engaged = ~personal & ~lapsing & t["stage"].isin(["retain", "delight"]).to_numpy()
    contact = np.select(
        [personal, lapsing, engaged],
        ["personal review now", "win-back message", "thank-you with a personalised offer"],
        "next-purchase suggestion",
    )
    channel = np.select(
        [personal, lapsing, engaged],
        ["account manager (phone / in person)", "email", "email + app"],
        "email",
    )
    seg = t["segment"].astype(str)
    reason: pd.Series = (
        seg
        + " in '"
        + pd.Series(level, index=t.index).astype(str)
        + "' relationship (Kotler: "
        + sizes.astype(int).astype(str)
        + f" customers in the segment, margin {unit_margin:g}); P(alive) "
        + pd.Series(pa, index=t.index).map("{:.2f}".format)
        + ", CLV "
        + pd.Series(value, index=t.index).map("{:,.2f}".format)
        + "; "
        + np.where(
            retention,
            "retention offer saves ",
            "retention offer would save ",
        )
        + pd.Series(saved, index=t.index).map("{:,.2f}".format)
        + np.where(retention, " > cost ", " <= cost ")
        + f"{retention_offer_cost:g}; "
        + np.where(
            referral,
            f"referral offer: expected referee value {referral_value:,.2f} > reward "
            f"{referral_reward:g}",
            "no referral offer (customer unlikely active or reward too high)",
        )
    )
    return pd.DataFrame(
        {
            "level": level,
            "next_contact": contact,
            "channel": channel,
            "retention_offer": retention,
            "referral_offer": referral,
            "loyalty_offer": loyalty,
            "loyalty_gain": gain,
            "reason": (
                reason
                + (
                    f"; loyalty discount pays: retention {new_r:.3f} >= break-even {r_star:.3f}"
                    if loyalty
                    else f"; loyalty discount does not pay: retention {new_r:.3f} < "
                    f"break-even {r_star:.3f}"
                )
            ).to_numpy(),
        },
        index=t.index,
    )


def migration(
    before: RelationshipView, after: RelationshipView, *, column: str = "segment"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and CLV that moved between values of ``column`` (segment, stage, tier)
    from one view to a later one; customers in both views only.

    Returns
    -------
    counts, value
        Cross-tables (rows: before, columns: after) of customers and of their later CLV.
    """
    common = before.table.index.intersection(after.table.index)
    if common.empty:
        raise DataError("the two views share no customer")
    a = before.table.loc[common, column]
    b = after.table.loc[common, column]
    counts = pd.crosstab(a, b)
    value = pd.crosstab(a, b, values=after.table.loc[common, "clv"], aggfunc="sum").fillna(0.0)
    return counts, value
