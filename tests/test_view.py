"""The relationship view on CDNOW and on small hand-checked cases."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.errors import ArgumentError, DataError
from relmark.view import (
    ActionOptions,
    RelationshipView,
    ViewOptions,
    migration,
    propose_actions,
    relationship_view,
)


@pytest.fixture(scope="module")
def small_log() -> pd.DataFrame:
    """Purchases of 500 customers simulated as BG/NBD (weekly rates, dropout after purchases)."""
    rng = np.random.default_rng(4)
    rows: list[tuple[str, pd.Timestamp, float]] = []
    start = pd.Timestamp("2023-01-01")
    for c in range(500):
        lam, p = rng.gamma(0.8, 1 / 4.0), rng.beta(1.0, 3.0)
        nu = rng.gamma(4.0, 1 / 15.0)  # Gamma-Gamma spend heterogeneity
        t = float(rng.uniform(0, 12))  # first purchase in the first 12 weeks
        while t < 60:
            amount = float(rng.gamma(6.0, 1 / nu))
            rows.append((f"c{c}", start + pd.Timedelta(days=int(t * 7)), amount))
            if rng.random() < p:
                break
            t += rng.exponential(1 / lam)
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


@pytest.fixture(scope="module")
def cdnow_view() -> RelationshipView:
    from relmark.datasets import load_cdnow_transactions

    return relationship_view(load_cdnow_transactions(), n_draws=20, rng=1)


def test_view_on_cdnow_has_every_column_and_says_why_some_are_empty(
    cdnow_view: RelationshipView,
) -> None:
    view = cdnow_view
    t = view.table
    assert len(t) == 23_570
    assert t["p_alive"].between(0, 1).all()
    assert (t["p_alive_low"] <= t["p_alive"] + 1e-12).all()
    assert (t["clv"] >= 0).all()
    assert set(t["stage"]) <= {"attract", "convert", "retain", "delight"}
    assert t.loc[t["frequency"] == 0, "stage"].eq("attract").all()
    assert set(t["tier"]) == {"platinum", "gold", "iron", "lead"}
    assert "no survey data given" in view.notes["quality"]
    assert "no referral data given" in view.notes["crv"]
    assert t["quality"].isna().all()
    by_tier = view.value_by("tier")
    per_customer = (by_tier["clv"] / by_tier["customers"]).to_dict()
    assert per_customer["platinum"] > per_customer["gold"] > per_customer["lead"]


def test_optional_inputs_join_by_customer(small_log: pd.DataFrame) -> None:
    survey = pd.DataFrame({"trust": [80.0, 40.0], "satisfaction": [60.0, 20.0]}, index=["c1", "c2"])
    promises = pd.DataFrame({"kept": [8], "broken": [2]}, index=["c1"])
    refs = pd.DataFrame(
        {
            "referrer": ["c1", "c1"],
            "referee": ["c2", "c3"],
            "would_have_joined": [False, True],
            "period": [0, 1],
        }
    )
    view = relationship_view(
        small_log,
        survey_scores=survey,
        promises=promises,
        referrals=refs,
        acquisition_cost=30.0,
        referral_reward=5.0,
        discount_rate=0.1,
        n_draws=0,
    )
    quality = view.table["quality"].to_dict()
    trust = view.table["trust"].to_dict()
    clv = view.table["clv"].to_dict()
    crv = view.table["crv"].to_dict()
    assert quality["c1"] == pytest.approx(70.0)
    assert np.isnan(quality["c5"])
    assert trust["c1"] == pytest.approx(0.75)  # (8+1)/(8+2+2)
    assert np.isnan(trust["c2"])
    want_crv = (clv["c2"] - 5.0) + 30.0 / 1.1  # type one now, type two next period
    assert crv["c1"] == pytest.approx(want_crv)
    assert crv["c2"] == 0.0
    t = view.table
    records = view.to_records()
    json.dumps(records)  # JSON-ready: no NaN, no numpy scalars
    assert records[0]["customer_id"] in t.index


def test_proposals_explain_themselves(small_log: pd.DataFrame) -> None:
    view = relationship_view(small_log, n_draws=0)
    proposals = propose_actions(view, unit_margin=0.05, retention_offer_cost=0.0)
    assert len(proposals) == len(view.table)
    assert proposals["reason"].str.contains("Kotler").all()
    low = (view.table["p_alive"] < 0.3) & (view.table["tier"] != "platinum")
    assert (proposals["level"] != "partnership").all()  # small segments, low margin
    if low.any():
        assert (proposals.loc[low, "next_contact"] == "win-back message").all()
    # a free retention offer pays whenever there is CLV at risk
    at_risk = (view.table["p_alive"] < 1) & (view.table["clv"] > 0)
    assert proposals.loc[at_risk, "retention_offer"].all()


def test_migration_between_two_dates(small_log: pd.DataFrame) -> None:
    early = relationship_view(
        small_log[small_log["date"] < "2023-09-01"], n_draws=0, observation_end="2023-08-31"
    )
    late = relationship_view(small_log, n_draws=0)
    counts, value = migration(early, late, column="stage")
    assert counts.to_numpy().sum() == len(early.table.index.intersection(late.table.index))
    assert value.to_numpy().sum() == pytest.approx(late.table.loc[early.table.index, "clv"].sum())
    with pytest.raises(DataError, match="share no customer"):
        migration(
            early,
            relationship_view(
                small_log.assign(customer_id="x" + small_log["customer_id"]), n_draws=0
            ),
        )


def test_loyalty_offer_follows_the_relationship_pricing_break_even(small_log: pd.DataFrame) -> None:
    """DOMAIN.md 2.4: with delta/m = 0.05/0.5 = 0.1, r = 0.9 and i = 0.01 the break-even
    retention is 1.01 - 0.11 * 0.9 = 0.911: an uplift to 0.93 pays, one to 0.905 does not.
    Paying, the offer goes to each likely-active customer (P(alive) >= 0.5) with a gain, and
    the gain is P(alive) x monthly margin x (0.9 * 1.01 / 0.08 - 1.01 / 0.11), by hand."""
    view = relationship_view(small_log, n_draws=0)
    t = view.table
    pays = propose_actions(view, unit_margin=0.5, loyalty_discount=0.05, loyalty_uplift=0.03)
    assert pays["reason"].str.contains("break-even 0.911").all()
    months = 52.0 / (365.25 / 12 / 7)  # the horizon (52 weeks) in months of 30.4375 days
    monthly_margin = 0.5 * t["expected_spend"] * t["expected_purchases"] / months
    want_gain = t["p_alive"] * monthly_margin * (0.9 * 1.01 / 0.08 - 1.01 / 0.11)
    np.testing.assert_allclose(pays["loyalty_gain"], want_gain, rtol=1e-12)
    want_offer = (t["p_alive"] >= 0.5) & (want_gain > 0)
    assert (pays["loyalty_offer"] == want_offer).all()
    assert want_offer.any() and not want_offer.all()
    not_paying = propose_actions(view, unit_margin=0.5, loyalty_discount=0.05, loyalty_uplift=0.005)
    assert not not_paying["loyalty_offer"].any()
    assert (not_paying["loyalty_gain"] <= 0).all()
    assert not_paying["reason"].str.contains("does not pay: retention 0.905 < break-even").all()


def test_loyalty_offer_that_cannot_pay_is_declined_and_bad_margins_refused(
    small_log: pd.DataFrame,
) -> None:
    """unit_margin 0.051 with a 5 % discount: r* = 1.01 - 0.01 * 0.0196 >= 1, the offer cannot
    pay; it aborted the whole call. Margins of NaN, 0 or -0.3 ran and gave a gain of -inf.
    They are argument errors now (they were DataErrors naming a 'column')."""
    view = relationship_view(small_log, n_draws=0)
    thin = propose_actions(view, unit_margin=0.051, loyalty_discount=0.05)
    assert not thin["loyalty_offer"].any()
    assert np.isfinite(thin["loyalty_gain"]).all()
    assert (thin["loyalty_gain"] <= 0).all()
    assert thin["reason"].str.contains("no retention below 1 breaks even").all()
    for margin in (float("nan"), 0.0, -0.3, 1.5):
        with pytest.raises(ArgumentError) as err:
            propose_actions(view, unit_margin=margin)
        assert err.value.argument == "unit_margin"


def test_offers_depend_on_the_customer_on_cdnow(cdnow_view: RelationshipView) -> None:
    """Every customer got the loyalty offer (even at P(alive) 7e-15) and nobody the referral
    offer. Now both offers take both values on CDNOW, each as its rule says."""
    t = cdnow_view.table
    proposals = propose_actions(cdnow_view, unit_margin=0.25)
    for column in ("loyalty_offer", "referral_offer", "retention_offer"):
        assert set(proposals[column]) == {False, True}, column
    assert not proposals.loc[t["p_alive"] < 0.5, "loyalty_offer"].any()
    assert not proposals.loc[t["p_alive"] < 0.7, "referral_offer"].any()
    # the referral value, by hand: P(alive) x 5 % x (mean CLV - reward 10), offered when >= 0.7
    want = t["p_alive"] * 0.05 * (t["clv"].mean() - 10.0)
    np.testing.assert_allclose(proposals["referral_value"], want, rtol=1e-12)
    assert (proposals["referral_offer"] == ((t["p_alive"] >= 0.7) & (want > 0))).all()


def test_a_customer_who_has_left_gets_no_loyalty_offer() -> None:
    """A lifetimes-style summary (CDNOW, weeks) plus a customer with 8 repeat purchases in the
    first 3 weeks and none in the 57 since: P(alive) about 5e-7 (2e-7 in the issue)."""
    from relmark.datasets import load_cdnow_summary

    summary = load_cdnow_summary(with_monetary=True).to_frame()
    summary.loc[99_999] = [8.0, 3.0, 60.0, 30.0]
    view = relationship_view(summary, summary_time_unit="W", n_draws=0)
    pa = float(view.table["p_alive"].to_dict()[99_999])
    assert 0 < pa < 1e-6
    proposals = propose_actions(view, unit_margin=0.25)
    assert proposals["loyalty_offer"].any()
    assert not proposals.loc[99_999, "loyalty_offer"]
    assert "no loyalty offer: P(alive) below 0.5" in str(proposals["reason"].to_dict()[99_999])
    assert not proposals.loc[99_999, "referral_offer"]


def test_a_summary_gives_the_view_of_its_log(small_log: pd.DataFrame) -> None:
    """The view of a transaction log and the view of its summary (lifetimes-style frame or
    RFMSummary) are the same table."""
    from relmark.data import summarize

    summary = summarize(small_log, monetary_value="amount", freq_multiplier=7)
    from_log = relationship_view(small_log, n_draws=0).table
    from_frame = relationship_view(summary.to_frame(), summary_time_unit="W", n_draws=0).table
    from_summary = relationship_view(summary, n_draws=0).table
    pd.testing.assert_frame_equal(from_log, from_summary)
    pd.testing.assert_frame_equal(from_log, from_frame, check_names=False)
    columns = {
        "customer_id": summary.customer_id,
        "frequency": summary.frequency,
        "recency": summary.recency,
        "T": summary.T,
        "monetary_value": summary.monetary_value,
    }
    from_mapping = relationship_view(columns, summary_time_unit="W", n_draws=0).table
    pd.testing.assert_frame_equal(from_log, from_mapping, check_names=False)


def test_options_object_and_keywords_are_one_thing(small_log: pd.DataFrame) -> None:
    options = ViewOptions(horizon=26, n_draws=0, periods=6)
    a = relationship_view(small_log, options=options)
    b = relationship_view(small_log, horizon=26, n_draws=0, periods=6)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.options == options
    with pytest.raises(AttributeError):
        options.horizon = 3.0  # type: ignore[misc]
    with pytest.raises(ArgumentError) as err:
        relationship_view(small_log, options=options, horizon=10)
    assert err.value.argument == "horizon"
    actions = ActionOptions(unit_margin=0.3)
    pd.testing.assert_frame_equal(
        propose_actions(a, options=actions), propose_actions(a, unit_margin=0.3)
    )


def test_trust_is_the_scoring_beta_reputation(small_log: pd.DataFrame) -> None:
    """Trust and its 95% interval are Beta(kept + 1, broken + 1): mean and quantiles, by scipy."""
    from scipy.stats import beta

    promises = pd.DataFrame({"kept": [8, 0], "broken": [2, 3]}, index=["c1", "c4"])
    t = relationship_view(small_log, promises=promises, n_draws=0).table
    for cid, k, b in (("c1", 8, 2), ("c4", 0, 3)):
        assert t.loc[cid, "trust"] == pytest.approx((k + 1) / (k + b + 2))
        assert t.loc[cid, "trust_low"] == pytest.approx(beta.ppf(0.025, k + 1, b + 1))
        assert t.loc[cid, "trust_high"] == pytest.approx(beta.ppf(0.975, k + 1, b + 1))
    assert t["trust"].notna().sum() == 2


def test_side_inputs_are_checked_not_guessed(small_log: pd.DataFrame) -> None:
    """A missing referral column dropped the CRV columns with only a note; "no" was read as
    True; a negative period, promises kept = -2 (trust -inf) and an infinite survey score
    passed through."""
    refs = pd.DataFrame(
        {"referrer": ["c1"], "referee": ["c2"], "would_have_joined": [False], "period": [0]}
    )
    cases = [
        ({"referrals": refs.drop(columns="period")}, "period"),
        ({"referrals": refs.assign(referee=["c1"])}, "referee"),
        ({"referrals": pd.concat([refs, refs.assign(referrer=["c3"])])}, "referee"),
        ({"referrals": refs.assign(would_have_joined=["no"])}, "would_have_joined"),
        ({"referrals": refs.assign(period=[-3])}, "period"),
        ({"promises": pd.DataFrame({"kept": [-2], "broken": [1]}, index=["c1"])}, "kept"),
        ({"promises": pd.DataFrame({"kept": [2]}, index=["c1"])}, "broken"),
        ({"survey_scores": pd.DataFrame({"trust": [np.inf]}, index=["c1"])}, "trust"),
    ]
    for kwargs, column in cases:
        with pytest.raises(DataError) as err:
            relationship_view(small_log, n_draws=0, **kwargs)  # type: ignore[arg-type]
        assert err.value.column == column
    outsider = refs.assign(referrer=["zz"])
    view = relationship_view(small_log, n_draws=0, referrals=outsider)
    assert "1 referrals by referrers not in this view" in view.notes["crv"]


def test_side_inputs_about_other_customers_are_counted_not_errors(small_log: pd.DataFrame) -> None:
    """Promises only of customers outside the view raised reputation_scores' 'no parties'."""
    promises = pd.DataFrame({"kept": [3], "broken": [1]}, index=["someone else"])
    view = relationship_view(small_log, promises=promises, n_draws=0)
    assert view.table["trust"].isna().all()
    assert "1 records of customers not in this view left out" in view.notes["trust"]


