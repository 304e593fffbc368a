"""Typed, immutable domain objects: money, customers, transactions, interactions, partners.

Every object is a frozen pydantic model that forbids unknown fields, so a service can validate
what it receives, send it as JSON and read it back exactly, and an object read from JSON is
checked by the same rules as one built in code.

The rules (see ``docs/domain.md``):

- **Money** is a :class:`Money`: a ``Decimal`` amount and an ISO 4217 currency code from the
  list shipped in :mod:`relmark.domain.currency` (``XYZ`` is refused). A float is read exactly
  from its shortest decimal text (``0.1`` is ``Decimal('0.1')``, never
  ``0.1000000000000000055...``); NaN, infinities, booleans and amounts of 10^18 or more are
  refused. Adding, subtracting or ordering amounts in two currencies raises
  :class:`~relmark.errors.CurrencyError`; nothing is ever converted. ``==`` between two
  currencies is ``False`` (not an error, so money can sit in sets and dicts).
- **Signs**: a :class:`Money` may be negative (an adjustment, a clawback); prices, fees,
  rewards, refunds and thresholds are :data:`NonNegativeMoney` and refuse a negative amount.
- **Minor units**: a :class:`Money` is exact and may hold less than the currency's minor unit
  (a rate per click or per point of 0.005 EUR, an unrounded commission from
  :meth:`Money.times`); money that changes hands (transaction, order and refund amounts,
  referral rewards and rewards paid) is :data:`SettledMoney` and refuses ``0.005 EUR`` or
  ``0.5 JPY``, in code and from JSON alike. Statements and allocations round to the minor
  unit once (:meth:`Money.rounded`).
- **Time**: timestamps are timezone-aware datetimes; a naive one is refused.
- **Identifiers** are non-empty strings without surrounding whitespace (``" 7"`` is not
  silently turned into ``"7"``: it is refused).
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

import relmark.domain._checks as _checks
from relmark._validation import check_choice
from relmark.domain.currency import CURRENCIES, check_currency, minor_unit_step
from relmark.errors import ArgumentError, CurrencyError, DataError, LedgerError

__all__ = [
    "DECIMAL_CONTEXT",
    "MAX_AMOUNT",
    "ROLE_GROUP",
    "Channel",
    "Currency",
    "Customer",
    "CustomerId",
    "Direction",
    "Group",
    "Interaction",
    "Money",
    "NonNegativeMoney",
    "NonNegativeSettledMoney",
    "Partner",
    "PartnerId",
    "Role",
    "SettledMoney",
    "Transaction",
    "transactions_from_frame",
    "transactions_to_frame",
]

_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _no_lookalike(value: str) -> str:
    problem = _checks.id_lookalike(value)
    if problem is not None:
        raise ValueError(f"id {problem}")
    return value


Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=f"^\\S(?:[^{_LINE_BREAKS}]*\\S)?$"),
    AfterValidator(_no_lookalike),
]
"""A non-empty id of at most 200 characters, no leading/trailing whitespace, one line (no line
or paragraph separator either), in Unicode normal form C without invisible format characters
(so no two ids look alike): the rule of :func:`relmark.domain._checks.identifier`."""
CustomerId = Identifier
PartnerId = Identifier

MAX_AMOUNT = Decimal(10) ** 18

DECIMAL_CONTEXT = decimal.Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""The decimal context of every domain computation, whatever the caller's own
(``decimal.getcontext().prec = 6`` in a service would otherwise round sums silently): 60
significant digits, so sums and products of amounts below 10^18 are exact."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def in_decimal_context(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``func`` under :data:`DECIMAL_CONTEXT` (not the caller's decimal context)."""

    @functools.wraps(func)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with decimal.localcontext(DECIMAL_CONTEXT):
            return func(*args, **kwargs)

    return run


def _exactly(compute: Callable[[], Decimal], what: str) -> Decimal:
    """``compute()`` under :data:`DECIMAL_CONTEXT` with rounding refused (a LedgerError)."""
    with decimal.localcontext(DECIMAL_CONTEXT) as ctx:
        ctx.traps[decimal.Inexact] = True
        try:
            return compute()
        except decimal.Inexact:
            raise LedgerError(f"{what} cannot be computed exactly in 60 digits") from None


