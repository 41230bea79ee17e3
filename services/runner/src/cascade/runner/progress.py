"""Pure fan-out bookkeeping: which steps may run, which are skipped, how a run ends."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from cascade.shared.db.statuses import RunStatus, StepStatus

# Step statuses (`StepStatus`, short names for the bookkeeping below). `waiting_needs` steps
# wait for the steps they need; `ready` and `retrying` steps are picked up by the step poller;
# `awaiting_result` waits for an external answer.
WAITING_NEEDS = StepStatus.WAITING_NEEDS
READY = StepStatus.READY
RETRYING = StepStatus.RETRYING
AWAITING_RESULT = StepStatus.AWAITING_RESULT
DONE = StepStatus.DONE
FAILED = StepStatus.FAILED
SKIPPED = StepStatus.SKIPPED
TERMINAL = frozenset({DONE, FAILED, SKIPPED})


def initial_status(needs: Collection[str]) -> str:
    """A step without needs is ready at once; the others wait."""
    return READY if not needs else WAITING_NEEDS


def newly_ready(statuses: Mapping[str, str], needs: Mapping[str, Collection[str]]) -> list[str]:
    """Waiting steps whose every need is done."""
    return sorted(
        step
        for step, status in statuses.items()
        if status == WAITING_NEEDS and all(statuses.get(n) == DONE for n in needs[step])
    )


def newly_skipped(statuses: Mapping[str, str], needs: Mapping[str, Collection[str]]) -> list[str]:
    """Waiting steps that can never run because a step they need failed or was skipped."""
    return sorted(
        step
        for step, status in statuses.items()
        if status == WAITING_NEEDS
        and any(statuses.get(n) in (FAILED, SKIPPED) for n in needs[step])
    )


def settle(statuses: Mapping[str, str], needs: Mapping[str, Collection[str]]) -> dict[str, str]:
    """Statuses after propagating readiness and skips until nothing changes."""
    current = dict(statuses)
    while True:
        changes = {s: SKIPPED for s in newly_skipped(current, needs)}
        changes |= {s: READY for s in newly_ready(current, needs)}
        if not changes:
            return current
        current |= changes


def skip_reason(statuses: Mapping[str, str], needs: Collection[str]) -> str:
    """Why a skipped step never ran: the steps it needs that failed or were skipped."""
    missing = [n for n in sorted(needs) if statuses.get(n) in (FAILED, SKIPPED)]
    return "skipped because " + " and ".join(f"{n} {statuses[n]}" for n in missing)


def run_outcome(statuses: Mapping[str, str]) -> RunStatus | None:
    """`completed`, `partial` or `failed` once every step is terminal; None before."""
    if not all(s in TERMINAL for s in statuses.values()):
        return None
    done = sum(1 for s in statuses.values() if s == DONE)
    if done == len(statuses):
        return RunStatus.COMPLETED
    return RunStatus.PARTIAL if done else RunStatus.FAILED
