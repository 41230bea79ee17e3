"""The soak: N runs at R runs/s on the fault stack, a random fault every few seconds (every
kind: kill -9 of each service, crash points, Kafka killed and paused, PostgreSQL restarted
and stopped, NetSuite faults, SMTP down, a second runner / ns-pusher, poison and forged
batches), then drain and print the checker's counts. Bounded in time; loopback only.

    make soak N=2000 RATE=4          # or: .venv/bin/python scripts/soak.py --runs 2000 --rate 4
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from cascade.devstack.waiting import eventually
from tests.faults.checker import Report
from tests.faults.collect import drain, new_run_ids
from tests.faults.harness import FaultStack
from tests.faults.injectors import FaultLog, publish_forged, publish_poison, soak_faults
from tests.faults.scenario import Scenario, awaiting

SCALE_OUT = ("runner", "ns_pusher")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000, help="runs to submit (N)")
    parser.add_argument("--rate", type=float, default=4.0, help="runs per second (RATE)")
    parser.add_argument(
        "--fault-every", type=float, default=8.0, help="mean seconds between faults"
    )
    parser.add_argument(
        "--decoys", type=int, default=3, help="runs never approved (forged targets)"
    )
    parser.add_argument("--drain", type=float, default=900.0, help="max seconds to drain")
    parser.add_argument("--seed", type=int, default=None, help="random seed (faults drawn)")
    parser.add_argument("--workdir", type=Path, default=None, help="logs and simulator data")
    parser.add_argument("--json", type=Path, default=None, help="also write the counts here")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated fault kinds not to inject (e.g. those of a known, unfixed defect)",
    )
    return parser.parse_args(argv)


async def _scale_out(stack: FaultStack, *, name: str) -> None:
    await stack.start_extra(name)


async def _inject_until(
    sc: Scenario,
    log: FaultLog,
    every: float,
    rng: random.Random,
    stop: asyncio.Event,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Draw a fault every ~`every` seconds; each kind comes up in turn before any repeats,
    so even a short soak sees every kind."""
    kinds = {
        **soak_faults(),
        "poison_batch": None,
        "forged_batch": None,
        **{f"scale_out_{n}": None for n in SCALE_OUT},
    }
    kinds = {name: fault for name, fault in kinds.items() if name not in skip}
    bag: list[str] = []
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(0.5 * every, 1.5 * every))
        if stop.is_set():
            return  # a fault is never cut short: each one restores what it broke
        if not bag:
            bag = list(kinds)
            rng.shuffle(bag)
        name = bag.pop()
        print(f"soak: {time.strftime('%H:%M:%S')} fault {name}", flush=True)
        if name == "poison_batch":
            sc.injected += await publish_poison(sc.stack)
            log.done[name] += 1
        elif name == "forged_batch":
            targets = sorted(sc.load.decoys) + new_run_ids(1)
            sc.injected += await publish_forged(sc.stack, targets)
            log.done[name] += 1
        elif name.startswith("scale_out_"):
            service = name.removeprefix("scale_out_")
            if not any(p.name == service for p in sc.stack.extras):
                await log.run(sc.stack, name, functools.partial(_scale_out, name=service))
        else:
            fault = kinds[name]
            assert fault is not None
            await log.run(sc.stack, name, fault)


async def soak(args: argparse.Namespace) -> Report:
    """Run the soak; the checker's report."""
    rng = random.Random(args.seed)
    random.seed(args.seed)  # the crash point drawn inside a fault, too
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cascade-soak-"))
    stack = FaultStack(workdir)
    print(f"soak: starting the fault stack (logs in {workdir}/logs)", flush=True)
    await stack.start()
    from tests.faults.load import LoadClient

    sc = Scenario(stack, LoadClient(stack))
    log = FaultLog()
    try:
        for i in range(args.decoys):
            await sc.load.submit(1_000_000 + i, decoy=True)

        async def decoys_waiting() -> bool:
            return await awaiting(stack, sc.load.decoys)

        await eventually(decoys_waiting, within=120)
        approver = asyncio.create_task(sc.load.approve_forever())
        stop = asyncio.Event()
        skip = frozenset(k for k in args.skip.split(",") if k)
        injector = asyncio.create_task(_inject_until(sc, log, args.fault_every, rng, stop, skip))
        started = time.monotonic()
        try:
            await sc.load.submit_many(args.runs, args.rate)
        finally:
            stop.set()
            await injector
            approver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await approver
        print(f"soak: {args.runs} runs submitted in {time.monotonic() - started:.0f}s; draining")
        # Servers and services back up before judging: a fault may have been cut short.
        stack.resume_kafka()
        stack.smtp_up()
        for name, proc in stack.procs.items():
            if proc.proc is None or proc.proc.poll() is not None:
                await stack.restart(name)
        return await drain(stack, sc.load, sc.injected, log.done, within=args.drain)
    finally:
        for err in log.errors:
            print(f"soak: fault did not run cleanly: {err}", flush=True)
        await stack.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit 0 when every invariant held."""
    args = _parse(argv)
    report = asyncio.run(soak(args))
    c = report.counts
    print("\n=== soak counts ===")
    print(report.summary(limit=50))
    print(
        f"\nruns {c['runs_accepted']}/{c['runs_submitted']} accepted, faults {c['faults_total']}, "
        f"raw duplicates on the wire {c['raw_duplicates_on_wire']}, duplicate effects "
        f"{c['duplicate_effects']}, lost {c['lost']}, emails sent twice {c['emails_sent_twice']}"
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps({"counts": c, "violations": [str(v) for v in report.violations]}, indent=2)
        )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
