"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from cascade.shared.db.base import Base
from cascade.shared.db.messaging_models import (
    DeadLetter,
    DeliveryAttempt,
    OutboxMessage,
    ProcessedMessage,
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
from cascade.shared.db.workflow_models import (
    ApprovalAudit,
    EventRecord,
    IntakeRequest,
    NsPendingPush,
    ProposedAction,
    ReflexionEntry,
    VerifyResult,
    WorkflowRun,
    WorkflowRunLog,
    WorkflowRunStep,
)

__all__ = [
    "ApprovalAudit",
    "Base",
    "Customer",
    "CustomerProgram",
    "DeadLetter",
    "DeliveryAttempt",
    "EventRecord",
    "IntakeRequest",
    "Item",
    "ItemPrice",
    "NsPendingPush",
    "OutboxMessage",
    "PaymentTerm",
    "PricingTier",
    "PricingTierProgram",
    "ProcessedMessage",
    "Program",
    "ProposedAction",
    "ReflexionEntry",
    "VerifyResult",
    "WorkflowRun",
    "WorkflowRunLog",
    "WorkflowRunStep",
]
