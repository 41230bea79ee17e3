"""The workflow benchmark: Cascade and its peers run the same new-customer workflow, driven
the same way, side by side in one invocation (`make bench`).

For each system and concurrency C, C slots each take the next run: submit, wait until its
proposal is staged, approve it, wait for its terminal event (monotonic clock here, in the
driver). Before and after each phase the system's counters are read (PostgreSQL commits,
Kafka records, CPU seconds per process group); after it the system checks every run
completed exactly once. It prints figures; nothing here asserts a time.

Knobs (environment):
  BENCH_SYSTEMS   comma list of cascade,temporal,dbos (default: every one importable)
  BENCH_C         concurrencies, e.g. "1,50,200" (default "1,50")
  BENCH_N         runs per phase; one number for all, or one per C (default "50,300")
  BENCH_REPLICAS  Cascade's runner + ns-pusher processes, e.g. "1,2,4" (default "1,2")
  BENCH_WARMUP    runs before measuring, per started system (default 5)
  BENCH_IDLE_S    seconds of the idle phase, 0 to skip (default 30); it starts
                  BENCH_IDLE_SETTLE_S (default 60) after the system is up and prints
                  cores, PG commits/s and statements/s per process group
  BENCH_SCALE=1   instead: Cascade at N = 100, 1000, 10000 (C=50, 1 replica), then
                  replicas 2, 4 at N=1000 (BENCH_SCALE_N="100,1000,10000" sets the sizes;
                  the replica runs take the middle one)
  BENCH_LIMITS=0  skip the pgbench / Kafka round-trip limits
  BENCH_PROFILE   Cascade process names (runner, or runner,verifier): py-spy records the
                  first process of each name during every phase with C > 1, top 10 frames
                  (py-spy from BENCH_PYSPY, else PATH; collapsed stacks under
                  .cascade/bench/profiles/)
  BENCH_PORTS     "pg,kafka,controller" ports of the bench servers (default
                  "55633,19392,19393"; another checkout benchmarking at once needs its own)
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.workflow.report import (
    LATENCIES,
    PROJECT_FILES,
    IdleResult,
    Limits,
    PhaseResult,
    StatementCounts,
    cpu_rows,
    delta,
    hot_spots,
    idle_group_rows,
    idle_rows,
    limit_rows,
    parse_ints,
    phase_rows,
    ratio_rows,
    scale_rows,
    table,
)
from bench.workflow.system import RunInputs, System

#: name -> (module, class): where each system under test lives.
SYSTEMS = {
    "cascade": ("bench.workflow.cascade_system", "CascadeSystem"),
    "temporal": ("bench.peers.temporal_system", "TemporalSystem"),
    "dbos": ("bench.peers.dbos_system", "DbosSystem"),
}


@dataclass(frozen=True)
class Plan:
    """What one invocation runs, read once from the environment."""

    systems: list[str]
    concurrency: list[int]
    runs: list[int]
    replicas: list[int]
    warmup: int
    idle_s: float
    idle_settle_s: float
    scale: bool
    limits: bool
    profile: str
    pyspy: str
    scale_runs: list[int]

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Plan:
        concurrency = parse_ints(env.get("BENCH_C", "1,50"))
        runs = parse_ints(env.get("BENCH_N", "50,300"))
        if len(runs) == 1:
            runs = runs * len(concurrency)
        elif len(runs) < len(concurrency):
            runs = runs + [runs[-1]] * (len(concurrency) - len(runs))
        return cls(
            systems=[s.strip() for s in env.get("BENCH_SYSTEMS", ",".join(SYSTEMS)).split(",")],
            concurrency=concurrency,
            runs=runs[: len(concurrency)],
            replicas=parse_ints(env.get("BENCH_REPLICAS", "1,2")),
            warmup=int(env.get("BENCH_WARMUP", "5")),
            idle_s=float(env.get("BENCH_IDLE_S", "30")),
            idle_settle_s=float(env.get("BENCH_IDLE_SETTLE_S", "60")),
            scale=env.get("BENCH_SCALE", "0") == "1",
            limits=env.get("BENCH_LIMITS", "1") != "0",
            profile=env.get("BENCH_PROFILE", ""),
            pyspy=env.get("BENCH_PYSPY", "") or shutil.which("py-spy") or "",
            scale_runs=parse_ints(env.get("BENCH_SCALE_N", "100,1000,10000")),
        )


def say(text: str) -> None:
    """Progress on stderr, so stdout holds only the tables."""
    print(text, file=sys.stderr, flush=True)


def load_system(name: str) -> Callable[[], System] | None:
    """The system's class, or None (with a line saying why) when it is not available."""
    if name not in SYSTEMS:
        print(f"unknown system {name!r} (known: {', '.join(SYSTEMS)})")
        return None
    module, cls = SYSTEMS[name]
    try:
        factory: Callable[[], System] = getattr(importlib.import_module(module), cls)
    except Exception as exc:  # a peer not written yet, or its SDK not installed
        print(f"{name}: unavailable ({type(exc).__name__}: {exc})")
        return None
    return factory


