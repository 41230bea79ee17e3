"""The runner's topic subscriptions: thin wiring from topics to handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cascade.runner.decisions import on_approved, on_rejected
from cascade.runner.push_results import on_push_result
from cascade.runner.runstate import RunnerDeps
from cascade.runner.start import start_run
from cascade.shared.consumer import Handler, IdempotentConsumer
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.messaging import subscribe
from cascade.shared.runtime import ServiceRuntime
from cascade.shared.topics import Topic

RunnerHandler = Callable[[RunnerDeps, Envelope, UnitOfWork], Awaitable[None]]

SUBSCRIPTIONS: tuple[tuple[str, Topic, RunnerHandler], ...] = (
    ("runner.workflow_requested", Topic.WORKFLOW_REQUESTED, start_run),
    ("runner.proposal_approved", Topic.PROPOSAL_APPROVED, on_approved),
    ("runner.proposal_rejected", Topic.PROPOSAL_REJECTED, on_rejected),
    ("runner.ns_push_result", Topic.NS_PUSH_RESULT, on_push_result),
)


def _bound(deps: RunnerDeps, handler: RunnerHandler) -> Handler:
    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        await handler(deps, envelope, uow)

    return handle


def register(runtime: ServiceRuntime, deps: RunnerDeps) -> None:
    """Subscribe the runner's handlers with the idempotent consumer."""
    for name, topic, handler in SUBSCRIPTIONS:
        consumer = IdempotentConsumer(
            name, _bound(deps, handler), runtime.session_factory, runtime.consumer_policy()
        )
        subscribe(runtime.broker, runtime.settings, topic, consumer)