# ---------------------------------------------------------------------- properties
# (strategies here: the view is a top-level module, without a tests/<area>/ package)
_SHARE = st.floats(0.0, 1.0)
_COST = st.floats(0.0, 100.0)
_ACTION_OPTIONS = st.builds(
    ActionOptions,
    unit_margin=st.floats(0.01, 1.0),
    retention_offer_cost=_COST,
    retention_uplift=_SHARE,
    referral_reward=_COST,
    referral_conversion=_SHARE,
    referral_offer_cost=st.floats(0.0, 5.0),
    referral_min_p_alive=_SHARE,
    loyalty_discount=st.floats(0.0, 0.5),
    loyalty_uplift=st.floats(0.0, 0.09),
    loyalty_min_p_alive=_SHARE,
    monthly_retention=st.floats(0.0, 0.9),
    discount_rate=st.floats(0.0, 0.5),
)
_NOT_A_NUMBER = st.sampled_from([float("nan"), float("inf"), -float("inf"), "0.1", True, None])


@pytest.fixture(scope="module")
def small_view(small_log: pd.DataFrame) -> RelationshipView:
    return relationship_view(small_log, n_draws=0)


@settings(max_examples=40)
@given(options=_ACTION_OPTIONS)
def test_every_offer_follows_its_rule(small_view: RelationshipView, options: ActionOptions) -> None:
    """For any valid settings: the numbers are finite and each offer is given exactly when its
    documented rule says (recomputed here from the view's columns)."""
    t = small_view.table
    p = propose_actions(small_view, options=options)
    pa, value = t["p_alive"], t["clv"]
    numbers = p[["retention_value", "referral_value", "loyalty_gain"]].to_numpy()
    assert np.isfinite(numbers).all()
    saved = options.retention_uplift * (1 - pa) * value
    np.testing.assert_allclose(p["retention_value"], saved, rtol=1e-12, atol=1e-300)
    assert (p["retention_offer"] == (saved > options.retention_offer_cost)).all()
    ref = pa * options.referral_conversion * (value.mean() - options.referral_reward)
    np.testing.assert_allclose(p["referral_value"], ref, rtol=1e-9, atol=1e-12)
    want = (pa >= options.referral_min_p_alive) & (
        p["referral_value"] > options.referral_offer_cost
    )
    assert (p["referral_offer"] == want).all()
    loyal = p["loyalty_offer"]
    assert (pa[loyal] >= options.loyalty_min_p_alive).all()
    assert (p.loc[loyal, "loyalty_gain"] > 0).all()
    if options.loyalty_discount == 0 or options.loyalty_discount >= options.unit_margin:
        assert not loyal.any()
    assert p["reason"].str.contains("Kotler").all()


