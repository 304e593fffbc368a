r"""Does the loyalty programme pay? Membership effect, breakage, tier migration, profit.

- :func:`membership_effect`: the incremental effect of membership on spend (or purchases) from
  a member/non-member panel, by difference-in-differences with standard errors clustered by
  customer. ``design="2x2"`` is the classic comparison of members and non-members before and
  after a common launch,

  .. math:: y_{it} = \beta_0 + \beta_1 G_i + \beta_2 \mathrm{Post}_t
      + \delta\, G_i \mathrm{Post}_t + \varepsilon_{it},

  and ``design="twfe"`` the two-way fixed-effects form (customer and period effects, members
  joining at any period),

  .. math:: y_{it} = \alpha_i + \gamma_t + \delta D_{it} + \varepsilon_{it}.

  The cluster-robust covariance is :math:`c\,(X'X)^{-1}\bigl(\sum_g X_g'u_g u_g'X_g\bigr)
  (X'X)^{-1}` with :math:`c = \frac{G}{G-1}\frac{N-1}{N-K}` (Cameron & Miller 2015); in the
  two-way form the customer effects are absorbed (nested in the clusters, so not counted in
  :math:`K`, as in Stata's ``xtreg, fe``). Intervals use Student's t with :math:`G-1` degrees
  of freedom.
- :func:`event_study`: the pre-trend check: effects by period relative to joining
  (:math:`k = -1` the reference); the leads :math:`k \le -2` should be zero if members and
  non-members were on parallel paths, tested jointly by a cluster-robust Wald statistic.
- :func:`breakage_curve`: breakage from redemption curves, with censoring: points still open
  at the end of observation are not yet broken. The cumulative incidence of redemption and of
  expiry (Aalen-Johansen, points as weights) give the share of points ever redeemed; breakage is
  one minus it at the validity horizon, and only a bound when the data stop short of it.
- :func:`tier_migration`: tier-to-tier transition matrix from tier histories (the Markov
  estimate of :func:`relmark.lifecycle.estimate_transitions`) with upgrade and downgrade shares.
- :func:`programme_profit`: incremental margin − reward cost − running cost, the reward cost
  being the points redeemed at their cost plus the change in the IFRS 15 liability for the
  points outstanding (:func:`relmark.domain.loyalty.outstanding_liability`), in exact money.

References
----------
Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, ch. 5 (differences-in-
differences). Cameron, A. C. & Miller, D. L. (2015). "A practitioner's guide to cluster-robust
inference", *Journal of Human Resources* 50(2), 317-372. Kalbfleisch, J. D. & Prentice, R. L.
(2002). *The Statistical Analysis of Failure Time Data*, 2nd ed., sec. 8.2 (cumulative incidence
of competing risks). Leenheer, J., van Heerde, H. J., Bijmolt, T. H. A. & Smidts, A. (2007).
"Do loyalty programs really enhance behavioral loyalty?", *International Journal of Research in
Marketing* 24(1), 31-47. IFRS 15 *Revenue from Contracts with Customers*, B39-B43 (customer
options, breakage).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from scipy.stats import chi2
from scipy.stats import t as student_t

from relmark._validation import (
    as_float_array,
    check_choice,
    check_count,
    check_level,
    check_number,
)
from relmark.decide.campaign import _Stored
from relmark.domain.core import Money
from relmark.domain.currency import check_currency, minor_unit_step
from relmark.domain.loyalty import outstanding_liability
from relmark.errors import ArgumentError, CurrencyError, DataError
from relmark.typing import FloatArray

__all__ = [
    "BreakageEstimate",
    "EventStudy",
    "MembershipEffect",
    "ProgrammeProfit",
    "TierMigration",
    "breakage_curve",
    "event_study",
    "membership_effect",
    "programme_profit",
    "tier_migration",
]


MAX_OUTCOME = 1e100
"""The largest outcome (spend, purchases) a panel may hold: the regressions square it."""

MAX_LOT_POINTS = 2**53 - 1
"""The most points one lot may hold (as :data:`relmark.domain.loyalty.MAX_POINTS`)."""

MAX_DESIGN_CELLS = 25_000_000
"""The most cells (rows x period columns) of a two-way or event-study design, and of a tier
panel (customers x periods): 200 MB of float64 per copy. Daily periods over years of a large
panel would exhaust memory; aggregate them (weeks, months)."""

_Count = Annotated[int, Field(ge=0)]
_Share = Annotated[float, Field(ge=0.0, le=1.0)]
_Level = Annotated[float, Field(gt=0.0, lt=1.0)]


# ------------------------------------------------------------------ panel input
def _frame(
    panel: object, columns: Sequence[tuple[str, str]], argument: str = "panel"
) -> pd.DataFrame:
    if not isinstance(panel, pd.DataFrame):
        raise ArgumentError(
            f"must be a pandas DataFrame, got {type(panel).__name__}", argument=argument
        )
    for argument, name in columns:
        if not isinstance(name, str):
            raise ArgumentError(f"must be a column name, got {name!r}", argument=argument)
        if name not in panel.columns:
            raise DataError(
                f"missing (the {argument} column; have {list(panel.columns)[:10]})", column=name
            )
    if len(panel) == 0:
        raise DataError("no rows: the panel is empty", column=columns[0][1])
    for _, name in columns:
        missing = panel[name].isna().to_numpy()
        if missing.any():
            raise DataError("missing values", column=name, rows=panel.index[missing].tolist())
    return panel


def _flags(values: pd.Series, name: str) -> FloatArray:
    raw = values.to_numpy()
    if raw.dtype == np.bool_:
        return raw.astype(np.float64)
    x = as_float_array(raw, name, labels=values.index.tolist())
    bad = (x != 0) & (x != 1)
    if bad.any():
        raise DataError(
            "must be 0 or 1 (or True/False)", column=name, rows=values.index[bad].tolist()
        )
    return x


def _codes(values: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    if values.dtype == object:
        text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if text.any() and not text.all():  # 1 and "1" would be two customers (or periods)
            minority = ~text if text.sum() >= (~text).sum() else text
            raise DataError(
                'mixes text and non-text values (1 and "1" would be two different ids, and '
                "periods could not be ordered): use one kind",
                column=name,
                rows=values.index[minority].tolist(),
            )
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        raise DataError("values cannot be ordered (mixed types)", column=name) from None
    return codes.astype(np.int64), np.asarray(uniques)


_DIGITS = re.compile(r"(\d+)")


def _period_codes(values: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Period codes in time order (code 0 the earliest) and the labels in that order.

    Numbers, dates, pandas Periods and ordered Categoricals order themselves. Text does not:
    as text ``"10"`` sorts before ``"9"`` and ``"2026-10"`` before ``"2026-9"``. Text labels
    are ordered by the numbers in them when every label has the same form (the same text around
    its runs of digits: ``"9"``/``"10"``, ``"2026-9"``/``"2026-10"``, ``"2024Q1"``,
    ``"P10"``), several numbers read most significant first, so a label with more than one
    number must start with a four-digit year (``"2024-03-15"``, ``"2024/3"``; not
    ``"15/03/2024"``: day or month first cannot be told). Other text (``"Jan"``, labels of
    different forms, ``"2026-09"`` next to ``"2026-9"``) is a :class:`DataError` naming the
    column, never an order guessed from the text.
    """
    codes, uniques = _codes(values, name)
    if isinstance(values.dtype, pd.CategoricalDtype) and values.dtype.ordered:
        return codes, uniques  # the categories' own order
    if any(isinstance(v, bytes | bytearray) for v in uniques):
        # bytes sort as bytes (b"2026-10" before b"2026-9"), with no numbered order read
        raise DataError(
            "periods are bytes, whose order is not time order: decode them to text (or pass "
            "numbers, dates or an ordered pandas Categorical)",
            column=name,
        )
    if not all(isinstance(v, str) for v in uniques):
        return codes, uniques
    fix = (
        "pass numbers, dates (datetime or pandas Period) or an ordered pandas Categorical, or "
        'labels of one form whose numbers give the order ("2026-09", "2026-10")'
    )
    parts = [_DIGITS.split(str(v)) for v in uniques]
    forms = {tuple(p[0::2]) for p in parts}
    if len(forms) > 1 or not any(p[1::2] for p in parts):
        shown = [str(v) for v in uniques[:4]]
        raise DataError(
            f"text periods of no common numbered form ({shown}...) cannot be put in time order "
            f"(as text '10' sorts before '9'): {fix}",
            column=name,
        )
    if len(parts[0]) > 3 and any(len(p[1]) != 4 for p in parts):
        bad = next(str(v) for v, p in zip(uniques, parts, strict=True) if len(p[1]) != 4)
        raise DataError(
            f"text periods with several numbers must start with a four-digit year (got {bad!r}: "
            f"day or month first cannot be told): {fix}",
            column=name,
        )
    if parts[0][0][-1:] in ("-", "+", "\u2212") and any(len(p[1]) != 4 for p in parts):
        # '-3', '-2', '-1' (or 't-2'): a sign cannot be told from a separator, and read as
        # separators -1 would come before -3 ('FY-2024', a year after a dash, is a label)
        raise DataError(
            f"text periods with a sign before their first number ({str(uniques[0])!r}) cannot "
            f"be put in time order: {fix}",
            column=name,
        )
    longest = max(len(n) for p in parts for n in p[1::2])
    if longest > 100:  # (int() refuses more than 4300 digits with a raw ValueError)
        raise DataError(
            f"text periods with a number of {longest} digits are not periods: {fix}",
            column=name,
        )
    keys = [tuple(int(n) for n in p[1::2]) for p in parts]
    seen: dict[tuple[int, ...], str] = {}
    for v, key in zip(uniques, keys, strict=True):
        if key in seen:
            raise DataError(
                f"the text periods {seen[key]!r} and {str(v)!r} are the same period written two "
                f"ways: {fix}",
                column=name,
            )
        seen[key] = str(v)
    order = sorted(range(len(keys)), key=keys.__getitem__)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], uniques[order]


