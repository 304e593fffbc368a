"""Money below the currency's minor unit: ``Money`` holds it (rates, unrounded results); money
that changes hands (``SettledMoney``: transactions, orders, refunds, rewards) refuses it, in
code and from JSON alike, naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark.domain import (
    CURRENCIES,
    CommissionPlan,
    Conversion,
    Money,
    ReferralProgram,
    Transaction,
    transactions_from_frame,
)
from relmark.errors import DataError, ValidationError

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def _field(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in exc.errors()]


def test_money_holds_amounts_below_the_minor_unit() -> None:
    """A rate per click or per point is below a cent; ``rounded`` takes it to the minor unit."""
    rate = Money(amount=Decimal("0.005"), currency="EUR")
    assert rate.amount == Decimal("0.005")
    assert Money.model_validate_json('{"amount": "0.005", "currency": "EUR"}') == rate
    assert rate.rounded("half_up") == Money(amount=Decimal("0.01"), currency="EUR")
    assert CommissionPlan(per_click=rate).per_click == rate


@pytest.mark.parametrize(
    ("amount", "currency"), [("0.005", "EUR"), ("0.5", "JPY"), ("1.0005", "KWD"), ("19.999", "USD")]
)
def test_a_transaction_refuses_sub_unit_amounts_in_code_and_json(
    amount: str, currency: str
) -> None:
    money = Money(amount=Decimal(amount), currency=currency)
    with pytest.raises(ValidationError, match=r"whole number of .* minor units") as exc:
        Transaction(id="t1", customer_id="c1", at=T0, amount=money)
    assert _field(exc.value) == ["amount"]
    text = (
        '{"id": "t1", "customer_id": "c1", "at": "2024-06-01T00:00:00Z", '
        f'"amount": {{"amount": "{amount}", "currency": "{currency}"}}}}'
    )
    with pytest.raises(ValidationError, match="minor units") as exc:
        Transaction.model_validate_json(text)
    assert _field(exc.value) == ["amount"]


def test_a_refund_below_the_minor_unit_names_refunded() -> None:
    order = Money(amount=Decimal("10.00"), currency="EUR")
    with pytest.raises(ValidationError, match="minor units") as exc:
        Transaction(
            id="t1",
            customer_id="c1",
            at=T0,
            amount=order,
            refunded=Money(amount=Decimal("0.001"), currency="EUR"),
        )
    assert _field(exc.value) == ["refunded"]


def test_trailing_zeros_and_three_place_currencies_are_whole_minor_units() -> None:
    for amount, currency in [("2.50", "EUR"), ("2.5000", "EUR"), ("3", "JPY"), ("1.005", "KWD")]:
        t = Transaction(
            id="t", customer_id="c", at=T0, amount=Money(amount=Decimal(amount), currency=currency)
        )
        assert t.amount.amount == Decimal(amount)


@pytest.mark.parametrize("field", ["gross", "tax", "shipping", "refunded"])
def test_a_conversion_refuses_sub_unit_amounts(field: str) -> None:
    amounts = {"gross": "100.00", "tax": "10.00", "shipping": "5.00", "refunded": "1.00"}
    amounts[field] = "0.005" if field != "gross" else "100.005"
    with pytest.raises(ValidationError, match="minor units") as exc:
        Conversion(
            order_id="o",
            customer_id="c",
            at=T0,
            refunded_at=T0,
            **{k: Money(amount=Decimal(v), currency="EUR") for k, v in amounts.items()},  # type: ignore[arg-type]
        )
    assert _field(exc.value) == [field]


@pytest.mark.parametrize("field", ["referrer_reward", "referee_reward"])
def test_referral_rewards_refuse_sub_unit_amounts(field: str) -> None:
    rewards = {"referrer_reward": "10.00", "referee_reward": "5.00", field: "0.125"}
    fields = (f'"{k}": {{"amount": "{v}", "currency": "EUR"}}' for k, v in rewards.items())
    with pytest.raises(ValidationError, match="minor units") as exc:
        ReferralProgram.model_validate_json("{" + ", ".join(fields) + "}")
    assert _field(exc.value) == [field]


def test_transactions_from_frame_names_the_rows_below_the_minor_unit() -> None:
    frame = pd.DataFrame(
        {
            "transaction_id": ["a", "b", "c"],
            "customer_id": ["1", "1", "2"],
            "date": ["2024-01-01T00:00:00+00:00"] * 3,
            "amount": ["1.00", "0.005", "2.5"],
            "currency": ["EUR", "EUR", "JPY"],
        },
        index=pd.Index([10, 11, 12]),
    )
    with pytest.raises(DataError, match="minor units") as exc:
        transactions_from_frame(frame)
    assert exc.value.column == "amount" and list(exc.value.rows) == [11, 12]


@given(st.sampled_from(sorted(CURRENCIES)), st.integers(0, 10**12), st.integers(0, 6))
def test_settled_iff_the_amount_is_whole_in_minor_units(
    currency: str, digits: int, places: int
) -> None:
    """Independent rule: ``amount * 10**minor`` is an integer (exact integer arithmetic)."""
    amount = Decimal(digits).scaleb(-places)
    whole = (digits * 10 ** CURRENCIES[currency]) % 10**places == 0
    money = Money(amount=Decimal(amount), currency=currency)
    if whole:
        assert Transaction(id="t", customer_id="c", at=T0, amount=money).amount == money
    else:
        with pytest.raises(ValidationError, match="minor units"):
            Transaction(id="t", customer_id="c", at=T0, amount=money)
