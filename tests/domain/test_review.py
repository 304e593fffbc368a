# mypy: disable-error-code="arg-type, call-arg"
# (the bad-input cases build reviews with deliberately ill-typed fields)
"""The typed ``Review``: exact JSON round trip, the JSON Schema a service may send, and every
field's rule (ValidationError naming the field), and ``reviews_to_frame``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.domain import Review, json_schemas, reviews_to_frame
from relmark.errors import DataError, ValidationError

AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
GOOD: dict[str, Any] = {"id": "r1", "item_id": "sku-7", "stars": 4, "at": AT}


def test_json_round_trip_is_exact() -> None:
    review = Review(**GOOD, customer_id="c1", verified=True, text="Arrived fast.")
    text = review.model_dump_json()
    assert Review.model_validate_json(text) == review
    assert '"stars":4' in text


def test_schema_is_registered() -> None:
    schema = json_schemas()["Review"]
    assert schema["required"] == ["id", "item_id", "stars", "at"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["stars"]["minimum"] == 1
    assert schema["properties"]["stars"]["maximum"] == 5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stars", 0),
        ("stars", 6),
        ("stars", 4.5),
        ("stars", "4"),
        ("stars", True),
        ("stars", None),
        ("at", datetime(2026, 1, 5)),  # naive
        ("at", "yesterday"),
        ("id", ""),
        ("id", " r1"),
        ("item_id", "sku\n7"),
        ("customer_id", ""),
        ("verified", "yes"),
        ("text", "x" * 20_001),
    ],
)
def test_bad_fields_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        Review(**{**GOOD, field: value})
    assert [e["loc"][0] for e in info.value.errors()] == [field]


def test_unknown_fields_and_mutation_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Review(**GOOD, rating=4)
    assert info.value.errors()[0]["loc"] == ("rating",)
    review = Review(**GOOD)
    with pytest.raises(ValidationError):
        review.stars = 5  # type: ignore[misc]


def test_json_with_a_float_star_is_refused() -> None:
    text = Review(**GOOD).model_dump_json().replace('"stars":4', '"stars":4.0')
    with pytest.raises(ValidationError) as info:
        Review.model_validate_json(text)
    assert info.value.errors()[0]["loc"] == ("stars",)


def test_reviews_to_frame() -> None:
    reviews = [Review(**GOOD), Review(**{**GOOD, "id": "r2", "stars": 1, "item_id": "p-3"})]
    frame = reviews_to_frame(reviews)
    assert frame["id"].tolist() == ["r1", "r2"]
    assert frame["stars"].tolist() == [4, 1]
    assert str(frame["stars"].dtype) == "int64"
    assert frame["at"].dt.tz is not None
    assert frame["at"].iloc[0] == AT
    assert frame["customer_id"].tolist() == [None, None]


@pytest.mark.parametrize(
    ("reviews", "rows"),
    [
        ([], ()),
        ("r1", ()),
        ([Review(**GOOD), {"id": "r2"}], (1,)),
        ([Review(**GOOD), Review(**GOOD)], (0, 1)),
    ],
)
def test_reviews_to_frame_refuses_bad_lists(reviews: Any, rows: tuple[int, ...]) -> None:
    with pytest.raises(DataError) as info:
        reviews_to_frame(reviews)
    assert info.value.column == "reviews"
    assert info.value.rows == rows


@settings(max_examples=40, deadline=None)
@given(
    stars=st.integers(1, 5),
    verified=st.booleans(),
    text=st.none() | st.text(max_size=50),
    when=st.datetimes(timezones=st.just(UTC)),
)
def test_any_valid_review_round_trips(
    stars: int, verified: bool, text: str | None, when: datetime
) -> None:
    review = Review(id="r", item_id="i", stars=stars, verified=verified, text=text, at=when)
    assert Review.model_validate_json(review.model_dump_json()) == review
    assert Review.model_validate(review.model_dump()) == review