class _Panel:
    """A validated long panel: customer and period codes, outcome, membership."""

    def __init__(
        self, panel: object, customer: str, period: str, outcome: str, member: str
    ) -> None:
        cols = (("customer", customer), ("period", period), ("outcome", outcome))
        frame = _frame(panel, (*cols, ("member", member)))
        self.customer, self.customers = _codes(frame[customer], customer)
        self.period, self.periods = _period_codes(frame[period], period)
        self.y = as_float_array(frame[outcome].to_numpy(), outcome, labels=frame.index.tolist())
        huge = np.abs(self.y) > MAX_OUTCOME
        if huge.any():
            raise DataError(
                f"values beyond {MAX_OUTCOME:g} (not a spend or a count; squares would overflow)",
                column=outcome,
                rows=frame.index[huge].tolist(),
            )
        self.d = _flags(frame[member], member)
        key = self.customer * len(self.periods) + self.period
        dup = pd.Series(key).duplicated(keep=False).to_numpy()
        if dup.any():
            raise DataError(
                f"a customer appears twice in one period ({customer!r}, {period!r})",
                column=period,
                rows=frame.index[dup].tolist(),
            )
        self.labels = frame.index
        self.member_name = member
        self.outcome_name = outcome
        self.n = len(self.y)
        self.g = len(self.customers)
        if self.g < 2:
            raise DataError("needs at least two customers (clusters)", column=customer)
        if len(self.periods) < 2:
            raise DataError("needs at least two periods (before and after)", column=period)
        self.ever = np.zeros(self.g)
        np.maximum.at(self.ever, self.customer, self.d)
        if self.ever.all() or not self.ever.any():
            what = "every customer is" if self.ever.all() else "no customer is ever"
            raise DataError(f"{what} a member: there is no comparison group", column=member)

    def first_join(self) -> np.ndarray:
        """Each customer's first member period code (-1 for never-members)."""
        first = np.full(self.g, np.iinfo(np.int64).max)
        on = self.d == 1
        np.minimum.at(first, self.customer[on], self.period[on])
        return np.where(self.ever == 1, first, -1)

    def absorbing(self) -> None:
        first = self.first_join()
        joined = first[self.customer]
        left = (joined >= 0) & (self.period >= joined) & (self.d == 0)
        if left.any():
            raise DataError(
                "a member leaves the programme (0 after 1): the 2x2 and event-study designs "
                "need membership that, once started, stays on",
                column=self.member_name,
                rows=self.labels[left].tolist(),
            )

    def period_dummies(self) -> tuple[FloatArray, list[str]]:
        """Indicators of every period but the first (the two-way designs' period effects)
        and their names."""
        dummies = (self.period[:, None] == np.arange(1, len(self.periods))[None, :]).astype(float)
        return dummies, [f"period {v}" for v in self.periods[1:]]

    def demean(self, x: FloatArray) -> FloatArray:
        """Columns of ``x`` minus their customer means (absorbing customer effects)."""
        sums = _group_sums(self.customer, x, self.g)
        counts = np.bincount(self.customer, minlength=self.g).astype(np.float64)
        out: FloatArray = x - (sums / counts[:, None])[self.customer]
        return out


