"""The shared leased-job rules (pure): schedule, next step, rounds, the claim's SQL, and
the worker's order of steps over a fake job kind."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from cascade.shared.db.models import EmailJob, VerifyResult
from cascade.shared.leased_jobs import (
    Claim,
    ClaimedJob,
    JobStep,
    JobTable,
    LeasedWorker,
    RetrySchedule,
    WorkerPace,
    exhausted_step,
    next_step,
    round_and_attempt,
    typed_claim,
)
from cascade.shared.leased_jobs.store import claim_statement, requeue_statement
from cascade.shared.leased_jobs.worker import RECORD_TRIES
from cascade.shared.wakeup import Wakeup

SCHEDULE = RetrySchedule(max_attempts=3, base_s=1.5, max_s=30.0)


class TopOfWindow(random.Random):
    """Always draws the largest value allowed."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_windows_double_from_the_base_stop_at_the_cap_and_follow_the_scale() -> None:
    assert [SCHEDULE.window_s(n) for n in range(1, 8)] == [1.5, 3, 6, 12, 24, 30, 30]
    scaled = RetrySchedule(None, base_s=60, max_s=900, scale=0.5)
    assert [scaled.window_s(n) for n in (1, 5, 9)] == [30, 450, 450]


def test_jitter_draws_within_the_window_and_can_be_switched_off() -> None:
    rng = random.Random(3)
    draws = [SCHEDULE.delay_s(2, rng) for _ in range(500)]
    assert all(0 <= d <= 3.0 for d in draws)
    assert SCHEDULE.delay_s(2, TopOfWindow()) == 3.0
    fixed = RetrySchedule(None, base_s=30, max_s=300, jitter=False)
    assert fixed.delay_s(3, random.Random(1)) == 120


def test_no_error_is_done_and_a_permanent_error_fails_at_once() -> None:
    assert next_step(1, SCHEDULE, TopOfWindow(), None) == JobStep("done")
    assert next_step(1, SCHEDULE, TopOfWindow(), "550 no", permanent=True) == JobStep(
        "failed", "550 no"
    )


def test_a_transient_error_is_retried_until_the_rounds_last_attempt() -> None:
    assert next_step(2, SCHEDULE, TopOfWindow(), "421 busy") == JobStep("retrying", "421 busy", 3.0)
    last = next_step(3, SCHEDULE, TopOfWindow(), "421 busy")
    assert last == JobStep("failed", "gave up after 3 attempt(s): 421 busy")


def test_without_a_cap_retries_never_give_up_here() -> None:
    uncapped = RetrySchedule(None, base_s=1, max_s=2)
    assert next_step(99, uncapped, TopOfWindow(), "down").status == "retrying"


def test_a_server_floor_lifts_the_wait_but_never_lowers_it() -> None:
    assert next_step(1, SCHEDULE, TopOfWindow(), "429", not_before_s=5).delay_s == 5
    assert next_step(1, SCHEDULE, TopOfWindow(), "429", not_before_s=0.5).delay_s == 1.5


def test_an_exhausted_job_fails_with_the_reason() -> None:
    step = exhausted_step(3, "answer unknown")
    assert step == JobStep("failed", "gave up after 3 attempt(s): answer unknown")


def test_rounds_are_counted_from_the_total() -> None:
    positions = [round_and_attempt(total, 3) for total in range(1, 8)]
    assert positions == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 1)]


@dataclass(frozen=True, kw_only=True)
class ClaimedProposalEmail(ClaimedJob):
    proposal_id: int


EMAILS = JobTable(
    model=EmailJob,
    running="sending",
    waiting=("queued", "retrying"),
    claimed=ClaimedProposalEmail,
)


def test_the_claim_skips_locked_rows_and_retakes_expired_leases() -> None:
    sql = " ".join(str(claim_statement(EMAILS)).split())
    assert "FOR UPDATE SKIP LOCKED" in sql
    assert "status IN ('queued', 'retrying') AND next_attempt_at <= now()" in sql
    assert "status = 'sending' AND lease_until <= now()" in sql
    assert "lease_until = now() + make_interval(secs => :lease_s), updated_at = now()" in sql
    assert "RETURNING j.id, j.attempts, j.lease_until AS lease_until" in sql


