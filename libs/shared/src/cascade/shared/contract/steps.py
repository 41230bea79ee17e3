"""Fan-out steps: what each side effect does, declared. ``kind`` selects the step type.

Every kind accepts the spelling of the previous system as an alias (``d1_write``, ``ns_push``,
``hitl_email_draft``) and stores the canonical name, so old contracts load unchanged.
Steps with no ``needs`` run concurrently after the HITL gate; a step that uses another's
output must list it in ``needs``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from .inputs import Identifier

KIND_ALIASES = {
    "d1_write": "db_write",
    "ns_push": "netsuite_push",
    "hitl_email_draft": "email_draft",
}
"""Seed spelling -> canonical step kind."""

SqlPart = tuple[tuple[str | int, ...], "SqlStatement", frozenset[str]]
"""(path of the statement inside the step, the statement, names bound only there)."""
TemplatePart = tuple[tuple[str | int, ...], JsonValue]
"""(path inside the step, template string or JSON-like tree of templates)."""


class SqlStatement(BaseModel):
    """One SQL write with named parameters; ``outputs`` captures RETURNING columns by name."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    sql: str = Field(min_length=1)
    outputs: dict[Identifier, str] = Field(default_factory=dict)
    """output name -> RETURNING column (``customer_id: id``)."""


class StepBase(BaseModel):
    """Fields every step has."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: Identifier
    needs: list[Identifier] = Field(default_factory=list)
    description: str | None = None
    says: str | None = Field(default=None, min_length=1)
    """The business row of "what changes", a ``{{ name }}`` template shown to the approver
    (e.g. ``Add {{ company_name }} to the mirror's customers``)."""

    def outputs(self) -> frozenset[str]:
        """Names this step makes available to the steps that need it."""
        return frozenset()

    def sql_parts(self) -> list[SqlPart]:
        """Every SQL statement in the step, for parameter checks."""
        return []

    def template_parts(self) -> list[TemplatePart]:
        """Every template in the step, for name checks."""
        return []


class DbWriteStep(StepBase):
    """Writes to the platform's PostgreSQL (the seed's "D1"); all statements of the step commit
    in one transaction together with the step's status row, in order."""

    kind: Literal["db_write", "d1_write"]
    target: Literal["postgres"] = "postgres"
    statements: list[SqlStatement] = Field(min_length=1)

    _canonical = field_validator("kind")(lambda cls, value: KIND_ALIASES.get(value, value))

    def outputs(self) -> frozenset[str]:
        """Every declared RETURNING output."""
        return frozenset(name for s in self.statements for name in s.outputs)

    def sql_parts(self) -> list[SqlPart]:
        """One part per statement."""
        return [(("statements", i), s, frozenset()) for i, s in enumerate(self.statements)]


class NetSuitePushStep(StepBase):
    """Upserts one NetSuite record by external id. The runner stages the rendered ``fields`` in
    ``ns_pending_pushes`` and publishes ``ns.push``; the step finishes when ns-pusher reports it
    applied. ``writeback`` then runs with the NetSuite internal id bound as ``id_output``,
    which steps that need this one can also use."""

    kind: Literal["netsuite_push", "ns_push"]
    target: Literal["netsuite"] = "netsuite"
    queue: Literal["ns.push", "NS_PUSH_QUEUE"] = "ns.push"
    record_type: Identifier
    external_id: str = Field(min_length=1)
    fields: dict[str, JsonValue] = Field(min_length=1)
    """NetSuite REST field -> value; strings are ``{{ name }}`` templates, nesting allowed."""
    id_output: Identifier = "netsuite_id"
    writeback: SqlStatement | None = None

    _canonical = field_validator("kind")(lambda cls, value: KIND_ALIASES.get(value, value))
    _queue = field_validator("queue")(lambda cls, value: "ns.push")

    def outputs(self) -> frozenset[str]:
        """The NetSuite internal id, plus anything the writeback returns."""
        extra = self.writeback.outputs if self.writeback else {}
        return frozenset({self.id_output, *extra})

    def sql_parts(self) -> list[SqlPart]:
        """The writeback statement, which alone sees the NetSuite id."""
        if self.writeback is None:
            return []
        return [(("writeback",), self.writeback, frozenset({self.id_output}))]

    def template_parts(self) -> list[TemplatePart]:
        """The external id and every field."""
        return [(("external_id",), self.external_id), (("fields",), dict(self.fields))]


class EmailDraftStep(StepBase):
    """Drafts an email and stages it as a proposed action for the approver; nothing is sent."""

    kind: Literal["email_draft", "hitl_email_draft"]
    target: Literal["email"] = "email"
    tool: str = "propose_email_to_customer"
    to: str = Field(min_length=1)
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1)

    _canonical = field_validator("kind")(lambda cls, value: KIND_ALIASES.get(value, value))

    def template_parts(self) -> list[TemplatePart]:
        """Recipient, subject and body are templates."""
        return [(("to",), self.to), (("subject",), self.subject), (("body",), self.body)]


Step = Annotated[DbWriteStep | NetSuitePushStep | EmailDraftStep, Field(discriminator="kind")]
"""One fan-out step."""
STEP_KINDS = ("db_write", "netsuite_push", "email_draft")
