"""Shapley attribution: checked against brute force over every ordering, the unanimity-game
closed form, hand-worked examples, the Shapley axioms, and sampling within its stated error."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.decide import compare_attribution, shapley_attribution
from relmark.domain import Click, Conversion, Money, attribute

CHANNELS = "ABCDEF"


def brute_force(
    journeys: Sequence[Sequence[str]], worth: Sequence[float], channels: Sequence[str]
) -> dict[str, float]:
    """The Shapley value from its definition: the marginal worth of each channel averaged over
    all n! orderings, with v(S) the worth of the non-empty journeys inside S (Zhao et al. 2018,
    eq. 2), evaluated by set inclusion, independently of the code under test."""

    def v(coalition: set[str]) -> float:
        return sum(w for j, w in zip(journeys, worth, strict=True) if j and set(j) <= coalition)

    phi = dict.fromkeys(channels, 0.0)
    orders = list(itertools.permutations(channels))
    for order in orders:
        joined: set[str] = set()
        for c in order:
            before = v(joined)
            joined.add(c)
            phi[c] += v(joined) - before
    return {c: x / len(orders) for c, x in phi.items()}


def closed_form(journeys: Sequence[Sequence[str]], worth: Sequence[float]) -> dict[str, float]:
    """The unanimity-game lemma (Shapley 1953): v is the sum over journeys of w_j u_{C_j}, and the
    Shapley value of u_T gives 1/|T| to each member of T."""
    phi: dict[str, float] = {}
    for j, w in zip(journeys, worth, strict=True):
        distinct = set(j)
        for c in distinct:
            phi[c] = phi.get(c, 0.0) + w / len(distinct)
    return phi


journey_st = st.lists(st.sampled_from(CHANNELS), min_size=0, max_size=5)
data_st = st.lists(
    st.tuples(journey_st, st.integers(min_value=0, max_value=5)), min_size=1, max_size=8
)


def test_hand_worked_example() -> None:
    # search+email converts twice, search alone once, email alone never (worth 0):
    # v({s}) = 1, v({e}) = 0, v({s,e}) = 3. phi_s = (1 + (3 - 0)) / 2 = 2, phi_e = (0 + 2) / 2 = 1.
    r = shapley_attribution(
        [["search", "email"], ["email", "search"], ["search"], ["email"]], [1, 1, 1, 0]
    )
    assert r.channels == ("email", "search")
    assert r.values == pytest.approx((1.0, 2.0), abs=1e-12)
    assert r.total == 3.0 and r.unattributed == 0.0
    assert r.method == "exact" and r.n_permutations == 0
    assert r.standard_errors == (0.0, 0.0) and r.error_bounds == (0.0, 0.0)


def test_three_channels_hand() -> None:
    # one journey {a,b,c} worth 6 and {a} worth 2: v(S) = 2[a in S] + 6[S = abc].
    # By the definition: phi_a = 2 + 6/3 = 4, phi_b = phi_c = 2 (the last to join gets the 6).
    r = shapley_attribution([["a", "b", "c"], ["a"]], [6, 2])
    assert dict(zip(r.channels, r.values, strict=True)) == pytest.approx(
        {"a": 4.0, "b": 2.0, "c": 2.0}
    )


@settings(max_examples=60)
@given(data_st)
def test_exact_matches_brute_force_over_all_orderings(data: list[tuple[list[str], int]]) -> None:
    journeys = [j for j, _ in data]
    worth = [float(w) for _, w in data]
    channels = sorted({c for j in journeys for c in j})
    r = shapley_attribution(journeys, worth, method="exact")
    expected = brute_force(journeys, worth, channels)
    assert r.channels == tuple(channels)
    assert r.values == pytest.approx([expected[c] for c in channels], abs=1e-9)
    # efficiency: the values add up to v(N), the worth of the journeys with a touchpoint
    assert math.isclose(sum(r.values), sum(w for j, w in data if j), abs_tol=1e-9)
    assert r.unattributed == sum(w for j, w in data if not j)


@settings(max_examples=40)
@given(data_st, st.permutations(list(CHANNELS)))
def test_symmetry_renaming_channels_renames_values(
    data: list[tuple[list[str], int]], perm: list[str]
) -> None:
    """Symmetry: the value depends on a channel's role, not its name."""
    rename = dict(zip(CHANNELS, perm, strict=True))
    journeys = [j for j, _ in data]
    worth = [w for _, w in data]
    r = shapley_attribution(journeys, worth, channels=list(CHANNELS))
    s = shapley_attribution(
        [[rename[c] for c in j] for j in journeys], worth, channels=list(CHANNELS)
    )
    a = dict(zip(r.channels, r.values, strict=True))
    b = dict(zip(s.channels, s.values, strict=True))
    for c in CHANNELS:
        assert b[rename[c]] == pytest.approx(a[c], abs=1e-9)


