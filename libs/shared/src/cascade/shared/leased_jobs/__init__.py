"""Leased jobs: rows in PostgreSQL claimed with SKIP LOCKED and a lease, worked outside any
transaction, recorded fenced by the lease, retried on the one back-off rule.

Used by ns-pusher (NetSuite pushes), the verifier (delayed checks), the approvals service
(approved emails) and the runner (objects); each claims typed rows with `claim_jobs`.
"""

from cascade.shared.leased_jobs.claims import claim_jobs, typed_claim
from cascade.shared.leased_jobs.outcomes import FencedOutcome, FencedOutcomes, SqlFencedOutcomes
from cascade.shared.leased_jobs.retry import (
    JobStatus,
    JobStep,
    RetrySchedule,
    exhausted_step,
    next_step,
    round_and_attempt,
)
from cascade.shared.leased_jobs.store import (
    Claim,
    ClaimedJob,
    DbNow,
    JobTable,
    claim_due,
    record_fenced,
    requeue_failed,
    seconds_until_due,
    wake_due,
    write_fenced,
)
from cascade.shared.leased_jobs.worker import (
    JobConfig,
    JobKind,
    LeasedWorker,
    NextDue,
    WorkerPace,
)

__all__ = [
    "Claim",
    "ClaimedJob",
    "DbNow",
    "FencedOutcome",
    "FencedOutcomes",
    "JobConfig",
    "JobKind",
    "JobStatus",
    "JobStep",
    "JobTable",
    "LeasedWorker",
    "NextDue",
    "RetrySchedule",
    "SqlFencedOutcomes",
    "WorkerPace",
    "claim_due",
    "claim_jobs",
    "exhausted_step",
    "next_step",
    "record_fenced",
    "requeue_failed",
    "round_and_attempt",
    "seconds_until_due",
    "typed_claim",
    "wake_due",
    "write_fenced",
]
