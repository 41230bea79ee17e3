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
    in_flight: int = 0
