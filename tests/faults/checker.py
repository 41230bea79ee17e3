"""The invariants of a fault run, judged over collected data (pure: no IO here).

`collect.observe` reads the database, the topics (from the earliest offset), the NetSuite
simulator's store and the SMTP sink into an `Observed`; `check` returns the counts and every
violation. Keeping it pure is what lets `test_checker.py` feed it hand-made data that breaks
each invariant, so the checker is shown to fail when it should.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

TERMINAL = frozenset({"completed", "partial", "failed", "blocked", "rejected", "expired"})
TERMINAL_TYPES = frozenset({"workflow.completed", "workflow.partial", "workflow.failed"})
#: The terminal event a run's final status must be announced with.
EVENT_OF_STATUS = {
    "completed": "workflow.completed",
    "partial": "workflow.partial",
    **{s: "workflow.failed" for s in ("failed", "blocked", "rejected", "expired")},
}
EMAIL_ACTION = "propose_email_to_customer"
_MESSAGE_ID = re.compile(r"<cascade-proposal-(\d+)-v\d+@")


@dataclass(frozen=True)
class Answer:
    """One HTTP attempt of the load client: its key and what came back."""

    key: str
    status: int | None  # None: no answer (connection refused, timeout)
    run_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class WireEvent:
    """A record on a terminal topic, as read from the earliest offset."""

    topic: str
    run_id: str | None
    idempotency_key: str | None


@dataclass(frozen=True)
class CustomerRow:
    """A row of `customers` (only the columns the invariants need)."""

    id: int
    run_id: str | None
    #: The NetSuite externalId of the run's customer push (None before one was staged).
    external_id: str | None
    netsuite_id: str | None


@dataclass(frozen=True)
class ProposalRow:
    """A row of `proposed_actions`."""

    id: int
    run_id: str
    action_type: str
    status: str


@dataclass(frozen=True)
class EmailSendRow:
    """A row of `email_sends`; `status` None on a schema without one (a row means sent)."""

    proposal_id: int
    message_id: str
    status: str | None = None


@dataclass(frozen=True)
class Mail:
    """A message the SMTP sink accepted."""

    message_id: str
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class BundleRow:
    """An `object_puts` row and what the object store holds under its key."""

    run_id: str
    key: str
    status: str
    #: The SHA-256 the run recorded for the bytes it staged.
    sha256: str
    #: The SHA-256 of the bytes the store returns for the key (None: no such object).
    stored_sha256: str | None = None


@dataclass(frozen=True)
class Injected:
    """A record the suite published straight to a topic (poison or forged)."""

    kind: str
    topic: str
    payload: bytes
    #: The run a forged event names (a decoy that must stay untouched, or an unknown id).
    run_id: str | None = None


@dataclass
class Observed:
    """Everything collected after a fault run has drained."""

    answers: list[Answer] = field(default_factory=list)
    #: intake_requests: Idempotency-Key -> run_id, for keys whose answer was lost.
    intake_keys: dict[str, str] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)  # run_id -> status
    ledger: list[tuple[str, str, str]] = field(default_factory=list)  # run_id, type, key
    wire: list[WireEvent] = field(default_factory=list)
    customers: list[CustomerRow] = field(default_factory=list)
    programs: list[tuple[int, int]] = field(default_factory=list)  # customer_id, program_id
    ns_records: list[tuple[str, str | None]] = field(default_factory=list)  # internal, external
    proposals: list[ProposalRow] = field(default_factory=list)
    email_sends: list[EmailSendRow] = field(default_factory=list)
    bundles: list[BundleRow] = field(default_factory=list)
    mails: list[Mail] = field(default_factory=list)
    outbox_unsent: int = 0
    lag: dict[str, int] = field(default_factory=dict)  # "group topic" -> records behind
    dlq: list[tuple[str, bytes]] = field(default_factory=list)  # source topic, payload
    verify: list[tuple[str, str, str]] = field(default_factory=list)  # run_id, check, status
    poisoned: list[Injected] = field(default_factory=list)
    forged: list[Injected] = field(default_factory=list)
    #: Runs the load client deliberately never approves (targets of forged events).
    decoys: set[str] = field(default_factory=set)
    faults: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Violation:
    """One broken invariant: a short code and what was seen."""

    code: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


@dataclass
class Report:
    """Counts of what happened and every violation found."""

    counts: dict[str, int]
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        """True when every invariant held."""
        return not self.violations

    def codes(self) -> set[str]:
        """The distinct violation codes (what unit tests assert on)."""
        return {v.code for v in self.violations}

    def summary(self, limit: int = 30) -> str:
        """Counts on one line each, then the first `limit` violations."""
        lines = [f"{k}: {v}" for k, v in sorted(self.counts.items())]
        lines += [f"VIOLATION {v}" for v in self.violations[:limit]]
        if len(self.violations) > limit:
            lines.append(f"... and {len(self.violations) - limit} more violations")
        return "\n".join(lines)


def _accepted(obs: Observed, out: list[Violation]) -> dict[str, str]:
    """Key -> run_id of every request intake accepted (a 2xx), checking idempotency."""
    run_of: dict[str, set[str]] = defaultdict(set)
    for a in obs.answers:
        if a.status is not None and 200 <= a.status < 300:
            if a.run_id is None:
                out.append(Violation("accepted_without_run_id", f"key {a.key}: {a.status}"))
                continue
            run_of[a.key].add(a.run_id)
    accepted: dict[str, str] = {}
    for key, ids in run_of.items():
        if len(ids) > 1:
            out.append(Violation("idempotency_broken", f"key {key} answered runs {sorted(ids)}"))
        accepted[key] = sorted(ids)[0]
    # A key whose every answer was lost (timeouts) but that intake recorded is accepted too:
    # the system owes it a run whether or not the client heard back.
    for key, run_id in obs.intake_keys.items():
        if key not in accepted and any(a.key == key for a in obs.answers):
            accepted[key] = run_id
    for key, run_id in accepted.items():
        recorded = obs.intake_keys.get(key)
        if recorded is not None and recorded != run_id:
            out.append(Violation("idempotency_broken", f"key {key}: {run_id} vs db {recorded}"))
    return accepted


def _check_runs(obs: Observed, accepted: dict[str, str], out: list[Violation]) -> int:
    lost = 0
    for key, run_id in accepted.items():
        status = obs.runs.get(run_id)
        if status is None:
            lost += 1
            out.append(Violation("lost", f"accepted key {key} run {run_id} has no run row"))
        elif status not in TERMINAL and not (
            status == "awaiting_approval" and run_id in obs.decoys
        ):
            lost += 1
            out.append(Violation("stuck", f"run {run_id} is {status}"))
    for run_id in obs.decoys:
        status = obs.runs.get(run_id)
        if status != "awaiting_approval":
            out.append(Violation("forged_changed_run", f"decoy {run_id} is {status}"))
    return lost


def _check_terminal_events(obs: Observed, out: list[Violation]) -> int:
    """One ledger row and one (deduplicated) wire event per ended run; raw duplicates."""
    ledger = Counter(r for r, t, _k in obs.ledger if t in TERMINAL_TYPES)
    keys: dict[str, set[str]] = defaultdict(set)
    types: dict[str, set[str]] = defaultdict(set)
    raw = 0
    for e in obs.wire:
        if e.run_id is None or e.idempotency_key is None:
            out.append(Violation("bad_terminal_record", f"on {e.topic} without run or key"))
            continue
        raw += 1
        keys[e.run_id].add(e.idempotency_key)
        types[e.run_id].add(e.topic.rsplit(".", 1)[-1])
    for run_id, status in obs.runs.items():
        want = 1 if status in TERMINAL else 0
        if ledger.get(run_id, 0) != want:
            out.append(
                Violation("terminal_ledger", f"run {run_id} ({status}): {ledger.get(run_id, 0)}")
            )
        if len(keys.get(run_id, ())) != want:
            out.append(
                Violation("terminal_wire", f"run {run_id} ({status}): {sorted(keys[run_id])}")
            )
        expected = EVENT_OF_STATUS.get(status)
        if (
            expected is not None
            and types.get(run_id)
            and types[run_id] != {expected.rsplit(".", 1)[-1]}
        ):
            out.append(Violation("terminal_type", f"run {run_id} {status}: {types[run_id]}"))
    for run_id in set(keys) - set(obs.runs):
        out.append(Violation("terminal_without_run", f"run {run_id} on the wire only"))
    return raw - sum(len(k) for k in keys.values())


def _check_effects(obs: Observed, out: list[Violation]) -> int:
    """One customer and one NetSuite record per completed run; no duplicate programs."""
    duplicates = 0
    per_run = Counter(c.run_id for c in obs.customers if c.run_id is not None)
    for run_id, status in obs.runs.items():
        n = per_run.get(run_id, 0)
        if n > 1:
            duplicates += n - 1
            out.append(Violation("duplicate_customer", f"run {run_id}: {n} customers"))
        elif status == "completed" and n != 1:
            out.append(Violation("missing_customer", f"completed run {run_id} has no customer"))
        elif status not in ("completed", "partial", "failed", "running") and n:
            out.append(Violation("unexpected_customer", f"run {run_id} is {status}"))
    by_external = Counter(ext for _id, ext in obs.ns_records)
    internal_ids = {i for i, _ext in obs.ns_records}
    for ext, n in by_external.items():
        if n > 1:
            duplicates += n - 1
            out.append(Violation("duplicate_netsuite_record", f"externalId {ext}: {n}"))
    customer_externals = {c.external_id for c in obs.customers}
    for ext in by_external:
        if ext not in customer_externals:
            out.append(Violation("orphan_netsuite_record", f"externalId {ext}: no customer"))
    for c in obs.customers:
        run_status = obs.runs.get(c.run_id or "")
        if c.netsuite_id is not None and c.netsuite_id not in internal_ids:
            out.append(Violation("netsuite_id_unknown", f"customer {c.id}: {c.netsuite_id}"))
        if run_status == "completed" and by_external.get(c.external_id, 0) != 1:
            out.append(Violation("missing_netsuite_record", f"customer {c.id} ({c.external_id})"))
    for pair, n in Counter(obs.programs).items():
        if n > 1:
            duplicates += n - 1
            out.append(Violation("duplicate_program", f"customer/program {pair}: {n}"))
    return duplicates


def _check_bundles(obs: Observed, out: list[Violation]) -> int:
    """One stored first-quote bundle per completed run, holding the bytes it recorded; none
    for a run that never reached fan-out. Returns how many are stored."""
    per_run = Counter(b.run_id for b in obs.bundles)
    stored = {b.run_id: b for b in obs.bundles if b.status == "stored"}
    for run_id, n in per_run.items():
        if n > 1:
            out.append(Violation("duplicate_bundle", f"run {run_id}: {n} object rows"))
        status = obs.runs.get(run_id)
        if status not in ("completed", "partial", "failed", "running"):
            out.append(Violation("unexpected_bundle", f"run {run_id} is {status}"))
    for run_id, status in obs.runs.items():
        if status == "completed" and run_id not in stored:
            out.append(Violation("missing_bundle", f"completed run {run_id} stored no bundle"))
    for bundle in stored.values():
        if bundle.stored_sha256 is None:
            out.append(Violation("bundle_not_in_store", f"run {bundle.run_id}: {bundle.key}"))
        elif bundle.stored_sha256 != bundle.sha256:
            detail = f"run {bundle.run_id}: {bundle.stored_sha256} != {bundle.sha256}"
            out.append(Violation("bundle_bytes_differ", detail))
    return len(stored)


def _proposal_of(message_id: str) -> int | None:
    found = _MESSAGE_ID.search(message_id)
    return int(found.group(1)) if found else None


def _check_emails(obs: Observed, out: list[Violation]) -> dict[str, int]:
    """Every approved email sent exactly once (or visibly failed); nothing else sent."""
    sent = Counter(_proposal_of(m.message_id) for m in obs.mails)
    rows: dict[int, list[EmailSendRow]] = defaultdict(list)
    for r in obs.email_sends:
        rows[r.proposal_id].append(r)
    approved = failed = twice = 0
    emails = {p.id: p for p in obs.proposals if p.action_type == EMAIL_ACTION}
    for pid, p in emails.items():
        n = sent.get(pid, 0)
        if n > 1:
            twice += 1
            out.append(Violation("email_sent_twice", f"proposal {pid}: {n} messages"))
        if p.status != "approved":
            if n:
                out.append(Violation("email_sent_unapproved", f"proposal {pid} is {p.status}"))
            continue
        approved += 1
        statuses = {r.status for r in rows.get(pid, [])}
        if n == 0 and "failed" in statuses:
            failed += 1
        elif n == 0:
            out.append(Violation("email_not_sent", f"approved proposal {pid}: no message"))
        elif not rows.get(pid):
            out.append(Violation("email_unrecorded", f"proposal {pid} sent, no email_sends row"))
    for unknown in sent:
        if unknown is None or unknown not in emails:
            out.append(Violation("email_unknown", f"message for proposal {unknown}"))
    return {
        "emails_approved": approved,
        "emails_sent": sum(sent.values()),
        "emails_failed_visibly": failed,
        "emails_sent_twice": twice,
    }


def _check_pipes(obs: Observed, out: list[Violation]) -> None:
    """Outbox drained, lag 0, DLQ only what was injected, every poison dead-lettered,
    verify results decided, proposals of approved runs decided."""
    if obs.outbox_unsent:
        out.append(Violation("outbox_not_drained", f"{obs.outbox_unsent} unsent rows"))
    for where, lag in sorted(obs.lag.items()):
        if lag:
            out.append(Violation("consumer_lag", f"{where}: {lag}"))
    injected = {(i.topic, i.payload) for i in (*obs.poisoned, *obs.forged)}
    for topic, payload in obs.dlq:
        if (topic, payload) not in injected:
            out.append(Violation("unexpected_dead_letter", f"{topic}: {payload[:120]!r}"))
    on_dlq = set(obs.dlq)
    for p in obs.poisoned:
        if (p.topic, p.payload) not in on_dlq:
            out.append(Violation("poison_not_dead_lettered", f"{p.kind} on {p.topic}"))
    for run_id, check, status in obs.verify:
        if status in ("pending", "running"):
            out.append(Violation("verify_undecided", f"run {run_id} {check}: {status}"))
        if run_id not in obs.runs:
            out.append(Violation("verify_without_run", f"run {run_id} {check}"))
    for proposal in obs.proposals:
        if proposal.status == "pending" and proposal.run_id not in obs.decoys:
            out.append(
                Violation("proposal_undecided", f"proposal {proposal.id} of {proposal.run_id}")
            )


def _check_forged(obs: Observed, out: list[Violation]) -> None:
    """A forged event names a decoy (checked with the runs) or a run that must not appear."""
    for f in obs.forged:
        if f.run_id is None or f.run_id in obs.decoys:
            continue
        if f.run_id in obs.runs:
            out.append(Violation("forged_created_run", f"{f.kind}: run {f.run_id}"))
    decoy_customers = [c for c in obs.customers if c.run_id in obs.decoys]
    for c in decoy_customers:
        out.append(Violation("forged_changed_run", f"decoy {c.run_id} has customer {c.id}"))
    for c in obs.customers:
        if c.netsuite_id is not None and c.netsuite_id.upper().startswith("FORGED"):
            out.append(Violation("forged_netsuite_id", f"customer {c.id}: {c.netsuite_id}"))


def _statuses(runs: Iterable[str]) -> dict[str, int]:
    return {f"runs_{status}": n for status, n in Counter(runs).items()}


def check(obs: Observed) -> Report:
    """Judge one fault run: counts and every broken invariant."""
    out: list[Violation] = []
    accepted = _accepted(obs, out)
    lost = _check_runs(obs, accepted, out)
    raw_duplicates = _check_terminal_events(obs, out)
    duplicate_effects = _check_effects(obs, out)
    emails = _check_emails(obs, out)
    bundles = _check_bundles(obs, out)
    _check_pipes(obs, out)
    _check_forged(obs, out)
    keys = {a.key for a in obs.answers}
    counts = {
        "requests": len(obs.answers),
        "runs_submitted": len(keys),
        "runs_accepted": len(accepted),
        "runs_refused": len(keys - set(accepted)),
        "lost": lost,
        "raw_duplicates_on_wire": raw_duplicates,
        "duplicate_effects": duplicate_effects,
        "customers": len(obs.customers),
        "netsuite_records": len(obs.ns_records),
        "bundles_stored": bundles,
        "dead_letters_on_wire": len(obs.dlq),
        "poison_records": len(obs.poisoned),
        "forged_events": len(obs.forged),
        "decoy_runs": len(obs.decoys),
        **emails,
        **_statuses(obs.runs.values()),
        **{f"fault_{kind}": n for kind, n in obs.faults.items()},
    }
    counts["faults_total"] = sum(obs.faults.values())
    return Report(counts=counts, violations=out)
