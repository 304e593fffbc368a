"""Campaign economics against independent computations: statsmodels' Logit for the response
model, scikit-learn's ROC AUC for the response curve, statsmodels' Clopper-Pearson interval for
the roll-out bounds, brute force over every depth of mailing, and the hand arithmetic of the
worked example in docs/howto/campaigns-and-win-back.md."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from relmark.decide import (
    GainsTable,
    MailingDepth,
    ResponseCurve,
    ResponseModel,
    RFMTestSample,
    RolloutPlan,
    break_even_response_rate,
    cumulative_response_curve,
    fit_response_model,
    gains_table,
    mailing_depth,
    rfm_rollout,
    rfm_test_sample,
)
from relmark.errors import SchemaError
from relmark.scoring import rfm_scores

from .strategies import money, probability, scored_outcomes


def _campaign(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers with RFM quintile scores and a CLV, and responses drawn from a known logit."""
    rng = np.random.default_rng(seed)
    days = rng.exponential(120, n)
    freq = rng.poisson(3, n)
    spend = rng.gamma(2.0, 30.0, n)
    s = rfm_scores(days, freq, spend)
    clv = spend * (1 + freq) / 10
    scores = pd.DataFrame(
        {
            "recency_score": s.recency_score,
            "frequency_score": s.frequency_score,
            "clv": clv,
        }
    )
    eta = -4.0 + 0.45 * scores.recency_score + 0.2 * scores.frequency_score + 0.01 * clv
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return scores, y


def test_response_model_matches_statsmodels_logit():
    """Estimates, standard errors, log-likelihood and predictions equal statsmodels' Logit
    (Newton, its own implementation) on 3000 simulated customers with RFM and CLV scores."""
    scores, y = _campaign(3000, 1)
    model = fit_response_model(scores, y)
    ref = sm.Logit(y, sm.add_constant(scores.to_numpy(dtype=float))).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(model.coefficients, ref.params, rtol=1e-8)
    np.testing.assert_allclose(model.standard_errors, ref.bse, rtol=1e-6)
    assert model.log_likelihood == pytest.approx(ref.llf, rel=1e-12)
    np.testing.assert_allclose(model.predict(scores), ref.predict(), rtol=1e-8)
    table = model.to_frame()
    np.testing.assert_allclose(table.p_value, ref.pvalues, rtol=1e-5)
    assert model.names == ("intercept", "recency_score", "frequency_score", "clv")
    assert model.customers == 3000 and model.responders == int(y.sum())


def test_response_model_recovers_known_coefficients():
    """Simulation with known truth (-4, 0.45, 0.2, 0.01): each estimate within 4 standard
    errors of the value the responses were drawn from."""
    scores, y = _campaign(20000, 2)
    model = fit_response_model(scores, y)
    truth = np.array([-4.0, 0.45, 0.2, 0.01])
    z = (np.asarray(model.coefficients) - truth) / np.asarray(model.standard_errors)
    assert np.all(np.abs(z) < 4)


def test_response_model_mapping_and_booleans_and_json():
    """A mapping of lists and boolean outcomes give the same fit as a frame and 0/1; the JSON
    round trip is exact and predictions survive it."""
    scores, y = _campaign(400, 3)
    a = fit_response_model(scores, y)
    b = fit_response_model({str(k): scores[k].tolist() for k in scores}, y.astype(bool))
    assert a == b
    back = ResponseModel.from_json(a.to_json())
    assert back == a
    np.testing.assert_array_equal(back.predict(scores), a.predict(scores))
    assert json.loads(a.to_json())["kind"] == "relmark.decide.ResponseModel"


def test_break_even_by_hand():
    """Hughes's arithmetic: 50 cents a piece and $25 margin a response: 0.50 / 25 = 2%."""
    assert break_even_response_rate(0.5, 25) == pytest.approx(0.02)
    assert break_even_response_rate(0, 10) == 0.0
    assert break_even_response_rate(12, 10) == pytest.approx(1.2)  # no contact can pay


@settings(max_examples=60, deadline=None)
@given(probability, money, money)
def test_break_even_separates_profitable_contacts(p, cost, margin):
    """A contact's expected profit p m - c is positive exactly above break-even; the rate
    scales with cost and not with a common change of units."""
    be = break_even_response_rate(cost, margin)
    assert be == pytest.approx(cost / margin)
    if abs(p - be) > 1e-9 * max(1.0, be):
        assert (p * margin - cost > 0) == (p > be)
    assert break_even_response_rate(3 * cost, 3 * margin) == pytest.approx(be)


