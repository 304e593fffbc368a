r"""A generated item-level transaction log with planted associations of known strength.

No real item-level data set with a licence that allows shipping it inside the package was
found, so docs and tests use this generator, whose true supports, confidences and lifts are
known in closed form.

The model. Every basket holds each *free* item :math:`i` independently with probability
:math:`p_i`. A planted rule :math:`A \to B` is a pair of items used by no other rule: :math:`A`
is in a basket with probability :math:`p_A`; when it is, :math:`B` joins with probability
:math:`q` on top of its own :math:`p_B`, so :math:`P(B \mid A) = p_B + (1-p_B)\,q` and
:math:`P(B \mid \bar A) = p_B`. Empty baskets are not purchases and are not in the log: every
support is conditional on a non-empty basket, whose probability is
:math:`1 - \prod_i (1 - p_i)` over all items (a planted pair is empty only when neither item is
drawn). Hence, with :math:`e = 1 - \prod_i (1-p_i)`,

.. math:: s(A) = p_A / e, \quad s(AB) = p_A\,(p_B + (1-p_B)q) / e, \quad
    s(B) = (p_B + p_A (1-p_B) q) / e,

.. math:: \text{conf}(A \to B) = p_B + (1-p_B)q, \quad
    \text{lift} = \text{conf}(A \to B) / s(B).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relmark._validation import check_count, check_number, check_probability, check_rng
from relmark.errors import ArgumentError
from relmark.typing import RngLike

__all__ = ["ItemData", "make_item_transactions"]

_START = np.datetime64("2024-01-01", "D")


@dataclass(frozen=True)
class ItemData:
    """A generated item-level log and its truth.

    Attributes
    ----------
    transactions
        One row per purchased line: ``customer_id``, ``basket_id``, ``date``, ``item``,
        ``category``, ``price``.
    catalog
        One row per item: ``item``, ``category``, ``price``, ``margin`` (a money amount per
        unit), ``p`` (its own probability per basket).
    planted
        One row per planted rule: ``antecedent``, ``consequent``, ``q`` and the true
        ``antecedent_support``, ``consequent_support``, ``support``, ``confidence``, ``lift``
        (formulas in the module docstring).
    """

    transactions: pd.DataFrame
    catalog: pd.DataFrame
    planted: pd.DataFrame


def make_item_transactions(
    n_baskets: int = 5_000,
    *,
    n_items: int = 40,
    n_customers: int | None = None,
    n_categories: int = 4,
    base_support: float = 0.05,
    rules: Sequence[tuple[int, int, float]] = ((0, 1, 0.6), (2, 3, 0.4), (4, 5, 0.8)),
    days: int = 365,
    rng: RngLike = None,
) -> ItemData:
    r"""Generate baskets with planted associations ``A -> B`` of known support and lift.

    Parameters
    ----------
    n_baskets
        Baskets drawn (empty ones are dropped from the log, see the module docstring), >= 1.
    n_items
        Items ``P000`` ... in the catalog, >= 2.
    n_customers
        Customers the baskets are spread over uniformly (``n_baskets // 4`` by default).
    n_categories
        Categories ``C0`` ...; item ``i`` is in category ``i % n_categories``.
    base_support
        The largest own probability per basket; item :math:`i` has
        :math:`p_i = \text{base\_support} \cdot (1 - 0.8\, i / n_\text{items})`.
    rules
        Planted rules ``(A, B, q)`` by item position: distinct items, each in one rule,
        ``q`` in [0, 1].
    days
        Baskets are dated uniformly over this many days from 2024-01-01.
    rng
        Random source.

    Returns
    -------
    ItemData

    Raises
    ------
    ArgumentError
        Naming the argument: counts that are not whole numbers >= 1 (``n_items`` >= 2),
        ``base_support`` outside (0, 1], a rule naming an unknown item or an item twice, ``q``
        outside [0, 1].

    Examples
    --------
    >>> data = make_item_transactions(2_000, rng=1)
    >>> data.planted.loc[0, ["antecedent", "consequent"]].tolist()
    ['P000', 'P001']
    >>> round(float(data.planted.loc[0, "confidence"]), 3)
    0.62
    """
    n = check_count(n_baskets, "n_baskets", minimum=1)
    m = check_count(n_items, "n_items", minimum=2)
    k = check_count(n_categories, "n_categories", minimum=1)
    d = check_count(days, "days", minimum=1)
    c = (
        max(n // 4, 1)
        if n_customers is None
        else check_count(n_customers, "n_customers", minimum=1)
    )
    base = check_number(base_support, "base_support", low=0.0, high=1.0, low_open=True)
    gen = check_rng(rng)
    if not isinstance(rules, Sequence):
        raise ArgumentError("must be a sequence of (A, B, q)", argument="rules")
    used: set[int] = set()
    planted: list[tuple[int, int, float]] = []
    for rule in rules:
        if not (isinstance(rule, Sequence) and len(rule) == 3):
            raise ArgumentError(f"each rule is (A, B, q), got {rule!r}", argument="rules")
        a = check_count(rule[0], "rules", minimum=0)
        b = check_count(rule[1], "rules", minimum=0)
        q = check_probability(rule[2], "rules")
        if a >= m or b >= m or a == b or a in used or b in used:
            raise ArgumentError(
                f"rule {rule!r}: items must be distinct positions below n_items ({m}), "
                "each in one rule",
                argument="rules",
            )
        used |= {a, b}
        planted.append((a, b, q))
    p = base * (1.0 - 0.8 * np.arange(m) / m)
    names = np.array([f"P{i:03d}" for i in range(m)], dtype=object)
    cats = np.array([f"C{i % k}" for i in range(m)], dtype=object)
    price = np.round(2.0 + 18.0 * gen.random(m), 2)
    margin = np.round(price * (0.2 + 0.3 * gen.random(m)), 2)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    chunk = max(1, 2_000_000 // m)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        hold = gen.random((size, m), dtype=np.float32) < p.astype(np.float32)
        for a, b, q in planted:
            hold[:, b] |= hold[:, a] & (gen.random(size, dtype=np.float32) < q)
        r, i = np.nonzero(hold)
        rows.append(r + start)
        cols.append(i)
    basket = np.concatenate(rows)
    item = np.concatenate(cols)
    present, basket = np.unique(basket, return_inverse=True)
    owner = np.asarray(gen.integers(0, c, size=(present.shape[0],)), dtype=np.int64)
    offsets = np.asarray(gen.integers(0, d, size=(present.shape[0],)), dtype=np.int64)
    day = _START + offsets.astype("timedelta64[D]")
    transactions = pd.DataFrame(
        {
            "customer_id": owner[basket],
            "basket_id": basket,
            "date": pd.to_datetime(day[basket]),
            "item": names[item],
            "category": cats[item],
            "price": price[item],
        }
    )
    catalog = pd.DataFrame(
        {"item": names, "category": cats, "price": price, "margin": margin, "p": p}
    )
    nonempty = 1.0 - float(np.prod(1.0 - p))
    truth = []
    for a, b, q in planted:
        conf = p[b] + (1.0 - p[b]) * q
        s_a, s_ab = p[a] / nonempty, p[a] * conf / nonempty
        s_b = (p[b] + p[a] * (1.0 - p[b]) * q) / nonempty
        truth.append((names[a], names[b], q, s_a, s_b, s_ab, conf, conf / s_b))
    planted_frame = pd.DataFrame(
        truth,
        columns=[
            "antecedent",
            "consequent",
            "q",
            "antecedent_support",
            "consequent_support",
            "support",
            "confidence",
            "lift",
        ],
    )
    return ItemData(transactions=transactions, catalog=catalog, planted=planted_frame)
