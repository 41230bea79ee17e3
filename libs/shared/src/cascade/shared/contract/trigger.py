"""The trigger section: how a run starts (a person, an inbound event, a schedule), with the
event mapping (`inputs_from`, `id_from`: JSONPath, RFC 9535) and the cron schedule
(`schedule`, UTC, croniter; `catch_up`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Literal

import jsonpath_rfc9535
from croniter import croniter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .inputs import Identifier

_TOPIC = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

CatchUp = Literal["latest", "all", "none"]
DEFAULT_CATCH_UP: CatchUp = "latest"
"""Missed ticks after an outage: only the most recent one fires (a digest, a reconciliation
wants today's run, not one per missed day)."""


def singular_path(text: str) -> str:
    """A JSONPath that names at most one value (`$.price.amount`, `$.items[0].id`)."""
    try:
        query = jsonpath_rfc9535.compile(text)
    except jsonpath_rfc9535.JSONPathError as error:
        raise ValueError(f"expected a JSONPath like $.price.amount: {error}") from None
    if not query.singular_query():
        raise ValueError(
            f"expected a JSONPath naming one value (no wildcards, slices or filters): {text}"
        )
    return text


JsonPathText = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(singular_path)]


def cron_schedule(text: str) -> str:
    """Five fields (minute hour day month weekday, UTC), or six with seconds last (croniter's
    convention: for tests and demos, never needed for a business schedule)."""
    fields = len(text.split())
    if fields not in (5, 6) or not croniter.is_valid(text):
        raise ValueError(
            f"expected a five-field cron expression like '0 8 * * 1-5' (UTC), got {text!r}"
        )
    return text


class Trigger(BaseModel):
    """How a run is started: by a person (manual), an inbound event (its topic) or a schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    kind: Literal["manual", "event", "cron"]
    sources: list[str] = Field(min_length=1)
    """Forms or systems for ``manual``; topic names for ``event``; a label for ``cron``."""
    invoker: str = Field(min_length=1)
    schedule: Annotated[str, AfterValidator(cron_schedule)] | None = None
    """Cron expression (UTC); only (and always) for ``cron``."""
    catch_up: CatchUp | None = None
    """``cron`` only: which ticks missed while no scheduler ran fire when one is back:
    ``latest`` (the default: the most recent), ``all`` (each, oldest first) or ``none``."""
    inputs_from: dict[Identifier, JsonPathText] = Field(default_factory=dict)
    """``event`` only: input name -> JSONPath into the event's data (a CloudEvent's ``data``,
    or the whole document of a plain JSON event)."""
    id_from: JsonPathText | None = None
    """``event`` only: where a plain JSON event (no CloudEvents attributes) carries its id,
    a JSONPath into the document. CloudEvents always use their ``id``."""
    admin_execute: bool | None = None
    """Whether Mike may start a run from the approvals page's Execute form. Unset: yes for
    ``manual`` triggers (a person starts them anyway), no for ``event`` and ``cron`` (their
    runs belong to the event or the schedule, unless the contract says so, e.g. a digest
    Mike may also ask for now)."""

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Trigger:
        if self.kind == "cron" and self.schedule is None:
            raise ValueError("a cron trigger needs schedule: a five-field cron expression")
        only = {"schedule": "cron", "catch_up": "cron", "inputs_from": "event", "id_from": "event"}
        given = [name for name in only if getattr(self, name) and only[name] != self.kind]
        if given:
            raise ValueError(
                f"{', '.join(given)} is not allowed for {self.kind} triggers "
                f"({', '.join(f'{n}: {only[n]} only' for n in given)})"
            )
        bad = [s for s in self.sources if not _TOPIC.match(s)]
        if self.kind == "event" and bad:
            raise ValueError(f"expected topic names (like price.changed) as sources, got {bad}")
        return self

    @property
    def admin_executable(self) -> bool:
        """The rule of the Execute form: declared, or ``manual`` when not declared."""
        return self.kind == "manual" if self.admin_execute is None else self.admin_execute

    @property
    def catch_up_policy(self) -> CatchUp:
        """The declared catch-up policy, or the default."""
        return self.catch_up or DEFAULT_CATCH_UP


def event_sources(triggers: Iterable[Trigger]) -> list[str]:
    """The topics event triggers consume, each once, sorted: provisioning creates them (and
    their DLQs) like every other topic."""
    return sorted({s for t in triggers if t.kind == "event" for s in t.sources})
