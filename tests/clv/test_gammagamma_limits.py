"""Gamma-Gamma refuses frequencies float64 cannot represent exactly (2**53 or more), as
:func:`relmark._validation.check_rfm` does for the purchase models: a DataError naming
``frequency`` and the rows, in every entry point; 2**53 - 1 is accepted and exact.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from relmark.clv import GammaGamma
from relmark.errors import DataError

MODEL = GammaGamma(p=6.25, q=3.74, gamma=15.44)  # CDNOW (Fader, Hardie & Lee 2005 note)
TOO_MANY = [2.0**53, 2.0**53 + 2, 1e16, 1e300]


@pytest.mark.parametrize("bad", TOO_MANY)
def test_expected_spend_refuses_frequencies_of_2_53_or_more(bad: float) -> None:
    with pytest.raises(DataError) as info:
        MODEL.expected_spend(np.array([2.0, bad, 3.0]), np.array([10.0, 10.0, 10.0]))
    assert info.value.column == "frequency"
    assert "2**53" in str(info.value)
    assert tuple(info.value.rows) == (1,)


@pytest.mark.parametrize("bad", TOO_MANY)
def test_fit_and_log_likelihood_refuse_frequencies_of_2_53_or_more(bad: float) -> None:
    data = {"frequency": np.array([1.0, 4.0, bad]), "monetary_value": np.array([5.0, 8.0, 9.0])}
    with pytest.raises(DataError) as info:
        GammaGamma.fit(data)
    assert info.value.column == "frequency"
    assert tuple(info.value.rows) == (2,)
    with pytest.raises(DataError) as info:
        MODEL.log_likelihood(data)
    assert info.value.column == "frequency"
    assert tuple(info.value.rows) == (2,)


def test_largest_accepted_frequency_is_exact() -> None:
    """At x = 2**53 - 1 the posterior mean spend (Fader, Hardie & Lee 2005 note, eq. 5),
    E[Z] = (gamma + x m) p / (p x + q - 1), against mpmath at 40 digits."""
    x, m = 2.0**53 - 1, 22.35
    with mp.workdps(40):
        p, q, g = mp.mpf(6.25), mp.mpf(3.74), mp.mpf(15.44)
        want = float((g + mp.mpf(x) * mp.mpf(m)) * p / (p * mp.mpf(x) + q - 1))
    got = MODEL.expected_spend(np.array([x]), np.array([m]))[0]
    assert got == pytest.approx(want, rel=1e-14)
