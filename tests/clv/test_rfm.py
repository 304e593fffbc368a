"""The shared base of the (frequency, recency, T) models: validation of histories."""

from __future__ import annotations

import numpy as np
import pytest

from relmark.clv import BGNBD, MBGNBD, ParetoNBD
from relmark.clv._rfm import RFMModel, broadcast_rfm
from relmark.errors import DataError

MODELS = [
    BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426),
    MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614),
    ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_one_customer_as_numbers_equals_the_array_path(model: RFMModel) -> None:
    """The Python-number fast path of a service's request gives what the array path gives."""
    one = model.conditional_expected_purchases(2, 30.43, 38.86, t=39.0)
    many = model.conditional_expected_purchases([2, 0], [30.43, 0.0], [38.86, 38.86], t=39.0)
    assert one[0] == pytest.approx(many[0], rel=1e-12)
    assert model.p_alive(2, 30.43, 38.86)[0] == pytest.approx(
        model.p_alive([2, 0], [30.43, 0.0], [38.86, 38.86])[0], rel=1e-12
    )


@pytest.mark.parametrize(
    ("history", "column"),
    [
        ((True, 1.0, 5.0), "frequency"),
        ((1, np.array([True]), 5.0), "recency"),
        ((1, 1.0, "5"), "T"),
        ((0, 1.0, 5.0), "recency"),
        ((1, 0.0, 5.0), "recency"),
    ],
)
def test_histories_are_data_errors_naming_the_column(
    history: tuple[object, object, object], column: str
) -> None:
    with pytest.raises(DataError) as err:
        broadcast_rfm(*history)  # type: ignore[arg-type]
    assert err.value.column == column