@dataclass
class _Slots:
    """The runs a phase still has to start (shared by its C slots)."""

    next_index: int
    last_index: int

    def take(self) -> int | None:
        if self.next_index >= self.last_index:
            return None
        self.next_index += 1
        return self.next_index - 1


#: How long one run may take before the phase is called failed (a hang is a finding too).
RUN_TIMEOUT_S = 300.0


async def _one_run(
    system: System, inputs: RunInputs
) -> tuple[str, str, tuple[float, float, float]]:
    t_submit = time.monotonic()
    ref = await system.submit(inputs)
    proposal = await asyncio.wait_for(system.staged(ref), RUN_TIMEOUT_S)
    t_staged = time.monotonic()
    await system.approve(ref, proposal)
    end = await asyncio.wait_for(system.terminal(ref), RUN_TIMEOUT_S)
    t_end = time.monotonic()
    return ref, end.status, (t_staged - t_submit, t_end - t_staged, t_end - t_submit)


async def drive(
    system: System, tag: str, first: int, runs: int, concurrency: int
) -> tuple[list[str], dict[str, list[float]], float, int]:
    """`runs` runs at `concurrency`; (run refs, latencies per kind, wall seconds, how many
    ended `completed`: any other end is the check's to report)."""
    slots = _Slots(first, first + runs)
    refs: list[str] = []
    completed = 0
    samples: dict[str, list[float]] = {name: [] for name in LATENCIES}

    async def slot() -> None:
        nonlocal completed
        while (index := slots.take()) is not None:
            ref, status, times = await _one_run(system, RunInputs(index, tag))
            refs.append(ref)
            completed += status == "completed"
            for name, value in zip(LATENCIES, times, strict=True):
                samples[name].append(value)

    t0 = time.monotonic()
    await asyncio.gather(*(slot() for _ in range(min(concurrency, runs))))
    return refs, samples, time.monotonic() - t0, completed


