"""The error vocabulary of :mod:`relmark.errors`: one base class, messages that name the
argument, key, column and rows, and pydantic's ValidationError re-exported."""

from __future__ import annotations

import inspect
from decimal import Decimal

import pydantic
import pytest

import relmark.errors as errors
from relmark.errors import (
    ArgumentError,
    ConvergenceError,
    ConvergenceWarning,
    CurrencyError,
    DataError,
    IllegalTransitionError,
    LedgerError,
    ModelNotFittedError,
    NumericalWarning,
    ParameterError,
    RelmarkError,
    SchemaError,
    ValidationError,
)

# every error class of the module, with the standard-library class code written against the
# standard library catches it as (written out from the module's docstring)
ERRORS: dict[type[Exception], type[Exception]] = {
    ArgumentError: ValueError,
    ParameterError: ValueError,
    DataError: ValueError,
    SchemaError: ValueError,
    IllegalTransitionError: ValueError,
    LedgerError: ValueError,
    CurrencyError: ValueError,
    ModelNotFittedError: AttributeError,
    ConvergenceError: RuntimeError,
}


def test_every_error_class_is_a_relmark_error() -> None:
    defined = {
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, Exception)
        and not issubclass(obj, Warning)
        and obj.__module__ == errors.__name__
    }
    assert defined == {*ERRORS, RelmarkError}, "a new error class needs a line in ERRORS"
    for cls, builtin in ERRORS.items():
        assert issubclass(cls, RelmarkError), cls
        assert issubclass(cls, builtin), cls
        assert cls.__name__ in errors.__all__
    assert RelmarkError.__bases__ == (Exception,)


def test_warnings_are_user_warnings_not_errors() -> None:
    for cls in (ConvergenceWarning, NumericalWarning):
        assert issubclass(cls, UserWarning)
        assert not issubclass(cls, RelmarkError)


def test_the_kinds_nest_as_documented() -> None:
    assert issubclass(CurrencyError, LedgerError)
    assert issubclass(ParameterError, ArgumentError)
    assert not issubclass(LedgerError, CurrencyError)
    assert not issubclass(DataError, ArgumentError)
    assert not issubclass(ArgumentError, DataError)
    with pytest.raises(LedgerError):
        raise CurrencyError("cannot add EUR and USD")


def test_argument_error_names_the_argument() -> None:
    err = ArgumentError("must be >= 0, got -2", argument="discount_rate")
    assert str(err) == "argument 'discount_rate': must be >= 0, got -2"
    assert err.argument == "discount_rate"
    bare = ArgumentError("no such option")
    assert (str(bare), bare.argument) == ("no such option", None)
    param = ParameterError("must be > 0, got -1.0", argument="r")
    assert (str(param), param.argument) == ("argument 'r': must be > 0, got -1.0", "r")


def test_schema_error_names_the_key() -> None:
    err = SchemaError("must be a number, got 'x'", key="params.r")
    assert str(err) == "key 'params.r': must be a number, got 'x'"
    assert err.key == "params.r"
    bare = SchemaError("not JSON")
    assert (str(bare), bare.key) == ("not JSON", None)


def test_data_error_names_the_column_and_the_rows() -> None:
    err = DataError("recency > T", column="recency", rows=["alice", 7])
    assert str(err) == "column 'recency': recency > T [first offending rows: 'alice', 7]"
    assert (err.column, err.rows, err.count) == ("recency", ("alice", 7), 2)
    assert str(DataError("empty log")) == "empty log"
    no_rows = DataError("missing", column="T")
    assert (str(no_rows), no_rows.rows, no_rows.count) == ("column 'T': missing", (), 0)


def test_data_error_shows_five_keeps_ten_and_counts_every_row() -> None:
    """25 offending rows 0..24: the message shows 0..4 and the other 20, :attr:`rows` keeps
    the first ten and :attr:`count` is 25."""
    err = DataError("negative", column="x", rows=range(25))
    assert err.rows == tuple(range(10))
    assert err.count == 25
    assert str(err) == "column 'x': negative [first offending rows: 0, 1, 2, 3, 4 (and 20 more)]"
    six = DataError("negative", rows=range(6))
    assert str(six) == "negative [first offending rows: 0, 1, 2, 3, 4 (and 1 more)]"
    five = DataError("negative", rows=range(5))
    assert str(five) == "negative [first offending rows: 0, 1, 2, 3, 4]"


def test_data_error_counts_rows_it_was_not_given() -> None:
    """A caller that found 1,959 bad rows passes the first ones and the count: three listed
    and 1,956 more (the message said "and 1954 more": it took five as shown)."""
    err = DataError("T < 0", column="T", rows=[3, 8, 11], count=1959)
    assert err.count == 1959
    assert err.rows == (3, 8, 11)
    assert str(err) == "column 'T': T < 0 [first offending rows: 3, 8, 11 (and 1956 more)]"
    # a count below the number of rows given is the number of rows
    assert DataError("bad", rows=range(12), count=2).count == 12


def test_validation_error_is_pydantics_and_not_a_relmark_error() -> None:
    """Only constructors and model_validate* raise it (listing every invalid field); it is
    pydantic's own class, so code that catches pydantic.ValidationError still works."""
    from relmark.domain import Money

    assert ValidationError is pydantic.ValidationError
    assert "ValidationError" in errors.__all__
    assert issubclass(ValidationError, ValueError)
    assert not issubclass(ValidationError, RelmarkError)
    with pytest.raises(ValidationError) as info:
        Money(amount=Decimal("nan"), currency="euro")
    assert {e["loc"] for e in info.value.errors()} == {("amount",), ("currency",)}
