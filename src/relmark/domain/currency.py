"""The currencies relmark accepts: ISO 4217 codes of currencies, with their minor units.

The list is shipped in code (ISO 4217 List One, 2024 amendments: ``XCG`` and ``ZWG``
included, withdrawn codes such as ``HRK`` not), so nothing is read at run time. Only codes of
currencies with a minor unit are accepted: precious metals (``XAU``), bond-market units, the
SDR (``XDR``), the test code ``XTS`` and "no currency" ``XXX`` are refused, as is any made-up
code (``XYZ``). The minor unit is the number of decimal places of the currency (``JPY`` 0,
``EUR`` 2, ``KWD`` 3); statements and allocations round to it.

>>> minor_units("JPY"), minor_units("EUR"), minor_units("KWD")
(0, 2, 3)
>>> check_currency("XYZ", "currency")
Traceback (most recent call last):
...
relmark.errors.CurrencyError: argument 'currency': 'XYZ' is not an ISO 4217 currency code ...
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

from relmark.errors import CurrencyError

__all__ = ["CURRENCIES", "check_currency", "minor_unit_step", "minor_units"]

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED "
    "VES WST XCD XCG YER ZAR ZMW ZWG"
)

CURRENCIES: MappingProxyType[str, int] = MappingProxyType(
    {
        code: places
        for codes, places in ((_ZERO, 0), (_TWO, 2), (_THREE, 3), (_FOUR, 4))
        for code in codes.split()
    }
)
"""ISO 4217 code -> number of decimal places (minor unit), read-only."""


def check_currency(value: object, name: str) -> str:
    """``value`` if it is a known ISO 4217 currency code (upper case, exactly), else a
    :class:`~relmark.errors.CurrencyError` naming ``name``.

    Parameters
    ----------
    value
        The candidate code.
    name
        The argument name the error names.

    Returns
    -------
    str
        ``value``, a known code.
    """
    if not isinstance(value, str) or value not in CURRENCIES:
        hint = ""
        if isinstance(value, str) and value.strip().upper() in CURRENCIES:
            hint = f" (did you mean {value.strip().upper()!r}? codes are exact, upper case)"
        raise CurrencyError(
            f"argument {name!r}: {value!r} is not an ISO 4217 currency code relmark knows"
            f"{hint}; see relmark.domain.currency.CURRENCIES"
        )
    return value


def minor_units(currency: str) -> int:
    """Decimal places of ``currency`` (a CurrencyError if the code is unknown).

    Parameters
    ----------
    currency
        An ISO 4217 code.

    Returns
    -------
    int
        The number of decimal places.
    """
    return CURRENCIES[check_currency(currency, "currency")]


def minor_unit_step(currency: str) -> Decimal:
    """The smallest amount of ``currency`` as a Decimal exponent (``Decimal('0.01')`` for
    EUR, ``Decimal('1')`` for JPY), for :meth:`decimal.Decimal.quantize`.

    Parameters
    ----------
    currency
        An ISO 4217 code.

    Returns
    -------
    Decimal
        One minor unit.
    """
    return Decimal(1).scaleb(-minor_units(currency))
