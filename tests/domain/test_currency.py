"""The ISO 4217 currencies of :mod:`relmark.domain.currency` and their minor units, against
the published ISO 4217 List One (2024 amendments)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relmark.domain import CURRENCIES, check_currency, minor_unit_step, minor_units
from relmark.errors import CurrencyError, LedgerError

# ISO 4217 List One, column "minor unit", written out by hand
ISO_MINOR_UNITS = {
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
    "CLP": 0,
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "XCG": 2,  # Caribbean guilder, added in 2024
    "ZWG": 2,  # Zimbabwe Gold, added in 2024
    "BHD": 3,
    "KWD": 3,
    "TND": 3,
    "CLF": 4,
    "UYW": 4,
}


@pytest.mark.parametrize(("code", "places"), ISO_MINOR_UNITS.items())
def test_minor_units_are_those_of_iso_4217(code: str, places: int) -> None:
    assert minor_units(code) == places
    assert CURRENCIES[code] == places
    assert minor_unit_step(code) == Decimal(10) ** -places
    assert check_currency(code, "currency") == code


@pytest.mark.parametrize(
    "code",
    [
        "HRK",  # withdrawn in 2023 (the euro replaced the kuna)
        "XAU",  # gold: no minor unit
        "XDR",  # the IMF's special drawing right
        "XTS",  # reserved for tests
        "XXX",  # "no currency"
        "XYZ",  # made up
        "",
    ],
)
def test_codes_without_a_minor_unit_or_withdrawn_are_refused(code: str) -> None:
    assert code not in CURRENCIES
    with pytest.raises(CurrencyError, match=rf"argument 'price': '{code}' is not an ISO 4217"):
        check_currency(code, "price")
    with pytest.raises(CurrencyError, match="'currency'"):
        minor_units(code)


def test_codes_are_exact_and_upper_case_with_a_hint() -> None:
    for near in ("usd", " USD", "Usd"):
        with pytest.raises(CurrencyError, match=r"did you mean 'USD'\?") as info:
            check_currency(near, "currency")
        assert isinstance(info.value, LedgerError)
    with pytest.raises(CurrencyError, match="argument 'currency': 840 is not"):
        check_currency(840, "currency")


def test_the_currency_list_is_read_only() -> None:
    with pytest.raises(TypeError):
        CURRENCIES["XYZ"] = 2  # type: ignore[index]
    assert "XYZ" not in CURRENCIES
