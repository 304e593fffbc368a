"""Errors and warnings raised by relmark.

Every error relmark raises derives from :class:`RelmarkError`, so a service can catch one
class. Errors about bad values also derive from :class:`ValueError`, so code written against
the standard library keeps working.

Errors about data name what is wrong *where*: the column or field, and the first offending rows
or customers, so that a user can find them in their own table.

The vocabulary, by what the caller got wrong:

- :class:`ArgumentError`: an argument of a function or method (``discount_rate=-2``,
  ``horizon=nan``, ``level=1.5``); it names the argument.
- :class:`DataError`: a column or row of the data (a summary, a transaction log, a survey); it
  names the column and the offending rows.
- :class:`ParameterError`: model parameters outside their domain (an :class:`ArgumentError`).
- :class:`SchemaError`: persisted JSON that is not what it claims to be; it names the key.
- :class:`LedgerError` and its :class:`CurrencyError`: an operation that would lose, duplicate
  or overdraw money or points, or combine two currencies.
- :class:`IllegalTransitionError`: a move a state machine forbids.

pydantic's :class:`ValidationError` (re-exported here) is raised only by the constructors and
``model_validate``/``model_validate_json`` of relmark's domain objects, where it lists every
invalid field; no method raises it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

__all__ = [
    "ArgumentError",
    "ConvergenceError",
    "ConvergenceWarning",
    "CurrencyError",
    "DataError",
    "IllegalTransitionError",
    "LedgerError",
    "ModelNotFittedError",
    "NumericalWarning",
    "ParameterError",
    "RelmarkError",
    "SchemaError",
    "ValidationError",
]


class RelmarkError(Exception):
    """Base class of every error relmark raises."""


class DataError(RelmarkError, ValueError):
    """Input data are invalid: a missing column, a bad value, an inconsistent row.

    Parameters
    ----------
    message
        What is wrong, in words.
    column
        The column or field at fault, if there is one.
    rows
        The offending row labels or customer ids, all of them or the first ones (the message
        shows five and the total; :attr:`rows` keeps the first ten).
    count
        The number of offending rows when ``rows`` lists only the first ones.
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        rows: Sequence[object] | None = None,
        count: int | None = None,
    ) -> None:
        self.column = column
        listed = list(rows) if rows is not None else []
        self.rows: tuple[object, ...] = tuple(listed[:10])
        self.count: int = max(count or 0, len(listed))
        """How many rows are at fault."""
        text = message
        if column is not None:
            text = f"column {column!r}: {text}"
        if self.rows:
            first = self.rows[:5]
            shown = ", ".join(repr(r) for r in first)
            more = f" (and {self.count - len(first)} more)" if self.count > len(first) else ""
            text = f"{text} [first offending rows: {shown}{more}]"
        super().__init__(text)


class ArgumentError(RelmarkError, ValueError):
    """An argument of a function or method is invalid (NaN, out of range, wrong type or shape).

    Parameters
    ----------
    message
        What is wrong, in words.
    argument
        The name of the argument at fault, as the caller wrote it.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        self.argument = argument
        text = message if argument is None else f"argument {argument!r}: {message}"
        super().__init__(text)


class ParameterError(ArgumentError):
    """Model parameters are outside their domain (e.g. a negative shape, Gamma-Gamma q <= 1)."""


class SchemaError(RelmarkError, ValueError):
    """A persisted object (JSON) is malformed, for another model, inconsistent, or has an
    unsupported schema version.

    Parameters
    ----------
    message
        What is wrong, in words.
    key
        The JSON key at fault (dotted for nested keys, e.g. ``"params.r"``), if there is one.
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        self.key = key
        text = message if key is None else f"key {key!r}: {message}"
        super().__init__(text)


class IllegalTransitionError(RelmarkError, ValueError):
    """A state machine (lifecycle stage, referral status, ...) was asked for a move it forbids."""


class LedgerError(RelmarkError, ValueError):
    """A ledger or payout operation would lose, duplicate or overdraw money or points.

    The ledger is left unchanged when this is raised.
    """


class CurrencyError(LedgerError):
    """Amounts in two currencies were combined (added, compared, allocated or paid together),
    or a currency is not a known ISO 4217 code. Nothing is converted: one result per currency.
    """


class ModelNotFittedError(RelmarkError, AttributeError):
    """A fit result was requested from a model that was built from given parameters."""


class ConvergenceError(RelmarkError, RuntimeError):
    """An optimiser could not reach a point where the gradient vanishes."""


class ConvergenceWarning(UserWarning):
    """A fit ended with a gradient or a log-likelihood change larger than the tolerance."""


class NumericalWarning(UserWarning):
    """A computation lost precision in a way the user should know about."""
