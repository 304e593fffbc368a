"""BdW with extreme arguments: correct values where t - 1 is t in floating point, and an error
naming the argument instead of an infinite residual value."""

from __future__ import annotations

import mpmath
import pytest

from relmark.clv import BdW
from relmark.errors import ArgumentError


@pytest.mark.parametrize("t", [1e17, 1e20, 1e300])
def test_churn_beyond_2_to_53_periods_equals_mpmath(t: float) -> None:
    """t - 1 is t beyond 2**53: S(t-1) - S(t) was clamped to S(t-1) * 1e-300 (3e-316 at 1e17,
    where mpmath's difference of the betas at 60 digits gives about 1e-29)."""
    a, b, c = 0.704, 1.182, 1.3
    model = BdW(alpha=a, beta=b, c=c)
    with mpmath.workdps(60):
        tt = mpmath.mpf(t)

        def surv(u: mpmath.mpf) -> mpmath.mpf:
            return mpmath.beta(a, b + u**c) / mpmath.beta(a, b)

        want = float(surv(tt - 1) - surv(tt))
    got = float(model.prob_churn_at(t)[0])
    assert got == pytest.approx(want, rel=1e-9, abs=0.0) if want > 0 else got == 0.0


def test_a_residual_value_beyond_floating_point_is_refused() -> None:
    """1e300 customers at 1e300 per period overflowed to inf with a RuntimeWarning."""
    model = BdW(alpha=0.704, beta=1.182, c=1.3)
    with pytest.raises(ArgumentError) as info:
        model.residual_value([1e300, 1e300], value_per_period=1e300, discount_rate=0.1)
    assert info.value.argument == "value_per_period"
    one = model.residual_value([1.0], value_per_period=1.0, discount_rate=0.1)
    assert model.residual_value([1e300], value_per_period=1.0, discount_rate=0.1) == (
        pytest.approx(1e300 * one, rel=1e-12)
    )
