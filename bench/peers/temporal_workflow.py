"""The new-customer workflow on Temporal: a deterministic workflow, effects as activities.

The proposal is staged by an activity; the front learns of it through the `proposal`
update (its handler waits until the workflow has staged, so the front's call is the
long poll), and the approver's decision arrives as the `approve` signal. Each activity
is retried by Temporal's retry policy; the activities are idempotent by run (see
new_customer / effects). Runs in the peers' venv, in the worker processes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from bench.peers import new_customer as nc

TASK_QUEUE = "new-customer"
#: Temporal's default policy (1 s, doubling, 100 s cap) bounded to 10 attempts; a refusal
#: NetSuite (or the object store) would answer again is not retried.
RETRY = RetryPolicy(
    maximum_attempts=10, non_retryable_error_types=["NetSuiteRefused", "ObjectStoreRefused"]
)
OPTS: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=30), "retry_policy": RETRY}
APPROVAL_WINDOW = timedelta(hours=24)


@workflow.defn(name="NewCustomer")
class NewCustomer:
    def __init__(self) -> None:
        self._staged: dict[str, Any] | None = None
        self._approval: dict[str, Any] | None = None

    @workflow.update
    async def proposal(self) -> dict[str, Any]:
        """What the approver needs (the payload hash), once staged; or how the run ended
        before staging (blocked)."""
        await workflow.wait_condition(lambda: self._staged is not None)
        assert self._staged is not None
        return self._staged

    @workflow.signal
    def approve(self, decision: dict[str, Any]) -> None:
        """The approver's decision: {"payload_sha256": the hash approved}."""
        self._approval = decision

    @workflow.run
    async def run(self, values: dict[str, Any]) -> dict[str, Any]:
        started_at = workflow.now().isoformat()
        status = await self._run(values, started_at)
        await self._act("post_actions", values, status, started_at)
        # The front's update may still be finishing: let it answer before the run ends.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return {"status": status}

    async def _run(self, values: dict[str, Any], started_at: str) -> str:
        ctx = await self._act("read_context", values)
        blocks = nc.blocking_failures(values, ctx)
        if blocks:
            self._staged = {"status": "blocked", "preconditions": blocks}
            return "blocked"
        payload = nc.proposal(values, ctx, nc.warnings(values, ctx))
        sha = nc.payload_sha256(payload)
        await self._act("stage", payload, sha)
        self._staged = {"status": "staged", "payload_sha256": sha}

        try:
            await workflow.wait_condition(
                lambda: self._approval is not None, timeout=APPROVAL_WINDOW
            )
        except TimeoutError:
            await self._act("decide", values["run_id"], "expired")
            return "expired"
        assert self._approval is not None
        if self._approval.get("payload_sha256") != sha:
            await self._act("decide", values["run_id"], "rejected")
            return "rejected"
        # The re-check: the world may have changed while the proposal waited.
        if await self._act("approve_if_still_valid", values):
            return "blocked"

        customer_id = await self._act("insert_customer", values, ctx["terms_id"])
        outcomes: tuple[Any, Any] = await asyncio.gather(
            self._act("push_netsuite", payload["netsuite"]),
            self._act("assign_programs", values, customer_id),
            return_exceptions=True,
        )
        pushed, assigned = outcomes
        if isinstance(assigned, BaseException):
            raise assigned
        if isinstance(pushed, ActivityError):
            # NetSuite refused, or never answered within the retries: no write-back, no
            # welcome to a customer it lacks.
            return "partial"
        if isinstance(pushed, BaseException):
            raise pushed
        await self._act("write_back", customer_id, pushed)
        ids = {"customer_id": customer_id, "netsuite_id": pushed, "terms_id": ctx["terms_id"]}
        # The welcome email and the bundle both follow NetSuite (the contract's fan-out);
        # the bundle's bytes are fixed by one activity (its result is in the history), and
        # PUT by another, beside the email draft.
        bundle = await self._act("assemble_bundle", values, ids, started_at)
        ends: tuple[Any, Any] = await asyncio.gather(
            self._act("draft_email", values),
            self._act("put_bundle", bundle),
            return_exceptions=True,
        )
        drafted, bundled = ends
        if isinstance(drafted, BaseException):
            raise drafted
        if isinstance(bundled, ActivityError):
            return "partial"  # the store refused, or never answered within the retries
        if isinstance(bundled, BaseException):
            raise bundled
        return "completed"

    async def _act(self, name: str, *args: Any) -> Any:
        return await workflow.execute_activity(name, args=list(args), **OPTS)
