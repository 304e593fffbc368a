"""Typed, immutable domain objects: money, customers, transactions, interactions, partners.

Every object is a frozen pydantic model that forbids unknown fields, so a service can validate
what it receives, send it as JSON and read it back exactly. Money is a :class:`Money` — a
``Decimal`` amount with an ISO 4217 currency code — and never a float; timestamps must be
timezone-aware; identifiers are non-empty strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from relmark.errors import DataError

__all__ = [
    "ROLE_GROUP",
    "Channel",
    "Customer",
    "CustomerId",
    "Direction",
    "Group",
    "Interaction",
    "Money",
    "Partner",
    "PartnerId",
    "Role",
    "Transaction",
    "json_schemas",
    "transactions_from_frame",
    "transactions_to_frame",
]

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
CustomerId = Identifier
PartnerId = Identifier
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Frozen(BaseModel):
    """Base of relmark's domain objects: immutable, no unknown fields, exact JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(Frozen):
    """An exact amount in a currency. Arithmetic refuses to mix currencies.

    >>> Money(amount="19.99", currency="EUR") + Money(amount="0.01", currency="EUR")
    Money(amount=Decimal('20.00'), currency='EUR')
    """

    amount: Decimal = Field(allow_inf_nan=False)
    currency: CurrencyCode

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise DataError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def times(self, factor: Decimal | int) -> Money:
        """The amount multiplied by an exact factor (no rounding)."""
        return Money(amount=self.amount * Decimal(factor), currency=self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``."""
        return cls(amount=Decimal(0), currency=currency)


class Customer(Frozen):
    """A customer."""

    id: CustomerId
    name: str | None = None
    email: str | None = None
    created_at: AwareDatetime
    birthday: Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{2}$")] | None = None
    """Month and day, ``MM-DD`` (for birthday rewards without storing the year)."""


class Transaction(Frozen):
    """A purchase, with any refund against it (a refund cannot exceed the order)."""

    id: Identifier
    customer_id: CustomerId
    at: AwareDatetime
    amount: Money
    refunded: Money | None = None

    @model_validator(mode="after")
    def _refund(self) -> Transaction:
        if self.amount.amount < 0:
            raise ValueError("amount must be >= 0 (record refunds in 'refunded')")
        if self.refunded is not None:
            if self.refunded.currency != self.amount.currency:
                raise ValueError("refund and order must be in the same currency")
            if not Decimal(0) <= self.refunded.amount <= self.amount.amount:
                raise ValueError(
                    f"refund {self.refunded.amount} must be between 0 and the order amount "
                    f"{self.amount.amount}"
                )
        return self

    @property
    def net(self) -> Money:
        """Amount net of refunds."""
        return self.amount if self.refunded is None else self.amount - self.refunded


class Channel(StrEnum):
    """Contact channels (seed 002: every channel tracked)."""

    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    SOCIAL = "social"
    CHAT = "chat"
    WEB = "web"
    APP = "app"
    IN_PERSON = "in_person"
    LIVESTREAM = "livestream"
    DIRECT_MAIL = "direct_mail"
    TELEMARKETING = "telemarketing"


class Direction(StrEnum):
    """Who started the contact."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Interaction(Frozen):
    """A contact between the firm and a customer."""

    id: Identifier
    customer_id: CustomerId
    at: AwareDatetime
    channel: Channel
    direction: Direction
    topic: str = ""


class Group(StrEnum):
    """Stakeholder groups (Morgan & Hunt 1994; DOMAIN.md 1.1)."""

    CUSTOMERS = "customers"
    MARKETING_PARTNERS = "marketing_partners"
    FINANCIAL_COMMUNITY = "financial_community"
    INTERNAL = "internal"


class Role(StrEnum):
    """What a partner is to the firm."""

    END_CUSTOMER = "end_customer"
    BUSINESS_BUYER = "business_buyer"
    SUPPLIER = "supplier"
    DISTRIBUTOR = "distributor"
    CHANNEL = "channel"
    AGENT = "agent"
    INTERMEDIARY = "intermediary"
    INFLUENCER = "influencer"
    EMPLOYEE = "employee"
    BUSINESS_UNIT = "business_unit"
    SHAREHOLDER = "shareholder"
    INVESTOR = "investor"
    ANALYST = "analyst"


ROLE_GROUP: dict[Role, Group] = {
    Role.END_CUSTOMER: Group.CUSTOMERS,
    Role.BUSINESS_BUYER: Group.CUSTOMERS,
    Role.SUPPLIER: Group.MARKETING_PARTNERS,
    Role.DISTRIBUTOR: Group.MARKETING_PARTNERS,
    Role.CHANNEL: Group.MARKETING_PARTNERS,
    Role.AGENT: Group.MARKETING_PARTNERS,
    Role.INTERMEDIARY: Group.MARKETING_PARTNERS,
    Role.INFLUENCER: Group.MARKETING_PARTNERS,
    Role.EMPLOYEE: Group.INTERNAL,
    Role.BUSINESS_UNIT: Group.INTERNAL,
    Role.SHAREHOLDER: Group.FINANCIAL_COMMUNITY,
    Role.INVESTOR: Group.FINANCIAL_COMMUNITY,
    Role.ANALYST: Group.FINANCIAL_COMMUNITY,
}
"""The group each role belongs to; :attr:`Partner.group` is derived from it."""


class Partner(Frozen):
    """A stakeholder other than an end customer, with a role."""

    id: PartnerId
    name: str
    role: Role
    since: AwareDatetime | None = None

    @property
    def group(self) -> Group:
        """The stakeholder group of the partner's role."""
        return ROLE_GROUP[self.role]


def transactions_to_frame(transactions: Sequence[Transaction]) -> pd.DataFrame:
    """A table with ``transaction_id, customer_id, date, amount, currency`` (net of refunds,
    as float for analysis — the exact Decimals stay in the objects), the input of
    :func:`relmark.data.summarize`."""
    if not transactions:
        raise DataError("no transactions")
    return pd.DataFrame(
        {
            "transaction_id": [t.id for t in transactions],
            "customer_id": [t.customer_id for t in transactions],
            "date": pd.to_datetime([t.at for t in transactions], utc=True),
            "amount": [float(t.net.amount) for t in transactions],
            "currency": [t.amount.currency for t in transactions],
        }
    )


def transactions_from_frame(
    frame: pd.DataFrame, *, currency: str | None = None
) -> list[Transaction]:
    """Transactions from a table with ``transaction_id, customer_id, date, amount`` (and a
    ``currency`` column or argument); amounts are converted exactly from their decimal text."""
    rows: list[Transaction] = []
    for i, rec in enumerate(frame.to_dict("records")):
        cur = rec.get("currency", currency)
        try:
            rows.append(
                Transaction(
                    id=str(rec["transaction_id"]),
                    customer_id=str(rec["customer_id"]),
                    at=pd.Timestamp(rec["date"]).to_pydatetime(),
                    amount=Money(amount=Decimal(str(rec["amount"])), currency=str(cur)),
                )
            )
        except (KeyError, ValueError) as exc:
            raise DataError(f"row {i}: {exc}", rows=[frame.index[i]]) from None
    ids = pd.Series([t.id for t in rows], index=frame.index, dtype=object)
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"duplicate transaction ids {sorted(set(ids[dup]))[:5]}",
            column="transaction_id",
            rows=list(ids.index[dup]),
        )
    return rows


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of every domain object, for API documentation and other services."""
    from relmark.domain import loyalty, referral

    models: list[type[BaseModel]] = [
        Money,
        Customer,
        Transaction,
        Interaction,
        Partner,
        referral.Referral,
        referral.ReferralProgram,
        loyalty.LoyaltyRules,
    ]
    return {m.__name__: TypeAdapter(m).json_schema() for m in models}