def test_requeue_moves_to_the_end_of_the_round_and_clears_a_separate_lease() -> None:
    sql = " ".join(str(requeue_statement(EMAILS, "queued")).split())
    assert "attempts = ((attempts + :cap - 1) / :cap) * :cap" in sql
    assert "lease_until = NULL" in sql
    assert "WHERE id = :id AND status = 'failed'" in sql


def test_names_pasted_into_sql_must_be_identifiers() -> None:
    with pytest.raises(ValueError, match="identifiers"):
        JobTable(model=VerifyResult, running="running", waiting=("pending'--",), claimed=ClaimedJob)


def test_only_tables_with_an_updated_at_column_get_it_stamped() -> None:
    checks = JobTable(
        model=VerifyResult, running="running", waiting=("pending",), claimed=ClaimedJob
    )
    assert EMAILS.has_updated_at
    assert not checks.has_updated_at
    assert "updated_at" not in str(requeue_statement(checks, "pending"))


LEASE = datetime(2026, 12, 1, tzinfo=UTC)


def test_a_typed_claim_takes_the_lease_the_round_and_its_columns() -> None:
    row = {"id": 4, "attempts": 5, "proposal_id": 7, "recipient": "not a field"}
    claim = Claim(4, 5, LEASE, exhausted=False, row=row, retaken=True)
    typed = typed_claim(EMAILS, claim, max_attempts=3)
    assert typed == ClaimedProposalEmail(
        job_id=4, attempt=2, round=1, lease_until=LEASE, retaken=True, proposal_id=7
    )
    uncapped = typed_claim(EMAILS, claim, max_attempts=None)
    assert (uncapped.round, uncapped.attempt) == (0, 5), "no cap: one round, every attempt"


@dataclass(frozen=True, kw_only=True)
class ClaimedWithNickname(ClaimedProposalEmail):
    nickname: str


def test_a_claim_returns_exactly_its_typed_fields_and_each_must_be_a_column() -> None:
    sql = " ".join(str(claim_statement(EMAILS)).split())
    assert sql.endswith("due.exhausted, due.retaken, j.proposal_id, j.traceparent")
    with pytest.raises(ValueError, match=r"job table 'email_jobs' has no \['nickname'\]"):
        JobTable(
            model=EmailJob, running="sending", waiting=("queued",), claimed=ClaimedWithNickname
        )


def test_a_table_with_its_own_round_returns_it() -> None:
    checks = JobTable(
        model=VerifyResult, running="running", waiting=("pending",), claimed=ClaimedJob
    )
    assert checks.returning == ("round",)
    assert EMAILS.returning == ("proposal_id",)
    claim = Claim(4, 5, LEASE, exhausted=False, row={"id": 4, "attempts": 5, "round": 2})
    assert typed_claim(checks, claim, max_attempts=None).round == 2, (
        "the row's round, not the count's"
    )


@dataclass
class FakeKind:
    """Jobs 1..n, each recorded unless its lease was 'lost'."""

    jobs: list[int]
    lost: set[int] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)
    outage: int = 0

    async def claim(self, limit: int) -> list[int]:
        claimed, self.jobs = self.jobs[:limit], self.jobs[limit:]
        return claimed

    async def attempt(self, job: int) -> str:
        self.steps.append(f"attempt {job}")
        return f"result {job}"

    async def record(self, job: int, result: str) -> bool:
        self.steps.append(f"record {result}")
        if self.outage:
            self.outage -= 1
            raise ConnectionRefusedError("the database is restarting")
        return job not in self.lost

    def describe(self, job: int) -> str:
        return f"job {job}"


async def test_the_worker_claims_attempts_and_records_in_order_until_idle() -> None:
    kind = FakeKind([1, 2], lost={2})
    worker = LeasedWorker(kind, WorkerPace("fake", poll_s=0.01))
    assert await worker.drain() == 2, "a lost lease still counts as work done"
    assert kind.steps == ["attempt 1", "record result 1", "attempt 2", "record result 2"]
    assert await worker.run_once() is False


async def test_the_worker_stops_when_told() -> None:
    kind = FakeKind([1])
    stop = asyncio.Event()
    stop.set()
    await LeasedWorker(kind, WorkerPace("fake", poll_s=0.01)).run(stop)
    assert kind.jobs == [1], "a stopped worker claims nothing"


