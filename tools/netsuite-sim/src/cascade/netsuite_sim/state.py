"""What one simulator process holds: its store, its scripted faults, its account."""

from __future__ import annotations

from dataclasses import dataclass, field

from cascade.netsuite_sim.auth import SimAccount, TbaVerifier
from cascade.netsuite_sim.faults import FaultPlan
from cascade.netsuite_sim.oauth2 import M2MIssuer
from cascade.netsuite_sim.store import SimStore


@dataclass
class SimState:
    """Shared by the gate middleware and the routes of one simulator app."""

    store: SimStore
    account: SimAccount
    verifier: TbaVerifier
    concurrency_limit: int
    m2m: M2MIssuer = field(default_factory=lambda: M2MIssuer(None))
    faults: FaultPlan = field(default_factory=FaultPlan)
    # Every `/services/rest/...` call is held this long before it is served (a real account
    # answers in 100-1000 ms): concurrent callers then overlap, as they do against NetSuite.
    latency_s: float = 0.0
    in_flight: int = 0
    # The most calls served at once since the last reset, and how many calls the limit
    # refused with 429: what a test of client-side governance reads (`/_sim/concurrency`).
    peak_in_flight: int = 0
    refused_by_limit: int = 0

    def enter(self) -> None:
        """A call starts being served."""
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def reset_concurrency(self) -> None:
        """Forget the peak and the refusals (the calls in flight stay counted)."""
        self.peak_in_flight = self.in_flight
        self.refused_by_limit = 0