def _check_cells(rows: int, columns: int, name: str, what: str) -> None:
    if rows * columns > MAX_DESIGN_CELLS:
        raise DataError(
            f"{rows} x {columns} {what} is more than {MAX_DESIGN_CELLS:,} cells: aggregate the "
            "periods (weeks or months rather than days)",
            column=name,
        )


def _group_sums(groups: np.ndarray, x: FloatArray, n_groups: int) -> FloatArray:
    """Column sums of ``x`` by group (bincount per column: far faster than ``np.add.at``)."""
    sums: FloatArray = np.zeros((n_groups, x.shape[1]))
    for j in range(x.shape[1]):
        sums[:, j] = np.bincount(groups, weights=x[:, j], minlength=n_groups)
    return sums


def _cluster_ols(
    x: FloatArray,
    y: FloatArray,
    groups: np.ndarray,
    n_groups: int,
    k: int,
    names: list[str],
    outcome: str = "outcome",
) -> tuple[FloatArray, FloatArray]:
    """OLS estimates and their cluster-robust covariance (correction with ``k`` regressors)."""
    n = x.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        xtx = x.T @ x
    # the rank of X'X (k x k) is that of X, without an SVD of the n x k design
    rank = np.linalg.matrix_rank(xtx) if x.size and np.isfinite(xtx).all() else 0
    if rank < x.shape[1]:
        raise DataError(
            f"the design is collinear ({names}): membership does not vary apart from the "
            "period and customer effects (no comparison group in some period, or everyone "
            "joins at once in the two-way design without never-members)",
            column="member",
        )
    if n <= k:
        raise DataError(f"{n} observations for {k} coefficients: too few", column=outcome)
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            xtx_inv = np.linalg.inv(xtx)
            beta = xtx_inv @ (x.T @ y)
            u = y - x @ beta
            scores = _group_sums(groups, x * u[:, None], n_groups)
            meat = scores.T @ scores
            c = n_groups / (n_groups - 1) * (n - 1) / (n - k)
            cov = c * xtx_inv @ meat @ xtx_inv
    except (FloatingPointError, np.linalg.LinAlgError):
        raise DataError(
            "the regression overflows or is singular (outcome values too large to square "
            "in float64, or a degenerate design)",
            column=outcome,
        ) from None
    return beta, (cov + cov.T) / 2


def _interval(est: float, se: float, df: int, level: float) -> tuple[float, float, float]:
    q = float(student_t.isf((1 - level) / 2, df))
    p = float(2 * student_t.sf(abs(est / se), df)) if se > 0 else (0.0 if est else 1.0)
    return est - q * se, est + q * se, p


class MembershipEffect(_Stored):
    """The incremental effect of membership (difference-in-differences).

    Parameters
    ----------
    design
        ``"2x2"`` or ``"twfe"``.
    effect
        :math:`\\hat\\delta`: extra outcome per member and period (in the outcome's unit).
    standard_error
        Cluster-robust (by customer).
    low, high
        The interval at ``level`` (Student's t, customers − 1 degrees of freedom).
    level
        The interval's level.
    p_value
        Two-sided, of :math:`\\delta = 0`.
    customers, members, observations, periods
        Customers (clusters), customers ever members, rows, distinct periods.
    member_periods
        Rows in which the customer was a member (the exposure the effect multiplies).
    """

    _kind: ClassVar[str] = "membership_effect"

    design: Literal["2x2", "twfe"]
    effect: float
    standard_error: Annotated[float, Field(ge=0.0)]
    low: float
    high: float
    level: _Level
    p_value: _Share
    customers: _Count
    members: _Count
    observations: _Count
    periods: _Count
    member_periods: _Count

    @model_validator(mode="after")
    def _check_interval(self) -> MembershipEffect:
        if not self.low <= self.effect <= self.high:
            raise ValueError(
                f"low, effect, high must be in order, got {self.low}, {self.effect}, {self.high}"
            )
        return self


