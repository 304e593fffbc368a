"""Stage models, moves and the history of a customer's stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from relmark.errors import ArgumentError, IllegalTransitionError
from relmark.lifecycle import (
    CRM_FUNNEL,
    FOUR_STAGES,
    KOTLER_LEVELS,
    SEVEN_STAGES,
    BackwardPolicy,
    CustomerStage,
    StageModel,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_built_in_models_follow_the_seeds() -> None:
    assert SEVEN_STAGES.stages == (
        "attract", "establish", "build", "develop", "maintain", "consolidate", "loyalty"
    )  # fmt: skip
    assert FOUR_STAGES.stages == ("attract", "convert", "retain", "delight")
    assert KOTLER_LEVELS.stages == ("basic", "reactive", "accountable", "proactive", "partnership")
    assert CRM_FUNNEL.stages[2] == "MQL"
    assert KOTLER_LEVELS.allows("basic", "partnership")  # skipping allowed
    assert not SEVEN_STAGES.allows("attract", "build")  # not here
    again = StageModel.model_validate_json(SEVEN_STAGES.model_dump_json())
    assert again == SEVEN_STAGES
    with pytest.raises(ValidationError, match="duplicate stages"):
        StageModel(name="x", stages=("a", "a"))
    with pytest.raises(ValidationError, match="unknown stages: z"):
        StageModel(name="x", stages=("a", "b"), terminal=("z",))


def test_moves_history_and_policies() -> None:
    c = CustomerStage.start(FOUR_STAGES, "attract", at=T0)
    c = c.move("convert", at=T0 + timedelta(days=10), reason="first purchase", by="rule:first")
    c = c.move("retain", at=T0 + timedelta(days=40))
    with pytest.raises(IllegalTransitionError, match="backward"):
        c.move("convert", at=T0 + timedelta(days=50))
    assert c.move("convert", at=T0 + timedelta(days=50), backward=BackwardPolicy.IGNORE) is c
    back = c.move("convert", at=T0 + timedelta(days=50), backward=BackwardPolicy.ALLOW)
    assert back.regressions == 1
    assert c.regressions == 0
    with pytest.raises(IllegalTransitionError, match="does not allow"):
        CustomerStage.start(FOUR_STAGES, "attract", at=T0).move("delight", at=T0)
    assert c.stage_at(T0 + timedelta(days=20)) == "convert"
    assert c.stage_at(T0 + timedelta(days=40)) == "retain"  # a move counts from its time
    assert c.stage_at(T0 - timedelta(days=1)) is None
    spent = c.time_in_stages(T0 + timedelta(days=100))
    assert spent == {
        "attract": timedelta(days=10),
        "convert": timedelta(days=30),
        "retain": timedelta(days=60),
    }
    assert c.history[0].by == "rule:first"
    with pytest.raises(ArgumentError) as err:  # a negative time in "retain" before
        c.time_in_stages(T0 + timedelta(days=20))
    assert err.value.argument == "until"
    with pytest.raises(ArgumentError, match="timezone") as err:
        c.move("delight", at=datetime(2024, 5, 1))
    assert err.value.argument == "at"


def test_terminal_stages_are_never_left() -> None:
    model = StageModel(name="m", stages=("a", "b", "lost"), allow_skip=True, terminal=("lost",))
    c = CustomerStage.start(model, "a", at=T0).move("lost", at=T0)
    for target in ("a", "b"):
        with pytest.raises(IllegalTransitionError):
            c.move(target, at=T0, backward=BackwardPolicy.ALLOW)


def test_a_round_trip_through_json_keeps_the_history() -> None:
    c = CustomerStage.start(FOUR_STAGES, "attract", at=T0).move("convert", at=T0, reason="r")
    assert CustomerStage.model_validate_json(c.model_dump_json()) == c
