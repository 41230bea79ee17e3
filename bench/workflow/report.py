"""The workflow benchmark's arithmetic and tables (pure: no IO, no clock).

The driver measures; this module turns samples and counter snapshots into the rows it
prints, so the unit test can feed it hand-made numbers.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.workflow.system import Counters

#: The three latencies of a run, in the order the table shows them.
LATENCIES = ("submit→staged", "approve→completed", "submit→completed")


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks; nan when empty."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def delta(before: Counters, after: Counters) -> Counters:
    """What happened between two snapshots; a process group seen only after counts from 0
    (a replica started in between), one gone after is left out (its CPU is unknown)."""
    return Counters(
        pg_commits=after.pg_commits - before.pg_commits,
        kafka_records=after.kafka_records - before.kafka_records,
        cpu_s={name: s - before.cpu_s.get(name, 0.0) for name, s in after.cpu_s.items()},
        pg_commits_server=after.pg_commits_server - before.pg_commits_server,
        pg_write_xacts=after.pg_write_xacts - before.pg_write_xacts,
    )


#: Process groups that are servers, not the system's own code (for "services alone").
SERVER_GROUPS = frozenset({"postgres", "kafka", "netsuite_sim", "temporal-server"})


@dataclass
class PhaseResult:
    """One measured phase: a system at one concurrency and size."""

    system: str
    replicas: int
    concurrency: int
    runs: int
    wall_s: float
    #: Seconds per run for each of LATENCIES (same order, one list each).
    latencies: dict[str, list[float]]
    work: Counters
    completed: int
    violations: list[str] = field(default_factory=list)

    @property
    def runs_per_s(self) -> float:
        """Completed runs per wall second of the phase."""
        return self.completed / self.wall_s if self.wall_s > 0 else math.nan

    def cpu_ms_per_run(self) -> dict[str, float]:
        """CPU milliseconds per run for each process group."""
        n = max(self.runs, 1)
        return {name: 1000.0 * s / n for name, s in sorted(self.work.cpu_s.items())}

    def cpu_ms_total(self) -> float:
        """CPU milliseconds per run over every process (servers included)."""
        return sum(self.cpu_ms_per_run().values())

    def per_run(self, value: int) -> float:
        """A counter delta divided by the runs."""
        return value / max(self.runs, 1)

    def p(self, latency: str, q: float) -> float:
        """A latency percentile in seconds."""
        return percentile(self.latencies.get(latency, []), q)


@dataclass(frozen=True)
class StatementCounts:
    """What each process group sent PostgreSQL in a window (from the statement log)."""

    commits: dict[str, int] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)


#: A logged statement (`log_min_duration_statement = 0`) under the devstack's prefix
#: `%m [%p] %q%u@%d/%a `: the database, the application, the statement's text.
_LOGGED = re.compile(
    r"\] [^@ ]*@(?P<db>[^/ ]*)/(?P<app>\S*) LOG:  duration: [\d.]+ ms  "
    r"(?P<kind>statement|execute [^:]*): (?P<sql>.*)"
)


def group_of(application: str) -> str:
    """The process group of an application_name (`cascade-ns_pusher` -> `ns_pusher`)."""
    return application.removeprefix("cascade-") or "other"


def count_statements(log_text: str, database: str) -> StatementCounts:
    """Commits and statements per process group of `database` in a PostgreSQL log excerpt.
    A commit is an explicit COMMIT (every service transaction ends with one); a statement
    is a simple query or an extended-protocol execute (its parse/bind are not counted)."""
    commits: Counter[str] = Counter()
    statements: Counter[str] = Counter()
    for line in log_text.splitlines():
        found = _LOGGED.search(line)
        if found is None or found["db"] != database:
            continue
        group = group_of(found["app"])
        statements[group] += 1
        if found["sql"].strip().rstrip(";").upper() in ("COMMIT", "END"):
            commits[group] += 1
    return StatementCounts(dict(commits), dict(statements))


@dataclass(frozen=True)
class IdleResult:
    """The stack up with no work for `wall_s` seconds."""

    system: str
    wall_s: float
    work: Counters
    #: Per process group, when the system can say (Cascade: PostgreSQL's statement log).
    statements: StatementCounts = field(default_factory=StatementCounts)

    def cores(self, services_only: bool = False) -> float:
        """CPU seconds per wall second (all processes, or the system's own services)."""
        cpu = self.work.cpu_s.items()
        used = sum(s for name, s in cpu if not (services_only and name in SERVER_GROUPS))
        return used / self.wall_s if self.wall_s > 0 else math.nan

    def commits_per_s(self) -> float:
        """PostgreSQL commits per second in the system's database."""
        return self.work.pg_commits / self.wall_s if self.wall_s > 0 else math.nan


def ms(seconds: float) -> str:
    """Seconds shown as milliseconds (or seconds past 10 s); '-' when unknown."""
    if math.isnan(seconds):
        return "-"
    return f"{seconds:.1f} s" if seconds >= 10 else f"{seconds * 1000:.0f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, columns padded to their widest cell."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def phase_rows(results: Sequence[PhaseResult]) -> str:
    """The main table: one row per measured phase."""
    header = ["system", "replicas", "C", "N", "runs/s"]
    for name in LATENCIES:
        header.append(f"{name} p50/p95/p99 ms")
    header += ["CPU ms/run", "PG commits/run", "PG writes/run", "Kafka records/run", "check"]
    rows = []
    for r in results:
        cells = [r.system, str(r.replicas), str(r.concurrency), str(r.runs), f"{r.runs_per_s:.2f}"]
        for name in LATENCIES:
            cells.append(" / ".join(ms(r.p(name, q)) for q in (50, 95, 99)))
        cells += [
            f"{r.cpu_ms_total():.0f}",
            f"{r.per_run(r.work.pg_commits):.1f}",
            f"{r.per_run(r.work.pg_write_xacts):.1f}",
            f"{r.per_run(r.work.kafka_records):.1f}",
            "OK" if not r.violations else f"{len(r.violations)} violations",
        ]
        rows.append(cells)
    return table(header, rows)


def cpu_rows(results: Sequence[PhaseResult]) -> str:
    """CPU milliseconds per run per process group (one column per group seen)."""
    groups = sorted({g for r in results for g in r.work.cpu_s})
    header = ["system", "replicas", "C", "N", *groups, "total"]
    rows = []
    for r in results:
        per = r.cpu_ms_per_run()
        cells = [r.system, str(r.replicas), str(r.concurrency), str(r.runs)]
        cells += [f"{per[g]:.1f}" if g in per else "" for g in groups]
        rows.append([*cells, f"{r.cpu_ms_total():.1f}"])
    return table(header, rows)


def idle_rows(results: Sequence[IdleResult]) -> str:
    """The idle phase: cores used and commits per second with no work."""
    header = ["system", "wall s", "cores (all processes)", "cores (services alone)", "PG commits/s"]
    rows = [
        [
            r.system,
            f"{r.wall_s:.1f}",
            f"{r.cores():.3f}",
            f"{r.cores(services_only=True):.3f}",
            f"{r.commits_per_s():.1f}",
        ]
        for r in results
    ]
    return table(header, rows)


def idle_group_rows(result: IdleResult) -> str:
    """One idle system per process group: cores, PG commits/s and statements/s."""
    wall = result.wall_s if result.wall_s > 0 else math.nan
    counts = result.statements
    groups = sorted({*result.work.cpu_s, *counts.commits, *counts.statements})
    header = ["process group", "cores", "PG commits/s", "PG statements/s"]
    rows = []
    for g in groups:
        cpu = result.work.cpu_s.get(g)
        rows.append(
            [
                g,
                "-" if cpu is None else f"{cpu / wall:.4f}",
                f"{counts.commits.get(g, 0) / wall:.2f}",
                f"{counts.statements.get(g, 0) / wall:.2f}",
            ]
        )
    logged = sum(counts.commits.values())
    total = [f"{result.cores():.4f}", f"{result.commits_per_s():.2f}"]
    rows.append(["all (pg_stat_database)", *total, f"log: {logged / wall:.2f} commits/s"])
    return table(header, rows)


def _ratio(ours: float, theirs: float) -> str:
    if math.isnan(ours) or math.isnan(theirs) or theirs == 0:
        return "-"
    return f"{ours / theirs:.2f}×"


def ratio_rows(results: Sequence[PhaseResult], ours: str = "cascade") -> str:
    """Cascade / peer at each concurrency both ran (Cascade with one replica)."""
    mine = {(r.concurrency): r for r in results if r.system == ours and r.replicas == 1}
    header = [
        "C",
        "peer",
        "runs/s ratio (>1: Cascade faster)",
        "approve→completed p50 ratio (<1: Cascade faster)",
        "p99 ratio",
        "CPU/run ratio (<1: Cascade cheaper)",
    ]
    rows = []
    for r in results:
        a = mine.get(r.concurrency)
        if r.system == ours or a is None:
            continue
        lat = LATENCIES[1]
        rows.append(
            [
                str(r.concurrency),
                r.system,
                _ratio(a.runs_per_s, r.runs_per_s),
                _ratio(a.p(lat, 50), r.p(lat, 50)),
                _ratio(a.p(lat, 99), r.p(lat, 99)),
                _ratio(a.cpu_ms_total(), r.cpu_ms_total()),
            ]
        )
    return table(header, rows)


@dataclass(frozen=True)
class Limits:
    """What the servers can do at best (limits.py measures them)."""

    pg_tps_1: float
    pg_tps_8: float
    kafka_rtt_s: float


def limit_rows(results: Sequence[PhaseResult], limits: Limits, ours: str = "cascade") -> str:
    """Per phase of `ours`: transactions and hops a run needs, the ceiling each limit
    implies and the fraction of it reached.

    PostgreSQL: its one-row commit rate (1 client at C=1, 8 clients above) / write
    transactions per run (each pays a WAL flush, as pgbench's do; read-only commits do
    not), or / commits per run where the system reports no write count. Kafka: records per
    run are hops taken one after another at worst, so C runs in flight cannot finish faster
    than C / (hops * round trip)."""
    header = [
        "replicas",
        "C",
        "PG writes/run",
        "PG ceiling runs/s",
        "fraction",
        "Kafka records/run",
        "Kafka ceiling runs/s",
        "fraction",
    ]
    rows = []
    for r in results:
        if r.system != ours:
            continue
        commits = r.per_run(r.work.pg_write_xacts or r.work.pg_commits)
        hops = r.per_run(r.work.kafka_records)
        tps = limits.pg_tps_1 if r.concurrency == 1 else limits.pg_tps_8
        pg_ceiling = tps / commits if commits > 0 else math.nan
        kafka_ceiling = (
            r.concurrency / (hops * limits.kafka_rtt_s)
            if hops > 0 and limits.kafka_rtt_s > 0
            else math.nan
        )
        rows.append(
            [
                str(r.replicas),
                str(r.concurrency),
                f"{commits:.1f}",
                f"{pg_ceiling:.1f}",
                f"{r.runs_per_s / pg_ceiling:.1%}" if pg_ceiling > 0 else "-",
                f"{hops:.1f}",
                f"{kafka_ceiling:.1f}",
                f"{r.runs_per_s / kafka_ceiling:.1%}" if kafka_ceiling > 0 else "-",
            ]
        )
    return table(header, rows)


def scale_rows(results: Sequence[PhaseResult]) -> str:
    """BENCH_SCALE: cost per run against N and throughput against replicas."""
    header = ["replicas", "N", "runs/s", "CPU ms/run", "PG commits/run", "Kafka records/run"]
    rows = [
        [
            str(r.replicas),
            str(r.runs),
            f"{r.runs_per_s:.2f}",
            f"{r.cpu_ms_total():.1f}",
            f"{r.per_run(r.work.pg_commits):.1f}",
            f"{r.per_run(r.work.kafka_records):.1f}",
        ]
        for r in results
    ]
    return table(header, rows)


def parse_ints(text: str) -> list[int]:
    """A comma list of positive integers from an env knob ("1,50,200")."""
    values = [int(part) for part in text.replace(" ", "").split(",") if part]
    if not values or any(v <= 0 for v in values):
        raise ValueError(f"expected a comma list of positive integers, got {text!r}")
    return values


#: How py-spy names the files of Cascade's own packages (relative to site-packages' root).
PROJECT_FILES = ("(runner/", "(shared/", "(intake/", "(approvals/", "(ns_pusher/", "(verifier/")


def hot_spots(
    collapsed: str, top: int = 10, only: tuple[str, ...] = ()
) -> list[tuple[str, float, float]]:
    """From py-spy's raw (collapsed) stacks: the `top` frames with their share of all
    samples (own: the frame on top; inclusive: on the stack at all), ranked by own share,
    or, with `only` (substrings of the frame, e.g. PROJECT_FILES), those frames ranked by
    inclusive share: where the project's own code spends its time, callees included."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
    if only:
        mine = {f: n for f, n in inclusive.items() if any(o in f for o in only)}
        ranked = sorted(mine.items(), key=lambda item: -item[1])[:top]
    else:
        ranked = sorted(own.items(), key=lambda item: -item[1])[:top]
    return [(frame, own.get(frame, 0) / total, inclusive[frame] / total) for frame, _ in ranked]
