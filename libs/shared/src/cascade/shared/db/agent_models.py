"""AI agents (MCP clients): their scoped tokens, the audit of every tool call, and the email
edits they suggest (shown to Mike, never applied by themselves)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cascade.shared.db.base import Base, now_column
from cascade.shared.db.statuses import AgentOutcome, status_check


class AgentToken(Base):
    """One agent's bearer token: an argon2 hash of the secret, found by its public `key_id`
    (the token is `cat_<key_id>_<secret>`). Never Mike's admin token, and no scope lets a
    holder decide anything: the approvals service does not know these tokens at all."""

    __tablename__ = "agent_tokens"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    scopes: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = now_column()
    revoked_at: Mapped[datetime | None]


class AgentAudit(Base):
    """Append-only: every tool call an agent made, allowed or refused, with its arguments."""

    __tablename__ = "agent_audit"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    agent: Mapped[str] = mapped_column(String(120))
    tool: Mapped[str] = mapped_column(String(100))
    arguments: Mapped[dict[str, Any]]
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = now_column()
    __table_args__ = (
        status_check("outcome", AgentOutcome),
        Index("ix_agent_audit_agent_created", "agent", "created_at"),
    )


class EmailSuggestion(Base):
    """An agent's proposed text for a pending email draft, against one version of it; Mike
    reads it on the proposal page and may take it into his own edit."""

    __tablename__ = "email_suggestions"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposed_actions.id"), index=True)
    based_on_version: Mapped[int]
    agent: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = now_column()