async def test_a_known_outcome_is_recorded_through_a_short_database_outage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_wait(_seconds: float) -> None:
        return None

    # The back-off between tries is the shared rule's; the test only counts the tries.
    monkeypatch.setattr("cascade.shared.leased_jobs.worker.asyncio.sleep", no_wait)
    kind = FakeKind([1], outage=2)
    assert await LeasedWorker(kind, WorkerPace("fake", poll_s=0.01)).run_once() is True
    assert kind.steps == ["attempt 1"] + ["record result 1"] * 3, "attempted once, never again"


async def test_a_longer_outage_gives_the_round_back_to_the_poll_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_wait(_seconds: float) -> None:
        return None

    monkeypatch.setattr("cascade.shared.leased_jobs.worker.asyncio.sleep", no_wait)
    kind = FakeKind([1], outage=RECORD_TRIES)
    with pytest.raises(ConnectionRefusedError, match="restarting"):
        await LeasedWorker(kind, WorkerPace("fake", poll_s=0.01)).run_once()
    assert kind.steps.count("record result 1") == RECORD_TRIES
    assert kind.steps.count("attempt 1") == 1


@dataclass
class Watched(FakeKind):
    """Sets `recorded[job]` when a job's outcome is recorded."""

    recorded: dict[int, asyncio.Event] = field(default_factory=dict)

    async def record(self, job: int, result: str) -> bool:
        kept = await super().record(job, result)
        self.recorded.setdefault(job, asyncio.Event()).set()
        return kept

    async def wait_recorded(self, job: int) -> None:
        await asyncio.wait_for(self.recorded.setdefault(job, asyncio.Event()).wait(), 5)


async def test_the_worker_works_up_to_its_concurrency_at_once() -> None:
    started: list[int] = []
    all_in = asyncio.Event()

    class Blocking(Watched):
        async def attempt(self, job: int) -> str:
            started.append(job)
            if len(started) == 3:
                all_in.set()
            await all_in.wait()  # only returns once three run side by side
            return await super().attempt(job)

    kind = Blocking([1, 2, 3, 4])
    stop = asyncio.Event()
    worker = LeasedWorker(kind, WorkerPace("fake", poll_s=3600, concurrency=3))
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(all_in.wait(), timeout=5)
    assert sorted(started[:3]) == [1, 2, 3], "three claimed before any finished"
    # A freed slot rings the worker: job 4 needs no poll (which is an hour).
    await kind.wait_recorded(4)
    stop.set()
    await asyncio.wait_for(running, timeout=5)


async def test_an_idle_worker_sleeps_until_the_next_due_time_not_the_poll() -> None:
    kind = Watched([])
    asked: list[int] = []

    async def next_due() -> float:
        # A retry falls due in a moment: it "appears" once the worker rested on it.
        asked.append(1)
        if len(asked) == 2:
            kind.jobs.append(7)
        return 0.01

    stop = asyncio.Event()
    worker = LeasedWorker(kind, WorkerPace("fake", poll_s=3600), next_due)
    running = asyncio.create_task(worker.run(stop))
    await kind.wait_recorded(7)
    stop.set()
    await asyncio.wait_for(running, timeout=5)


async def test_one_claim_fills_the_free_slots_and_a_short_one_is_not_repeated() -> None:
    claims: list[int] = []

    class Counted(Watched):
        async def claim(self, limit: int) -> list[int]:
            claims.append(limit)
            return await super().claim(limit)

    kind = Counted([1, 2])
    stop, bell = asyncio.Event(), Wakeup()
    worker = LeasedWorker(kind, WorkerPace("fake", poll_s=3600, wake=bell, concurrency=3))
    running = asyncio.create_task(worker.run(stop))
    await kind.wait_recorded(1)
    await kind.wait_recorded(2)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    # Every job's slot is freed once `run` returns: a ring for it either led to a second
    # claim (seen in `claims`) or, after the stop, is still on the bell.
    assert claims == [3], "both jobs from one claim; the short claim saw everything due"
    assert not bell.rung, "a freed slot after a short claim rings nobody"