def test_gains_table_by_hand():
    """Ten customers in five groups of two, sorted by prediction (responders marked *):
    0.9* 0.8* | 0.7 0.6* | 0.5 0.4 | 0.3* 0.2 | 0.15 0.1; 4 responders, overall 0.4.
    Group rates 1, .5, 0, .5, 0; lift = rate / 0.4 = 2.5, 1.25, 0, 1.25, 0; cumulative
    responders 2, 3, 3, 4, 4, gain 0.5, 0.75, 0.75, 1, 1; cumulative lift of group 2 =
    (3/4) / 0.4 = 1.875."""
    pred = [0.1, 0.9, 0.5, 0.6, 0.3, 0.8, 0.2, 0.7, 0.4, 0.15]
    resp = [0, 1, 0, 1, 1, 1, 0, 0, 0, 0]
    t = gains_table(pred, resp, groups=5)
    assert t.customers == (2, 2, 2, 2, 2)
    assert t.responders == (2, 1, 0, 1, 0)
    assert t.overall_rate == pytest.approx(0.4)
    np.testing.assert_allclose(t.lift, [2.5, 1.25, 0, 1.25, 0])
    np.testing.assert_allclose(t.gain, [0.5, 0.75, 0.75, 1, 1])
    np.testing.assert_allclose(t.cumulative_lift, [2.5, 1.875, 1.25, 1.25, 1.0])
    np.testing.assert_allclose(t.predicted_rate, [0.85, 0.65, 0.45, 0.25, 0.125])
    assert list(t.to_frame().index) == [1, 2, 3, 4, 5]
    assert GainsTable.from_json(t.to_json()) == t


def test_gains_table_unequal_groups():
    """Seven customers in three groups: sizes 3, 2, 2 (numpy's array_split)."""
    t = gains_table(np.linspace(0.9, 0.1, 7), [1, 0, 0, 1, 0, 0, 1], groups=3)
    assert t.customers == (3, 2, 2)
    assert t.cumulative_customers == (3, 5, 7)
    assert t.responders == (1, 1, 1)


@settings(max_examples=80, deadline=None)
@given(scored_outcomes(), st.integers(1, 10))
def test_gains_invariants(data, groups):
    """Cumulative counts add up, the gain curve is non-decreasing and ends at 1, the
    cumulative lift of all groups is 1, and the size-weighted mean lift is 1."""
    pred, resp = data
    groups = min(groups, len(pred))
    t = gains_table(pred, resp, groups=groups)
    assert t.cumulative_customers[-1] == len(pred)
    assert t.cumulative_responders[-1] == sum(resp)
    assert np.all(np.diff(t.gain) >= -1e-15) and t.gain[-1] == pytest.approx(1.0)
    assert t.cumulative_lift[-1] == pytest.approx(1.0)
    weights = np.asarray(t.customers) / len(pred)
    assert float(np.dot(weights, t.lift)) == pytest.approx(1.0)


def test_response_curve_by_hand_and_ties():
    """Predictions 0.9, 0.5, 0.5, 0.1 with outcomes 1, 1, 0, 0: the tied pair is contacted
    together, points (0,0) (.25,.5) (.75,1) (1,1); area .25*.25 + .5*.75 + .25*1 = 0.6875."""
    c = cumulative_response_curve([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])
    assert c.share_contacted == (0.0, 0.25, 0.75, 1.0)
    assert c.share_of_responders == (0.0, 0.5, 1.0, 1.0)
    assert c.area == pytest.approx(0.6875)
    swapped = cumulative_response_curve([0.9, 0.5, 0.5, 0.1], [1, 0, 1, 0])
    assert swapped == c  # the order of ties does not matter
    assert ResponseCurve.from_json(c.to_json()) == c


