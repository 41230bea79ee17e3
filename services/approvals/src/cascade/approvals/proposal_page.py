"""Everything the proposal page shows, gathered in one read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.approvals.desk_queries import (
    Collision,
    Neighbours,
    collisions,
    neighbours,
    reminder_of,
)
from cascade.approvals.email_jobs import email_job
from cascade.approvals.proposal_view import (
    Presentation,
    Rule,
    blocked_at_approval,
    creator_run,
    failed_rules,
    presentation,
    shown_rules,
)
from cascade.approvals.queries import proposal_with_audit
from cascade.approvals.twins import Twin, twins_for
from cascade.approvals.ui_queries import prior_reflexions
from cascade.shared.canonical import sha256_of
from cascade.shared.contract import Contract
from cascade.shared.db.models import (
    ApprovalAudit,
    Customer,
    EmailJob,
    EmailSuggestion,
    EventRecord,
    ProposedAction,
    ReflexionEntry,
    WorkflowRun,
)
from cascade.shared.db.statuses import ProposalStatus
from cascade.shared.normalize import normalize_company_name

# Rows of the side-by-side comparison: (label, input name, customer column).
COMPARED = (
    ("Company", "company_name", "companyname"),
    ("Email", "contact_email", "email"),
    ("Phone", "contact_phone", "phone"),
    ("Billing address", "billing_address", "billing_address"),
    ("Shipping address", "shipping_address", "shipping_address"),
    ("Credit limit", "credit_limit", "credit_limit"),
    ("Pricing tier", "pricing_tier", "pricing_tier"),
    ("Sales rep", "sales_rep", "sales_rep"),
)


@dataclass
class ProposalPage:
    """The proposal, its run and contract, and what Mike should see beside the payload."""

    proposal: ProposedAction
    audit: Sequence[ApprovalAudit]
    run: WorkflowRun | None
    contract: Contract | None
    inputs: Mapping[str, Any]
    duplicates: list[Customer] = field(default_factory=list)
    reflexions: Sequence[ReflexionEntry] = ()
    email: EmailJob | None = None
    view: Presentation = field(default_factory=lambda: presentation({}, None))
    blockers: list[Rule] = field(default_factory=list)
    twins: list[Twin] = field(default_factory=list)
    around: Neighbours = field(default_factory=lambda: Neighbours(None, None))
    reminder: EventRecord | None = None
    blocked: list[Rule] | None = None
    """The rules that blocked the run at approval, when they did."""
    collisions: Sequence[Collision] = ()
    """The customers the run collided with when it was blocked at approval."""
    suggestions: Sequence[EmailSuggestion] = ()
    """Texts AI agents suggested for this draft (never applied by themselves), newest first."""

    @property
    def title(self) -> str:
        """The business subject: the presentation's title, the run's, or the entity ref."""
        return self.view.title or (self.run.title if self.run else None) or self.proposal.entity_ref

    @property
    def approval_window(self) -> timedelta | None:
        """The contract's expected time to a decision, when it declares one."""
        gate = self.contract.hitl if self.contract else None
        return gate.approval_window if gate else None

    @property
    def due_at(self) -> datetime | None:
        """When the approval window closes."""
        window = self.approval_window
        return self.proposal.created_at + window if window else None

    def overdue(self, now: datetime) -> bool:
        """Still pending after the approval window."""
        due = self.due_at
        return self.proposal.status == ProposalStatus.PENDING and due is not None and due <= now

    @property
    def hash_ok(self) -> bool:
        """Whether the stored payload still hashes to the stored hash."""
        return sha256_of(self.proposal.payload) == self.proposal.payload_sha256

    def rules(self) -> list[tuple[str, str, bool, str]]:
        """The preconditions table; passed rules show no failure text."""
        return shown_rules(self.proposal.payload.get("preconditions") or [])

    @staticmethod
    def creator(customer: Customer) -> str | None:
        """The run that created an existing customer, for a link beside it."""
        return creator_run(customer.created_by_run_id, customer.external_id)

    def compared(self) -> list[tuple[str, Any, list[Any]]]:
        """(label, the new value, each duplicate candidate's value) for the comparison."""
        return [
            (label, self.inputs.get(name), [getattr(c, column) for c in self.duplicates])
            for label, name, column in COMPARED
        ]


def candidate_ids(context: Mapping[str, Any]) -> list[int]:
    """Customer ids named by context queries that look for existing customers (pure)."""
    ids: list[int] = []
    for name, value in context.items():
        rows = value if isinstance(value, list) else []
        if name.startswith("existing"):
            ids += [r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), int)]
    return sorted(set(ids))


def subject_of(inputs: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The company key and email domain reflexions are filed under (as the runner files them)."""
    name, email = inputs.get("company_name"), inputs.get("contact_email")
    subject = normalize_company_name(str(name)) if name else None
    domain = str(email).rsplit("@", 1)[1].lower() if email and "@" in str(email) else None
    return subject, domain


async def load_page(
    session: AsyncSession, proposal_id: int, contracts: Mapping[str, Contract]
) -> ProposalPage | None:
    """The page's data, or None for an unknown proposal."""
    found = await proposal_with_audit(session, proposal_id)
    if found is None:
        return None
    proposal, audit = found
    run = await session.get(WorkflowRun, proposal.run_id)
    inputs = proposal.payload.get("inputs") or (run.inputs if run is not None else {})
    contract = contracts.get(run.workflow_type) if run else None
    page = ProposalPage(proposal, audit, run, contract, inputs)
    page.view = presentation(proposal.payload, contract)
    page.blockers = failed_rules(proposal.payload, contract, severity="block")
    page.twins = (await twins_for(session, [proposal_id])).get(proposal_id, [])
    page.around = await neighbours(session, proposal.created_at, proposal_id)
    page.reminder = await reminder_of(session, proposal.run_id)
    if run is not None and proposal.status == ProposalStatus.APPROVED:
        page.blocked = blocked_at_approval(run.error, contract)
        if page.blocked is not None:
            page.collisions = await collisions(
                session, inputs.get("company_name"), inputs.get("contact_email"),
                proposal.action_type,
            )  # fmt: skip
    queried = {q.name: q.rows for q in page.view.queries}
    ids = candidate_ids({**queried, **(proposal.payload.get("context") or {})})
    if ids:
        rows = await session.scalars(select(Customer).where(Customer.id.in_(ids)))
        page.duplicates = list(rows.all())
    if not page.duplicates:
        # Blocked at approval: the customers it collided with are the duplicates to compare.
        page.duplicates = [c.customer for c in page.collisions]
    page.reflexions = await prior_reflexions(session, proposal.run_id, *subject_of(inputs))
    page.email = await email_job(session, proposal_id)
    page.suggestions = list(
        await session.scalars(
            select(EmailSuggestion)
            .where(EmailSuggestion.proposal_id == proposal_id)
            .order_by(EmailSuggestion.id.desc())
            .limit(20)
        )
    )
    return page
