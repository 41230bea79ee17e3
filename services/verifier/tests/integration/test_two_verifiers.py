"""Two verifier processes polling side by side: every check is executed exactly once."""

from __future__ import annotations

import pytest

from cascade.shared.db.models import Customer
from cascade.shared.payloads import VerifyResultEvent
from cascade.shared.topics import Topic

from .harness import VerifyHarness
from .specs import http_spec

pytestmark = pytest.mark.integration
CUSTOMERS = 12
SLOW_SQL = {
    "kind": "sql",
    "sql": "SELECT c.id FROM customers AS c, pg_sleep(0.2) WHERE c.id = :customer_id",
    "expect": "rows",
}


async def test_two_verifiers_execute_each_check_exactly_once(harness: VerifyHarness) -> None:
    harness.start_sim()
    customers: list[Customer] = []
    for n in range(CUSTOMERS):
        customer = await harness.customer(f"Pair Co {n}")
        await harness.in_netsuite(customer)
        customers.append(customer)
    first = harness.start_verifier()
    second = harness.start_verifier()
    # Staged while both poll (eight workers in all), falling due together; the SQL checks
    # take 0.2 s each, so no verifier can drain them all before the other one polls.
    for n, customer in enumerate(customers):
        sql = {**SLOW_SQL, "params": {"customer_id": customer.id}}
        await harness.stage(f"persisted_{n}", sql, 1.5, 60)
        await harness.stage(f"in_netsuite_{n}", http_spec(str(customer.external_id)), 1.5, 60)
    await harness.end_run()

    names = [f"{kind}_{n}" for n in range(CUSTOMERS) for kind in ("persisted", "in_netsuite")]
    verifiers = set()
    for name in names:
        row = await harness.wait_final(name)
        assert (row["status"], row["attempts"]) == ("pass", 1), name
        verifiers.add(row["detail"]["by"])
    assert len(verifiers) == 2, "both verifiers took part"
    envelopes = await harness.published(Topic.VERIFY_RESULT)
    results = [VerifyResultEvent.model_validate(e.data) for e in envelopes]
    assert sorted(r.check_name for r in results) == sorted(names), "one result per check"
    for customer in customers:
        assert await harness.sim_reads(str(customer.external_id)) == 1, customer.external_id
    # The two processes may share one log file: count each file once.
    logs = {first.log_path, second.log_path}
    assert sum(log.read_text().count(" passed: ") for log in logs) == len(names)
