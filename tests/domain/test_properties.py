"""Properties of every domain object: exact, byte-stable JSON round trips that validate against
the published JSON Schema; ledgers and statements that reconcile over random operation
sequences (checked against plain reference models); invalid values always refused with a
typed error."""

from __future__ import annotations

import decimal
import inspect
import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import relmark.domain as domain
from relmark.domain import (
    CURRENCIES,
    CommissionPlan,
    Conversion,
    LoyaltyRules,
    Money,
    PointsLedger,
    Publisher,
    Referral,
    amplification,
    breakeven_retention,
    customer_referral_value,
    engagement_rate,
    json_schemas,
    outstanding_liability,
    payout_statement,
    simple_clv,
    viral_coefficient,
)
from relmark.errors import (
    ArgumentError,
    LedgerError,
    RelmarkError,
    ValidationError,
)
from tests.domain import strategies

PUBLIC_MODELS = [
    obj
    for name in domain.__all__
    if inspect.isclass(obj := getattr(domain, name)) and issubclass(obj, BaseModel)
]


def test_every_public_model_has_a_strategy_and_a_schema() -> None:
    assert set(PUBLIC_MODELS) == set(strategies.OBJECTS)
    schemas = json_schemas()
    assert set(schemas) == {m.__name__ for m in PUBLIC_MODELS}
    assert schemas["Money"]["properties"]["currency"]["enum"] == sorted(CURRENCIES)


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_json_round_trip_is_exact_byte_stable_and_schema_valid(
    model: type[BaseModel], data: st.DataObject
) -> None:
    jsonschema = pytest.importorskip("jsonschema")  # installed with nbformat (dev extra)
    obj = data.draw(strategies.OBJECTS[model])
    text = obj.model_dump_json()
    again = model.model_validate_json(text)
    assert again == obj
    assert again.model_dump_json() == text  # byte-stable
    assert model.model_validate(obj.model_dump()) == obj
    jsonschema.validate(json.loads(text), model.model_json_schema())


# ------------------------------------------------------------------ points ledger
class Reference:
    """A plain model of the points ledger: lots as lists, FIFO by earn date."""

    def __init__(self) -> None:
        self.lots: list[list[Any]] = []  # [key, points, earned, expires]
        self.last: date | None = None
        self.earned = self.redeemed = self.expired = self.adjusted = 0

    def _expire(self, on: date) -> int:
        gone: int = sum(p for _, p, _, e in self.lots if e is not None and e < on)
        self.lots = [lot for lot in self.lots if lot[3] is None or lot[3] >= on]
        return gone

    def _take(self, n: int, on: date) -> bool:
        if sum(p for _, p, d, _ in self.lots if d <= on) < n:
            return False
        for lot in sorted((lot for lot in self.lots if lot[2] <= on), key=lambda x: x[2]):
            take = min(n, lot[1])
            lot[1] -= take
            n -= take
        self.lots = [lot for lot in self.lots if lot[1] > 0]
        return True

    def apply(self, op: strategies.Op, n: int) -> bool:
        """Whether the operation is accepted (and its effect if so)."""
        kind, points, offset, validity = op
        on = strategies.D0 + timedelta(days=offset)
        if kind == "earn":
            if points < 1 or validity < 0:
                return False
            self.lots.append([f"k{n}", points, on, on + timedelta(days=validity)])
            self.earned += points
            self.last = on if self.last is None else max(self.last, on)
            return True
        if kind in ("redeem", "adjust"):
            if points == 0 or (kind == "redeem" and points < 0):
                return False
            if kind == "adjust" and points > 0:
                self.lots.append([f"k{n}", points, on, None])
                self.adjusted += points
                return True
            saved = ([list(lot) for lot in self.lots], self.expired)
            self.expired += self._expire(on)
            if not self._take(abs(points), on):
                self.lots, self.expired = saved
                return False
            if kind == "redeem":
                self.redeemed += points
                self.last = on if self.last is None else max(self.last, on)
            else:
                self.adjusted += points
            return True
        if kind == "expire":
            self.expired += self._expire(on)
            return True
        if self.last is None or self.last > on or any(d > on for _, _, d, _ in self.lots):
            return False
        if (on - self.last).days > max(validity, 1):
            self.expired += sum(p for _, p, _, _ in self.lots)
            self.lots = []
        return True


