"""Writes a run's business subject (title, summary, twin keys, search text) on its row."""

from __future__ import annotations

from collections.abc import Mapping

from cascade.shared.contract import Contract, Subject, fallback_subject, run_subject
from cascade.shared.db.models import WorkflowRun


def write_subject(run: WorkflowRun, subject: Subject) -> None:
    """Store the subject; no twin keys is NULL (nothing to overlap)."""
    run.title = subject.title
    run.summary = subject.summary
    run.twin_keys = subject.twin_keys or None
    run.search_text = subject.search_text


def subject_for(
    contract: Contract | None, workflow_type: str, scope: Mapping[str, object]
) -> Subject:
    """The subject of a run of `contract` with `scope` (any subset of its values); the
    workflow type names a run whose contract is unknown."""
    if contract is None:
        return fallback_subject(workflow_type)
    return run_subject(contract, scope)