@settings(max_examples=40)
@given(data_st)
def test_interchangeable_channels_get_equal_credit(data: list[tuple[list[str], int]]) -> None:
    """Symmetry: X and Y always touched together are interchangeable players."""
    journeys = [[*j, "X", "Y"] if k % 2 == 0 else j for k, (j, _) in enumerate(data)]
    r = shapley_attribution(journeys, [w for _, w in data])
    values = dict(zip(r.channels, r.values, strict=True))
    assert values["X"] == pytest.approx(values["Y"], abs=1e-12)


@settings(max_examples=40)
@given(data_st)
def test_dummy_channel_gets_nothing(data: list[tuple[list[str], int]]) -> None:
    """A channel in no journey adds nothing to any coalition: its value is 0, others unchanged."""
    journeys = [j for j, _ in data]
    worth = [w for _, w in data]
    base = shapley_attribution(journeys, worth, channels=list(CHANNELS))
    more = shapley_attribution(journeys, worth, channels=[*CHANNELS, "Z"])
    assert more.values[-1] == 0.0
    assert more.values[:-1] == pytest.approx(base.values, abs=1e-12)


@settings(max_examples=40)
@given(data_st, st.lists(st.integers(min_value=0, max_value=5), min_size=8, max_size=8))
def test_additivity(data: list[tuple[list[str], int]], other: list[int]) -> None:
    """Additivity: the game of worths w + u is the sum of the games of w and of u."""
    journeys = [j for j, _ in data]
    w = np.array([x for _, x in data], dtype=float)
    u = np.array(other[: len(data)], dtype=float)
    ch = list(CHANNELS)
    both = shapley_attribution(journeys, w + u, channels=ch).values
    apart = np.add(
        shapley_attribution(journeys, w, channels=ch).values,
        shapley_attribution(journeys, u, channels=ch).values,
    )
    assert both == pytest.approx(apart, abs=1e-9)


def test_exact_eighteen_channels_matches_closed_form() -> None:
    gen = np.random.default_rng(3)
    names = [f"c{k:02d}" for k in range(18)]
    journeys = [list(gen.choice(names, size=gen.integers(1, 6), replace=True)) for _ in range(300)]
    worth = gen.integers(0, 4, size=300).astype(float)
    r = shapley_attribution(journeys, worth, method="exact")
    assert r.method == "exact" and len(r.channels) == 18
    expected = closed_form(journeys, worth.tolist())
    assert r.values == pytest.approx([expected.get(c, 0.0) for c in r.channels], abs=1e-9)
    assert sum(r.values) == pytest.approx(worth.sum(), rel=1e-12)


def _many_channels(seed: int) -> tuple[list[list[str]], np.ndarray]:
    gen = np.random.default_rng(seed)
    names = [f"p{k:02d}" for k in range(30)]
    journeys = [list(gen.choice(names, size=gen.integers(1, 5), replace=False)) for _ in range(400)]
    return journeys, gen.integers(0, 3, size=400).astype(float)


