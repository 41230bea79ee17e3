"""The workflow benchmark's pure parts: percentiles, counter deltas, the tables, the plan,
and the per-run verdict over collected data (no IO, no clock, no timed assertion)."""

from __future__ import annotations

import math

import pytest

from bench.workflow.cascade_system import judge
from bench.workflow.driver import Plan
from bench.workflow.report import (
    LATENCIES,
    PROJECT_FILES,
    IdleResult,
    Limits,
    PhaseResult,
    StatementCounts,
    count_statements,
    delta,
    hot_spots,
    idle_group_rows,
    limit_rows,
    parse_ints,
    percentile,
    phase_rows,
    ratio_rows,
)
from bench.workflow.system import Counters
from tests.faults.checker import (
    EMAIL_ACTION,
    Answer,
    BundleRow,
    CustomerRow,
    Observed,
    ProposalRow,
    WireEvent,
)


def test_percentile_interpolates_between_ranks() -> None:
    samples = [4.0, 1.0, 3.0, 2.0]
    assert percentile(samples, 0) == 1.0
    assert percentile(samples, 100) == 4.0
    assert percentile(samples, 50) == pytest.approx(2.5)
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_delta_subtracts_and_counts_new_groups_from_zero() -> None:
    before = Counters(pg_commits=10, kafka_records=5, cpu_s={"runner": 1.5}, pg_commits_server=20)
    after = Counters(
        pg_commits=40,
        kafka_records=12,
        cpu_s={"runner": 2.0, "ns_pusher": 0.25},
        pg_commits_server=70,
    )
    d = delta(before, after)
    assert (d.pg_commits, d.kafka_records, d.pg_commits_server) == (30, 7, 50)
    assert d.cpu_s == {"runner": pytest.approx(0.5), "ns_pusher": 0.25}


def _phase(system: str, runs_per_s: float, p50: float, cpu_s: float, c: int = 1) -> PhaseResult:
    runs = 10
    return PhaseResult(
        system=system,
        replicas=1,
        concurrency=c,
        runs=runs,
        wall_s=runs / runs_per_s,
        latencies={name: [p50] * runs for name in LATENCIES},
        work=Counters(pg_commits=200, kafka_records=70, cpu_s={"runner": cpu_s}),
        completed=runs,
    )


def test_phase_figures_per_run() -> None:
    r = _phase("cascade", 2.0, 0.5, 1.0)
    assert r.runs_per_s == pytest.approx(2.0)
    assert r.cpu_ms_total() == pytest.approx(100.0)
    assert r.per_run(r.work.pg_commits) == pytest.approx(20.0)
    row = phase_rows([r]).splitlines()[2]
    assert "500 / 500 / 500" in row
    assert row.split("|")[-2].strip() == "OK"


def test_ratio_table_is_cascade_over_peer() -> None:
    ours = _phase("cascade", 4.0, 0.05, 0.5)
    peer = _phase("dbos", 2.0, 0.10, 1.0)
    other_c = _phase("temporal", 1.0, 1.0, 1.0, c=50)  # no Cascade row at C=50: no ratio
    lines = ratio_rows([ours, peer, other_c]).splitlines()
    assert len(lines) == 3
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells == ["1", "dbos", "2.00×", "0.50×", "0.50×", "0.50×"]


def test_limit_ceilings_and_fractions() -> None:
    r = _phase("cascade", 2.0, 0.5, 1.0)  # 20 commits and 7 records per run
    cells = [
        c.strip()
        for c in limit_rows([r], Limits(pg_tps_1=400, pg_tps_8=800, kafka_rtt_s=0.01))
        .splitlines()[2]
        .strip("|")
        .split("|")
    ]
    # 400 commits/s / 20 per run = 20 runs/s; 1 / (7 hops * 10 ms) = 14.3 runs/s.
    assert cells == ["1", "1", "20.0", "20.0", "10.0%", "7.0", "14.3", "14.0%"]
    r.work.pg_write_xacts = 40  # 4 writes per run: the ceiling the fsync'd commits set
    row = limit_rows([r], Limits(pg_tps_1=400, pg_tps_8=800, kafka_rtt_s=0.01)).splitlines()[2]
    assert [c.strip() for c in row.strip("|").split("|")][2:4] == ["4.0", "100.0"]


def test_idle_cores_leave_servers_out_for_services_alone() -> None:
    idle = IdleResult("cascade", 10.0, Counters(pg_commits=50, cpu_s={"runner": 1, "kafka": 2}))
    assert idle.cores() == pytest.approx(0.3)
    assert idle.cores(services_only=True) == pytest.approx(0.1)
    assert idle.commits_per_s() == pytest.approx(5.0)