@settings(max_examples=150, deadline=None)
@given(strategies.ledger_ops)
def test_points_ledger_matches_a_reference_model(ops: list[strategies.Op]) -> None:
    """Random earn / redeem / adjust / expire / inactivity sequences, many refused: the ledger
    accepts exactly what the reference accepts, holds the same lots, nothing is created or
    lost (earned + adjusted = redeemed + expired + balance), a refused operation changes
    nothing, a posted key cannot be posted again, and every state survives JSON exactly."""
    ledger, ref = PointsLedger(), Reference()
    for n, op in enumerate(ops):
        before = ledger
        accepted = ref.apply(op, n)
        if accepted:
            ledger = strategies.apply(ledger, op, n)
            if f"k{n}" in ledger.keys:
                with pytest.raises(LedgerError, match="already posted"):
                    strategies.apply(ledger, op, n)
        else:
            with pytest.raises((ArgumentError, LedgerError)):
                strategies.apply(ledger, op, n)
            assert ledger == before
        assert sorted((lot.key, lot.points) for lot in ledger.lots) == sorted(
            (k, p) for k, p, _, _ in ref.lots
        )
        assert (ledger.earned_total, ledger.redeemed_total, ledger.expired_total) == (
            ref.earned,
            ref.redeemed,
            ref.expired,
        )
        assert ledger.adjusted_total == ref.adjusted
        assert ledger.balances()
        text = ledger.model_dump_json()
        assert PointsLedger.model_validate_json(text) == ledger
        assert PointsLedger.model_validate_json(text).model_dump_json() == text


# ---------------------------------------------------------------------- statements
@settings(max_examples=60, deadline=None)
@given(
    cents=st.lists(st.integers(1, 10**7), min_size=1, max_size=8),
    currency=st.sampled_from(["JPY", "EUR", "KWD", "CLF"]),
    rate=strategies.shares,
    ages=st.data(),
)
def test_statements_round_to_the_currency_minor_unit(
    cents: list[int], currency: str, rate: Decimal, ages: st.DataObject
) -> None:
    """Payable is the revenue share of the orders whose return window closed, rounded
    half-even once to the currency's minor unit (yen: none, KWD: 3, CLF: 4 places),
    recomputed here by hand."""
    t0 = datetime(2024, 6, 1, tzinfo=UTC)
    places = CURRENCIES[currency]
    orders = [
        Conversion(
            order_id=f"o{i}",
            customer_id="c",
            at=t0 - timedelta(days=ages.draw(st.integers(0, 60))),
            gross=Money(amount=Decimal(c).scaleb(-places), currency=currency),
        )
        for i, c in enumerate(cents)
    ]
    plan = CommissionPlan(revenue_share=rate, base="gross")
    statement = payout_statement(Publisher(id="p", name="P", email="e"), plan, orders, as_of=t0)
    closed = sum((o.gross.amount for o in orders if o.at + timedelta(days=30) <= t0), Decimal(0))
    step = Decimal(1).scaleb(-places)
    assert statement.payable == (closed * rate).quantize(step, rounding=ROUND_HALF_EVEN)
    assert statement.currency == currency
    assert statement.payable.as_tuple().exponent >= -places  # type: ignore[operator]


@settings(max_examples=60, deadline=None)
@given(strategies.any_money(), strategies.any_money(), st.floats(-1000, 1000))
def test_money_arithmetic_is_exact_within_one_currency(a: Money, b: Money, f: float) -> None:
    if a.currency != b.currency:
        with pytest.raises(RelmarkError, match="never converts"):
            _ = a + b
        with pytest.raises(RelmarkError, match="never converts"):
            _ = a < b
        assert a != b
        return
    assert (a + b) - b == a
    with decimal.localcontext(prec=200):  # exact: the products below have up to 36 digits
        assert (a + b).amount == a.amount + b.amount
        assert a.times(f).amount == a.amount * Decimal(repr(f))
    assert sum([a, b]) == a + b
    assert (a <= b) == (a.amount <= b.amount)


# ------------------------------------------------------------ invalid values refused
@settings(max_examples=80, deadline=None)
@given(code=st.text(max_size=5).filter(lambda c: c not in CURRENCIES))
def test_unknown_currency_codes_are_always_refused(code: str) -> None:
    with pytest.raises(ValidationError, match="currency"):
        Money(amount=Decimal(1), currency=code)
    with pytest.raises(RelmarkError, match="'currency'"):
        Money.zero(code)


@settings(max_examples=80, deadline=None)
@given(
    amount=st.one_of(
        st.sampled_from([float("nan"), float("inf"), float("-inf"), True, "x", None, [1]]),
        st.integers(10**18, 10**30),
        st.integers(-(10**30), -(10**18)),
    )
)
def test_invalid_amounts_are_always_refused(amount: object) -> None:
    with pytest.raises(ValidationError, match="amount"):
        Money(amount=amount, currency="EUR")  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(
    points=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(max_value=0),
        st.booleans(),
        st.decimals(allow_nan=True),
        st.text(max_size=3),
    )
)
def test_invalid_points_are_always_refused(points: object) -> None:
    ledger = PointsLedger().earn(10, key="e", on=date(2024, 1, 1))
    with pytest.raises(ArgumentError, match="'points'"):
        ledger.earn(points, key="x", on=date(2024, 1, 2))  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="'points'"):
        ledger.redeem(points, key="x", on=date(2024, 1, 2))  # type: ignore[arg-type]
    if not (type(points) is int and points == 0):  # no points outstanding is a valid liability
        with pytest.raises(ArgumentError, match="'points'"):
            outstanding_liability(
                points,  # type: ignore[arg-type]
                breakage=Decimal(0),
                value_per_point=Money(amount=Decimal(1), currency="EUR"),
            )


