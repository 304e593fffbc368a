"""Customer reviews of a product or a partner, typed and JSON-ready.

A :class:`Review` is one rating of one item (a product id or a partner id) by one customer at
one time: a whole number of stars in ``1..5``, a timezone-aware timestamp, an optional text.
:func:`reviews_to_frame` turns many reviews into the frame that
:func:`relmark.scoring.review_aggregates` and the other rating functions of
:mod:`relmark.scoring.reviews` read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import pandas as pd
from pydantic import AwareDatetime, Field, StrictBool, StrictInt

from relmark.domain.core import CustomerId, Frozen, Identifier
from relmark.errors import DataError

__all__ = ["MAX_STARS", "Review", "reviews_to_frame"]

MAX_STARS = 5
"""The top of the star scale of a :class:`Review` (1 is the bottom)."""

Stars = Annotated[StrictInt, Field(ge=1, le=MAX_STARS)]
"""A whole number of stars in ``1..5``: ``4.5``, ``"4"`` and ``True`` are refused."""


class Review(Frozen):
    """One customer's rating of one product or partner.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> r = Review(id="r1", item_id="sku-7", customer_id="c1", stars=4,
    ...            at=datetime(2026, 1, 5, tzinfo=timezone.utc))
    >>> Review.model_validate_json(r.model_dump_json()) == r
    True
    >>> Review(id="r2", item_id="sku-7", stars=6, at=r.at)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Review
    ...
    """

    id: Identifier
    """The review's id (unique within a collection of reviews)."""
    item_id: Identifier
    """What is reviewed: a product id or a partner id."""
    stars: Stars
    """The rating, a whole number of stars from 1 to :data:`MAX_STARS`."""
    at: AwareDatetime
    """When the review was written (timezone-aware)."""
    customer_id: CustomerId | None = None
    """Who wrote it, if known."""
    verified: StrictBool = False
    """Whether the reviewer is known to have bought the item."""
    text: Annotated[str, Field(max_length=20_000)] | None = None
    """The review's text, if any."""


def reviews_to_frame(reviews: Sequence[Review]) -> pd.DataFrame:
    """Reviews as a frame with columns ``id``, ``item_id``, ``customer_id``, ``stars``, ``at``
    (UTC), ``verified`` and ``text``, one row per review, in the given order.

    Parameters
    ----------
    reviews
        :class:`Review` objects with unique ids (at least one).

    Returns
    -------
    pandas.DataFrame
        One row per review; ``stars`` is int64, ``at`` holds timezone-aware UTC timestamps.

    Raises
    ------
    DataError
        Naming ``reviews``: empty, an element that is not a :class:`Review` (with its
        position), or a review id listed twice (with the positions).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> frame = reviews_to_frame([Review(id="r1", item_id="p", stars=5, at=at)])
    >>> frame[["item_id", "stars"]].to_dict("records")
    [{'item_id': 'p', 'stars': 5}]
    """
    given: object = reviews
    if isinstance(given, str | bytes) or not isinstance(given, Sequence):
        raise DataError("must be a list of Review objects", column="reviews")
    if len(reviews) == 0:
        raise DataError("no reviews: the list is empty", column="reviews")
    wrong = [i for i, r in enumerate(reviews) if not isinstance(r, Review)]
    if wrong:
        raise DataError("elements must be Review objects", column="reviews", rows=wrong)
    seen: dict[str, int] = {}
    twice: list[int] = []
    for i, r in enumerate(reviews):
        if r.id in seen:
            twice += [seen[r.id], i]
        seen.setdefault(r.id, i)
    if twice:
        raise DataError("a review id is listed twice", column="reviews", rows=twice)
    return pd.DataFrame(
        {
            "id": [r.id for r in reviews],
            "item_id": [r.item_id for r in reviews],
            "customer_id": [r.customer_id for r in reviews],
            "stars": pd.Series([r.stars for r in reviews], dtype="int64"),
            "at": pd.to_datetime([r.at for r in reviews], utc=True),
            "verified": [r.verified for r in reviews],
            "text": [r.text for r in reviews],
        }
    )
