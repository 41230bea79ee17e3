"""The runner's topic subscriptions: thin wiring from topics to handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cascade.runner.agreement import Disagreement
from cascade.runner.decisions import on_approved, on_rejected
from cascade.runner.ignoring import ignore_disagreement
from cascade.runner.push_results import on_push_result
from cascade.runner.repairs import may_concern_repairs, on_verify_result
from cascade.runner.runstate import RunnerDeps
from cascade.runner.start import start_run
from cascade.runner.unit_of_work import RunnerWork, SqlRunnerWork
from cascade.shared.consumer import Handler, IdempotentConsumer
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.messaging import subscribe
from cascade.shared.runtime import ServiceRuntime
from cascade.shared.topics import Topic

RunnerHandler = Callable[[RunnerDeps, Envelope, RunnerWork], Awaitable[Disagreement | None]]
"""A runner use case; it returns a Disagreement, having changed nothing, for an event the
database contradicts."""

SUBSCRIPTIONS: tuple[tuple[str, Topic, RunnerHandler, bool], ...] = (
    # (consumer, topic, handler, quiet): rejections come at the rate of Mike's decisions
    # against a proposal, so one group member serves them (`messaging.subscribe`).
    ("runner.workflow_requested", Topic.WORKFLOW_REQUESTED, start_run, False),
    ("runner.proposal_approved", Topic.PROPOSAL_APPROVED, on_approved, False),
    ("runner.proposal_rejected", Topic.PROPOSAL_REJECTED, on_rejected, True),
    ("runner.ns_push_result", Topic.NS_PUSH_RESULT, on_push_result, False),
)


def _bound(deps: RunnerDeps, name: str, topic: Topic, handler: RunnerHandler) -> Handler:
    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        work = SqlRunnerWork(uow)
        disagreement = await handler(deps, envelope, work)
        if disagreement is not None:
            await ignore_disagreement(
                work, deps.topic_prefix, name, str(topic), envelope, disagreement
            )

    return handle


REPAIRS = ("runner.verify_result", Topic.VERIFY_RESULT)
"""Failed checks with a `repair:` and the re-verifications after one (`repairs.py`): rare,
so one group member; a first round's pass is passed by without a transaction."""


def register(runtime: ServiceRuntime, deps: RunnerDeps) -> None:
    """Subscribe the runner's handlers with the idempotent consumer."""
    for name, topic, handler, quiet in SUBSCRIPTIONS:
        consumer = IdempotentConsumer(
            name,
            _bound(deps, name, topic, handler),
            runtime.session_factory,
            runtime.consumer_policy(),
        )
        subscribe(runtime.broker, runtime.settings, topic, consumer, quiet=quiet)
    name, topic = REPAIRS
    repairs = IdempotentConsumer(
        name,
        _bound(deps, name, topic, on_verify_result),
        runtime.session_factory,
        runtime.consumer_policy(),
        accepts=may_concern_repairs,
    )
    subscribe(runtime.broker, runtime.settings, topic, repairs, quiet=True)