def membership_effect(
    panel: pd.DataFrame,
    *,
    customer: str = "customer_id",
    period: str = "period",
    outcome: str = "spend",
    member: str = "member",
    design: Literal["2x2", "twfe"] = "2x2",
    level: float = 0.95,
) -> MembershipEffect:
    r"""Incremental effect of loyalty-programme membership by difference-in-differences.

    .. math:: \hat\delta = (\bar y_{G,\text{post}} - \bar y_{G,\text{pre}})
        - (\bar y_{C,\text{post}} - \bar y_{C,\text{pre}}) \quad \text{(2x2, balanced)}

    Parameters
    ----------
    panel
        One row per customer and period (a long frame).
    customer, period, outcome, member
        Column names: the customer id, the period (numbers, dates, an ordered Categorical,
        or text labels of one form ordered by their numbers: ``"2024-3"`` before
        ``"2024-10"``, see ``_period_codes``), the outcome (spend, purchases: finite numbers)
        and the membership flag (0/1 or booleans: a member in that period).
    design
        ``"2x2"``: members (customers who are ever members) against non-members, before and
        after the one period all members joined (membership must start at one common period and
        stay on); ``"twfe"``: customer and period fixed effects with membership joining at any
        period (with staggered joining and effects that change over time, this estimate is a
        weighted mean that can mislead: check :func:`event_study`).
    level
        Level of the interval.

    Returns
    -------
    MembershipEffect
        The effect with its cluster-robust standard error, interval and p-value.

    Raises
    ------
    ArgumentError
        ``panel`` not a DataFrame, a column name not text, ``design`` unknown, ``level``
        outside (0, 1).
    DataError
        Naming the column: missing, missing values, an outcome that is not a finite number, a
        flag not 0/1, a customer twice in a period, fewer than two customers or periods, no
        comparison group (everyone or no one a member), members joining at different periods or
        leaving (``"2x2"``), a collinear design; ids or periods mixing text and numbers; text
        periods with no order (``"Jan"``, mixed forms, day-first dates); a two-way design
        beyond :data:`MAX_DESIGN_CELLS` cells.

    References
    ----------
    Angrist & Pischke (2009), ch. 5; Cameron & Miller (2015), *J. Human Resources* 50(2).

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "c", "c", "d", "d"],
    ...     "period": [1, 2] * 4,
    ...     "spend": [10.0, 15.0, 12.0, 16.0, 10.0, 11.0, 9.0, 11.0],
    ...     "member": [0, 1, 0, 1, 0, 0, 0, 0]})
    >>> round(membership_effect(panel).effect, 6)  # (5 + 4)/2 - (1 + 2)/2
    3.0
    """
    check_level(level, "level")
    check_choice(design, "design", ("2x2", "twfe"))
    p = _Panel(panel, customer, period, outcome, member)
    if design == "2x2":
        first = p.first_join()
        start = int(first[first >= 0].min())
        g = p.ever[p.customer]
        post = (p.period >= start).astype(np.float64)
        off = p.d != g * post
        if off.any():
            raise DataError(
                f"the 2x2 design needs one launch (period {p.periods[start]!s}) from which every "
                "member stays a member, and no membership before it; these rows differ (members "
                "joining at different periods or leaving: use design='twfe' and event_study)",
                column=member,
                rows=p.labels[off].tolist(),
            )
        if post.all():
            raise DataError("members are members from the first period: no before", column=member)
        x = np.column_stack([np.ones(p.n), g, post, g * post])
        beta, cov = _cluster_ols(
            x, p.y, p.customer, p.g, 4, ["const", "group", "post", "did"], outcome
        )
        est, se = float(beta[3]), float(np.sqrt(cov[3, 3]))
    else:
        _check_cells(p.n, len(p.periods), period, "rows x periods of the two-way design")
        dummies, period_names = p.period_dummies()
        x = p.demean(np.column_stack([p.d, dummies]))
        names = ["member", *period_names]
        beta, cov = _cluster_ols(
            x, p.demean(p.y[:, None])[:, 0], p.customer, p.g, x.shape[1], names, outcome
        )
        est, se = float(beta[0]), float(np.sqrt(cov[0, 0]))
    low, high, pv = _interval(est, se, p.g - 1, level)
    return MembershipEffect(
        design=design,
        effect=est,
        standard_error=se,
        low=low,
        high=high,
        level=level,
        p_value=pv,
        customers=p.g,
        members=int(p.ever.sum()),
        observations=p.n,
        periods=len(p.periods),
        member_periods=int(p.d.sum()),
    )


class EventStudy(_Stored):
    """Effects of membership by period relative to joining, and the pre-trend test.

    Parameters
    ----------
    relative_periods
        :math:`k` = period − the customer's joining period (in steps of the sorted distinct
        periods), without the reference ``-1``.
    estimates, standard_errors
        The effect at each relative period (against :math:`k=-1`), cluster-robust errors.
    leads
        The relative periods :math:`k \\le -2` tested.
    pretrend_statistic
        Cluster-robust Wald statistic of "all leads are zero".
    pretrend_df
        Its degrees of freedom (the number of leads).
    pretrend_p_value
        Chi-square p-value: a small value says members were on a different path before
        joining, and the difference-in-differences is suspect.
    customers
        Customers (clusters).
    """

    _kind: ClassVar[str] = "event_study"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("relative_periods", "estimates", "standard_errors"),
    )

    relative_periods: tuple[int, ...]
    estimates: tuple[float, ...]
    standard_errors: tuple[Annotated[float, Field(ge=0.0)], ...]
    leads: tuple[int, ...]
    pretrend_statistic: Annotated[float, Field(ge=0.0)]
    pretrend_df: _Count
    pretrend_p_value: _Share
    customers: _Count

    @model_validator(mode="after")
    def _check_leads(self) -> EventStudy:
        if self.pretrend_df != len(self.leads) or not set(self.leads) <= set(self.relative_periods):
            raise ValueError(
                f"pretrend_df {self.pretrend_df} must be the number of leads {self.leads}, "
                "each one of the relative_periods"
            )
        return self