_NUMERIC_ACTIONS = [
    "unit_margin",
    "retention_offer_cost",
    "retention_uplift",
    "referral_reward",
    "referral_conversion",
    "referral_offer_cost",
    "referral_min_p_alive",
    "loyalty_discount",
    "loyalty_uplift",
    "loyalty_min_p_alive",
    "monthly_retention",
    "discount_rate",
]


@settings(max_examples=40)
@given(name=st.sampled_from(_NUMERIC_ACTIONS), bad=_NOT_A_NUMBER | st.floats(-1e6, -1e-9))
def test_any_invalid_action_setting_is_an_argument_error(name: str, bad: object) -> None:
    kwargs: dict[str, object] = {"unit_margin": 0.3, name: bad}
    with pytest.raises(ArgumentError) as err:
        ActionOptions(**kwargs)  # type: ignore[arg-type]
    assert err.value.argument == name


_NUMERIC_VIEW = ["horizon", "periods", "discount_rate", "acquisition_cost", "referral_reward"]


@settings(max_examples=30)
@given(name=st.sampled_from(_NUMERIC_VIEW), bad=_NOT_A_NUMBER | st.floats(-1e6, -1e-9))
def test_any_invalid_view_setting_is_an_argument_error(name: str, bad: object) -> None:
    with pytest.raises(ArgumentError) as err:
        ViewOptions(**{name: bad})  # type: ignore[arg-type]
    assert err.value.argument == name


@pytest.mark.parametrize(
    ("function", "options"),
    [(relationship_view, ViewOptions), (propose_actions, ActionOptions)],
)
def test_keyword_defaults_are_the_options_defaults(function: Any, options: Any) -> None:
    """The keywords and the options object are one set of settings: same names, same
    defaults (else options= plus a default keyword would be called a conflict)."""
    import dataclasses
    import inspect

    signature = inspect.signature(function).parameters
    for f in dataclasses.fields(options):
        assert f.name in signature, f.name
        if f.default is not dataclasses.MISSING:
            assert signature[f.name].default == f.default, f.name
