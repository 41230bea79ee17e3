"""The topic plan: a pure diff of the declared topics against a described cluster."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cascade.shared.cli import GROUPS, load_group
from cascade.shared.topic_admin.plan import (
    Change,
    ClusterState,
    Plan,
    TopicState,
    plan_topics,
)
from cascade.shared.topic_admin.settings import TopicSettings
from cascade.shared.topic_admin.spec import TopicSpec, topic_specs

PRODUCTION = TopicSettings()
[SPEC] = topic_specs(["p.intake.requested"], PRODUCTION)


def state(
    partitions: int = 3,
    replicas: int = 3,
    configs: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
) -> TopicState:
    """The topic of SPEC as a cluster would describe it, matching unless told otherwise."""
    effective = dict(SPEC.configs) | (configs or {})
    return TopicState(SPEC.name, partitions, replicas, effective, overrides or {})


def plan_of(*states: TopicState, brokers: int = 3, specs: list[TopicSpec] | None = None) -> Plan:
    return plan_topics(specs or [SPEC], ClusterState(brokers, {s.name: s for s in states}))


def test_production_defaults_are_rf3_min_isr2_and_dlqs_keep_longer() -> None:
    main, dlq = topic_specs(["a", "a.dlq"], PRODUCTION)
    assert (main.partitions, main.replication_factor) == (3, 3)
    assert main.configs == {
        "min.insync.replicas": "2",
        "retention.ms": str(7 * 24 * 3600 * 1000),
        "cleanup.policy": "delete",
    }
    assert dlq.configs["retention.ms"] == str(30 * 24 * 3600 * 1000)


def test_min_isr_above_replication_is_refused() -> None:
    with pytest.raises(ValidationError, match="MIN_INSYNC_REPLICAS"):
        TopicSettings(replication_factor=1, min_insync_replicas=2)


def test_a_missing_topic_is_created() -> None:
    plan = plan_of()
    assert [(a.change, a.spec) for a in plan.actions] == [(Change.CREATE, SPEC)]
    assert plan.drift == ()
    assert not plan.clean


def test_a_matching_topic_is_in_sync_and_nothing_is_done() -> None:
    plan = plan_of(state())
    assert plan.clean
    assert plan.in_sync == (SPEC.name,)


def test_more_partitions_wanted_are_added() -> None:
    plan = plan_of(state(partitions=2))
    [action] = plan.actions
    assert action.change is Change.ADD_PARTITIONS
    assert "2 -> 3" in action.detail
    assert plan.drift == ()


def test_fewer_partitions_wanted_are_drift_not_an_action() -> None:
    plan = plan_of(state(partitions=6))
    assert plan.actions == ()
    [drift] = plan.drift
    assert (drift.field, drift.wanted, drift.actual) == ("partitions", "3", "6")


def test_another_replication_factor_is_drift_not_an_action() -> None:
    plan = plan_of(state(replicas=1))
    assert plan.actions == ()
    [drift] = plan.drift
    assert (drift.field, drift.wanted, drift.actual) == ("replication_factor", "3", "1")
    assert "reassignment" in drift.why


def test_a_topic_needing_more_brokers_than_live_is_drift_not_a_failed_create() -> None:
    plan = plan_of(brokers=1)
    assert plan.actions == ()
    [drift] = plan.drift
    assert drift.actual == "1 brokers"


def test_changed_configs_are_altered_keeping_the_topics_other_overrides() -> None:
    own = {"retention.ms": "1000", "segment.bytes": "1048576"}
    plan = plan_of(state(configs={"retention.ms": "1000"}, overrides=own))
    [action] = plan.actions
    assert action.change is Change.ALTER_CONFIGS
    assert "retention.ms: 1000 -> 604800000" in action.detail
    # AlterConfigs replaces the topic's whole set: the operator's segment.bytes is sent too.
    assert action.configs == {"retention.ms": "604800000", "segment.bytes": "1048576"}


def test_unmanaged_configs_never_count_as_drift() -> None:
    plan = plan_of(state(overrides={"segment.bytes": "1048576"}))
    assert plan.clean


def test_several_differences_of_one_topic_are_all_reported() -> None:
    plan = plan_of(state(partitions=1, replicas=2, configs={"min.insync.replicas": "1"}))
    assert {a.change for a in plan.actions} == {Change.ADD_PARTITIONS, Change.ALTER_CONFIGS}
    assert [d.field for d in plan.drift] == ["replication_factor"]
    assert plan.lines()[-1] == "0 in sync, 2 to change, 1 drifted (not changed by apply)"


def test_admin_group_is_registered_in_the_cli() -> None:
    assert callable(load_group(GROUPS["admin"][0]))
