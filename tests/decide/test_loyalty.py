"""Loyalty-programme impact: DiD against statsmodels OLS with cluster-robust errors, the event
study's leads, breakage by cumulative incidence against hand arithmetic and brute force, tier
migration counted by hand, programme profit in exact money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import t as student_t

from relmark.decide.loyalty import (
    BreakageEstimate,
    EventStudy,
    MembershipEffect,
    ProgrammeProfit,
    TierMigration,
    breakage_curve,
    event_study,
    membership_effect,
    programme_profit,
    tier_migration,
)
from relmark.domain import Money

from .strategies import member_panels


def _panel(
    rng: np.random.Generator,
    *,
    customers: int = 120,
    periods: int = 6,
    launch: int = 3,
    effect: float = 4.0,
    staggered: bool = False,
    pre_trend: float = 0.0,
    drop: float = 0.0,
) -> pd.DataFrame:
    """A simulated panel with a known effect: members (half) join at ``launch`` (or, when
    staggered, at a period of their own), customer and period effects, noise correlated
    within a customer."""
    rows = []
    for i in range(customers):
        member = i % 2 == 0
        join = (launch if not staggered else 2 + i % (periods - 2)) if member else None
        alpha = rng.normal(20, 5)
        shock = rng.normal(0, 1)
        for t in range(periods):
            if rng.random() < drop:
                continue
            d = join is not None and t >= join
            trend = pre_trend * t if member else 0.0
            y = alpha + 0.7 * t + trend + effect * d + shock + rng.normal(0, 2)
            rows.append((f"c{i:03d}", t, y, int(d)))
    return pd.DataFrame(rows, columns=["customer_id", "period", "spend", "member"])


def _statsmodels_2x2(panel: pd.DataFrame) -> tuple[float, float]:
    ever = panel.groupby("customer_id")["member"].transform("max")
    start = panel.loc[panel["member"] == 1, "period"].min()
    post = (panel["period"] >= start).astype(float)
    x = sm.add_constant(np.column_stack([ever, post, ever * post]))
    groups = pd.factorize(panel["customer_id"])[0]
    fit = sm.OLS(panel["spend"].to_numpy(), x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return float(fit.params[3]), float(fit.bse[3])


def test_2x2_equals_statsmodels_ols_with_cluster_errors() -> None:
    """The 2x2 DiD is OLS of y on group, post and their product; its cluster-robust standard
    error (CR1: G/(G-1) (N-1)/(N-K)) equals statsmodels' cov_type='cluster'."""
    panel = _panel(np.random.default_rng(1), drop=0.1)
    want, se = _statsmodels_2x2(panel)
    got = membership_effect(panel, design="2x2")
    assert got.effect == pytest.approx(want, rel=1e-10)
    assert got.standard_error == pytest.approx(se, rel=1e-10)
    assert abs(got.effect - 4.0) < 4 * got.standard_error  # the known truth
    q = student_t.isf(0.025, got.customers - 1)
    assert got.low == pytest.approx(want - q * se, rel=1e-10)
    assert got.high == pytest.approx(want + q * se, rel=1e-10)
    assert got.customers == 120 and got.members == 60


def test_2x2_by_hand_on_four_means() -> None:
    """Balanced 2x2: the estimate is the difference of the two before-after differences."""
    panel = pd.DataFrame(
        {
            "customer_id": list("aabbccdd"),
            "period": ["2024-01", "2024-02"] * 4,
            "spend": [10.0, 15.0, 12.0, 16.0, 10.0, 11.0, 9.0, 11.0],
            "member": [False, True, False, True, False, False, False, False],
        }
    )
    # members: (5 + 4)/2 = 4.5; non-members (1 + 2)/2 = 1.5 -> 3
    assert membership_effect(panel).effect == pytest.approx(3.0, abs=1e-12)