def test_sampled_converges_within_its_reported_error() -> None:
    journeys, worth = _many_channels(11)
    r = shapley_attribution(journeys, worth, n_permutations=3000, level=0.99, rng=5)
    assert r.method == "sampled" and r.n_permutations == 3000  # auto: 30 channels > 15
    expected = closed_form(journeys, worth.tolist())
    exact = np.array([expected.get(c, 0.0) for c in r.channels])
    est = np.array(r.values)
    se = np.array(r.standard_errors)
    assert np.all(np.abs(est - exact) <= np.array(r.error_bounds))  # Hoeffding, per channel
    z = (est - exact)[se > 0] / se[se > 0]
    assert np.all(np.abs(z) < 4.5)  # within its standard errors
    assert abs(np.mean(z**2) - 1) < 0.6  # the standard errors are the right size
    # efficiency holds in every ordering, so exactly (to rounding) for the average too
    assert sum(r.values) == pytest.approx(worth.sum(), rel=1e-12)
    # the Hoeffding bound: M_i sqrt(ln(2 / 0.01) / (2 * 3000)), M_i the worth touching i
    reach = {c: sum(w for j, w in zip(journeys, worth, strict=True) if c in j) for c in r.channels}
    factor = math.sqrt(math.log(200) / 6000)
    assert r.error_bounds == pytest.approx([reach[c] * factor for c in r.channels])


def test_sampled_error_shrinks_like_one_over_root_m() -> None:
    journeys, worth = _many_channels(2)
    small = shapley_attribution(journeys, worth, n_permutations=400, rng=1)
    large = shapley_attribution(journeys, worth, n_permutations=6400, rng=1)
    ratio = np.array(small.standard_errors) / np.maximum(np.array(large.standard_errors), 1e-300)
    ratio = ratio[np.array(large.standard_errors) > 0]
    assert np.median(ratio) == pytest.approx(4.0, rel=0.15)  # sqrt(6400 / 400)
    assert np.array(small.error_bounds) == pytest.approx(4 * np.array(large.error_bounds))


def test_sampled_small_game_and_reproducible() -> None:
    journeys = [["a", "b"], ["b", "c"], ["a", "b", "c"], ["c"]]
    worth = [1.0, 2.0, 3.0, 1.0]
    exact = brute_force(journeys, worth, ["a", "b", "c"])
    r = shapley_attribution(journeys, worth, method="sampled", n_permutations=4000, rng=9)
    assert r.method == "sampled"
    for c, x, b in zip(r.channels, r.values, r.error_bounds, strict=True):
        assert abs(x - exact[c]) <= b
    again = shapley_attribution(journeys, worth, method="sampled", n_permutations=4000, rng=9)
    assert again == r


def test_set_journeys_and_repeats_do_not_change_the_game() -> None:
    a = shapley_attribution([["x", "y", "x", "x"], ["y"]])
    b = shapley_attribution([{"x", "y"}, frozenset({"y"})])
    assert a.values == b.values == pytest.approx((0.5, 1.5))


def test_empty_journeys_are_unattributed() -> None:
    r = shapley_attribution([[], ["a"], []], [4, 1, 0])
    assert r.values == (1.0,) and r.total == 1.0 and r.unattributed == 4.0
    none = shapley_attribution([[]], [2])
    assert none.channels == () and none.total == 0.0 and none.unattributed == 2.0
    assert none.to_frame().empty


def test_json_round_trip_and_frame() -> None:
    journeys, worth = _many_channels(4)
    journeys = [[f"p{int(c[1:]) % 8}" for c in j] for j in journeys[:50]]  # 8 channels
    methods: tuple[Literal["exact"], Literal["sampled"]] = ("exact", "sampled")
    for method in methods:
        r = shapley_attribution(journeys, worth[:50], method=method, rng=0)
        assert json.loads(r.to_json()) == r.to_dict()
        frame = r.to_frame()
        assert list(frame.index) == list(r.channels)
        assert frame["share"].sum() == pytest.approx(1.0)
    c = compare_attribution(journeys, worth[:50])
    assert json.loads(c.to_json()) == c.to_dict()


def test_compare_hand_worked() -> None:
    # display -> search -> email converts (worth 3); search converts (worth 1); display -> email
    # does not. last: email 3, search 1; first: display 3, search 1; linear: 1 each to the
    # first, plus 1 to search; Shapley: 3/3 each plus 1 to search.
    c = compare_attribution(
        [["display", "search", "email"], ["search"], ["display", "email"]], [3, 1, 0]
    )
    frame = c.to_frame()
    assert list(frame.index) == ["display", "email", "search"]
    assert frame["last"].tolist() == [0.0, 3.0, 1.0]
    assert frame["first"].tolist() == [3.0, 0.0, 1.0]
    assert frame["linear"].tolist() == pytest.approx([1.0, 1.0, 2.0])
    assert frame["shapley"].tolist() == pytest.approx([1.0, 1.0, 2.0])
    for rule in ("last", "first", "linear", "shapley"):
        assert frame[rule].sum() == pytest.approx(4.0)


