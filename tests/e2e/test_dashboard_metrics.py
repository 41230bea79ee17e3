"""The Grafana dashboard (deploy/grafana/cascade.json) asks only for metrics the services
expose: each query's metric names are looked up in the registries of the services' own
composition roots. No IO: an app is built, never started."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from cascade.shared.runtime import ServiceRuntime
from cascade.shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy/grafana/cascade.json"
METRIC = re.compile(r"\b(cascade_[a-z0-9_]+)")
#: What Prometheus' exposition adds to a family's name for its samples.
SAMPLE_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def apps() -> dict[str, FastAPI]:
    from cascade.approvals.app import create_app as approvals
    from cascade.intake.app import create_app as intake
    from cascade.mcp.app import create_app as mcp
    from cascade.ns_pusher.app import create_app as ns_pusher
    from cascade.runner.app import create_app as runner
    from cascade.verifier.app import create_app as verifier

    settings = Settings(contracts_dir=ROOT / "contracts")
    makers = {
        "intake": intake,
        "runner": runner,
        "approvals": approvals,
        "ns-pusher": ns_pusher,
        "verifier": verifier,
        "mcp": mcp,
    }
    return {name: make(settings) for name, make in makers.items()}


@pytest.fixture(scope="module")
def exposed() -> dict[str, set[str]]:
    """service -> the family names its /metrics can show."""
    out = {}
    for name, app in apps().items():
        runtime = app.state.runtime
        assert isinstance(runtime, ServiceRuntime)
        out[name] = runtime.metrics.family_names()
    return out


def queried() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs, "the dashboard has no queries"
    return {name for expr in exprs for name in METRIC.findall(expr)}


def family_of(sample: str, families: set[str]) -> str | None:
    if sample in families:
        return sample
    for suffix in SAMPLE_SUFFIXES:
        if sample.endswith(suffix) and sample.removesuffix(suffix) in families:
            return sample.removesuffix(suffix)
    return None


def test_every_metric_the_dashboard_queries_is_exposed(exposed: dict[str, set[str]]) -> None:
    every = set().union(*exposed.values())
    missing = sorted(name for name in queried() if family_of(name, every) is None)
    assert missing == [], f"the dashboard asks for metrics no service exposes: {missing}"


def test_every_exposed_family_is_on_the_dashboard(exposed: dict[str, set[str]]) -> None:
    shown = {family_of(name, set().union(*exposed.values())) for name in queried()}
    unshown = sorted(set().union(*exposed.values()) - shown)
    assert unshown == [], f"metrics without a panel: {unshown}"


def test_each_service_exposes_what_it_owns(exposed: dict[str, set[str]]) -> None:
    shared = {"cascade_outbox_backlog", "cascade_dead_letters", "cascade_consumer_lag"}
    for name, families in exposed.items():
        assert shared <= families, name
    assert "cascade_runs" in exposed["runner"]
    assert "cascade_step_failed_attempts" in exposed["runner"]
    assert {"cascade_approval_wait_seconds", "cascade_proposals_overdue"} <= exposed["approvals"]
    assert "cascade_emails" in exposed["approvals"]
    assert "cascade_netsuite_pushes" in exposed["ns-pusher"]
    assert "cascade_verify_results" in exposed["verifier"]
