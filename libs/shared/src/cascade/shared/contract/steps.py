"""Fan-out steps: what each side effect does, declared. ``kind`` selects the step type.

Every kind accepts the spelling of the previous system as an alias (``d1_write``, ``ns_push``,
``hitl_email_draft``) and stores the canonical name, so old contracts load unchanged.
Steps with no ``needs`` run concurrently after the HITL gate; a step that uses another's
output must list it in ``needs``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from .inputs import Identifier
from .sections import ContextQuery

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

    def local_names(self) -> frozenset[str]:
        """Names bound only inside this step's own templates (its queries' results)."""
        return frozenset()


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


RESERVED_DOCUMENT_KEYS = ("schema_version", "document_type")
"""Keys of an object's document that the step itself sets (from its own fields)."""


class ObjectPutStep(StepBase):
    """Writes one JSON document to the object store (S3, R2) under a deterministic key.

    When the step falls due, the runner runs its read-only ``queries`` in the run's
    transaction, renders ``document`` (exact ``{{ name }}`` strings keep the value's type:
    a query's rows stay rows) and stores the canonical JSON bytes with their SHA-256 in
    ``object_puts``; its object worker PUTs exactly those bytes, so a retry (or a PUT repeated
    after a crash) writes the same object. The step is done once the store has it; the key
    and the hash are its outputs (``key_output``, ``sha256_output``), for later steps and
    ``object`` verify checks. Times in the document must come from the run's recorded data
    (``run_started_at``, a row's column), never from the clock of an attempt."""

    kind: Literal["object_put"]
    target: Literal["object_store"] = "object_store"
    key: str = Field(min_length=1, max_length=1024, pattern=r"^[^/]")
    """Template of the object's key, e.g. ``customers/{{ x }}/first-quote-context/v1.json``."""
    document_type: Identifier
    """What the document is (``first_quote_context``); stored in it as ``document_type``."""
    schema_version: int = Field(ge=1)
    """Version of the document's shape; stored in it, checked by ``object`` verify checks."""
    queries: list[ContextQuery] = Field(default_factory=list)
    """Read-only queries run when the step falls due; each result is a name in ``document``."""
    document: dict[str, JsonValue] = Field(min_length=1)
    """The document's fields: JSON with ``{{ name }}`` templates (NULLs are kept)."""
    key_output: Identifier | None = None
    """Output holding the stored key; default ``<id>_key``."""
    sha256_output: Identifier | None = None
    """Output holding the hex SHA-256 of the stored bytes; default ``<id>_sha256``."""

    @model_validator(mode="after")
    def _document_keys(self) -> ObjectPutStep:
        taken = [key for key in RESERVED_DOCUMENT_KEYS if key in self.document]
        if taken:
            raise ValueError(
                f"document must not set {', '.join(taken)}: the step's own "
                "schema_version and document_type fields are written there"
            )
        if "\\" in self.key or any(part in ("", ".", "..") for part in self.key.split("/")):
            raise ValueError(
                "key must be a relative path of non-empty segments (no '//', '.', '..' or "
                "backslash), e.g. customers/{{ customer_external_id }}/bundle/v1.json"
            )
        return self

    @property
    def key_name(self) -> str:
        """The output name of the key."""
        return self.key_output or f"{self.id}_key"

    @property
    def sha256_name(self) -> str:
        """The output name of the hash."""
        return self.sha256_output or f"{self.id}_sha256"

    def outputs(self) -> frozenset[str]:
        """The stored key and the hash of the stored bytes."""
        return frozenset({self.key_name, self.sha256_name})

    def template_parts(self) -> list[TemplatePart]:
        """The key and the document."""
        return [(("key",), self.key), (("document",), dict(self.document))]

    def local_names(self) -> frozenset[str]:
        """The queries' results, bound in the document only."""
        return frozenset(query.name for query in self.queries)


Step = Annotated[
    DbWriteStep | NetSuitePushStep | EmailDraftStep | ObjectPutStep, Field(discriminator="kind")
]
"""One fan-out step."""
STEP_KINDS = ("db_write", "netsuite_push", "email_draft", "object_put")
