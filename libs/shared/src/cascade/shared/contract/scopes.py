"""Which names are bound where in a contract, and how to explain a name that is not."""

from __future__ import annotations

from dataclasses import dataclass

from .models import RUNTIME_NAMES, Contract
from .plan import ancestors, needs_map


@dataclass(frozen=True)
class Scopes:
    """The names a contract binds, by kind, computed once per contract."""

    inputs: frozenset[str]
    derived: frozenset[str]
    context: dict[str, str]
    """context result name -> returns (scalar, one, many)."""
    outputs: dict[str, frozenset[str]]
    """step id -> output names."""
    needs: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, contract: Contract) -> Scopes:
        """Collect the names of a contract."""
        return cls(
            inputs=frozenset(i.name for i in contract.inputs),
            derived=frozenset(d.name for d in contract.derived),
            context={q.name: q.returns for q in contract.context},
            outputs={s.id: s.outputs() for s in contract.fan_out},
            needs=needs_map(contract.fan_out),
        )

    @property
    def before_context(self) -> frozenset[str]:
        """Bound in context queries: inputs, derived values and runtime values."""
        return self.inputs | self.derived | RUNTIME_NAMES

    @property
    def scalars(self) -> frozenset[str]:
        """Context results that can be bound as SQL parameters or template values."""
        return frozenset(name for name, mode in self.context.items() if mode == "scalar")

    @property
    def for_rules(self) -> frozenset[str]:
        """Names a precondition rule may read."""
        return self.inputs | self.derived | frozenset(self.context)

    def for_step(self, step_id: str) -> frozenset[str]:
        """Bound in a step: everything before fan-out plus outputs of the steps it needs."""
        upstream = ancestors(self.needs, step_id)
        outputs = frozenset().union(*(self.outputs.get(s, frozenset()) for s in upstream))
        return self.before_context | self.scalars | outputs

    @property
    def after_run(self) -> frozenset[str]:
        """Bound in verify checks: everything, including every step's outputs."""
        return self.before_context | self.scalars | frozenset().union(*self.outputs.values())

    def explain(self, name: str, label: str, step_id: str | None = None, expected: str = "") -> str:
        """Why ``name`` (shown as ``label``, e.g. "parameter :x") is not bound here."""
        if self.context.get(name) in ("one", "many") and expected != EXPECTED_IN_CONTEXT:
            return (
                f"{label} is a context result that returns {self.context[name]} rows; "
                "only scalar context results can be bound here"
            )
        producer = next((s for s, names in self.outputs.items() if name in names), None)
        if producer is not None and step_id is not None and producer != step_id:
            return (
                f"{label} is an output of step {producer!r}, which step {step_id!r} "
                f"does not need; expected {producer!r} in needs"
            )
        if producer is not None and step_id is not None:
            return f"{label} is an output of this same step; it is not bound yet here"
        return f"{label} is not bound; expected {expected or EXPECTED_IN_STEPS}"


EXPECTED_IN_STEPS = (
    "an input, a derived value, a scalar context result, a runtime value (run_id, "
    "workflow_type, run_started_at) or an output of a step listed in needs"
)
EXPECTED_IN_CONTEXT = (
    "an input, a derived value or a runtime value (run_id, workflow_type, run_started_at)"
)
EXPECTED_IN_RULES = "an input, a derived value or a context result"
EXPECTED_IN_VERIFY = (
    "an input, a derived value, a scalar context result, a runtime value or a step output"
)