def test_twfe_equals_statsmodels_with_dummies() -> None:
    """Two-way FE with staggered joining: the coefficient equals OLS with customer and period
    dummies; statsmodels counts the customer dummies in K, relmark does not (they are nested in
    the clusters), so the covariances differ exactly by (N-K_sm)/(N-K_rm)."""
    panel = _panel(np.random.default_rng(2), customers=60, staggered=True, drop=0.05)
    cust = pd.get_dummies(panel["customer_id"], drop_first=True, dtype=float).to_numpy()
    per = pd.get_dummies(panel["period"], drop_first=True, dtype=float).to_numpy()
    x = sm.add_constant(np.column_stack([panel["member"].to_numpy(float), per, cust]))
    groups = pd.factorize(panel["customer_id"])[0]
    fit = sm.OLS(panel["spend"].to_numpy(), x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    got = membership_effect(panel, design="twfe")
    assert got.effect == pytest.approx(float(fit.params[1]), rel=1e-9)
    n, k_sm, k_rm = len(panel), x.shape[1], 1 + per.shape[1]
    ratio = (n - k_sm) / (n - k_rm)
    assert got.standard_error == pytest.approx(float(fit.bse[1]) * np.sqrt(ratio), rel=1e-9)


def test_twfe_on_common_launch_equals_2x2_when_balanced() -> None:
    """Balanced panel, one launch: two-way FE and the 2x2 give the same estimate."""
    panel = _panel(np.random.default_rng(3), customers=40)
    a = membership_effect(panel, design="2x2").effect
    b = membership_effect(panel, design="twfe").effect
    assert a == pytest.approx(b, rel=1e-10)


def test_event_study_leads_flat_without_pretrend_and_flag_one() -> None:
    """With parallel paths the leads are zero (p not small in this seed); a member-only pre
    trend of 1.5 per period is detected (p < 0.001)."""
    flat = event_study(_panel(np.random.default_rng(4), customers=200, launch=4))
    assert flat.leads == (-4, -3, -2)
    assert flat.pretrend_p_value > 0.01
    assert flat.relative_periods == (-4, -3, -2, 0, 1)
    lag0 = flat.estimates[flat.relative_periods.index(0)]
    assert abs(lag0 - 4.0) < 4 * flat.standard_errors[flat.relative_periods.index(0)]
    trended = event_study(_panel(np.random.default_rng(4), customers=200, launch=4, pre_trend=1.5))
    assert trended.pretrend_p_value < 1e-3


def test_event_study_equals_statsmodels_dummies() -> None:
    """The event-study coefficients, cluster-robust errors and lead Wald statistic equal OLS
    with relative-period, period and customer dummies (reference k = -1) in statsmodels."""
    panel = _panel(np.random.default_rng(5), customers=30, launch=3)
    got = event_study(panel)
    start = 3
    ever = panel.groupby("customer_id")["member"].transform("max").to_numpy()
    rel = np.where(ever == 1, panel["period"].to_numpy() - start, -99)
    ev = np.column_stack([(rel == k).astype(float) for k in got.relative_periods])
    cust = pd.get_dummies(panel["customer_id"], drop_first=True, dtype=float).to_numpy()
    per = pd.get_dummies(panel["period"], drop_first=True, dtype=float).to_numpy()
    x = sm.add_constant(np.column_stack([ev, per, cust]))
    groups = pd.factorize(panel["customer_id"])[0]
    fit = sm.OLS(panel["spend"].to_numpy(), x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    k = ev.shape[1]
    np.testing.assert_allclose(got.estimates, fit.params[1 : 1 + k], rtol=1e-9)
    # cluster covariance: statsmodels counts the customer dummies in K, relmark does not
    n, k_rm = len(panel), k + per.shape[1]
    cov = fit.cov_params()[1 : 1 + k, 1 : 1 + k] * (n - x.shape[1]) / (n - k_rm)
    np.testing.assert_allclose(got.standard_errors, np.sqrt(np.diag(cov)), rtol=1e-8)
    lead = [got.relative_periods.index(j) for j in got.leads]
    b = fit.params[1 : 1 + k][lead]
    wald = float(b @ np.linalg.solve(cov[np.ix_(lead, lead)], b))
    assert got.pretrend_statistic == pytest.approx(wald, rel=1e-8)


def test_breakage_hand_example() -> None:
    """Four lots of 100 points, validity 30 days. Day 10: 1 of 4 redeemed (F_r = 1/4,
    S = 3/4); day 20: one lot still open leaves the risk set; day 30: of the 2 left, 1 redeemed,
    1 expired: F_r += 3/4 * 1/2 -> 5/8, F_e = 3/8, breakage 3/8. Naive: 100/400."""
    lots = pd.DataFrame(
        {
            "days": [10, 20, 30, 30],
            "points": [100, 100, 100, 100],
            "outcome": ["redeemed", "open", "redeemed", "expired"],
        }
    )
    est = breakage_curve(lots, validity_days=30)
    assert est.days == (10.0, 20.0, 30.0)
    assert est.redeemed == pytest.approx((0.25, 0.25, 0.625))
    assert est.expired == pytest.approx((0.0, 0.0, 0.375))
    assert est.outstanding == pytest.approx((0.75, 0.75, 0.0))
    assert est.breakage == pytest.approx(0.375)
    assert est.naive_breakage == pytest.approx(0.25)


def test_breakage_not_identified_before_horizon() -> None:
    """Data stopping at day 100 of a 365-day validity: breakage unknown, bound 1 - F_r."""
    lots = pd.DataFrame(
        {"days": [50, 100, 100], "points": [10, 10, 20], "outcome": ["redeemed", "open", "open"]}
    )
    est = breakage_curve(lots, validity_days=365)
    assert est.breakage is None
    assert est.breakage_upper_bound == pytest.approx(1 - 10 / 40)


def test_breakage_without_censoring_is_the_share_never_redeemed() -> None:
    """No open lots: the cumulative incidence is the plain weighted share (brute force)."""
    rng = np.random.default_rng(6)
    n = 300
    days = rng.integers(0, 365, n)
    outcome = np.where(rng.random(n) < 0.7, "redeemed", "expired")
    pts = rng.integers(1, 500, n)
    est = breakage_curve(
        pd.DataFrame({"days": days, "points": pts, "outcome": outcome}), validity_days=365
    )
    assert est.breakage == pytest.approx(pts[outcome == "expired"].sum() / pts.sum(), rel=1e-12)


def test_breakage_simulation_recovers_the_truth_under_censoring() -> None:
    """Known truth: 60% of points would be redeemed (at exponential times, mean 60 days, within
    the 180-day validity), the rest expire at 180; earned uniformly over the past 400 days, so
    recent lots are still open. Cumulative incidence recovers ~40%; the naive share does not."""
    rng = np.random.default_rng(7)
    n = 20_000
    age = rng.uniform(0, 400, n)
    redeem_at = rng.exponential(60, n)
    will = (rng.random(n) < 0.6 / (1 - np.exp(-180 / 60))) & (redeem_at <= 180)
    event = np.where(will, redeem_at, 180.0)
    kind = np.where(will, "redeemed", "expired")
    seen = event <= age
    frame = pd.DataFrame(
        {
            "days": np.where(seen, event, age).round(3),
            "points": 1,
            "outcome": np.where(seen, kind, "open"),
        }
    )
    frame.loc[frame["days"] > 180, "days"] = 180.0
    est = breakage_curve(frame, validity_days=180)
    truth = 1 - will.mean()
    assert est.breakage == pytest.approx(truth, abs=0.015)
    assert abs(est.naive_breakage - truth) > 0.05


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30), st.integers(1, 50), st.sampled_from(["redeemed", "expired", "open"])
        ),
        min_size=1,
        max_size=25,
    )
)
def test_breakage_curves_are_a_distribution(rows: list[tuple[int, int, str]]) -> None:
    """F_r + F_e + S = 1 at every time, each curve monotone and in [0, 1]."""
    est = breakage_curve(pd.DataFrame(rows, columns=["days", "points", "outcome"]))
    total = np.add(np.add(est.redeemed, est.expired), est.outstanding)
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    assert np.all(np.diff(est.redeemed) >= -1e-15)
    assert np.all(np.diff(est.outstanding) <= 1e-15)
    assert 0.0 <= est.breakage_upper_bound <= 1.0


