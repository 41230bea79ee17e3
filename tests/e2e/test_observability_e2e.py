"""Logs and metrics after one new_customer run, every service a real process.

The run goes as in test_new_customer_e2e (intake, the runner's proposal, Mike's approval
through the API, the push to the NetSuite simulator, the verifier's checks); then every
service's `/metrics` is read and parsed, and every line of every service's log file must be
a JSON object, the run's lines naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.service_process import ServiceProcess
from tests.e2e.test_new_customer_e2e import run_new_customer, start_stack

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "runner", "approvals", "ns_pusher", "verifier")


async def scrape(process: ServiceProcess) -> dict[str, list[Sample]]:
    """The service's metrics, family name -> samples (counters keep their `_total`)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{process.port}", timeout=10) as c:
        answer = await c.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    families: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(answer.text):
        families.setdefault(family.name, []).extend(family.samples)
    return families


def value(samples: Iterable[Sample], name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


async def test_metrics_and_logs_after_one_run(start_service: StartService, tmp_path: Path) -> None:
    stack = start_stack(start_service, tmp_path / "netsuite")
    run_id = await run_new_customer(stack)
    metrics = {name: await scrape(stack[name]) for name in SERVICES}

    for name, families in metrics.items():
        for family in ("cascade_outbox_backlog", "cascade_outbox_oldest_unsent_age_seconds"):
            assert family in families, (name, family)
            assert value(families[family], family) >= 0
        assert "cascade_dead_letters" in families, name
        assert value(families["cascade_dead_letters"], "cascade_dead_letters") == 0, name
        up = families["cascade_metrics_reading_up"]
        assert up, name
        assert all(s.value == 1 for s in up), (name, up)
        lags = families["cascade_consumer_lag"]
        assert lags, f"{name}: every service consumes something"
        assert all(s.value >= 0 and s.labels["group"] for s in lags), (name, lags)

    runner = metrics["runner"]
    assert (
        value(
            runner["cascade_runs"], "cascade_runs", workflow_type="new_customer", status="completed"
        )
        >= 1
    )
    steps = runner["cascade_step_attempts"]
    assert (
        value(steps, "cascade_step_attempts", workflow_type="new_customer")
        >= value(
            runner["cascade_steps"], "cascade_steps", workflow_type="new_customer", status="done"
        )
        > 0
    )
    assert "cascade_step_failed_attempts" in runner

    approvals = metrics["approvals"]
    wait = approvals["cascade_approval_wait_seconds"]
    assert value(wait, "cascade_approval_wait_seconds_count", decision="approved") >= 1
    assert value(wait, "cascade_approval_wait_seconds_sum", decision="approved") > 0
    assert value(wait, "cascade_approval_wait_seconds_bucket", decision="approved", le="+Inf") >= 1
    pending = approvals["cascade_proposals_pending"]
    assert value(pending, "cascade_proposals_pending", workflow_type="new_customer") >= 1, (
        "the drafted email waits for Mike"
    )
    assert value(approvals["cascade_proposals_overdue"], "cascade_proposals_overdue") == 0
    assert "cascade_emails" in approvals

    pusher = metrics["ns_pusher"]
    calls = pusher["cascade_netsuite_request_seconds"]
    ok = [s for s in calls if s.name.endswith("_count") and s.labels["outcome"].startswith("2")]
    assert sum(s.value for s in ok) >= 1, calls
    assert value(pusher["cascade_netsuite_throttled"], "cascade_netsuite_throttled_total") == 0
    pushes = pusher["cascade_netsuite_pushes"]
    assert value(pushes, "cascade_netsuite_pushes", record_type="customer", status="applied") >= 1

    verifier = metrics["verifier"]
    results = verifier["cascade_verify_results"]
    assert value(results, "cascade_verify_results", status="pass") >= 1
    assert value(results, "cascade_verify_results", status="fail") == 0
    assert value(results, "cascade_verify_results", status="timeout") == 0

    carrying = {name: run_lines(stack[name].log_path, run_id) for name in SERVICES}
    for name in ("runner", "ns_pusher", "verifier"):
        assert carrying[name], f"{name} logged nothing naming run {run_id}"
    runner_types = {line.get("workflow_type") for line in carrying["runner"]}
    assert "new_customer" in runner_types


def run_lines(log: Path, run_id: str) -> list[dict[str, Any]]:
    """Every line of the log parsed (each must be one JSON object); those naming the run."""
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines, f"{log} is empty"
    events = []
    for number, line in enumerate(lines, 1):
        try:
            event = json.loads(line)
        except ValueError:
            pytest.fail(f"{log}:{number} is not JSON: {line[:300]}")
        assert isinstance(event, dict), f"{log}:{number}"
        assert {"event", "level", "timestamp"} <= event.keys(), f"{log}:{number}: {event}"
        events.append(event)
    return [e for e in events if e.get("run_id") == run_id]