"""Amounts must be below this in absolute value (beyond it ``Decimal`` arithmetic at 28
significant digits could no longer round to the cent exactly)."""


def _known_currency(value: str) -> str:
    return check_currency(value, "currency")


Currency = Annotated[
    str,
    AfterValidator(_known_currency),
    WithJsonSchema({"type": "string", "enum": sorted(CURRENCIES)}),
]
"""An ISO 4217 currency code relmark knows (:data:`relmark.domain.currency.CURRENCIES`)."""


class Frozen(BaseModel):
    """Base of relmark's domain objects: immutable, no unknown fields, exact JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid", revalidate_instances="always")


def _bounded(amount: Decimal) -> Decimal:
    if amount.is_zero() and amount.is_signed():
        return amount.copy_abs()  # "-0" is 0: one JSON text per amount
    if amount.copy_abs() >= MAX_AMOUNT:  # copy_abs is exact; abs() rounds to the caller's context
        raise ArgumentError(
            f"must be below 10^18 in absolute value, got {amount}", argument="amount"
        )
    return amount


def _decimal_text(value: object) -> object:
    """Refuse decimal text that ``Decimal()`` reads but is not plain decimal text (``"0_1"`` is
    1, ``" 10 "`` is 10, Arabic-Indic digits are digits); other values pass through."""
    if isinstance(value, str) and not _checks.DECIMAL_TEXT.fullmatch(value):
        raise ValueError(f"must be plain decimal text such as '19.99', got {value!r:.60}")
    return value


DecimalText = BeforeValidator(_decimal_text)
"""For every ``Decimal`` field: plain decimal text only (see :func:`_decimal_text`)."""


def _unsigned_zero(value: Decimal) -> Decimal:
    return value.copy_abs() if value.is_zero() else value  # "-0.00" is 0.00: one JSON text


UnsignedZero = AfterValidator(_unsigned_zero)
"""For ``Decimal`` fields >= 0: ``-0`` is read as ``0``."""

Amount = Annotated[Decimal, DecimalText, Field(allow_inf_nan=False), AfterValidator(_bounded)]

_ROUNDING = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP, "down": ROUND_DOWN}


class Money(Frozen):
    """An exact amount in a currency. Arithmetic refuses to mix currencies.

    A ``Money`` is exact and may hold amounts below the currency's minor unit (a rate of
    0.005 EUR per click or per point, an unrounded result of :meth:`times`); fields of money
    that changes hands are :data:`SettledMoney` (transaction, order and refund amounts,
    rewards) and refuse them; :meth:`rounded` rounds to the minor unit.

    >>> Money(amount="19.99", currency="EUR") + Money(amount="0.01", currency="EUR")
    Money(amount=Decimal('20.00'), currency='EUR')
    >>> Money(amount=0.1, currency="EUR").amount  # a float, read from its shortest text
    Decimal('0.1')
    >>> Money(amount="10", currency="EUR") + Money(amount="1", currency="USD")
    Traceback (most recent call last):
    ...
    relmark.errors.CurrencyError: cannot add EUR and USD amounts: relmark never converts ...
    """

    amount: Amount
    currency: Currency

    @field_validator("amount", mode="before")
    @classmethod
    def _exact(cls, value: object) -> object:
        if isinstance(value, float | np.floating | np.integer):
            return _checks.exact(value, "amount")
        return value

    @classmethod
    def _new(cls, amount: Decimal, currency: str) -> Money:
        """A result of arithmetic (both operands already valid): only the size is checked."""
        if amount.copy_abs() >= MAX_AMOUNT:
            raise LedgerError(
                f"the result {amount} {currency} is 10^18 or more: too large to hold exactly"
            )
        if amount.is_zero() and amount.is_signed():
            amount = amount.copy_abs()  # no "-0" in JSON
        return cls.model_construct(amount=amount, currency=currency)

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise ArgumentError(
                f"can only {op} Money and Money, got {type(other).__name__} {other!r:.60}",
                argument="other",
            )
        if self.currency != other.currency:
            raise CurrencyError(
                f"cannot {op} {self.currency} and {other.currency} amounts: relmark never "
                "converts currencies; keep one total per currency"
            )
        return other

    def __add__(self, other: Money) -> Money:
        b = self._same(other, "add").amount
        return Money._new(_exactly(lambda: self.amount + b, "the sum"), self.currency)

    def __radd__(self, other: object) -> Money:
        """``0 + money`` (so that ``sum(amounts)`` works); any other left operand is refused."""
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return self._same(other, "add") + self

    def __sub__(self, other: Money) -> Money:
        b = self._same(other, "subtract").amount
        return Money._new(_exactly(lambda: self.amount - b, "the difference"), self.currency)

    def __neg__(self) -> Money:
        # copy_negate is exact whatever the number of digits (unary minus rounds to the
        # context's precision)
        return Money._new(self.amount.copy_negate(), self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def times(self, factor: Decimal | int | float) -> Money:
        """The amount multiplied by an exact factor (no rounding). A float factor is read
        from its shortest decimal text, so ``times(0.1)`` is exactly a tenth.

        >>> Money(amount="19.99", currency="EUR").times(0.1)
        Money(amount=Decimal('1.999'), currency='EUR')

        Parameters
        ----------
        factor
            The exact multiplier (Decimal, int, or float read from its shortest text).

        Returns
        -------
        Money
            The product, unrounded, in the same currency.

        Raises
        ------
        ArgumentError
            ``factor`` is not a finite number (NaN, inf, text, a bool).
        """
        f = _checks.exact(factor, "factor")
        return Money._new(_exactly(lambda: self.amount * f, "the product"), self.currency)

    def rounded(self, mode: str = "half_even") -> Money:
        """The amount rounded to the currency's minor unit (cents for EUR, yen for JPY,
        fils for KWD), ``"half_even"`` (banker's), ``"half_up"`` or ``"down"``.

        >>> Money(amount="2.345", currency="EUR").rounded()
        Money(amount=Decimal('2.34'), currency='EUR')
        >>> Money(amount="2.5", currency="JPY").rounded("half_up")
        Money(amount=Decimal('3'), currency='JPY')

        Parameters
        ----------
        mode
            ``"half_even"``, ``"half_up"`` or ``"down"``.

        Returns
        -------
        Money
            The amount with the currency's number of decimal places.
        """
        rule = _ROUNDING[check_choice(mode, "mode", tuple(_ROUNDING))]
        step = minor_unit_step(self.currency)
        with decimal.localcontext(DECIMAL_CONTEXT):
            out = self.amount.quantize(step, rounding=rule)
        return Money._new(out, self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency`` (a CurrencyError for an unknown code).

        Parameters
        ----------
        currency
            An ISO 4217 code.

        Returns
        -------
        Money
            ``0`` in ``currency``.
        """
        return cls.model_construct(amount=Decimal(0), currency=check_currency(currency, "currency"))


def _non_negative(money: Money) -> Money:
    if money.amount < 0:
        raise ValueError(
            f"must be >= 0, got {money.amount} {money.currency} (prices, fees, rewards, refunds "
            "and thresholds are never negative; record a reversal separately)"
        )
    return money


NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]
"""A :class:`Money` field that refuses negative amounts."""