def test_tier_migration_counted_by_hand() -> None:
    """Histories: a base->silver->gold, b silver->silver->base, c gold->silver (then missing),
    d base (one period only). Transitions: base->silver 1, silver->gold 1, silver->silver 1,
    silver->base 1, gold->silver 1: 2 up, 2 down, 1 stay of 5."""
    h = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "b", "c", "c", "d"],
            "period": [1, 2, 3, 1, 2, 3, 1, 2, 1],
            "tier": [
                "base",
                "silver",
                "gold",
                "silver",
                "silver",
                "base",
                "gold",
                "silver",
                "base",
            ],
        }
    )
    m = tier_migration(h, ["base", "silver", "gold"])
    assert m.counts == ((0, 1, 0), (1, 1, 1), (0, 1, 0))
    assert m.matrix[1] == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert (m.upgrade_share, m.downgrade_share, m.stay_share) == pytest.approx((0.4, 0.4, 0.2))
    assert m.transitions == 5
    assert m.to_frame().loc["gold", "silver"] == 1.0


def test_programme_profit_by_hand_and_with_a_breakage_estimate() -> None:
    """effect 2.5 +- (1.5, 3.5) over 1,000 member periods at 30% margin: 750 (450, 1050);
    redemptions 20,000 x 0.005 = 100; closing liability 40,000 x (1 - 0.375) x 0.005 = 125,
    opening 75 -> change 50; reward 150; running 400: profit 200 (-100, 500)."""
    eff = MembershipEffect(
        design="twfe",
        effect=2.5,
        standard_error=0.5,
        low=1.5,
        high=3.5,
        level=0.95,
        p_value=1e-6,
        customers=500,
        members=250,
        observations=3000,
        periods=6,
        member_periods=1000,
    )
    eur = lambda v: Money(amount=v, currency="EUR")  # noqa: E731
    lots = pd.DataFrame(
        {
            "days": [10, 20, 30, 30],
            "points": [100, 100, 100, 100],
            "outcome": ["redeemed", "open", "redeemed", "expired"],
        }
    )
    out = programme_profit(
        eff,
        margin_rate=0.3,
        points_redeemed=20_000,
        cost_per_point=eur("0.005"),
        outstanding_points=40_000,
        breakage=breakage_curve(lots, validity_days=30),
        running_cost=eur("400"),
        opening_liability=eur("75"),
    )
    assert out.incremental_margin == Decimal("750.00")
    assert (out.redemption_cost, out.liability_change) == (Decimal("100.00"), Decimal("50.00"))
    assert out.profit == Decimal("200.00")
    assert (out.profit_low, out.profit_high) == (Decimal("-100.00"), Decimal("500.00"))
    assert out.pays and not out.pays_for_sure
    assert ProgrammeProfit.from_json(out.to_json()) == out


