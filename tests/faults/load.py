"""The load client: submits runs at a bounded rate, approves every staged proposal through
the approvals API (gate and welcome email, so emails are sent), and records every answer.

A client that loses an answer retries with the same Idempotency-Key, as a real one would;
every attempt is kept (`answers`), which is what the checker's idempotency check reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.faults.checker import Answer
from tests.faults.harness import ADMIN_TOKEN, FaultStack
from tests.faults.timeline import hold

RETRIES = 8


def run_inputs(tag: str, i: int) -> dict[str, Any]:
    """Inputs of the i-th run: a company nobody else uses, so no run blocks another."""
    unique = uuid.uuid4().hex[:8]
    return {
        "company_name": f"Fault {tag} {i:05d} {unique}",
        "contact_email": f"c{i}.{unique}@f{tag}.example",
        "billing_address": f"{i} Fault Road",
        "pricing_tier": "silver",
        "credit_limit": "1000.00",
    }


@dataclass
class LoadClient:
    """Drives one `FaultStack`; `decoys` are runs it never approves (forged-event targets)."""

    stack: FaultStack
    answers: list[Answer] = field(default_factory=list)
    decoys: set[str] = field(default_factory=set)
    decisions: list[tuple[int, int | None]] = field(default_factory=list)  # proposal, status
    submitted: int = 0
    _approved: set[int] = field(default_factory=set)
    _progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_submitted(self, count: int) -> None:
        """Return once `count` runs have been submitted: a point mid-load, by the load's
        own progress rather than by the clock."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.submitted >= count)

    async def submit(self, i: int, decoy: bool = False) -> str | None:
        """POST one run, retrying lost answers and 5xx with the same key; its run_id."""
        key = f"load-{self.stack.tag}-{i}"
        body = {"workflow_type": "new_customer", "inputs": run_inputs(self.stack.tag, i)}
        self.submitted += 1
        async with self._progress:
            self._progress.notify_all()
        async with httpx.AsyncClient(base_url=self.stack.url("intake"), timeout=10) as client:
            for attempt in range(RETRIES):
                try:
                    reply = await client.post(
                        "/v1/runs", json=body, headers={"Idempotency-Key": key}
                    )
                except httpx.HTTPError as exc:
                    self.answers.append(Answer(key, None, error=type(exc).__name__))
                else:
                    run_id = None
                    if reply.status_code < 300:
                        run_id = str(reply.json().get("run_id"))
                    self.answers.append(Answer(key, reply.status_code, run_id, reply.text[:200]))
                    if reply.status_code < 500:
                        if decoy and run_id is not None:
                            self.decoys.add(run_id)
                        return run_id
                await hold(min(0.5 * 2**attempt, 5.0))  # a real client's back-off
        return None

    async def submit_many(self, count: int, rate: float, start: int = 0) -> None:
        """`count` runs at `rate` runs/s (each on its own task, so a slow answer never
        lowers the rate), numbered from `start`."""
        tasks = []
        t0 = time.monotonic()
        for n in range(count):
            await hold(t0 + n / rate - time.monotonic())  # the load's pace
            tasks.append(asyncio.create_task(self.submit(start + n)))
        await asyncio.gather(*tasks)

    async def approve_pending(self) -> int:
        """Approve every pending proposal not of a decoy; how many were approved now."""
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        done = 0
        async with httpx.AsyncClient(
            base_url=self.stack.url("approvals"), timeout=10, headers=headers
        ) as client:
            listed = await client.get("/v1/proposals", params={"status": "pending", "limit": 200})
            if listed.status_code != 200:
                return 0
            for item in listed.json()["items"]:
                if item["run_id"] in self.decoys or item["id"] in self._approved:
                    continue
                body = {"version": item["version"], "payload_sha256": item["payload_sha256"]}
                try:
                    reply = await client.post(f"/v1/proposals/{item['id']}/approve", json=body)
                except httpx.HTTPError:
                    self.decisions.append((item["id"], None))
                    continue
                self.decisions.append((item["id"], reply.status_code))
                if reply.status_code in (200, 409):
                    # 409: decided already (e.g. our earlier answer was lost) or changed.
                    self._approved.add(item["id"])
                    done += 1
        return done

    async def approve_forever(self, every_s: float = 0.5) -> None:
        """Mike at his desk: approve whatever is pending, again and again (cancel to stop)."""
        while True:
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                await self.approve_pending()
            await hold(every_s)  # the approvals API rings no bell for a new proposal
