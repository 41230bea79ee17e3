"""The contract: one workflow type declared as data (contract format version 2).

``Contract.model_validate`` checks the shape of each section; cross-references (unique ids,
``needs``, cycles, bound parameters, rule names) are checked by ``semantics.check_contract``.
Load contracts with ``loader.parse_contract``/``load_contract``, which run both.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .inputs import Identifier, Input
from .post import EventPost, LogRunPost, PostAction, PostPlan, ReflexionPost, post_plan
from .presentation import Presentation
from .sections import (
    ContextQuery,
    Derived,
    HitlGate,
    HttpCheck,
    ObjectCheck,
    Precondition,
    RetryPolicy,
    SqlCheck,
    VerifyCheck,
)
from .steps import DbWriteStep, EmailDraftStep, NetSuitePushStep, ObjectPutStep, Step
from .trigger import Trigger

RISK_LABELS = {1: "minimal", 2: "low", 3: "medium", 4: "high", 5: "critical"}
RUNTIME_NAMES = frozenset({"run_id", "workflow_type", "run_started_at"})
"""Names the runner binds for every run: run_id (text), workflow_type, run_started_at."""

AnyStep = DbWriteStep | NetSuitePushStep | EmailDraftStep | ObjectPutStep
AnyCheck = SqlCheck | HttpCheck | ObjectCheck
AnyPost = LogRunPost | ReflexionPost | EventPost


class Contract(BaseModel):
    """A workflow contract: header, trigger, inputs, context, preconditions, HITL gate,
    fan-out, post actions, verify checks and retry policy."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    workflow_type: Identifier
    version: Literal[2]
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    category: str | None = None
    risk_level: int = Field(ge=1, le=5)
    owner: str = Field(min_length=1)
    reflexion_enabled: bool
    trigger: Trigger
    inputs: list[Input] = Field(default_factory=list)
    derived: list[Derived] = Field(default_factory=list)
    context: list[ContextQuery] = Field(default_factory=list)
    preconditions: list[Precondition] = Field(default_factory=list)
    hitl: HitlGate | None = None
    fan_out: list[Step] = Field(min_length=1)
    """Side effects after the gate; ``needs`` orders them, the rest run concurrently."""
    post: list[PostAction] = Field(default_factory=list)
    """Configures the runner's automatic post actions (one row each per run, never a second
    one); omitted kinds use defaults. Resolve with ``post_plan()``; see ``post.py``."""
    verify: list[VerifyCheck] = Field(default_factory=list)
    retry: RetryPolicy
    presentation: Presentation | None = None
    """How runs are titled and summarised for people (optional; see ``presentation.py``)."""

    @property
    def risk_label(self) -> str:
        """minimal, low, medium, high or critical."""
        return RISK_LABELS[self.risk_level]

    @property
    def requires_approval(self) -> bool:
        """Whether the runner stages a proposal and waits for the approver before fan-out."""
        return self.hitl is not None and self.risk_level >= self.hitl.risk_gate

    def post_plan(self) -> PostPlan:
        """The post actions the runner performs at the end of every run."""
        return post_plan(self.workflow_type, self.reflexion_enabled, list(self.post))

    def step(self, step_id: str) -> AnyStep:
        """The fan-out step with this id."""
        for step in self.fan_out:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def verify_check(self, name: str) -> VerifyCheck | None:
        """The verify check with this name, or None."""
        return next((check for check in self.verify if check.name == name), None)

    def context_query(self, name: str) -> ContextQuery:
        """The context query with this name."""
        for query in self.context:
            if query.name == name:
                return query
        raise KeyError(name)
