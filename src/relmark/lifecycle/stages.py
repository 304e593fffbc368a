"""Relationship stage models as data, and customers moving through them.

A :class:`StageModel` is an ordered list of stages with the moves it allows: forward to the
next stage by default, optionally skipping stages or moving back, and optionally terminal
(absorbing) stages. Built in: the seven-stage model (seeds 003, 004), the four-stage model
(seed 002), Kotler's five levels of relationship and a CRM funnel; users define their own in a
few lines or load one from JSON.

A :class:`CustomerStage` is immutable: :meth:`CustomerStage.move` returns a new state with the
move recorded (from, to, when, why, by which rule or actor). Backward moves are rejected with
:class:`~relmark.errors.IllegalTransitionError` by default, or ignored, or allowed; skipping
stages is governed by the model.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, model_validator

from relmark.errors import ArgumentError, IllegalTransitionError

__all__ = [
    "CRM_FUNNEL",
    "FOUR_STAGES",
    "KOTLER_LEVELS",
    "SEVEN_STAGES",
    "BackwardPolicy",
    "CustomerStage",
    "Move",
    "StageModel",
]


class StageModel(BaseModel):
    """An ordered stage model.

    Parameters
    ----------
    name
        The model's name.
    stages
        Stage names, from the first to the last.
    allow_skip
        Whether a forward move may jump over stages.
    terminal
        Stages that can never be left (e.g. ``"churned"``).
    extra_moves
        Additional allowed moves as ``(from, to)`` pairs (e.g. a re-activation path).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    stages: tuple[Annotated[str, Field(min_length=1)], ...] = Field(min_length=2)
    allow_skip: StrictBool = False
    terminal: tuple[str, ...] = ()
    extra_moves: tuple[tuple[str, str], ...] = ()

    @model_validator(mode="after")
    def _check(self) -> StageModel:
        if len(set(self.stages)) != len(self.stages):
            dup = sorted({s for s in self.stages if self.stages.count(s) > 1})
            raise ValueError(f"duplicate stages: {', '.join(dup)}")
        known = set(self.stages)
        unknown = [s for s in self.terminal if s not in known] + [
            s for pair in self.extra_moves for s in pair if s not in known
        ]
        if unknown:
            raise ValueError(f"unknown stages: {', '.join(sorted(set(unknown)))}")
        leaving = sorted({a for a, _ in self.extra_moves if a in self.terminal})
        if leaving:  # a terminal stage is never left: such a move could never be made
            raise ValueError(f"extra moves out of terminal stages: {', '.join(leaving)}")
        return self

    def index(self, stage: str) -> int:
        """Position of a stage; raises IllegalTransitionError for an unknown stage.

        Parameters
        ----------
        stage
            A stage name, exactly as in :attr:`stages`.

        Returns
        -------
        int

        Raises
        ------
        IllegalTransitionError
            ``stage`` is not one of the model's stages (the message lists them).
        """
        try:
            if not isinstance(stage, str):
                raise ValueError
            return self.stages.index(stage)
        except ValueError:
            raise IllegalTransitionError(
                f"{stage!r} is not a stage of {self.name!r} ({', '.join(self.stages)})"
            ) from None

    def allows(self, source: str, target: str) -> bool:
        """Whether the model allows a move from ``source`` to ``target`` (forward, skip or
        declared extra move).

        Parameters
        ----------
        source, target
            Stage names of the model.

        Returns
        -------
        bool
            False out of a terminal stage; True for a declared extra move, the next stage, or a
            later one when skipping is allowed.

        Raises
        ------
        IllegalTransitionError
            ``source`` or ``target`` is not a stage of the model.
        """
        i, j = self.index(source), self.index(target)
        if source in self.terminal:
            return False
        if (source, target) in self.extra_moves:
            return True
        return j == i + 1 or (self.allow_skip and j > i)


SEVEN_STAGES = StageModel(
    name="seven-stage relationship",
    stages=("attract", "establish", "build", "develop", "maintain", "consolidate", "loyalty"),
)
"""Attract → establish → build → develop → maintain → consolidate → loyalty (seeds 003, 004)."""

FOUR_STAGES = StageModel(
    name="four-stage relationship", stages=("attract", "convert", "retain", "delight")
)
"""Attract → convert → retain → delight (seed 002)."""

