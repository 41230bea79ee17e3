"""Scripted faults: "the next N record calls answer 500 / hang / 429 / commit and drop"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal["error500", "hang", "rate_limit", "drop_after_commit"]


class FaultSpec(BaseModel):
    """One scripted fault, applied to the next `count` record calls (of `method`, if given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    count: int = Field(default=1, ge=1, le=1000)
    method: Literal["GET", "PUT"] | None = None
    # rate_limit: the Retry-After header, in whole seconds as HTTP allows.
    retry_after_s: int = Field(default=1, ge=0, le=3600)
    # hang: how long to hold the call when the client never gives up.
    hang_s: float = Field(default=30.0, gt=0, le=600)


@dataclass
class _Entry:
    spec: FaultSpec
    remaining: int


class FaultPlan:
    """Faults in the order they were scripted; each is used up call by call."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []

    def add(self, spec: FaultSpec) -> None:
        """Script `spec` after the faults already waiting."""
        self._entries.append(_Entry(spec, spec.count))

    def take(self, method: str) -> FaultSpec | None:
        """The fault for a call with `method` (consuming one use of it), or None."""
        for entry in self._entries:
            if entry.spec.method in (None, method.upper()):
                entry.remaining -= 1
                if entry.remaining == 0:
                    self._entries.remove(entry)
                return entry.spec
        return None

    def clear(self) -> None:
        """Forget every waiting fault."""
        self._entries.clear()

    def pending(self) -> list[dict[str, object]]:
        """What is still scripted, for the control API."""
        return [{**e.spec.model_dump(), "remaining": e.remaining} for e in self._entries]
