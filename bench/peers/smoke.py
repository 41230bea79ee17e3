"""Push runs through the peers by hand: start, N runs at concurrency C, check, stop.

    .venv/bin/python -m bench.peers.smoke                      # 5 runs each, both peers
    .venv/bin/python -m bench.peers.smoke --runs 100 --concurrency 50 temporal dbos

Each run: submit, wait until staged, approve at once, wait for the result; approve→completed
is measured here around approve + result. Prints completed runs/s, the latency p50/p99,
CPU ms per run per process, PostgreSQL commits per run, and the exactly-once check. The
benchmark proper is `make bench` (bench/workflow); this is the peers' own smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid

from bench.peers.dbos_system import DbosSystem
from bench.peers.harness import PeerSystem
from bench.peers.temporal_system import TemporalSystem
from bench.workflow.system import RunInputs

STATS_LAG_S = 11.0
SYSTEMS: dict[str, type[PeerSystem]] = {"temporal": TemporalSystem, "dbos": DbosSystem}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def one_run(system: PeerSystem, inputs: RunInputs) -> tuple[str, str, float]:
    run = await system.submit(inputs)
    proposal = await system.staged(run)
    began = time.monotonic()
    await system.approve(run, proposal)
    end = await system.terminal(run)
    return run, end.status, time.monotonic() - began


async def drive(system: PeerSystem, runs: int, concurrency: int) -> int:
    tag = uuid.uuid4().hex[:6]
    gate = asyncio.Semaphore(concurrency)

    async def gated(i: int) -> tuple[str, str, float]:
        async with gate:
            return await one_run(system, RunInputs(i, tag))

    before = await system.counters()
    began = time.monotonic()
    results = await asyncio.gather(*(gated(i) for i in range(runs)))
    elapsed = time.monotonic() - began
    # An idle PostgreSQL backend reports its commit counts up to 10 s late (PGSTAT_IDLE_INTERVAL).
    await asyncio.sleep(STATS_LAG_S)
    after = await system.counters()

    latencies = [r[2] * 1000 for r in results]
    statuses: dict[str, int] = {}
    for _, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    print(
        f"{system.name}: {runs} runs at C={concurrency}: {runs / elapsed:.1f} runs/s, "
        f"approve→completed p50 {statistics.median(latencies):.0f} ms "
        f"p99 {pct(latencies, 0.99):.0f} ms; statuses {statuses}"
    )
    cpu = {
        k: (after.cpu_s.get(k, 0.0) - before.cpu_s.get(k, 0.0)) * 1000 / runs for k in after.cpu_s
    }
    total = sum(cpu.values())
    parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(cpu.items()))
    print(f"  CPU ms per run: {total:.0f} ({parts})")
    print(f"  PostgreSQL commits per run: {(after.pg_commits - before.pg_commits) / runs:.1f}")
    violations = await system.check([r[0] for r in results])
    print(
        f"  check: {'ok, every run completed exactly once' if not violations else violations[:10]}"
    )
    return len(violations)


async def idle(system: PeerSystem) -> None:
    """What the peer costs with no work: cores and commits per second."""
    before = await system.counters()
    await asyncio.sleep(STATS_LAG_S)
    after = await system.counters()
    cores = sum(after.cpu_s.values()) - sum(before.cpu_s.values())
    commits = after.pg_commits - before.pg_commits
    print(
        f"{system.name}: idle {cores / STATS_LAG_S:.3f} cores, "
        f"{commits / STATS_LAG_S:.1f} PostgreSQL commits/s"
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("peers", nargs="*", help=f"of {', '.join(SYSTEMS)} (default: all)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[5])
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument(
        "--warmup", type=int, default=0, help="runs pushed through first, not measured"
    )
    args = parser.parse_args()
    unknown = set(args.peers) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown peer(s): {', '.join(sorted(unknown))}")
    bad = 0
    for name in args.peers or list(SYSTEMS):
        system = SYSTEMS[name]()
        print(f"{name}: starting ({args.replicas} replica(s))", flush=True)
        began = time.monotonic()
        try:
            await system.start(args.replicas)
            print(f"{name}: up in {time.monotonic() - began:.1f} s", flush=True)
            if args.warmup:
                await asyncio.gather(
                    *(one_run(system, RunInputs(i, "warm")) for i in range(args.warmup))
                )
            await idle(system)
            for c in args.concurrency:
                bad += await drive(system, args.runs, c)
        finally:
            await system.stop()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
