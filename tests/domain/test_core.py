"""Money, customers, transactions, partners and the transaction frames of
:mod:`relmark.domain.core`, against worked examples; and the import graph of the package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from relmark.data import summarize
from relmark.domain import (
    Customer,
    Group,
    Money,
    Partner,
    Role,
    Transaction,
    transactions_from_frame,
    transactions_to_frame,
)
from relmark.errors import CurrencyError, DataError
from tests.domain.strategies import eur

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


@given(
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    st.decimals(min_value=0, max_value=1, places=2),
)
@settings(max_examples=80, deadline=None)
def test_transactions_round_trip_exactly(amount: Decimal, share: Decimal) -> None:
    refund = (amount * share).quantize(Decimal("0.01"))
    t = Transaction(
        id="t1", customer_id="c1", at=T0, amount=eur(str(amount)), refunded=eur(str(refund))
    )
    again = Transaction.model_validate_json(t.model_dump_json())
    assert again == t
    assert again.net.amount == amount - refund


def test_validation_names_the_field() -> None:
    with pytest.raises(ValidationError) as exc:
        Transaction(id="t1", customer_id="c1", at=T0, amount=eur("10"), refunded=eur("11"))
    assert "refund 11 must be between 0 and the order amount 10" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        Customer(id="c1", created_at=datetime(2024, 1, 1))
    assert exc.value.errors()[0]["loc"] == ("created_at",)
    with pytest.raises(ValidationError) as exc:
        Money(amount=Decimal("1"), currency="euro")
    assert exc.value.errors()[0]["loc"] == ("currency",)
    with pytest.raises(ValidationError):
        Customer.model_validate({"id": "c1", "created_at": T0, "vip": True})  # extra forbidden
    with pytest.raises(CurrencyError, match="cannot add EUR and USD"):
        _ = eur("1") + Money(amount=Decimal("1"), currency="USD")


def test_partner_group_is_derived_from_role() -> None:
    """DOMAIN.md 1.1 (Morgan & Hunt 1994)."""
    assert Partner(id="p", name="x", role=Role.SUPPLIER).group is Group.MARKETING_PARTNERS
    assert Partner(id="p", name="x", role=Role.ANALYST).group is Group.FINANCIAL_COMMUNITY
    assert Partner(id="p", name="x", role=Role.EMPLOYEE).group is Group.INTERNAL


def test_transactions_feed_the_data_layer() -> None:
    ts = [
        Transaction(id="1", customer_id="a", at=T0, amount=eur("10.00")),
        Transaction(id="2", customer_id="a", at=T0 + timedelta(days=7), amount=eur("30.00")),
        Transaction(id="3", customer_id="b", at=T0 + timedelta(days=1), amount=eur("5.00")),
    ]
    frame = transactions_to_frame(ts)
    s = summarize(frame, monetary_value="amount", observation_end=T0 + timedelta(days=14))
    assert s.to_frame().loc["a", "frequency"] == 1
    assert s.to_frame().loc["a", "monetary_value"] == 30.0
    back = transactions_from_frame(frame)
    assert [t.amount for t in back] == [t.amount for t in ts]


def test_transactions_from_frame_refuses_duplicate_ids() -> None:
    ts = [
        Transaction(id="1", customer_id="a", at=T0, amount=eur("10.00")),
        Transaction(id="1", customer_id="a", at=T0, amount=eur("10.00")),
        Transaction(id="2", customer_id="b", at=T0, amount=eur("5.00")),
    ]
    with pytest.raises(DataError, match="duplicate transaction ids") as info:
        transactions_from_frame(transactions_to_frame(ts))
    assert info.value.column == "transaction_id"
    assert "'1'" in str(info.value)


def test_the_domain_modules_import_each_other_without_cycles() -> None:
    """Issue 16: core imported loyalty and referral (inside json_schemas), which import core.
    The static import graph of relmark.domain's modules (the package's __init__ aside) is now
    acyclic, and core imports only the currency list and the argument checks."""
    import ast
    from pathlib import Path

    import relmark.domain

    root = Path(relmark.domain.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.glob("*.py"):
        if path.stem == "__init__":
            continue
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "relmark.domain":
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "relmark.domain."
            ):
                deps.add(str(node.module).rsplit(".", 1)[1])
            elif isinstance(node, ast.Import):
                deps |= {
                    a.name.rsplit(".", 1)[1]
                    for a in node.names
                    if a.name.startswith("relmark.domain.")
                }
        graph[path.stem] = deps
    assert graph["core"] == {"_checks", "currency"}

    def reaches(start: str, target: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            dep == target or (dep not in seen and reaches(dep, target, seen | {dep}))
            for dep in graph.get(start, set())
        )

    assert [m for m in graph if reaches(m, m)] == []


@pytest.mark.parametrize(
    ("twin", "why"),
    [
        ("ore\u0301", "normal form C"),  # "oré" as o-r-e + combining acute
        ("ab\u200b", "invisible"),  # a zero-width space inside
        ("a\u2060b", "invisible"),  # a word joiner
        ("\ufeffab", "invisible"),  # a byte-order mark in front
    ],
)
def test_lookalike_ids_are_refused_so_nothing_is_paid_twice(twin: str, why: str) -> None:
    """Two ids that print the same ("oré" composed and decomposed, "ab" and "ab" with a
    zero-width space) would be two customers or two orders, so the same order could be paid
    twice: an id must be in NFC without format characters, built in code or read from JSON."""
    import json

    from relmark.domain import Conversion
    from relmark.domain._checks import identifier
    from relmark.errors import ArgumentError

    with pytest.raises(ValidationError, match=why):
        Customer(id=twin, created_at=T0)
    record = json.loads(Customer(id="ab", created_at=T0).model_dump_json())
    with pytest.raises(ValidationError, match=why):
        Customer.model_validate_json(json.dumps({**record, "id": twin}))
    with pytest.raises(ValidationError, match=why):
        Conversion(order_id=twin, customer_id="c", at=T0, gross=eur("10"))
    with pytest.raises(ArgumentError, match=why) as err:
        identifier(twin, "order_id")
    assert err.value.argument == "order_id"
    assert Customer(id="oré", created_at=T0).id == "oré"  # composed non-ASCII ids are fine
