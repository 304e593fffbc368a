"""Hypothesis strategies for the covariate models' tests."""

from __future__ import annotations

from hypothesis import strategies as st

positive = st.floats(min_value=0.2, max_value=8.0, allow_nan=False, allow_infinity=False)
"""A shape or scale parameter in a typical range."""

effect = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False, allow_infinity=False)
"""A covariate coefficient."""

covariate_value = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False)
"""A covariate value (standardised scale)."""

name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)
"""A valid covariate name (no ':')."""
