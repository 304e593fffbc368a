# mypy: disable-error-code="arg-type"
"""Bad inputs to the loyalty-programme impact functions: each raises relmark's error naming the
argument or column at fault (and the rows where there are some)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.decide.loyalty import (
    BreakageEstimate,
    MembershipEffect,
    breakage_curve,
    event_study,
    membership_effect,
    programme_profit,
    tier_migration,
)
from relmark.domain import Money
from relmark.errors import ArgumentError, CurrencyError, DataError, SchemaError


def _panel(**changes: Any) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": list("aaabbbcccddd"),
            "period": [1, 2, 3] * 4,
            "spend": [10.0, 11, 16, 12, 12, 18, 10, 11, 12, 9, 11, 12],
            "member": [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        }
    )
    for column, (row, value) in changes.items():
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    return frame


def _lots(**changes: Any) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"days": [1, 5, 9], "points": [10, 20, 30], "outcome": ["redeemed", "open", "expired"]}
    )
    for column, (row, value) in changes.items():
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    return frame


def _history() -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": ["a", "a", "b", "b"], "period": [1, 2, 1, 2], "tier": ["x", "y", "x", "x"]}
    )


EFFECT = MembershipEffect(
    design="2x2",
    effect=1.0,
    standard_error=0.1,
    low=0.8,
    high=1.2,
    level=0.95,
    p_value=0.01,
    customers=10,
    members=5,
    observations=20,
    periods=2,
    member_periods=5,
)
EUR = Money(amount=Decimal("0.01"), currency="EUR")
PROFIT_OK: dict[str, Any] = {
    "margin_rate": 0.3,
    "points_redeemed": 10,
    "cost_per_point": EUR,
    "outstanding_points": 10,
    "breakage": 0.1,
    "running_cost": Money(amount=Decimal("1"), currency="EUR"),
}

CASES: list[tuple[str, Callable[[], object], type[Exception], str, tuple[object, ...]]] = [
    ("panel not a frame", lambda: membership_effect([[1, 2]]), ArgumentError, "panel", ()),
    (
        "outcome column missing",
        lambda: membership_effect(_panel(), outcome="revenue"),
        DataError,
        "revenue",
        (),
    ),
    (
        "column name a number",
        lambda: membership_effect(_panel(), member=3),
        ArgumentError,
        "member",
        (),
    ),
    ("empty panel", lambda: membership_effect(_panel().iloc[:0]), DataError, "customer_id", ()),
    ("spend NaN", lambda: membership_effect(_panel(spend=(4, np.nan))), DataError, "spend", (4,)),
    ("spend text", lambda: membership_effect(_panel(spend=(2, "12"))), DataError, "spend", ()),
    ("spend huge", lambda: membership_effect(_panel(spend=(3, 1e300))), DataError, "spend", (3,)),
    ("points huge", lambda: breakage_curve(_lots(points=(0, 1e300))), DataError, "points", (0,)),
    (
        "spend infinite",
        lambda: membership_effect(_panel(spend=(1, np.inf))),
        DataError,
        "spend",
        (1,),
    ),
    ("member 2", lambda: membership_effect(_panel(member=(5, 2))), DataError, "member", (5,)),
    (
        "member missing",
        lambda: membership_effect(_panel(member=(0, None))),
        DataError,
        "member",
        (0,),
    ),
    (
        "customer id missing",
        lambda: membership_effect(_panel(customer_id=(3, None))),
        DataError,
        "customer_id",
        (3,),
    ),
    (
        "customer twice in a period",
        lambda: membership_effect(_panel(period=(1, 1))),
        DataError,
        "period",
        (0, 1),
    ),
    (
        "no comparison group",
        lambda: membership_effect(_panel().assign(member=[0, 0, 1] * 4)),
        DataError,
        "member",
        (),
    ),
    (
        "nobody is a member",
        lambda: membership_effect(_panel().assign(member=0)),
        DataError,
        "member",
        (),
    ),
    (
        "2x2 with staggered joining",
        lambda: membership_effect(_panel(member=(4, 1))),
        DataError,
        "member",
        (1,),  # b joins at 2, so a (joining at 3) is not a member at 2
    ),
    (
        "a member leaves (event study)",
        lambda: event_study(_panel().assign(member=[0, 1, 0] + [0, 0, 1] + [0] * 6)),
        DataError,
        "member",
        (2,),
    ),
    (
        "one period only",
        lambda: membership_effect(_panel().query("period == 1")),
        DataError,
        "period",
        (),
    ),
    (
        "unknown design",
        lambda: membership_effect(_panel(), design="did"),
        ArgumentError,
        "design",
        (),
    ),
    ("level 95", lambda: membership_effect(_panel(), level=95), ArgumentError, "level", ()),
    (
        "no lead to test",
        lambda: event_study(_panel().query("period >= 2")),
        DataError,
        "period",
        (),
    ),
    ("lots not a frame", lambda: breakage_curve({"days": [1]}), ArgumentError, "lots", ()),
    ("negative days", lambda: breakage_curve(_lots(days=(1, -1))), DataError, "days", (1,)),
    (
        "days beyond validity",
        lambda: breakage_curve(_lots(days=(2, 400)), validity_days=365),
        DataError,
        "days",
        (2,),
    ),
    (
        "unknown outcome",
        lambda: breakage_curve(_lots(outcome=(0, "used"))),
        DataError,
        "outcome",
        (0,),
    ),
    ("zero points", lambda: breakage_curve(_lots(points=(2, 0))), DataError, "points", (2,)),
    (
        "validity 0",
        lambda: breakage_curve(_lots(), validity_days=0),
        ArgumentError,
        "validity_days",
        (),
    ),
    (
        "validity 1.5",
        lambda: breakage_curve(_lots(), validity_days=1.5),
        ArgumentError,
        "validity_days",
        (),
    ),
    (
        "unknown tier",
        lambda: tier_migration(_history(), ["x"]),
        DataError,
        "tier",
        (1,),
    ),
    (
        "tiers repeated",
        lambda: tier_migration(_history(), ["x", "x", "y"]),
        ArgumentError,
        "states",
        (),
    ),
    (
        "no transition",
        lambda: tier_migration(_history().query("period == 1"), ["x", "y"]),
        DataError,
        "period",
        (),
    ),
    (
        "effect not an effect",
        lambda: programme_profit(1.0, **PROFIT_OK),
        ArgumentError,
        "effect",
        (),
    ),
    (
        "margin rate 30",
        lambda: programme_profit(EFFECT, **{**PROFIT_OK, "margin_rate": 30}),
        ArgumentError,
        "margin_rate",
        (),
    ),
    (
        "fractional points",
        lambda: programme_profit(EFFECT, **{**PROFIT_OK, "points_redeemed": 1.5}),
        ArgumentError,
        "points_redeemed",
        (),
    ),
    (
        "running cost a float",
        lambda: programme_profit(EFFECT, **{**PROFIT_OK, "running_cost": 100.0}),
        ArgumentError,
        "running_cost",
        (),
    ),
    (
        "breakage above 1",
        lambda: programme_profit(EFFECT, **{**PROFIT_OK, "breakage": 1.5}),
        ArgumentError,
        "breakage",
        (),
    ),
    (
        "breakage not identified",
        lambda: programme_profit(
            EFFECT,
            **{**PROFIT_OK, "breakage": breakage_curve(_lots(outcome=(2, "open")))},
        ),
        ArgumentError,
        "breakage",
        (),
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "name", "rows"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_input(
    call: Callable[[], object], error: type[Exception], name: str, rows: tuple[object, ...]
) -> None:
    with pytest.raises(error) as info:
        call()
    assert name in str(info.value)
    if rows:
        assert isinstance(info.value, DataError)
        assert info.value.rows[: len(rows)] == rows


def test_currencies_are_not_mixed() -> None:
    usd = Money(amount=Decimal("5"), currency="USD")
    with pytest.raises(CurrencyError, match="running_cost"):
        programme_profit(EFFECT, **{**PROFIT_OK, "running_cost": usd})


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[]", None),
        ('{"kind": "tier_migration", "schema_version": 1}', "kind"),
        ("not json", None),
    ],
)
def test_tampered_json(text: str, key: str | None) -> None:
    with pytest.raises(SchemaError) as info:
        BreakageEstimate.from_json(text)
    if key:
        assert key in str(info.value)


def test_tampered_field() -> None:
    data = EFFECT.to_dict()
    data["customers"] = "ten"
    import json

    with pytest.raises(SchemaError, match="customers"):
        MembershipEffect.from_json(json.dumps(data))


# ---------------------------------------------------------------- adversarial review findings
def _two_by_two(**columns: list[Any]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "period": [1, 2] * 4,
            "spend": [10.0, 15, 12, 16, 10, 11, 9, 11],
            "member": [0, 1, 0, 1, 0, 0, 0, 0],
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


REVIEW_CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    (
        "ids mixing 1 and '1' (two customers that look alike)",
        lambda: membership_effect(_two_by_two(customer_id=[1, 1, "1", "1", "c", "c", "d", "d"])),
        DataError,
        "customer_id",
    ),
    (
        "periods mixing numbers and text (no order)",
        lambda: membership_effect(_two_by_two(period=[1, "2"] * 4)),
        DataError,
        "period",
    ),
    (
        "text periods with no numbers (as text 'Feb' < 'Jan')",
        lambda: membership_effect(_two_by_two(period=["Jan", "Feb"] * 4)),
        DataError,
        "period",
    ),
    (
        "text periods of two forms",
        lambda: membership_effect(_two_by_two(period=["2026-9", "2026Q4"] * 4)),
        DataError,
        "period",
    ),
    (
        "day-first dates as text (day or month first cannot be told)",
        lambda: membership_effect(_two_by_two(period=["05/01/2026", "04/02/2026"] * 4)),
        DataError,
        "period",
    ),
    (
        "one month written two ways ('2026-09' and '2026-9')",
        lambda: membership_effect(
            _two_by_two(period=["2026-09", "2026-10", "2026-9", "2026-10"] * 2)
        ),
        DataError,
        "period",
    ),
    (
        "tier history with text periods of no order",
        lambda: tier_migration(_history().assign(period=["Jan", "Feb"] * 2), ["x", "y"]),
        DataError,
        "period",
    ),
    ("tiers repeated", lambda: tier_migration(_history(), ["x", "x"]), ArgumentError, "tiers"),
    ("tiers one text", lambda: tier_migration(_history(), "x"), ArgumentError, "tiers"),
    (
        "outstanding points beyond 2^53",
        lambda: programme_profit(EFFECT, **{**PROFIT_OK, "outstanding_points": 10**30}),
        ArgumentError,
        "outstanding_points",
    ),
    (
        "points redeemed beyond 2^53 (was a raw decimal.InvalidOperation)",
        lambda: programme_profit(EFFECT, **{**PROFIT_OK, "points_redeemed": 10**30}),
        ArgumentError,
        "points_redeemed",
    ),
    (
        "member periods beyond 2^53 (was a raw decimal.InvalidOperation)",
        lambda: programme_profit(EFFECT, **{**PROFIT_OK, "member_periods": 10**30}),
        ArgumentError,
        "member_periods",
    ),
    (
        "an effect too large for exact money (was a raw decimal.InvalidOperation)",
        lambda: programme_profit(
            EFFECT.model_copy(update={"effect": 1e99, "high": 1e99}), **PROFIT_OK
        ),
        ArgumentError,
        "effect",
    ),
    (
        "an effect that is NaN (built without validation)",
        lambda: programme_profit(
            MembershipEffect.model_construct(**{**EFFECT.model_dump(), "effect": float("nan")}),
            **PROFIT_OK,
        ),
        ArgumentError,
        "effect",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "name"), [c[1:] for c in REVIEW_CASES], ids=[c[0] for c in REVIEW_CASES]
)
def test_review_bad_input(call: Callable[[], object], error: type[Exception], name: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert name in str(info.value)


def _tampered(result: Any, key: str, value: object) -> str:
    import json

    return json.dumps({**result.to_dict(), key: value})


def test_tampered_results_are_refused() -> None:
    """Edited values that the types allow but the result cannot hold (each was loaded)."""
    effect = membership_effect(_two_by_two())
    for key, value in [
        ("standard_error", -1.0),
        ("level", 2.0),
        ("p_value", 5.0),
        ("customers", -4),
        ("low", 10.0),  # above the effect
    ]:
        with pytest.raises(SchemaError) as info:
            MembershipEffect.from_json(_tampered(effect, key, value))
        assert key in str(info.value)
    study = event_study(_panel())
    for key, value in [("estimates", [1.0]), ("pretrend_df", 0)]:  # type: ignore[assignment]
        with pytest.raises(SchemaError) as info:
            type(study).from_json(_tampered(study, key, value))
        assert key in str(info.value)
    lots = breakage_curve(_lots(), validity_days=9)
    for key, value in [("breakage", 2.0), ("redeemed", [0.1]), ("points", -5.0)]:  # type: ignore[assignment]
        with pytest.raises(SchemaError) as info:
            BreakageEstimate.from_json(_tampered(lots, key, value))
        assert key in str(info.value)
    tiers = tier_migration(_history(), ["x", "y"])
    for key, value in [("counts", [[-1, 1], [0, 0]]), ("matrix", [[0.5], [None, None]])]:  # type: ignore[assignment]
        with pytest.raises(SchemaError) as info:
            type(tiers).from_json(_tampered(tiers, key, value))
        assert key in str(info.value)


def test_tampered_profit_is_refused() -> None:
    """A stored profit whose parts do not add up (or in no currency) is not loaded."""
    profit = programme_profit(EFFECT, **PROFIT_OK)
    for key, value in [("profit", "9999.00"), ("pays", not profit.pays), ("currency", "XXX1")]:
        with pytest.raises(SchemaError) as info:
            type(profit).from_json(_tampered(profit, key, value))
        assert key in str(info.value)


def test_too_many_periods_are_refused_before_memory_runs_out() -> None:
    """Two customers over 15,000 daily periods: the two-way design would hold 30,000 x 15,000
    floats (3.6 GB per copy); it is refused naming the period column."""
    days = np.arange(15_000)
    panel = pd.DataFrame(
        {
            "customer_id": np.repeat(["a", "b"], days.size),
            "period": np.tile(days, 2),
            "spend": 1.0,
            "member": np.r_[(days >= 5).astype(int), np.zeros(days.size, dtype=int)],
        }
    )
    for call in (
        lambda: membership_effect(panel, design="twfe"),
        lambda: event_study(panel),
    ):
        with pytest.raises(DataError, match=r"column .period.*cells"):
            call()
    history = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(6_000)] * 2,
            "period": np.arange(12_000),
            "tier": "x",
        }
    )
    with pytest.raises(DataError, match=r"column .period.*cells"):
        tier_migration(history, ["x"])
