"""Scripted faults are used in order, call by call, optionally for one method only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cascade.netsuite_sim.faults import FaultPlan, FaultSpec


def test_faults_are_used_in_order_and_run_out() -> None:
    plan = FaultPlan()
    plan.add(FaultSpec(kind="error500", count=2))
    plan.add(FaultSpec(kind="rate_limit", retry_after_s=3))
    kinds = [getattr(plan.take("PUT"), "kind", None) for _ in range(4)]
    assert kinds == ["error500", "error500", "rate_limit", None]


def test_a_method_filter_leaves_other_calls_alone() -> None:
    plan = FaultPlan()
    plan.add(FaultSpec(kind="drop_after_commit", method="PUT"))
    assert plan.take("GET") is None
    taken = plan.take("put")
    assert taken is not None
    assert taken.kind == "drop_after_commit"
    assert plan.pending() == []


def test_clear_forgets_everything() -> None:
    plan = FaultPlan()
    plan.add(FaultSpec(kind="hang", count=3, hang_s=1.5))
    assert plan.pending()[0]["remaining"] == 3
    plan.clear()
    assert plan.take("PUT") is None


def test_unknown_kinds_and_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        FaultSpec.model_validate({"kind": "explode"})
    with pytest.raises(ValidationError):
        FaultSpec.model_validate({"kind": "error500", "colour": "red"})