def event_study(
    panel: pd.DataFrame,
    *,
    customer: str = "customer_id",
    period: str = "period",
    outcome: str = "spend",
    member: str = "member",
) -> EventStudy:
    r"""Event-study regression and the pre-trend (parallel paths) check.

    .. math:: y_{it} = \alpha_i + \gamma_t + \sum_{k \ne -1} \beta_k\,
        \mathbf 1[t - E_i = k] + \varepsilon_{it}, \qquad
        W = \hat\beta_L' \hat V_L^{-1} \hat\beta_L \sim \chi^2_{|L|}

    with :math:`E_i` the customer's joining period, never-members as controls and
    :math:`L = \{k \le -2\}` the leads.

    Parameters
    ----------
    panel
        One row per customer and period.
    customer, period, outcome, member
        Column names, as in :func:`membership_effect` (membership, once on, stays on).

    Returns
    -------
    EventStudy
        Effects by relative period and the Wald test of the leads.

    Raises
    ------
    ArgumentError
        ``panel`` not a DataFrame or a column name not text.
    DataError
        As :func:`membership_effect`, and when no member is seen two or more periods before
        joining (no lead to test) or the design is collinear or beyond
        :data:`MAX_DESIGN_CELLS` cells.

    References
    ----------
    Angrist & Pischke (2009), sec. 5.2 (leads as a check of the parallel-trends assumption).

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({
    ...     "customer_id": sorted(["a", "b", "c", "d"] * 3), "period": [1, 2, 3] * 4,
    ...     "spend": [10.0, 11, 16, 12, 12, 18, 10, 11, 12, 9, 11, 12],
    ...     "member": [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]})
    >>> study = event_study(panel)
    >>> study.relative_periods, study.leads
    ((-2, 0), (-2,))
    """
    p = _Panel(panel, customer, period, outcome, member)
    p.absorbing()
    first = p.first_join()[p.customer]
    rel = np.where(first >= 0, p.period - first, np.iinfo(np.int64).min)
    ks = sorted(int(k) for k in np.unique(rel[first >= 0]) if k != -1)
    leads = tuple(k for k in ks if k <= -2)
    if not leads:
        raise DataError(
            "no member is observed two or more periods before joining: there is no lead to "
            "test (the pre-trend check needs at least two periods before joining)",
            column=period,
        )
    _check_cells(p.n, len(ks) + len(p.periods), period, "rows x (events + periods)")
    events = (rel[:, None] == np.asarray(ks)[None, :]).astype(float)
    dummies, period_names = p.period_dummies()
    x = p.demean(np.column_stack([events, dummies]))
    names = [f"k={k}" for k in ks] + period_names
    y = p.demean(p.y[:, None])[:, 0]
    beta, cov = _cluster_ols(x, y, p.customer, p.g, x.shape[1], names, outcome)
    idx = [ks.index(k) for k in leads]
    b = beta[idx]
    v = cov[np.ix_(idx, idx)]
    try:
        stat = float(b @ np.linalg.solve(v, b))
    except np.linalg.LinAlgError:
        raise DataError(
            "the leads' covariance is singular (too few members before joining)", column=period
        ) from None
    stat = max(stat, 0.0)
    return EventStudy(
        relative_periods=tuple(ks),
        estimates=tuple(float(e) for e in beta[: len(ks)]),
        standard_errors=tuple(float(s) for s in np.sqrt(np.diag(cov)[: len(ks)])),
        leads=leads,
        pretrend_statistic=stat,
        pretrend_df=len(leads),
        pretrend_p_value=float(chi2.sf(stat, len(leads))),
        customers=p.g,
    )


# ----------------------------------------------------------------------- breakage
_OUTCOMES = ("redeemed", "expired", "open")


class BreakageEstimate(_Stored):
    """Redemption and expiry curves of points, and the breakage they imply.

    Parameters
    ----------
    days
        The distinct event or censoring times (days since the points were earned).
    redeemed
        Cumulative incidence of redemption at each time: the share of points redeemed by then.
    expired
        Cumulative incidence of expiry.
    outstanding
        Share of points neither redeemed nor expired (the Kaplan-Meier survival of both).
    horizon
        The day the breakage refers to: ``validity_days`` or the last time observed.
    breakage
        :math:`1 - F_{\\text{redeemed}}(\\text{horizon})` when the curves reach the horizon
        (or no point is left outstanding), else ``None``.
    breakage_upper_bound
        :math:`1 - F_{\\text{redeemed}}` at the last time observed: breakage is at most this.
    naive_breakage
        Expired points / all points: what counting open points as unbroken gives (biased low
        while points are open).
    points
        Points in the data.
    """

    _kind: ClassVar[str] = "breakage_estimate"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("days", "redeemed", "expired", "outstanding"),
    )

    days: tuple[Annotated[float, Field(ge=0.0)], ...]
    redeemed: tuple[_Share, ...]
    expired: tuple[_Share, ...]
    outstanding: tuple[_Share, ...]
    horizon: Annotated[float, Field(ge=0.0)]
    breakage: _Share | None
    breakage_upper_bound: _Share
    naive_breakage: _Share
    points: Annotated[float, Field(gt=0.0)]