@settings(max_examples=60, deadline=None)
@given(at=st.datetimes(), to=st.text(max_size=12))
def test_referral_moves_refuse_naive_times_and_unknown_statuses(at: datetime, to: str) -> None:
    ref = Referral(
        id="r", referrer="a", referee="b", code="c", updated_at=datetime(2000, 1, 1, tzinfo=UTC)
    )
    with pytest.raises(ArgumentError, match="'at'"):
        ref.advance("signed_up", at=at)
    if to not in {"invited", "signed_up", "qualified", "rewarded", "rejected"}:
        with pytest.raises(ArgumentError, match="'to'"):
            ref.advance(to, at=datetime(2024, 1, 1, tzinfo=UTC))


@settings(max_examples=100, deadline=None)
@given(
    args=st.lists(st.one_of(strategies.bad_numbers, st.floats(-10, 10)), min_size=4, max_size=4),
)
def test_economics_never_return_nan_nor_raise_raw(args: list[Any]) -> None:
    """Any mix of good and bad numbers: a finite result or a RelmarkError, never NaN, inf or
    a raw TypeError/ValueError/ZeroDivisionError."""
    a, b, c, d = args
    calls = [
        lambda: simple_clv(a, b, c),
        lambda: breakeven_retention(a, b, c, d),
        lambda: viral_coefficient(a, b),
        lambda: amplification(a, b),
        lambda: engagement_rate(a, denominator="reach", base=b),
        lambda: customer_referral_value(
            [a], [False], [0], acquisition_cost=b, reward_cost=c, discount_rate=d
        ),
        lambda: LoyaltyRules(points_per_unit=Decimal(1)).points_for(
            Money(amount=Decimal(1), currency="EUR"), birthday=a
        ),
    ]
    for call in calls:
        try:
            out = call()
        except RelmarkError:
            continue
        assert isinstance(out, int | float) and out == out and abs(out) != float("inf")


@settings(max_examples=40, deadline=None)
@given(orders=strategies.conversions(), rate=strategies.shares, prec=st.integers(1, 8))
def test_results_do_not_depend_on_the_callers_decimal_context(
    orders: list[Conversion], rate: Decimal, prec: int
) -> None:
    """A service that sets ``decimal.getcontext().prec = 3`` (or a rounding mode) gets the
    same exact sums, statements and allocations: relmark computes in its own context."""
    plan = CommissionPlan(revenue_share=rate, base="net")
    pub = Publisher(id="p", name="P", email="e")
    t0 = strategies.T0
    big = Money(amount=Decimal("123456789.01"), currency="EUR")
    cent = Money(amount=Decimal("0.01"), currency="EUR")
    expected = (
        payout_statement(pub, plan, orders, as_of=t0, currency="EUR"),
        big + cent,
        big.times(Decimal("1.5")),
        domain.allocate_revenue(big, big, cent),
    )
    with decimal.localcontext(prec=prec, rounding=decimal.ROUND_DOWN):
        got = (
            payout_statement(pub, plan, orders, as_of=t0, currency="EUR"),
            big + cent,
            big.times(Decimal("1.5")),
            domain.allocate_revenue(big, big, cent),
        )
    assert got == expected
    assert got[1].amount == Decimal("123456789.02")


def test_negative_zero_is_zero_in_json() -> None:
    zero = -Money(amount=Decimal(0), currency="EUR")
    assert zero.model_dump_json() == '{"amount":"0","currency":"EUR"}'
    assert Money(amount=Decimal("-0.00"), currency="EUR").model_dump_json() == (
        '{"amount":"0.00","currency":"EUR"}'
    )


GARBAGE: list[Any] = [
    None,
    0,
    -1,
    1.5,
    1e300,
    "",
    " x",
    "NaN",
    "-1",
    "1e999",
    [],
    {},
    True,
    "XYZ",
    "2024-01-01T00:00:00",
    2**60,
    [{"a": 1}],
    "USD",
]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path] + [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [path] + [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_tampered_json_is_refused_or_still_valid(
    model: type[BaseModel], data: st.DataObject
) -> None:
    """One value anywhere in an object's JSON replaced by garbage (or a list item repeated):
    loading raises pydantic's ValidationError, or gives an object that obeys every rule (it
    round-trips, a ledger still reconciles) — never a raw TypeError or a broken object."""
    obj = data.draw(strategies.OBJECTS[model])
    tree = json.loads(obj.model_dump_json())
    path = data.draw(st.sampled_from(_leaves(tree)))
    if not path:
        return
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, list) and data.draw(st.booleans()):
        parent.append(parent[path[-1]])
    else:
        parent[path[-1]] = data.draw(st.sampled_from(GARBAGE))
    try:
        again = model.model_validate_json(json.dumps(tree))
    except ValidationError:
        return
    assert model.model_validate_json(again.model_dump_json()) == again
    if isinstance(again, PointsLedger):
        assert again.balances()
