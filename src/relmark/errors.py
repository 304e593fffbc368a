"""Errors and warnings raised by relmark.

Every error relmark raises derives from :class:`RelmarkError`, so a service can catch one
class. Errors about bad values also derive from :class:`ValueError`, so code written against
the standard library keeps working.

Errors about data name what is wrong *where*: the column or field, and the first offending rows
or customers, so that a user can find them in their own table.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ConvergenceError",
    "ConvergenceWarning",
    "DataError",
    "IllegalTransitionError",
    "LedgerError",
    "ModelNotFittedError",
    "NumericalWarning",
    "ParameterError",
    "RelmarkError",
    "SchemaError",
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
            shown = ", ".join(repr(r) for r in self.rows[:5])
            more = f" (and {self.count - 5} more)" if self.count > 5 else ""
            text = f"{text} [first offending rows: {shown}{more}]"
        super().__init__(text)


class ParameterError(RelmarkError, ValueError):
    """Model parameters are outside their domain (e.g. a negative shape, Gamma-Gamma q <= 1)."""


class SchemaError(RelmarkError, ValueError):
    """A persisted object (JSON) is for another model, or has an unsupported schema version."""


class IllegalTransitionError(RelmarkError, ValueError):
    """A state machine (lifecycle stage, referral status, ...) was asked for a move it forbids."""


class LedgerError(RelmarkError, ValueError):
    """A ledger or payout operation would lose, duplicate or overdraw money or points.

    The ledger is left unchanged when this is raised.
    """


class ModelNotFittedError(RelmarkError, AttributeError):
    """A fit result was requested from a model that was built from given parameters."""


class ConvergenceError(RelmarkError, RuntimeError):
    """An optimiser could not reach a point where the gradient vanishes."""


class ConvergenceWarning(UserWarning):
    """A fit ended with a gradient or a log-likelihood change larger than the tolerance."""


class NumericalWarning(UserWarning):
    """A computation lost precision in a way the user should know about."""
