"""Post actions: what the runner records when a run ends.

The runner *always* performs them, whatever the contract says — exactly one
``workflow_run_log`` row, at most one ``reflexion_log`` row and exactly one end event per run.
A post action declared in the contract *configures* its automatic counterpart (reflexion
tags, event types, idempotency key); it never adds a second row. (The seed page listed both a
declared and a runner-automatic log_run/reflexion; here they are one and the same.)
Each kind may be declared at most once; ``post_plan`` resolves declared + defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal["completed", "partial", "failed"]
ALL_EVENT_TYPES: tuple[EventType, ...] = ("completed", "partial", "failed")
DEFAULT_EVENT_KEY = "{{ workflow_type }}:{{ run_id }}"
EVENT_KEY_NAMES = frozenset({"run_id", "workflow_type"})


class _Post(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class LogRunPost(_Post):
    """The run summary row (run_id, workflow_type, status, started_at, completed_at,
    summary_json); always written, declaring it only makes it visible in the contract."""

    kind: Literal["log_run"]
    table: Literal["workflow_run_log"] = "workflow_run_log"


class ReflexionPost(_Post):
    """The narrative row in ``reflexion_log`` (run_id, narrative, tags); needs
    ``reflexion_enabled: true``."""

    kind: Literal["reflexion"]
    tags: list[str] = Field(min_length=1)


class EventPost(_Post):
    """The run's end event: one of ``workflow.<type>``, published once per run under the
    idempotency key (a template over run_id and workflow_type), so producer retries collapse."""

    kind: Literal["event"]
    types: list[EventType] = Field(default_factory=lambda: list(ALL_EVENT_TYPES))
    idempotency_key: str = DEFAULT_EVENT_KEY

    def topics(self) -> list[str]:
        """The topic of each declared type."""
        return [f"workflow.{event_type}" for event_type in self.types]


PostAction = Annotated[LogRunPost | ReflexionPost | EventPost, Field(discriminator="kind")]
"""One declared post action."""


@dataclass(frozen=True)
class PostPlan:
    """What the runner does at the end of every run of a contract (declared + automatic)."""

    log_run: LogRunPost
    reflexion: ReflexionPost | None
    event: EventPost
    declared: frozenset[str]
    """Kinds declared in the contract (the rest are runner defaults)."""


def post_plan(
    workflow_type: str,
    reflexion_enabled: bool,
    declared: list[LogRunPost | ReflexionPost | EventPost],
) -> PostPlan:
    """Resolve the declared post actions against the runner's automatic ones."""
    reflexion = _find(declared, ReflexionPost) or ReflexionPost(
        kind="reflexion", tags=[workflow_type]
    )
    return PostPlan(
        log_run=_find(declared, LogRunPost) or LogRunPost(kind="log_run"),
        reflexion=reflexion if reflexion_enabled else None,
        event=_find(declared, EventPost) or EventPost(kind="event"),
        declared=frozenset(action.kind for action in declared),
    )


_T = TypeVar("_T", bound=_Post)


def _find(declared: list[LogRunPost | ReflexionPost | EventPost], kind: type[_T]) -> _T | None:
    return next((action for action in declared if isinstance(action, kind)), None)
