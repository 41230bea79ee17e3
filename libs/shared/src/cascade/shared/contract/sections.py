"""The sections of a contract around its fan-out: trigger, derived values, context, rules,
HITL gate, verify checks and retry policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .durations import Duration
from .inputs import Identifier

HITL_RISK_GATE = 3
"""Platform invariant: a workflow at this risk level or above never writes without approval."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Derived(_Section):
    """A value computed before the context queries: a whitelisted pure function of inputs
    (see ``derive.py``), or a ``{{ name }}`` text template over inputs, earlier derived values
    and runtime values (e.g. an external id made of the run id, known before approval)."""

    name: Identifier
    function: Literal["normalize_company_name", "normalize_email", "coalesce"] | None = None
    args: list[Identifier] = Field(default_factory=list)
    template: str | None = Field(default=None, min_length=1)
    """Text template, instead of ``function`` and ``args``."""

    @model_validator(mode="after")
    def _function_or_template(self) -> Derived:
        if (self.function is None) == (self.template is None):
            raise ValueError("expected either function (with args) or template, not both")
        if self.function is not None and not self.args:
            raise ValueError(f"{self.function} needs args: at least one name")
        if self.template is not None and self.args:
            raise ValueError("a template derived value takes no args; name values inside it")
        return self


class ContextQuery(_Section):
    """A read-only query run before any decision; its result is a name for rules and SQL.

    ``returns``: ``scalar`` (one column; its value, NULL when no row), ``one`` (at most one
    row) or ``many`` (a list of rows). See ``rules.py`` for what each is inside a rule.
    """

    name: Identifier
    tables: list[str] = Field(min_length=1)
    returns: Literal["one", "many", "scalar"]
    sql: str = Field(min_length=1)
    description: str | None = None


class Precondition(_Section):
    """A rule checked before the gate and again before the first side effect; ``block`` stops
    the run when the rule does not hold (FALSE or NULL), ``warn`` only records a warning."""

    name: Identifier
    rule: str = Field(min_length=1)
    severity: Literal["block", "warn"]
    message: str | None = None
    """What the approver reads when the rule does not hold."""
    downstream: str | None = Field(default=None, min_length=1)
    """What a system further on does with such a value (e.g. NetSuite refuses the address),
    so a warning that will become a failure is shown as one before approval."""


class HitlGate(_Section):
    """The approval gate: the runner stages one ``proposed_actions`` row and waits."""

    action_type: Identifier
    entity_ref: str = Field(min_length=1)
    """Template, e.g. ``workflow:new_customer:run_{{ run_id }}``."""
    approver: str = Field(min_length=1)
    risk_gate: int = Field(default=HITL_RISK_GATE, ge=1, le=HITL_RISK_GATE)
    """The gate fires when risk_level >= risk_gate; it can be lowered, never raised above 3."""
    approval_window: Duration
    """Expected time to a decision; an alert is raised when it passes."""
    expires_after: Duration
    """A proposal still pending after this is expired and the run fails."""

    @model_validator(mode="after")
    def _expiry_after_window(self) -> HitlGate:
        if self.expires_after < self.approval_window:
            raise ValueError("expires_after must not be shorter than approval_window")
        return self


class Repair(_Section):
    """What puts a failed check right: fan-out steps of the run done again, as a proposal
    for the approver (the risk gate applies) showing the drift; the check is re-verified
    once they ran."""

    rerun: list[Identifier] = Field(min_length=1, max_length=8)
    """The fan-out steps to run again, in order (`object_put` steps: the recorded bytes are
    written again under the same key)."""
    says: str | None = Field(default=None, min_length=1, max_length=300)
    """One plain line of what the repair does, shown to the approver."""


class _Check(_Section):
    name: Identifier
    window: Duration
    """Time after the run's end at which the check first runs."""
    retry_until: Duration | None = None
    """Time after the run's end until which a failing check is retried; then it fails."""
    description: str | None = None
    repair: Repair | None = None
    """What to stage for the approver when the check fails (None: only an alert)."""

    @model_validator(mode="after")
    def _deadline_after_window(self) -> _Check:
        if self.retry_until is not None and self.retry_until < self.window:
            raise ValueError("retry_until must not be earlier than window")
        return self


class SqlCheck(_Check):
    """A delayed read-only query; passes when it returns rows (or none, with ``no_rows``)."""

    kind: Literal["sql"]
    sql: str = Field(min_length=1)
    expect: Literal["rows", "no_rows"] = "rows"


class HttpCheck(_Check):
    """A delayed request to an external system's API; passes on the expected status."""

    kind: Literal["http"]
    system: Literal["netsuite"] = "netsuite"
    method: Literal["GET", "HEAD"] = "GET"
    path: str = Field(pattern=r"^/")
    """Template relative to the system's REST base, e.g. ``/record/v1/customer/eid:{{ x }}``."""
    expect_status: int = Field(default=200, ge=100, le=599)


class ObjectCheck(_Check):
    """A delayed read of an object in the object store (the seed's "R2" check): it passes
    when the object exists, its bytes hash to ``sha256`` (and its ``sha256`` metadata agrees),
    and it parses as a JSON object with the expected ``schema_version``."""

    kind: Literal["object"]
    key: str = Field(min_length=1, max_length=1024)
    """Template of the key, usually the ``object_put`` step's key output."""
    sha256: str = Field(min_length=1)
    """Template of the expected hex SHA-256, usually the step's hash output."""
    schema_version: int | None = Field(default=None, ge=1)
    """The ``schema_version`` the document must have (None: not compared)."""


VerifyCheck = Annotated[SqlCheck | HttpCheck | ObjectCheck, Field(discriminator="kind")]
"""One verify check; ``kind`` selects sql, http or object."""


class RetryPolicy(_Section):
    """How failing side effects are retried before the run is marked failed."""

    max_attempts: int = Field(ge=1, le=10)
    backoff: Literal["exponential", "fixed"]
    base_ms: int = Field(gt=0)
    max_ms: int = Field(gt=0)
    alert_on_final_failure: bool

    @model_validator(mode="after")
    def _base_below_max(self) -> RetryPolicy:
        if self.base_ms > self.max_ms:
            raise ValueError("base_ms must not exceed max_ms")
        return self

    def delay(self, attempt: int) -> timedelta:
        """Wait before retry number ``attempt`` (1 = first retry): base * 2^(n-1), capped."""
        factor = 2 ** (attempt - 1) if self.backoff == "exponential" else 1
        return timedelta(milliseconds=min(self.max_ms, self.base_ms * factor))