class Bench:
    """One invocation: systems started one after another, phases on each."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.tag = uuid.uuid4().hex[:6]
        self.next_index = 0
        self.results: list[PhaseResult] = []
        self.idle: list[IdleResult] = []
        self.profiles: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start_profilers(
        self, system: System, label: str
    ) -> list[tuple[str, subprocess.Popen[bytes], Path]]:
        """py-spy recording the first process of each name in `plan.profile` (a comma list)."""
        pids_of = getattr(system, "pids_of", None)
        if not self.plan.profile or pids_of is None:
            return []
        started = []
        for name in filter(None, (n.strip() for n in self.plan.profile.split(","))):
            pids = pids_of(name)
            if not self.plan.pyspy or not pids:
                say(f"bench: cannot profile {name}: no py-spy or no such process")
                continue
            out = Path(".cascade/bench/profiles") / f"{name}-{label}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            argv = [self.plan.pyspy, "record", "--pid", str(pids[0]), "--format", "raw"]
            argv += ["--rate", "100", "--function", "--nonblocking", "-o", str(out)]
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started.append((name, proc, out))
        return started

    async def phase(self, system: System, replicas: int, runs: int, concurrency: int) -> None:
        say(f"bench: {system.name} replicas={replicas} C={concurrency} N={runs} ...")
        before = await system.counters()
        first, self.next_index = self.next_index, self.next_index + runs
        label = f"{system.name}-r{replicas}-c{concurrency}-n{runs}"
        profilers = self.start_profilers(system, label) if concurrency > 1 else []
        try:
            refs, samples, wall, completed = await drive(system, self.tag, first, runs, concurrency)
        finally:
            for name, proc, out in profilers:
                self.profiles.append((f"{name}:{label}", proc, out))
                await asyncio.to_thread(stop_profiler, proc)
        after = await system.counters()
        say(f"bench:   {completed / wall:.2f} completed runs/s; checking ...")
        violations = await system.check(refs)
        for v in violations[:10]:
            say(f"bench:   VIOLATION {v}")
        result = PhaseResult(
            system=system.name,
            replicas=replicas,
            concurrency=concurrency,
            runs=runs,
            wall_s=wall,
            latencies=samples,
            work=delta(before, after),
            completed=completed,
            violations=violations,
        )
        self.results.append(result)
        # The row now too: a long invocation cut short still shows what it measured.
        say("bench:   " + phase_rows([result]).splitlines()[-1])

    async def idle_phase(self, system: System) -> None:
        plan = self.plan
        say(f"bench: {system.name} settles {plan.idle_settle_s:.0f} s, idles {plan.idle_s:.0f} s")
        # Start-up work is not idle cost: consumer groups join and fetch their first
        # metadata, the JVM compiles, autovacuum analyzes the fresh database's tables.
        await asyncio.sleep(plan.idle_settle_s)
        log = getattr(system, "statement_log", None)
        counts = StatementCounts()
        async with log() if log is not None else contextlib.nullcontext(counts) as counts:
            before = await system.counters()
            t0 = time.monotonic()
            await asyncio.sleep(plan.idle_s)
            after = await system.counters()
            wall = time.monotonic() - t0
        self.idle.append(IdleResult(system.name, wall, delta(before, after), counts))

    async def warm_up(self, system: System) -> None:
        if self.plan.warmup <= 0:
            return
        first, self.next_index = self.next_index, self.next_index + self.plan.warmup
        refs, _samples, _wall, _completed = await drive(
            system, self.tag, first, self.plan.warmup, min(5, self.plan.warmup)
        )
        say(f"bench: {system.name} warmed up with {len(refs)} runs")

    async def with_system(
        self, factory: Callable[[], System], replicas: int, sizes: list[tuple[int, int]]
    ) -> None:
        """Start a system, idle (first start only), warm up, run `sizes` (N, C), stop."""
        system = factory()
        say(f"bench: starting {system.name} (replicas={replicas}) ...")
        try:
            await system.start(replicas)
        except Exception as exc:
            print(f"{system.name}: unavailable (start failed: {type(exc).__name__}: {exc})")
            traceback.print_exc(file=sys.stderr)
            await _stop_quietly(system)
            return
        try:
            if self.plan.idle_s > 0 and not any(i.system == system.name for i in self.idle):
                await self.idle_phase(system)
            await self.warm_up(system)
            for runs, concurrency in sizes:
                await self.phase(system, replicas, runs, concurrency)
        except Exception as exc:  # one system failing must not lose the others' figures
            print(f"{system.name} (replicas={replicas}): failed ({type(exc).__name__}: {exc})")
            traceback.print_exc(file=sys.stderr)
        finally:
            await _stop_quietly(system)

    async def run(self) -> None:
        plan = self.plan
        factories = {name: f for name in plan.systems if (f := load_system(name)) is not None}
        if plan.scale:
            cascade = factories.get("cascade")
            if cascade is None:
                return
            scale_n = plan.scale_runs
            await self.with_system(cascade, 1, [(n, 50) for n in scale_n])
            for replicas in (2, 4):
                await self.with_system(cascade, replicas, [(scale_n[len(scale_n) // 2], 50)])
            return
        sizes = list(zip(plan.runs, plan.concurrency, strict=True))
        for name, factory in factories.items():
            for replicas in plan.replicas if name == "cascade" else [1]:
                await self.with_system(factory, replicas, sizes)


def stop_profiler(proc: subprocess.Popen[bytes]) -> None:
    """py-spy writes its file when interrupted."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