#: (database/application, what was logged): lines as the devstack's prefix writes them.
LOGGED = [
    ("f_abc/cascade-runner", "statement: BEGIN ISOLATION LEVEL READ COMMITTED;"),
    ("f_abc/cascade-runner", "parse __asyncpg_stmt_1__: SELECT 1"),
    ("f_abc/cascade-runner", "execute __asyncpg_stmt_1__: SELECT 1"),
    ("f_abc/cascade-runner", "statement: COMMIT;"),
    ("f_abc/cascade-ns_pusher", "statement: ROLLBACK;"),
    ("f_other/cascade-runner", "statement: COMMIT;"),
    ("f_abc/", "statement: COMMIT"),
]
LOG = (
    "\n".join(
        f"2026-12-01 20:00:00.001 UTC [11] cascade@{who} LOG:  duration: 0.02 ms  {what}"
        for who, what in LOGGED
    )
    + "\n2026-12-01 20:00:00.008 UTC [15] LOG:  checkpoint starting: time\n"
)


def test_statement_log_counts_commits_and_statements_per_group_of_one_database() -> None:
    counts = count_statements(LOG, "f_abc")
    assert counts.commits == {"runner": 1, "other": 1}
    # BEGIN, execute, COMMIT (the parse is not a statement of its own), and the rollback.
    assert counts.statements == {"runner": 3, "ns_pusher": 1, "other": 1}


def test_idle_group_rows_show_cores_and_rates_per_group() -> None:
    idle = IdleResult(
        "cascade",
        10.0,
        Counters(pg_commits=20, cpu_s={"runner": 0.5, "kafka": 1.0}),
        StatementCounts(commits={"runner": 10}, statements={"runner": 30, "other": 5}),
    )
    rows = {
        cells[0]: cells[1:]
        for line in idle_group_rows(idle).splitlines()[2:]
        if (cells := [c.strip() for c in line.strip("|").split("|")])
    }
    assert rows["runner"] == ["0.0500", "1.00", "3.00"]
    assert rows["kafka"] == ["0.1000", "0.00", "0.00"]
    assert rows["other"] == ["-", "0.00", "0.50"]
    assert rows["all (pg_stat_database)"][:2] == ["0.1500", "2.00"]


def test_plan_from_env_defaults_and_knobs() -> None:
    default = Plan.from_env({})
    assert (default.concurrency, default.runs, default.replicas) == ([1, 50], [50, 300], [1, 2])
    plan = Plan.from_env({"BENCH_C": "1,50,200", "BENCH_N": "20", "BENCH_SYSTEMS": "cascade"})
    assert plan.runs == [20, 20, 20]
    assert plan.systems == ["cascade"]
    with pytest.raises(ValueError, match="positive"):
        parse_ints("1,0")


def _observed(run: str, customers: int, ns_records: int, terminal: int) -> Observed:
    external = f"cascade-customer-{run}"
    return Observed(
        answers=[Answer("k1", 202, run)],
        intake_keys={"k1": run},
        runs={run: "completed"},
        ledger=[(run, "workflow.completed", f"new_customer:{run}")],
        wire=[WireEvent("x.workflow.completed", run, f"key{i}") for i in range(terminal)],
        customers=[CustomerRow(i + 1, run, external, "77") for i in range(customers)],
        ns_records=[("77", external)] * ns_records,
        proposals=[
            ProposalRow(1, run, "workflow_new_customer", "approved"),
            ProposalRow(2, run, EMAIL_ACTION, "pending"),  # the run's draft, not a gate
        ],
        bundles=[
            BundleRow(
                run, f"customers/{external}/first-quote-context/v1.json", "stored", "ab", "ab"
            )
        ],
    )


def test_judge_accepts_one_of_each() -> None:
    assert judge(_observed("r1", 1, 1, 1), ["r1"]) == []


def test_judge_names_a_duplicate_customer_record_and_terminal_event() -> None:
    found = judge(_observed("r1", 2, 2, 2), ["r1"])
    codes = {v.split(":")[0] for v in found}
    assert {"customers_per_run", "netsuite_records_per_run", "terminal_events_per_run"} <= codes
    assert {"duplicate_customer", "duplicate_netsuite_record", "terminal_wire"} <= codes


def test_judge_names_a_run_that_never_ended() -> None:
    obs = _observed("r1", 0, 0, 0)
    obs.runs["r1"] = "running"
    obs.ledger = []
    codes = {v.split(":")[0] for v in judge(obs, ["r1"])}
    assert {"run_not_completed", "stuck", "customers_per_run"} <= codes


def test_hot_spots_rank_own_samples_with_inclusive_share() -> None:
    collapsed = "main;run;query 6\nmain;run;parse 3\nmain;idle 1\nnot a stack line\n"
    spots = hot_spots(collapsed, top=2)
    assert [s[0] for s in spots] == ["query", "parse"]
    assert spots[0][1:] == (pytest.approx(0.6), pytest.approx(0.6))
    assert hot_spots("main;run 4\n")[0][2] == pytest.approx(1.0)
    mine = hot_spots(
        "main (x.py:1);step (runner/a.py:3);query (sqlalchemy/b.py:9) 3\n"
        "main (x.py:1);relay (shared/o.py:5) 1\n",
        only=PROJECT_FILES,
    )
    assert [(f.split(" ")[0], inc) for f, _own, inc in mine] == [
        ("step", pytest.approx(0.75)),
        ("relay", pytest.approx(0.25)),
    ]
