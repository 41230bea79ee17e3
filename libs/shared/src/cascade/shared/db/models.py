"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from cascade.shared.db.agent_models import AgentAudit, AgentToken, EmailSuggestion
from cascade.shared.db.base import Base
from cascade.shared.db.messaging_models import (
    DeadLetter,
    DeliveryAttempt,
    OutboxMessage,
    ProcessedMessage,
    RequestSlot,
)
from cascade.shared.db.mirror_models import (
    Customer,
    CustomerProgram,
    Item,
    ItemPrice,
    PaymentTerm,
    PricingTier,
    PricingTierProgram,
    Program,
)
from cascade.shared.db.object_models import ObjectPut, VerifyRepair
from cascade.shared.db.statuses import status_columns
from cascade.shared.db.ui_models import EmailJob, EmailSend, LoginThrottle, UiSession
from cascade.shared.db.workflow_models import (
    ApprovalAudit,
    EventRecord,
    IntakeRequest,
    NsPendingPush,
    ProposedAction,
    ReflexionEntry,
    TriggerTick,
    VerifyResult,
    WorkflowRun,
    WorkflowRunLog,
    WorkflowRunStep,
)

STATUS_COLUMNS = status_columns(Base.metadata)
"""Every status column's CHECK, as the models declare it (migration 0016 creates them)."""

__all__ = [
    "STATUS_COLUMNS",
    "AgentAudit",
    "AgentToken",
    "ApprovalAudit",
    "Base",
    "Customer",
    "CustomerProgram",
    "DeadLetter",
    "DeliveryAttempt",
    "EmailJob",
    "EmailSend",
    "EmailSuggestion",
    "EventRecord",
    "IntakeRequest",
    "Item",
    "ItemPrice",
    "LoginThrottle",
    "NsPendingPush",
    "ObjectPut",
    "OutboxMessage",
    "PaymentTerm",
    "PricingTier",
    "PricingTierProgram",
    "ProcessedMessage",
    "Program",
    "ProposedAction",
    "ReflexionEntry",
    "RequestSlot",
    "TriggerTick",
    "UiSession",
    "VerifyRepair",
    "VerifyResult",
    "WorkflowRun",
    "WorkflowRunLog",
    "WorkflowRunStep",
]
