"""What the driver needs of a system under test (Cascade, Temporal, DBOS): the same
new-customer workflow, driven the same way.

A run is submitted with the inputs a salesperson would type, the system stages its proposal
(after the context queries and the preconditions), the driver approves it the moment it is
staged, through the system's normal approval path (Cascade: the approvals API as Mike; the
peers: their own signal / send), and follows the run to its terminal state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class RunInputs:
    """One run's inputs (`new_customer`): unique per run so no run blocks on a duplicate."""

    index: int
    tag: str

    def as_dict(self) -> dict[str, Any]:
        """The inputs as contracts/new_customer.yaml names them."""
        return {
            "company_name": f"Bench {self.tag} {self.index:06d}",
            "contact_email": f"c{self.index}@b{self.tag}.example",
            "billing_address": f"{self.index} Bench Road",
            "pricing_tier": "silver",
            "credit_limit": "1000.00",
        }


@dataclass
class Counters:
    """Work the system did, read before and after a phase (deltas per run are printed)."""

    pg_commits: int = 0
    kafka_records: int = 0
    #: CPU seconds (user + system) per process name, summed over that name's processes.
    cpu_s: dict[str, float] = field(default_factory=dict)
    #: Commits of the whole PostgreSQL server (every database), where the system knows it.
    pg_commits_server: int = 0
    #: Transaction ids the server assigned: write transactions (each one a WAL flush at
    #: commit), read at once (the commit counters lag: backends report them in batches).
    pg_write_xacts: int = 0


@dataclass(frozen=True)
class Terminal:
    """How a run ended, as the system reports it."""

    run_ref: str
    status: str  # completed | partial | failed | blocked | rejected | expired


class System(Protocol):
    """A system under test. Every method is called from the driver's event loop."""

    name: str

    async def start(self, replicas: int = 1) -> None:
        """Bring the whole system up (servers, processes) with `replicas` workers/runners."""
        ...

    async def stop(self) -> None:
        """Stop everything `start` started."""
        ...

    async def submit(self, inputs: RunInputs) -> str:
        """Submit one run; returns the system's run reference once the submit is accepted."""
        ...

    async def staged(self, run_ref: str) -> object:
        """Wait until the run's proposal is staged; returns what `approve` needs."""
        ...

    async def approve(self, run_ref: str, proposal: object) -> None:
        """Approve the staged proposal through the system's normal approval path."""
        ...

    async def terminal(self, run_ref: str) -> Terminal:
        """Wait until the run reached its terminal state."""
        ...

    async def counters(self) -> Counters:
        """The system's counters now (PostgreSQL commits, Kafka records, CPU per process)."""
        ...

    async def check(self, run_refs: list[str]) -> list[str]:
        """Exactly-once check after a phase: every run completed with one customer row, one
        NetSuite record, one terminal event (for Cascade: the fault suite's invariants).
        Returns the violations (empty when all hold)."""
        ...