KOTLER_LEVELS = StageModel(
    name="Kotler's levels of relationship",
    stages=("basic", "reactive", "accountable", "proactive", "partnership"),
    allow_skip=True,
)
"""Kotler's five levels of relationship (seed 000)."""

CRM_FUNNEL = StageModel(
    name="CRM funnel",
    stages=("subscriber", "lead", "MQL", "SQL", "opportunity", "customer", "evangelist"),
    allow_skip=True,
)
"""A HubSpot-style lifecycle: forward only, skipping allowed."""


class BackwardPolicy(StrEnum):
    """What to do with a move to an earlier stage (the strings JSON carries are accepted)."""

    REJECT = "reject"
    IGNORE = "ignore"
    ALLOW = "allow"


def _aware(value: object, name: str) -> datetime:
    """A timezone-aware datetime (ArgumentError naming ``name`` otherwise)."""
    if not isinstance(value, datetime):
        raise ArgumentError(
            f"must be a timezone-aware datetime, got {type(value).__name__}", argument=name
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ArgumentError(
            f"must be timezone-aware (e.g. tzinfo=UTC), got the naive {value.isoformat()}",
            argument=name,
        )
    return value


def _policy(value: object) -> BackwardPolicy:
    try:
        return BackwardPolicy(str(value) if isinstance(value, str) else "")
    except ValueError:
        raise ArgumentError(
            f"must be one of {', '.join(repr(p.value) for p in BackwardPolicy)}, got {value!r}",
            argument="backward",
        ) from None


class Move(BaseModel):
    """One recorded move."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    target: str
    at: AwareDatetime
    reason: str = ""
    by: str = ""


class CustomerStage(BaseModel):
    """A customer's current stage and the history of moves (immutable).

    Raises
    ------
    pydantic.ValidationError
        From the constructor and ``model_validate*`` (JSON), when the state is not one a
        sequence of :meth:`move` calls can produce: an unknown stage; ``since`` before
        ``started``; a history out of time order, whose moves do not chain, that contains a
        move the model forbids (a skip, a move to the same stage, a move out of a terminal
        stage) or that does not end in ``stage`` at ``since``; no history but ``since`` after
        ``started``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: StageModel
    stage: str
    since: AwareDatetime
    started: AwareDatetime
    history: tuple[Move, ...] = ()

    @model_validator(mode="after")
    def _known(self) -> CustomerStage:
        self.model.index(self.stage)
        if self.since < self.started:
            raise ValueError("since cannot be before started")
        # a history loaded from JSON must tell the same story as the current stage
        previous, when = None, self.started
        for i, m in enumerate(self.history):
            self.model.index(m.source)
            self.model.index(m.target)
            if previous is not None and m.source != previous:
                raise ValueError(f"history[{i}] starts in {m.source!r}, not in {previous!r}")
            if m.at < when:
                raise ValueError(f"history[{i}] is dated before the move or start preceding it")
            backward = self.model.index(m.target) < self.model.index(m.source)
            if not (
                self.model.allows(m.source, m.target)
                or (backward and m.source not in self.model.terminal)
            ):
                raise ValueError(
                    f"history[{i}]: {m.source!r} -> {m.target!r} is a move {self.model.name!r} "
                    "does not allow"
                )
            previous, when = m.target, m.at
        if self.history and (self.history[-1].target != self.stage or self.since != when):
            raise ValueError(
                "the last move of the history must end in the current stage at `since`"
            )
        if not self.history and self.since != self.started:
            raise ValueError(
                "since must equal started when the history records no move (the customer has "
                "been in the first stage since the start)"
            )
        return self

    @classmethod
    def start(cls, model: StageModel, stage: str, *, at: datetime) -> CustomerStage:
        """A customer entering ``stage`` at ``at``.

        Parameters
        ----------
        model
            The stage model.
        stage
            One of its stages.
        at
            A timezone-aware time.

        Returns
        -------
        CustomerStage

        Raises
        ------
        ArgumentError
            ``model`` not a :class:`StageModel` or ``at`` not a timezone-aware datetime.
        IllegalTransitionError
            ``stage`` is not a stage of the model.
        """
        if not isinstance(model, StageModel):
            raise ArgumentError(
                f"must be a StageModel, got {type(model).__name__}", argument="model"
            )
        model.index(stage)
        when = _aware(at, "at")
        return cls(model=model, stage=stage, since=when, started=when)

    def move(
        self,
        target: str,
        *,
        at: datetime,
        reason: str = "",
        by: str = "",
        backward: BackwardPolicy = BackwardPolicy.REJECT,
    ) -> CustomerStage:
        """The state after moving to ``target`` at ``at`` (a timezone-aware time).

        Parameters
        ----------
        target
            The stage to move to.
        at
            When, timezone-aware and not before the current stage began.
        reason, by
            Why, and by which rule or actor (recorded in the history).
        backward
            What to do with a move to an earlier stage: reject (raise), ignore (return the
            state unchanged) or allow; the strings ``"reject"``, ``"ignore"`` and ``"allow"``
            work too.

        Returns
        -------
        CustomerStage
            A new state with the move appended to the history (or ``self`` when an ignored
            backward move).

        Raises
        ------
        ArgumentError
            ``at`` not a timezone-aware datetime, ``reason`` or ``by`` not text, ``backward``
            not a :class:`BackwardPolicy` (or its value, e.g. ``"allow"``).
        IllegalTransitionError
            For an unknown stage, a move the model forbids, a move back in time, or a backward
            move under the default policy.
        """
        at = _aware(at, "at")
        backward = _policy(backward)
        for text, name in ((reason, "reason"), (by, "by")):
            if not isinstance(text, str):
                raise ArgumentError(f"must be text, got {text!r}", argument=name)
        if not isinstance(target, str):
            raise ArgumentError(f"must be a stage name, got {target!r}", argument="target")
        if at < self.since:
            raise IllegalTransitionError(f"move at {at} is before the current stage began")
        i, j = self.model.index(self.stage), self.model.index(target)
        if j < i and (self.stage, target) not in self.model.extra_moves:
            if backward is BackwardPolicy.IGNORE:
                return self
            if backward is BackwardPolicy.REJECT or self.stage in self.model.terminal:
                raise IllegalTransitionError(
                    f"backward move {self.stage!r} -> {target!r} rejected (policy {backward})"
                )
        elif not self.model.allows(self.stage, target):
            raise IllegalTransitionError(
                f"{self.model.name!r} does not allow {self.stage!r} -> {target!r}"
            )
        step = Move(source=self.stage, target=target, at=at, reason=reason, by=by)
        return self.model_copy(
            update={"stage": target, "since": at, "history": (*self.history, step)}
        )

    def stage_at(self, when: datetime) -> str | None:
        """The stage at a time (``None`` before the customer's first stage began).

        Parameters
        ----------
        when
            A timezone-aware time.

        Returns
        -------
        str or None

        Raises
        ------
        ArgumentError
            ``when`` not a timezone-aware datetime.
        """
        when = _aware(when, "when")
        if when < self.started:
            return None
        stage = self.history[0].source if self.history else self.stage
        for m in self.history:
            if m.at <= when:
                stage = m.target
        return stage

    def time_in_stages(self, until: datetime) -> dict[str, timedelta]:
        """Time spent in each stage from the start to ``until`` (not before the last move).

        Parameters
        ----------
        until
            A timezone-aware time, not before the last recorded move.

        Returns
        -------
        dict
            Stage -> time spent in it.

        Raises
        ------
        ArgumentError
            ``until`` not a timezone-aware datetime, or before the last recorded move (the
            time in the current stage would be negative).
        """
        until = _aware(until, "until")
        last = self.history[-1].at if self.history else self.started
        if until < last:
            raise ArgumentError(
                f"{until.isoformat()} is before the last recorded move ({last.isoformat()})",
                argument="until",
            )
        out: dict[str, timedelta] = {}
        stage, begun = (self.history[0].source if self.history else self.stage), self.started
        for m in self.history:
            out[stage] = out.get(stage, timedelta()) + (m.at - begun)
            stage, begun = m.target, m.at
        out[stage] = out.get(stage, timedelta()) + (until - begun)
        return out

    @property
    def regressions(self) -> int:
        """Number of backward moves in the history."""
        return sum(self.model.index(m.target) < self.model.index(m.source) for m in self.history)