def breakage_curve(
    lots: pd.DataFrame,
    *,
    days: str = "days",
    outcome: str = "outcome",
    points: str = "points",
    validity_days: int | None = None,
) -> BreakageEstimate:
    r"""Breakage from redemption curves with censoring (competing risks).

    Each row is a lot of points (or one point) followed from the day it was earned until it was
    redeemed, expired, or the end of observation (``"open"``: censored); a lot partly redeemed
    (or redeemed in several goes) is one row per part, with that part's points and day. With
    :math:`n_j` the points at risk at time :math:`t_j` and :math:`r_j, e_j` those redeemed and
    expired then,

    .. math:: S(t) = \prod_{t_j \le t} \Bigl(1 - \frac{r_j + e_j}{n_j}\Bigr), \qquad
        F_r(t) = \sum_{t_j \le t} S(t_{j-1}) \frac{r_j}{n_j},

    and breakage is :math:`1 - F_r(\text{horizon})`: the share of points never redeemed.
    Counting open points as neither redeemed nor broken would bias it.

    Parameters
    ----------
    lots
        One row per lot.
    days, outcome, points
        Columns: days from earning to the event or to the end of observation (>= 0), the
        outcome (``"redeemed"``, ``"expired"`` or ``"open"``), the points in the lot (> 0; a
        weight).
    validity_days
        How long points stay valid (whole days >= 1): breakage refers to that horizon. ``None``
        (no expiry): to the last time observed, which is a bound unless nothing is left open.

    Returns
    -------
    BreakageEstimate
        The curves, the breakage (``None`` when not identified) and its upper bound.

    Raises
    ------
    ArgumentError
        ``lots`` not a DataFrame, a column name not text, ``validity_days`` not a whole
        number >= 1.
    DataError
        Naming the column: missing, missing values, negative days or days beyond
        ``validity_days``, an unknown outcome, points <= 0.

    References
    ----------
    Kalbfleisch & Prentice (2002), sec. 8.2; IFRS 15 B46 (breakage estimated from experience).

    Examples
    --------
    >>> import pandas as pd
    >>> lots = pd.DataFrame({"days": [10, 20, 30, 30], "points": [100, 100, 100, 100],
    ...                      "outcome": ["redeemed", "open", "redeemed", "expired"]})
    >>> est = breakage_curve(lots, validity_days=30)
    >>> est.breakage  # 1 - (1/4 + 3/4 * 1/2): the open lot counts as at risk until day 20
    0.375
    """
    frame = _frame(lots, (("days", days), ("outcome", outcome), ("points", points)), "lots")
    horizon = (
        None if validity_days is None else check_count(validity_days, "validity_days", minimum=1)
    )
    labels = frame.index.tolist()
    t = as_float_array(frame[days].to_numpy(), days, labels=labels)
    bad = t < 0 if horizon is None else (t < 0) | (t > horizon)
    if bad.any():
        what = "must be >= 0" if horizon is None else f"must be in [0, validity_days={horizon}]"
        raise DataError(what, column=days, rows=frame.index[bad].tolist())
    w = as_float_array(frame[points].to_numpy(), points, labels=labels)
    bad = (w <= 0) | (w > MAX_LOT_POINTS)
    if bad.any():
        raise DataError(
            "must be > 0 and at most 2^53 - 1", column=points, rows=frame.index[bad].tolist()
        )
    kind = frame[outcome].to_numpy(dtype=object)
    unknown = ~np.isin(kind, np.asarray(_OUTCOMES, dtype=object))
    if unknown.any():
        raise DataError(
            f"must be one of {list(_OUTCOMES)}", column=outcome, rows=frame.index[unknown].tolist()
        )
    times = np.unique(t)
    pos = np.searchsorted(times, t)
    red = np.bincount(pos, weights=w * (kind == "redeemed"), minlength=times.size)
    exp_ = np.bincount(pos, weights=w * (kind == "expired"), minlength=times.size)
    leaving = np.bincount(pos, weights=w, minlength=times.size)
    at_risk = np.cumsum(leaving[::-1])[::-1]
    hazard_r = red / at_risk
    hazard_e = exp_ / at_risk
    surv = np.cumprod(1 - hazard_r - hazard_e)
    before = np.concatenate([[1.0], surv[:-1]])
    f_r = np.cumsum(before * hazard_r)
    f_e = np.cumsum(before * hazard_e)
    surv = np.clip(surv, 0.0, 1.0)  # rounding of 1 - 1 only: each factor is in [0, 1]
    left = float(surv[-1])
    reached = (horizon is not None and times[-1] >= horizon) or left <= 1e-12
    upper = float(1 - f_r[-1])
    return BreakageEstimate(
        days=tuple(float(v) for v in times),
        redeemed=tuple(float(v) for v in f_r),
        expired=tuple(float(v) for v in f_e),
        outstanding=tuple(float(v) for v in surv),
        horizon=float(horizon if horizon is not None else times[-1]),
        breakage=upper if reached else None,
        breakage_upper_bound=upper,
        naive_breakage=float(w[kind == "expired"].sum() / w.sum()),
        points=float(w.sum()),
    )