@settings(max_examples=80, deadline=None)
@given(scored_outcomes())
def test_response_curve_monotone_and_area_from_auc(data):
    """The curve rises from (0, 0) to (1, 1) in both coordinates; its area equals
    pi/2 + (1 - pi) AUC with scikit-learn's ROC AUC (pi the response rate)."""
    pred, resp = data
    c = cumulative_response_curve(pred, resp)
    x, y = np.asarray(c.share_contacted), np.asarray(c.share_of_responders)
    assert x[0] == y[0] == 0.0 and x[-1] == pytest.approx(1.0) and y[-1] == pytest.approx(1.0)
    assert np.all(np.diff(x) > 0) and np.all(np.diff(y) >= -1e-15)
    pi = sum(resp) / len(resp)
    if 0 < sum(resp) < len(resp):
        auc = pytest.importorskip("sklearn.metrics").roc_auc_score(resp, pred)
        assert c.area == pytest.approx(pi / 2 + (1 - pi) * auc, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(scored_outcomes(), st.integers(1, 30))
def test_thinned_curve_is_part_of_the_curve(data, points):
    """points=k keeps at most k points after (0, 0), each a point of the whole curve, the
    first at or beyond each share j/k (brute force), ending at (1, 1); the area is unchanged."""
    pred, resp = data
    full = cumulative_response_curve(pred, resp)
    thin = cumulative_response_curve(pred, resp, points=points)
    pairs = set(zip(full.share_contacted, full.share_of_responders, strict=True))
    kept = list(zip(thin.share_contacted, thin.share_of_responders, strict=True))
    assert set(kept) <= pairs and len(kept) <= points + 1
    assert kept[0] == (0.0, 0.0) and kept[-1] == (full.share_contacted[-1], 1.0)
    assert thin.area == full.area
    want = sorted(
        {
            min(x for x in full.share_contacted if x >= j / points - 1e-12)
            for j in range(1, points + 1)
        }
    )
    assert [x for x, _ in kept[1:]] == want


def test_mailing_depth_by_hand():
    """Break-even 0.5 / 25 = 2%: of 5%, 3%, 2%, 1% only 5% and 3% pay, 0.75 + 0.25 = 1.00;
    the customer at exactly 2% adds 0 and is not mailed."""
    d = mailing_depth([0.05, 0.01, 0.03, 0.02], cost_per_contact=0.5, margin_per_response=25)
    assert d.customers == 2 and d.share == 0.5
    assert d.expected_responses == pytest.approx(0.08)
    assert d.expected_profit == pytest.approx(1.0)
    assert d.break_even == pytest.approx(0.02)
    assert MailingDepth.from_json(d.to_json()) == d


def test_mailing_depth_by_decile_by_hand():
    """Two groups of two: (5% + 3%) * 25 - 2 * 0.5 = 1.0; (2% + 1%) * 25 - 1.0 = -0.25;
    cumulative 1.0, 0.75: mail group 1 only."""
    d = mailing_depth(
        [0.05, 0.01, 0.03, 0.02], cost_per_contact=0.5, margin_per_response=25, groups=2
    )
    np.testing.assert_allclose(d.group_profit, [1.0, -0.25])
    np.testing.assert_allclose(d.cumulative_profit, [1.0, 0.75])
    assert d.customers == 2 and d.expected_profit == pytest.approx(1.0)
    nobody = mailing_depth([0.01, 0.001], cost_per_contact=1, margin_per_response=10, groups=2)
    assert nobody.customers == 0 and nobody.expected_profit == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(probability, min_size=1, max_size=40), money, money, st.integers(1, 8))
def test_mailing_depth_is_best_of_every_depth(pred, cost, margin, groups):
    """Brute force: the profit at the chosen depth is the largest over every depth k = 0..n
    (per customer) and over every prefix of groups."""
    d = mailing_depth(pred, cost_per_contact=cost, margin_per_response=margin)
    ranked = sorted(pred, reverse=True)
    every = [sum(p * margin - cost for p in ranked[:k]) for k in range(len(ranked) + 1)]
    assert d.expected_profit == pytest.approx(max(every), rel=1e-9, abs=1e-9)
    assert d.expected_profit >= 0.0
    g = min(groups, len(pred))
    dg = mailing_depth(pred, cost_per_contact=cost, margin_per_response=margin, groups=g)
    parts = np.array_split(np.asarray(ranked), g)
    prefixes = [
        sum(float(a.sum()) * margin - a.size * cost for a in parts[:j]) for j in range(g + 1)
    ]
    assert dg.expected_profit == pytest.approx(max(prefixes), rel=1e-9, abs=1e-9)
    assert dg.expected_profit <= d.expected_profit + 1e-9 * max(1.0, abs(d.expected_profit))