async def _stop_quietly(system: System) -> None:
    try:
        await system.stop()
    except Exception as exc:  # a failed stop must not hide the figures measured
        say(f"bench: stopping {system.name} failed: {type(exc).__name__}: {exc}")


async def measure_limits() -> Limits | None:
    from bench.workflow.cascade_system import BENCH
    from bench.workflow.limits import measure

    say("bench: measuring the limits (pgbench, Kafka round trip) ...")
    try:
        return await measure(BENCH)
    except Exception as exc:
        print(f"limits: unavailable ({type(exc).__name__}: {exc})")
        return None


def print_report(bench: Bench, limits: Limits | None) -> None:
    results = bench.results
    print("\n## Workflow benchmark (latencies in ms; runs/s = completed runs per wall second)\n")
    print(phase_rows(results))
    print("\n## CPU ms per run by process group (user + system)\n")
    print(cpu_rows(results))
    if bench.idle:
        print("\n## Idle (stack up, no work)\n")
        print(idle_rows(bench.idle))
        for result in bench.idle:
            print(f"\n### {result.system} idle by process group ({result.wall_s:.0f} s)\n")
            print(idle_group_rows(result))
    if limits is not None:
        print(
            f"\n## Limits: PostgreSQL one-row commits {limits.pg_tps_1:.0f}/s (1 client), "
            f"{limits.pg_tps_8:.0f}/s (8 clients); Kafka produce→consume p50 "
            f"{limits.kafka_rtt_s * 1000:.1f} ms\n"
        )
        print(limit_rows(results, limits))
    if any(r.system != "cascade" for r in results):
        print("\n## Cascade / peer\n")
        print(ratio_rows(results))
    if bench.plan.scale:
        print("\n## Scale (C=50)\n")
        print(scale_rows(results))
    for label, _proc, path in bench.profiles:
        if not path.is_file():
            continue
        for title, only in (("own samples", ()), ("Cascade frames, inclusive", PROJECT_FILES)):
            name, _, during = label.partition(":")
            print(f"\n## py-spy {name} during {during}: top frames by {title}\n")
            spots = hot_spots(path.read_text(), only=only)
            rows = [[frame, f"{own:.1%}", f"{inc:.1%}"] for frame, own, inc in spots]
            print(table(["frame", "own", "inclusive"], rows))
    bad = [r for r in results if r.violations]
    print(
        "\ncheck: "
        + (
            "every run of every phase completed exactly once, fault-suite invariants hold"
            if not bad
            else f"{sum(len(r.violations) for r in bad)} violations (see stderr)"
        )
    )


async def main() -> int:
    plan = Plan.from_env(dict(os.environ))
    bench = Bench(plan)
    t0 = time.monotonic()
    limits = await measure_limits() if plan.limits and "cascade" in plan.systems else None
    await bench.run()
    print_report(bench, limits)
    print(f"\n(bench took {time.monotonic() - t0:.0f} s)")
    return 1 if any(r.violations for r in bench.results) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