# ------------------------------------------------------------------ tier migration
class TierMigration(_Stored):
    """Tier-to-tier transition matrix from one period to the next.

    Parameters
    ----------
    tiers
        Tier names, lowest first.
    counts
        ``counts[i][j]``: members in tier ``i`` one period and ``j`` the next.
    matrix
        Row shares (the Markov estimate); a row without data is ``None`` throughout.
    low, high
        Wilson intervals of each cell at ``level`` (``None`` for empty rows).
    level
        The intervals' level.
    empty_rows
        Tiers no member was seen leaving (or staying in).
    upgrade_share, downgrade_share, stay_share
        Shares of all observed transitions that move up, down, or stay.
    transitions
        Observed period-to-period transitions.
    """

    _kind: ClassVar[str] = "tier_migration"

    tiers: tuple[str, ...]
    counts: tuple[tuple[_Count, ...], ...]
    matrix: tuple[tuple[_Share | None, ...], ...]
    low: tuple[tuple[_Share | None, ...], ...]
    high: tuple[tuple[_Share | None, ...], ...]
    level: _Level
    empty_rows: tuple[str, ...]
    upgrade_share: _Share
    downgrade_share: _Share
    stay_share: _Share
    transitions: _Count

    @model_validator(mode="after")
    def _check_square(self) -> TierMigration:
        n = len(self.tiers)
        for name in ("counts", "matrix", "low", "high"):
            rows = getattr(self, name)
            if len(rows) != n or any(len(row) != n for row in rows):
                raise ValueError(f"{name} must be {n} x {n} (one row and column per tier)")
        if sum(map(sum, self.counts)) != self.transitions:
            raise ValueError(f"transitions {self.transitions} is not the sum of the counts")
        return self

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a frame (rows: from, columns: to; NaN for an empty row).

        Returns
        -------
        pandas.DataFrame
            Index ``from``, columns ``to``.
        """
        return pd.DataFrame(
            [[np.nan if v is None else v for v in row] for row in self.matrix],
            index=pd.Index(self.tiers, name="from"),
            columns=pd.Index(self.tiers, name="to"),
        )


def _cells(m: FloatArray) -> tuple[tuple[float | None, ...], ...]:
    return tuple(tuple(None if np.isnan(v) else float(v) for v in row) for row in m)


def tier_migration(
    history: pd.DataFrame,
    tiers: Sequence[str],
    *,
    customer: str = "customer_id",
    period: str = "period",
    tier: str = "tier",
    level: float = 0.95,
) -> TierMigration:
    r"""Tier migration matrix from members' tier histories.

    .. math:: \hat p_{ij} = \frac{n_{ij}}{\sum_k n_{ik}}

    with :math:`n_{ij}` the members in tier :math:`i` in one period and :math:`j` in the next
    (consecutive distinct periods of the history; a member missing from a period breaks their
    sequence there). Estimated by :func:`relmark.lifecycle.estimate_transitions`.

    Parameters
    ----------
    history
        One row per member and period: the tier held then.
    tiers
        The tier names, lowest first (upgrades move right).
    customer, period, tier
        Column names.
    level
        Level of the Wilson intervals.

    Returns
    -------
    TierMigration
        Counts, matrix, intervals and the up/down/stay shares.

    Raises
    ------
    ArgumentError
        ``history`` not a DataFrame, ``tiers`` not distinct names, ``level`` outside (0, 1).
    DataError
        Naming the column: missing, missing values, a tier not in ``tiers``, a member twice in
        one period, no transition observed, more than :data:`MAX_DESIGN_CELLS` customers x
        periods.

    References
    ----------
    Pfeifer, P. E. & Carraway, R. L. (2000). "Modeling customer relationships as Markov
    chains", *Journal of Interactive Marketing* 14(2), 43-55.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "period": [1, 2, 1, 2],
    ...                   "tier": ["base", "gold", "base", "base"]})
    >>> tier_migration(h, ["base", "gold"]).matrix
    ((0.5, 0.5), (None, None))
    """
    from relmark.lifecycle.markov import _states, estimate_transitions

    check_level(level, "level")
    try:
        names = _states(list(tiers) if isinstance(tiers, tuple) else tiers)
    except ArgumentError as exc:
        raise ArgumentError(str(exc).split(": ", 1)[-1], argument="tiers") from None
    frame = _frame(history, (("customer", customer), ("period", period), ("tier", tier)), "history")
    known = frame[tier].isin(names).to_numpy()
    if not known.all():
        raise DataError(
            f"unknown tier (known: {list(names)})", column=tier, rows=frame.index[~known].tolist()
        )
    cust, customers = _codes(frame[customer], customer)
    per, periods = _period_codes(frame[period], period)
    key = pd.Series(cust * len(periods) + per)
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(
            "a member appears twice in one period", column=period, rows=frame.index[dup].tolist()
        )
    _check_cells(len(customers), len(periods), period, "customers x periods of tier history")
    panel = np.full((len(customers), len(periods)), -1, dtype=np.int64)
    panel[cust, per] = frame[tier].map({n: i for i, n in enumerate(names)}).to_numpy()
    est = estimate_transitions(panel, list(names), level=level)
    counts = est.counts
    total = float(counts.sum())
    if total == 0:
        raise DataError("no member is seen in two consecutive periods", column=period)
    up = float(np.triu(counts, 1).sum())
    down = float(np.tril(counts, -1).sum())
    return TierMigration(
        tiers=names,
        counts=tuple(tuple(int(v) for v in row) for row in counts),
        matrix=_cells(est.matrix),
        low=_cells(est.wilson_low),
        high=_cells(est.wilson_high),
        level=level,
        empty_rows=est.empty_rows,
        upgrade_share=up / total,
        downgrade_share=down / total,
        stay_share=float(np.trace(counts)) / total,
        transitions=int(total),
    )


# ------------------------------------------------------------------ programme profit
class ProgrammeProfit(_Stored):
    """What the programme earned over a period, in exact money (decimal text in JSON).

    Parameters
    ----------
    currency
        The one currency of every amount.
    incremental_margin
        Effect × member periods × margin rate, rounded to the minor unit.
    incremental_margin_low, incremental_margin_high
        The same at the ends of the effect's interval.
    redemption_cost
        Points redeemed × cost per point.
    liability_change
        Closing − opening liability of the points outstanding (IFRS 15).
    reward_cost
        Redemption cost + liability change.
    running_cost
        Operating the programme (staff, IT, communication).
    profit
        Incremental margin − reward cost − running cost.
    profit_low, profit_high
        The profit at the ends of the effect's interval.
    pays
        Whether ``profit`` > 0; ``pays_for_sure`` whether even ``profit_low`` > 0.
    pays_for_sure
        See ``pays``.
    """

    _kind: ClassVar[str] = "programme_profit"

    currency: str
    incremental_margin: Decimal
    incremental_margin_low: Decimal
    incremental_margin_high: Decimal
    redemption_cost: Decimal
    liability_change: Decimal
    reward_cost: Decimal
    running_cost: Decimal
    profit: Decimal
    profit_low: Decimal
    profit_high: Decimal
    pays: bool
    pays_for_sure: bool

    @model_validator(mode="after")
    def _check_sums(self) -> ProgrammeProfit:
        check_currency(self.currency, "currency")
        r = self.running_cost
        sums = {
            "reward_cost": (self.reward_cost, self.redemption_cost + self.liability_change),
            "profit": (self.profit, self.incremental_margin - self.reward_cost - r),
            "profit_low": (self.profit_low, self.incremental_margin_low - self.reward_cost - r),
            "profit_high": (
                self.profit_high,
                self.incremental_margin_high - self.reward_cost - r,
            ),
            "pays": (self.pays, self.profit > 0),
            "pays_for_sure": (self.pays_for_sure, self.profit_low > 0),
        }
        for name, (got, want) in sums.items():
            if got != want:
                raise ValueError(f"{name} is {got}, but its parts give {want}")
        return self


def _points(value: object, name: str) -> int:
    n = check_count(value, name)
    if n > MAX_LOT_POINTS:
        raise ArgumentError(f"must be at most 2^53 - 1, got {n}", argument=name)
    return n


def _money_arg(value: object, name: str, currency: str | None) -> Money:
    if not isinstance(value, Money):
        raise ArgumentError(f"must be Money, got {type(value).__name__}", argument=name)
    if value.amount < 0:
        raise ArgumentError(f"cannot be negative, got {value.amount}", argument=name)
    if currency is not None and value.currency != currency:
        raise CurrencyError(f"argument {name!r}: expected {currency}, got {value.currency}")
    return value


def programme_profit(
    effect: MembershipEffect,
    *,
    margin_rate: float,
    points_redeemed: int,
    cost_per_point: Money,
    outstanding_points: int,
    breakage: float | BreakageEstimate,
    running_cost: Money,
    opening_liability: Money | None = None,
    member_periods: int | None = None,
) -> ProgrammeProfit:
    r"""The loyalty programme's profit: incremental margin − reward cost − running cost.

    .. math:: \Pi = \hat\delta\, N_{\text{member periods}}\, m
        - \bigl(R\, c + L_{\text{close}} - L_{\text{open}}\bigr) - C_{\text{run}}, \qquad
        L_{\text{close}} = P_{\text{out}} (1 - b)\, c

    with the liability :math:`L` of :func:`relmark.domain.loyalty.outstanding_liability`, the
    effect :math:`\hat\delta` per member period from :func:`membership_effect` (on spend) and
    margin rate :math:`m`. The effect's interval carries into ``profit_low``/``profit_high``.
    The float effect enters money through its shortest decimal text, rounded to the minor unit.

    Parameters
    ----------
    effect
        The membership effect on spend per member and period.
    margin_rate
        Gross margin per unit of incremental spend, in [0, 1].
    points_redeemed
        Points redeemed in the period (whole, 0 to 2^53 - 1).
    cost_per_point
        What a redeemed point costs the firm (Money >= 0); fixes the currency.
    outstanding_points
        Points outstanding at the end of the period (whole, 0 to 2^53 - 1).
    breakage
        The share of outstanding points expected never to be redeemed, or a
        :class:`BreakageEstimate` (its ``breakage``, which must be identified).
    running_cost
        The programme's running cost in the period (Money >= 0).
    opening_liability
        The liability at the start of the period (default zero: a new programme).
    member_periods
        Member periods the effect applies to (default: the effect's own ``member_periods``).

    Returns
    -------
    ProgrammeProfit
        The parts and the profit, in the currency of ``cost_per_point``.

    Raises
    ------
    ArgumentError
        ``effect`` not a MembershipEffect; a rate, count or amount out of range; a
        BreakageEstimate whose breakage is not identified.
    CurrencyError
        Amounts in different currencies.

    References
    ----------
    IFRS 15, B39-B43 and IE52; Leenheer et al. (2007), *IJRM* 24(1).

    Examples
    --------
    >>> from relmark.domain import Money
    >>> eff = MembershipEffect(design="2x2", effect=3.0, standard_error=0.5, low=2.0,
    ...     high=4.0, level=0.95, p_value=0.001, customers=400, members=200,
    ...     observations=800, periods=2, member_periods=200)
    >>> eur = lambda v: Money(amount=v, currency="EUR")
    >>> out = programme_profit(eff, margin_rate=0.4, points_redeemed=10_000,
    ...     cost_per_point=eur("0.01"), outstanding_points=5_000, breakage=0.2,
    ...     running_cost=eur("50"))
    >>> out.profit  # 3 * 200 * 0.4 - (100 + 40) - 50
    Decimal('50.00')
    """
    if not isinstance(effect, MembershipEffect):
        raise ArgumentError(
            f"must be a MembershipEffect, got {type(effect).__name__}", argument="effect"
        )
    rate = check_number(margin_rate, "margin_rate", low=0.0, high=1.0)
    redeemed = _points(points_redeemed, "points_redeemed")
    outstanding = _points(outstanding_points, "outstanding_points")
    for name in ("effect", "low", "high"):
        check_number(getattr(effect, name), f"effect.{name}", low=-MAX_OUTCOME, high=MAX_OUTCOME)
    cpp = _money_arg(cost_per_point, "cost_per_point", None)
    cur = cpp.currency
    run = _money_arg(running_cost, "running_cost", cur)
    opening = (
        Money(amount=Decimal(0), currency=cur)
        if opening_liability is None
        else _money_arg(opening_liability, "opening_liability", cur)
    )
    exposure = (
        effect.member_periods
        if member_periods is None
        else _points(member_periods, "member_periods")
    )
    if isinstance(breakage, BreakageEstimate):
        if breakage.breakage is None:
            raise ArgumentError(
                "the estimate's breakage is not identified (the curves stop before the "
                f"horizon; at most {breakage.breakage_upper_bound:.4f}): pass a number",
                argument="breakage",
            )
        b = breakage.breakage
    else:
        b = check_number(breakage, "breakage", low=0.0, high=1.0)
    step = minor_unit_step(cur)

    def margin(x: float) -> Decimal:
        try:
            return (Decimal(repr(x)) * Decimal(exposure) * Decimal(repr(rate))).quantize(
                step, rounding=ROUND_HALF_UP
            )
        except InvalidOperation:  # beyond the 28 digits of exact money
            raise ArgumentError(
                f"effect x member periods x margin rate ({x!r} x {exposure} x {rate!r}) is "
                "too large for exact money",
                argument="effect",
            ) from None

    closing = outstanding_liability(
        outstanding, breakage=Decimal(repr(b)), value_per_point=cpp
    ).amount.quantize(step, rounding=ROUND_HALF_UP)
    redemption = (cpp.amount * redeemed).quantize(step, rounding=ROUND_HALF_UP)
    change = closing - opening.amount
    reward = redemption + change
    m, m_low, m_high = margin(effect.effect), margin(effect.low), margin(effect.high)
    profit = m - reward - run.amount
    return ProgrammeProfit(
        currency=cur,
        incremental_margin=m,
        incremental_margin_low=m_low,
        incremental_margin_high=m_high,
        redemption_cost=redemption,
        liability_change=change,
        reward_cost=reward,
        running_cost=run.amount,
        profit=profit,
        profit_low=m_low - reward - run.amount,
        profit_high=m_high - reward - run.amount,
        pays=profit > 0,
        pays_for_sure=m_low - reward - run.amount > 0,
    )