CELLS = ["555", "455", "355", "155", "111"]


def _worked(level=None):
    return rfm_rollout(
        CELLS,
        [400] * 5,
        [24, 14, 9, 4, 2],
        remaining=[3600] * 5,
        cost_per_contact=0.5,
        margin_per_response=25,
        level=level,
    )


def test_rollout_worked_example_by_hand():
    """The docs' worked example: 0.50 a piece, $25 a response, break-even 2%; test 400 of
    each cell. Rates 24/400 = 6%, 14/400 = 3.5%, 9/400 = 2.25%, 1%, 0.5%; roll-out profit of
    the 3600 left = 3600 (r * 25 - 0.5): 3600 * 1.0 = 3600, 3600 * 0.375 = 1350,
    3600 * 0.0625 = 225, 3600 * -0.25 = -900, 3600 * -0.375 = -1350. On the rates: roll out
    555, 455, 355: 10800 customers, 3600 + 1350 + 225 = 5175. Test: 53 * 25 - 2000 * 0.5 =
    325."""
    plan = _worked()
    np.testing.assert_allclose(plan.response_rate, [0.06, 0.035, 0.0225, 0.01, 0.005])
    np.testing.assert_allclose(plan.expected_profit, [3600, 1350, 225, -900, -1350])
    assert plan.roll_out == (True, True, True, False, False)
    assert plan.rollout_customers == 10800
    assert plan.rollout_profit == pytest.approx(5175.0)
    assert plan.test_profit == pytest.approx(325.0)
    assert plan.lower_bound == () and plan.level is None
    assert "roll out to 3600" in plan.reasons[0]
    assert RolloutPlan.from_json(plan.to_json()) == plan


def test_rollout_lower_bounds_match_statsmodels_clopper_pearson():
    """With level=0.9 the one-sided bound is the lower end of statsmodels' two-sided 80%
    Clopper-Pearson interval ("beta"); 355's bound 1.36% < 2% drops it from the roll-out,
    which keeps 555 and 455: 7200 customers, 3600 + 1350 = 4950."""
    plan = _worked(level=0.9)
    ref = [proportion_confint(k, 400, alpha=0.2, method="beta")[0] for k in [24, 14, 9, 4, 2]]
    np.testing.assert_allclose(plan.lower_bound, ref, rtol=1e-9)
    assert plan.roll_out == (True, True, False, False, False)
    assert plan.rollout_customers == 7200 and plan.rollout_profit == pytest.approx(4950.0)
    assert "too small to be sure" in plan.reasons[2]
    assert "do not roll out" in plan.reasons[3]
    frame = plan.to_frame()
    assert list(frame.index) == CELLS and "lower_bound" in frame
    whole = rfm_rollout(
        ["5"], [100], [10], remaining=[0], cost_per_contact=0.5, margin_per_response=25
    )
    assert whole.roll_out == (True,) and "nothing left to roll out" in whole.reasons[0]
    zero = rfm_rollout(
        ["1"], [50], [0], remaining=[10], cost_per_contact=1, margin_per_response=10, level=0.95
    )
    assert zero.lower_bound == (0.0,) and zero.roll_out == (False,)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 500), st.data(), st.floats(0.5, 0.99))
def test_rollout_bound_below_rate(n, data, level):
    """The lower bound never exceeds the rate, so the bound rolls out a subset of the cells
    the rates roll out."""
    k = data.draw(st.integers(0, n))
    plain = rfm_rollout(
        ["c"], [n], [k], remaining=[100], cost_per_contact=0.2, margin_per_response=10.0
    )
    bound = rfm_rollout(
        ["c"],
        [n],
        [k],
        remaining=[100],
        cost_per_contact=0.2,
        margin_per_response=10.0,
        level=level,
    )
    assert bound.lower_bound[0] <= plain.response_rate[0] + 1e-12
    assert (not bound.roll_out[0]) or plain.roll_out[0]