def test_linear_counts_repeats_shapley_does_not() -> None:
    # a, a, b: linear gives a 2/3 (two touches), Shapley 1/2 (the game sees the set {a, b})
    c = compare_attribution([["a", "a", "b"]])
    assert c.linear == pytest.approx((2 / 3, 1 / 3))
    assert c.shapley.values == pytest.approx((0.5, 0.5))


def test_rules_agree_with_domain_attribute_per_conversion() -> None:
    """Each journey alone, the table's rules are relmark.domain.attribute's."""
    from datetime import UTC, datetime

    t0 = datetime(2024, 6, 1, tzinfo=UTC)
    journey = ["p2", "p1", "p2", "p3"]
    clicks = [
        Click(publisher_id=p, customer_id="c1", at=t0 + timedelta(hours=k))
        for k, p in enumerate(journey)
    ]
    order = Conversion(
        order_id="o1",
        customer_id="c1",
        at=t0 + timedelta(days=1),
        gross=Money(amount=Decimal("10"), currency="EUR"),
    )
    c = compare_attribution([journey])
    rules: tuple[Literal["last"], Literal["first"], Literal["linear"]] = ("last", "first", "linear")
    for rule in rules:
        shares = attribute(clicks, order, model=rule)
        expected = [float(shares.get(p, Decimal(0))) for p in c.channels]
        assert list(getattr(c, rule)) == pytest.approx(expected, abs=1e-15)


def test_series_and_arrays_of_journeys() -> None:
    """A frame column of paths (lists, or arrays as Parquet gives them) is taken as is."""
    import pandas as pd

    paths = pd.Series([np.array(["search", "email"]), ["search"]])
    r = shapley_attribution(paths, np.array([1, 1]))
    assert r.channels == ("email", "search") and r.values == pytest.approx((0.5, 1.5))
    c = compare_attribution(paths)
    assert c.last == (1.0, 1.0)


def test_explicit_channel_order_is_kept() -> None:
    r = shapley_attribution([["b", "a"]], channels=["b", "a", "z"])
    assert r.channels == ("b", "a", "z") and r.values == pytest.approx((0.5, 0.5, 0.0))


def test_extreme_values_stay_finite() -> None:
    r = shapley_attribution([["a", "b"], ["a"]], [1e300, 1e300])
    assert all(math.isfinite(x) for x in r.values)
    assert r.values == pytest.approx((1.5e300, 0.5e300))
    # sampled: each ordering gives the whole 1e300 to the channel joining last
    big = shapley_attribution([["a", "b"]], [1e300], method="sampled", n_permutations=400, rng=0)
    assert all(math.isfinite(x) for x in (*big.values, *big.standard_errors, *big.error_bounds))
    assert sum(big.values) == pytest.approx(1e300)
    assert abs(big.values[0] - 0.5e300) <= big.error_bounds[0]
    tiny = shapley_attribution([["a", "b"]], [1e-300], method="sampled", rng=0)
    assert sum(tiny.values) == pytest.approx(1e-300) and min(tiny.standard_errors) > 0


@settings(max_examples=30)
@given(data_st, st.integers(min_value=0, max_value=2**32))
def test_sampled_is_efficient_and_nonnegative(data: list[tuple[list[str], int]], seed: int) -> None:
    """Every ordering's marginal worths add up to v(N), so the sampled values do too; each
    marginal worth lies in [0, M_i], so the values do and the bound is M_i times a constant."""
    journeys = [j for j, _ in data]
    worth = [w for _, w in data]
    r = shapley_attribution(journeys, worth, method="sampled", n_permutations=20, rng=seed)
    assert math.isclose(sum(r.values), sum(w for j, w in data if j), rel_tol=1e-12, abs_tol=1e-12)
    reach = {c: sum(w for j, w in data if c in j) for c in r.channels}
    for c, x, se in zip(r.channels, r.values, r.standard_errors, strict=True):
        assert 0.0 <= x <= reach[c] + 1e-12 and se >= 0.0