def _whole_minor_units(money: Money) -> Money:
    step = minor_unit_step(money.currency)
    if money.amount != money.amount.quantize(step, rounding=ROUND_DOWN, context=DECIMAL_CONTEXT):
        raise ValueError(
            f"must be a whole number of {money.currency} minor units ({step}), got "
            f"{money.amount} {money.currency} (money that changes hands cannot hold less than "
            "the minor unit; round it with Money.rounded() first)"
        )
    return money


SettledMoney = Annotated[Money, AfterValidator(_whole_minor_units)]
"""A :class:`Money` field for money that changes hands: a whole number of the currency's
minor units (``0.005 EUR`` and ``0.5 JPY`` are refused, ``2.50 EUR`` and ``3 JPY`` are not)."""

NonNegativeSettledMoney = Annotated[
    Money, AfterValidator(_non_negative), AfterValidator(_whole_minor_units)
]
"""A :class:`SettledMoney` field that also refuses negative amounts (order amounts, refunds,
rewards paid)."""


def one_currency(amounts: Sequence[tuple[str, Money]]) -> str | None:
    """The one currency of named amounts (None if there are none); a CurrencyError naming
    the first two that differ otherwise."""
    if not amounts:
        return None
    first_name, first = amounts[0]
    for name, money in amounts[1:]:
        if money.currency != first.currency:
            raise CurrencyError(
                f"cannot combine {first.currency} ({first_name}) and {money.currency} ({name}): "
                "relmark never converts currencies; one result per currency"
            )
    return first.currency


