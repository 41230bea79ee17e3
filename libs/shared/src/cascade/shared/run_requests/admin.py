"""Runs Mike starts from the approvals page's Execute form (pure): the form's key, the run id
and idempotency key derived from it, and what the run records as its starter. Approvals
(which stages the request) and intake (which starts the run) both use these, so they agree
on the run without asking each other."""

from __future__ import annotations

import uuid

ADMIN_KEY_PREFIX = "admin:"
"""Idempotency keys of runs started from the Execute form; no client may take one."""

RUN_NAMESPACE = uuid.UUID("0b6c3f0e-5d0a-4e55-9f0e-7d4c8f2a1e13")


def admin_key(form_key: uuid.UUID) -> str:
    """The idempotency key of the run one rendered Execute form starts."""
    return f"{ADMIN_KEY_PREFIX}{form_key}"


def parse_form_key(text: str | None) -> uuid.UUID | None:
    """The form's key as the page made it (a UUID4), or None for anything else."""
    try:
        key = uuid.UUID(text or "")
    except ValueError:
        return None
    return key if key.version == 4 and str(key) == text else None


def admin_run_id(idempotency_key: str) -> uuid.UUID:
    """The run an Execute form's key names: the same key always names the same run, so the
    page can send Mike to the run before intake has staged it."""
    return uuid.uuid5(RUN_NAMESPACE, idempotency_key)


def started_by_admin(actor: str) -> str:
    """What a run Mike started from the Execute form records as its starter."""
    return f"admin:{actor}"