def test_tampered_json_is_a_schema_error():
    """Another kind, a missing key, text for a number, NaN: SchemaError naming the key."""
    plan = _worked()
    d = plan.to_dict()
    with pytest.raises(SchemaError, match="kind"):
        GainsTable.from_json(plan.to_json())
    bad = dict(d)
    del bad["rollout_profit"]
    with pytest.raises(SchemaError) as err:
        RolloutPlan.from_json(json.dumps(bad))
    assert err.value.key == "rollout_profit"
    bad = dict(d, break_even="0.02")
    with pytest.raises(SchemaError) as err:
        RolloutPlan.from_json(json.dumps(bad))
    assert err.value.key == "break_even"
    with pytest.raises(SchemaError):
        RolloutPlan.from_json(
            '{"kind": "relmark.decide.RolloutPlan", "schema_version": 1, "break_even": NaN}'
        )
    with pytest.raises(SchemaError):
        RolloutPlan.from_json("not json")
    with pytest.raises(SchemaError, match="schema_version"):
        RolloutPlan.from_json(json.dumps(dict(d, schema_version=9)))
    short = dict(d, reasons=d["reasons"][:2])  # rows that no longer line up
    with pytest.raises(SchemaError) as err:
        RolloutPlan.from_json(json.dumps(short))
    assert err.value.key == "reasons"
    gains = gains_table([0.9, 0.8, 0.3, 0.2], [1, 0, 1, 0], groups=2).to_dict()
    with pytest.raises(SchemaError) as err:
        GainsTable.from_json(json.dumps(dict(gains, lift=[1.0])))
    assert err.value.key == "lift"


def test_test_sample_draws_per_cell_and_counts_responses():
    """12 customers in cells 555 (5), 311 (4), 111 (3), 2 test customers a cell: tested
    (2, 2, 2) in sorted order 111, 311, 555, remaining (1, 2, 3); the responders counted are
    the test customers' only (brute force over the flags). The same seed draws the same
    sample; the plan follows from the counts."""
    codes = ["555"] * 5 + ["311"] * 4 + ["111"] * 3
    codes = codes[::2] + codes[1::2]  # interleave
    s = rfm_test_sample(codes, per_cell=2, rng=3)
    assert s.cells == ("111", "311", "555")
    assert s.tested == (2, 2, 2) and s.remaining == (1, 2, 3)
    for cell in s.cells:
        assert sum(t for t, c in zip(s.test, codes, strict=True) if c == cell) == 2
    responded = [i % 2 for i in range(12)]
    want = tuple(
        sum(y for t, c, y in zip(s.test, codes, responded, strict=True) if t and c == cell)
        for cell in s.cells
    )
    assert s.responses(responded) == want
    assert rfm_test_sample(codes, per_cell=2, rng=3) == s
    assert RFMTestSample.from_json(s.to_json()) == s
    small = rfm_test_sample(["9", "9"], per_cell=5, rng=0)
    assert small.tested == (2,) and small.remaining == (0,) and all(small.test)
    plan = rfm_rollout(
        s.cells,
        s.tested,
        s.responses(responded),
        remaining=s.remaining,
        cost_per_contact=1,
        margin_per_response=10,
    )
    assert plan.cells == s.cells


def test_test_sample_is_uniform_within_a_cell():
    """Simulation: over 4000 draws of 3 from a cell of 10, each customer is drawn with
    probability 0.3 (binomial sd sqrt(4000 x 0.3 x 0.7) = 29: within 4 sd of 1200)."""
    rng = np.random.default_rng(5)
    hits = np.zeros(10)
    for _ in range(4000):
        hits += rfm_test_sample(["c"] * 10, per_cell=3, rng=rng).test
    assert np.all(np.abs(hits - 1200) < 4 * 29)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 300), st.floats(0, 1)), min_size=1, max_size=6),
    st.floats(0.5, 0.9),
    st.floats(0.01, 0.09),
)
def test_a_higher_level_rolls_out_fewer_cells(cells, low, extra):
    """A cell rolled out at a level is rolled out at every lower level (the bound falls as the
    level rises)."""
    tested = [n for n, _ in cells]
    responses = [round(n * share) for n, share in cells]
    kw = {"remaining": [100] * len(cells), "cost_per_contact": 0.5, "margin_per_response": 10.0}
    codes = [str(i) for i in range(len(cells))]
    a = rfm_rollout(codes, tested, responses, level=low, **kw)  # type: ignore[arg-type]
    b = rfm_rollout(codes, tested, responses, level=low + extra, **kw)  # type: ignore[arg-type]
    assert all(x or not y for x, y in zip(a.roll_out, b.roll_out, strict=True))
    assert all(lb <= la + 1e-15 for la, lb in zip(a.lower_bound, b.lower_bound, strict=True))