def _month_day(value: str | None) -> str | None:
    if value is not None:
        try:
            datetime.strptime(f"2024-{value}", "%Y-%m-%d")  # a leap year: 02-29 exists
        except ValueError:
            raise ValueError(f"{value!r} is not a month and day MM-DD") from None
    return value


class Customer(Frozen):
    """A customer."""

    id: CustomerId
    name: str | None = None
    email: str | None = None
    created_at: AwareDatetime
    birthday: Annotated[
        Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{2}$")] | None,
        AfterValidator(_month_day),
    ] = None
    """Month and day, ``MM-DD`` (for birthday rewards without storing the year)."""


class Transaction(Frozen):
    """A purchase, with any refund against it (a refund cannot exceed the order)."""

    id: Identifier
    customer_id: CustomerId
    at: AwareDatetime
    amount: NonNegativeSettledMoney
    refunded: NonNegativeSettledMoney | None = None

    @model_validator(mode="after")
    def _refund(self) -> Transaction:
        if self.refunded is not None:
            if self.refunded.currency != self.amount.currency:
                raise CurrencyError(
                    f"refunded is in {self.refunded.currency}, the order in "
                    f"{self.amount.currency}: refund and order must share one currency"
                )
            if self.refunded.amount > self.amount.amount:
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
    :func:`relmark.data.summarize`.

    Parameters
    ----------
    transactions
        At least one transaction.

    Returns
    -------
    pandas.DataFrame
        One row per transaction.

    Raises
    ------
    ArgumentError
        ``transactions`` is empty or holds something that is not a :class:`Transaction`.
    """
    rows = _checks.instances(transactions, Transaction, "transactions")
    if not rows:
        raise ArgumentError("no transactions", argument="transactions")
    return pd.DataFrame(
        {
            "transaction_id": [t.id for t in rows],
            "customer_id": [t.customer_id for t in rows],
            "date": pd.to_datetime([t.at for t in rows], utc=True),
            "amount": [float(t.net.amount) for t in rows],
            "currency": [t.amount.currency for t in rows],
        }
    )


def _missing(value: object) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float | np.floating) and bool(np.isnan(value))


def _id_text(value: object) -> str | None:
    """An id as text: strings and integers (not floats: ``7.0`` would become ``"7.0"``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return str(int(value))
    return None


def transactions_from_frame(
    frame: pd.DataFrame, *, currency: str | None = None
) -> list[Transaction]:
    """Transactions from a table with ``transaction_id, customer_id, date, amount`` (and a
    ``currency`` column or argument); amounts are converted exactly from their decimal text
    (a float from its shortest text).

    Parameters
    ----------
    frame
        One row per transaction. Ids are text or integers; dates are timezone-aware
        (``Timestamp`` or ISO text with an offset).
    currency
        The currency of every row, when the frame has no ``currency`` column (if it has one,
        the two must agree).

    Returns
    -------
    list of Transaction

    Raises
    ------
    ArgumentError
        ``frame`` is not a DataFrame.
    CurrencyError
        ``currency`` (or a value of the ``currency`` column) is not a known ISO 4217 code, or
        the column disagrees with the argument.
    DataError
        A required column is missing; an id is missing (never read as ``"nan"``), a float or
        duplicated; a date is missing or naive; an amount is missing, negative, not a
        number or below its currency's minor unit (``0.005`` EUR). It names the column and
        every offending row label.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(
            f"must be a pandas DataFrame, got {type(frame).__name__}", argument="frame"
        )
    if currency is not None:
        check_currency(currency, "currency")
    need = ["transaction_id", "customer_id", "date", "amount"]
    if "currency" not in frame.columns and currency is None:
        need.append("currency")
    for column in need:
        if column not in frame.columns:
            raise DataError(
                "missing column (or pass currency=...)"
                if column == "currency"
                else "missing column",
                column=column,
            )
    doubled = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if doubled:
        raise DataError(
            "the column appears more than once (which one holds the data is ambiguous)",
            column=doubled[0],
        )
    labels = list(frame.index)
    records = frame.to_dict("records")

    def bad_rows(column: str, test: Any) -> list[object]:
        return [labels[i] for i, rec in enumerate(records) if test(rec[column])]

    for column in ("transaction_id", "customer_id"):
        gone = bad_rows(column, _missing)
        if gone:
            raise DataError(
                "missing ids (they would become the text 'nan')", column=column, rows=gone
            )
        wrong = bad_rows(column, lambda v: _id_text(v) is None)
        if wrong:
            raise DataError(
                "ids must be text or integers (a float id such as 7.0 is ambiguous)",
                column=column,
                rows=wrong,
            )
        wrong = bad_rows(column, lambda v: not _ok_id(str(_id_text(v))))
        if wrong:
            raise DataError(
                "ids must be non-empty, one line, without surrounding whitespace, "
                "at most 200 characters",
                column=column,
                rows=wrong,
            )
    if "currency" in frame.columns:
        wrong = bad_rows("currency", lambda v: not isinstance(v, str) or v not in CURRENCIES)
        if wrong:
            unknown = (r["currency"] for r in records)
            shown = sorted(
                {repr(v) for v in unknown if not isinstance(v, str) or v not in CURRENCIES}
            )[:5]
            raise CurrencyError(
                f"column 'currency': missing or unknown ISO 4217 codes {', '.join(shown)} in rows "
                f"{wrong[:5]} (codes are exact, upper case: 'EUR')"
            )
        if currency is not None:
            other = bad_rows("currency", lambda v: v != currency)
            if other:
                raise CurrencyError(
                    f"column 'currency' disagrees with currency={currency!r} in rows {other[:5]}"
                )
    rows: list[Transaction] = []
    dates_bad: list[object] = []
    amounts_bad: list[object] = []
    sub_unit: list[object] = []
    sub_shown: list[str] = []
    for label, rec in zip(labels, records, strict=True):
        at = rec["date"]
        when: datetime | None = None
        if not _missing(at):
            try:
                stamp = pd.Timestamp(at)
            except (TypeError, ValueError):
                stamp = None
            if stamp is not None and stamp.tzinfo is not None:
                when = stamp.to_pydatetime()
        if when is None:
            dates_bad.append(label)
            continue
        raw = rec["amount"]
        cur = str(rec["currency"]) if "currency" in rec else str(currency)
        try:
            amount = _checks.exact(raw, "amount", low=Decimal(0))
            _bounded(amount)
        except ArgumentError:
            amounts_bad.append(label)
            continue
        if amount != amount.quantize(minor_unit_step(cur), context=DECIMAL_CONTEXT):
            sub_unit.append(label)
            if len(sub_unit) <= 3:
                sub_shown.append(f"{amount} {cur}")
            continue
        try:
            rows.append(
                Transaction(
                    id=str(_id_text(rec["transaction_id"])),
                    customer_id=str(_id_text(rec["customer_id"])),
                    at=when,
                    amount=Money(amount=amount, currency=cur),
                )
            )
        except ValidationError as exc:  # pragma: no cover - every field was checked above
            raise DataError(f"invalid transaction: {exc}", rows=[label]) from None
    if dates_bad:
        raise DataError(
            "dates must be present and timezone-aware (an ISO text with an offset, "
            "or a Timestamp with tz)",
            column="date",
            rows=dates_bad,
        )
    if amounts_bad:
        raise DataError(
            "amounts must be finite numbers >= 0 (below 10^18)", column="amount", rows=amounts_bad
        )
    if sub_unit:
        raise DataError(
            "amounts must be whole numbers of their currency's minor units (0.01 EUR, 1 JPY): "
            f"a transaction cannot hold less, got {', '.join(sub_shown)}",
            column="amount",
            rows=sub_unit,
        )
    ids = [t.id for t in rows]
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    dups = [label for label, i in zip(labels, ids, strict=True) if seen[i] > 1]
    if dups:
        shown = sorted({i for i in ids if seen[i] > 1})[:5]
        raise DataError(f"duplicate transaction ids {shown}", column="transaction_id", rows=dups)
    return rows


def _ok_id(value: str) -> bool:
    try:
        _checks.identifier(value, "id")
    except ArgumentError:
        return False
    return True