def test_results_round_trip_json() -> None:
    panel = _panel(np.random.default_rng(8), customers=40, launch=3)
    eff = membership_effect(panel)
    assert MembershipEffect.from_json(eff.to_json()) == eff
    es = event_study(panel)
    assert EventStudy.from_json(es.to_json()) == es
    lots = pd.DataFrame({"days": [1, 2], "points": [1, 1], "outcome": ["open", "redeemed"]})
    be = breakage_curve(lots)
    assert BreakageEstimate.from_json(be.to_json()) == be
    h = pd.DataFrame({"customer_id": ["a", "a"], "period": [1, 2], "tier": ["x", "y"]})
    tm = tier_migration(h, ["x", "y"])
    assert TierMigration.from_json(tm.to_json()) == tm


@settings(max_examples=40, deadline=None)
@given(
    member_panels(),
    st.lists(st.floats(-100, 100), min_size=8, max_size=8),
    st.lists(st.floats(-100, 100), min_size=5, max_size=5),
    st.floats(-50, 50),
)
def test_did_ignores_customer_and_period_effects_and_shifts_with_the_effect(
    data: dict[str, Any], alpha: list[float], gamma: list[float], shift: float
) -> None:
    """Adding any customer constant and any period constant leaves the DiD unchanged (both
    designs); adding ``shift`` to every member-period raises it by exactly ``shift``."""
    panel = pd.DataFrame(data)
    cust = panel["customer_id"].str[1:].astype(int).to_numpy()
    per = panel["period"].to_numpy()
    moved = panel.assign(
        spend=panel["spend"]
        + np.asarray(alpha)[cust]
        + np.asarray(gamma)[per]
        + shift * panel["member"]
    )
    for design in ("2x2", "twfe"):
        base = membership_effect(panel, design=design).effect
        got = membership_effect(moved, design=design).effect
        assert got == pytest.approx(base + shift, abs=1e-7)


def test_text_periods_are_ordered_by_their_numbers_not_as_text() -> None:
    """Balanced 2x2 with months "2026-9" (before) and "2026-10" (after): by hand the effect is
    (5 + 4)/2 - (1 + 2)/2 = 3. As text "2026-10" sorts first, which swapped before and after:
    the members seemed to leave the programme (a DataError about members leaving)."""
    panel = pd.DataFrame(
        {
            "customer_id": list("aabbccdd"),
            "period": ["2026-9", "2026-10"] * 4,
            "spend": [10.0, 15.0, 12.0, 16.0, 10.0, 11.0, 9.0, 11.0],
            "member": [0, 1, 0, 1, 0, 0, 0, 0],
        }
    )
    assert membership_effect(panel).effect == pytest.approx(3.0, abs=1e-12)
    # plain numbers as text, and a one-form label with a prefix
    for labels in (["9", "10"], ["P9", "P10"], ["2026Q9", "2026Q10"]):
        relabelled = panel.assign(period=labels * 4)
        assert membership_effect(relabelled).effect == pytest.approx(3.0, abs=1e-12), labels


def test_tier_migration_reads_text_periods_in_time_order() -> None:
    """Periods "9", "10", "11": a member base -> silver -> gold moves up twice, counted by hand
    (as text the order 10, 11, 9 gave silver -> gold and a downgrade gold -> base)."""
    h = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "b"],
            "period": ["9", "10", "11", "9", "10", "11"],
            "tier": ["base", "silver", "gold", "base", "base", "base"],
        }
    )
    m = tier_migration(h, ["base", "silver", "gold"])
    assert m.counts == ((2, 1, 0), (0, 0, 1), (0, 0, 0))
