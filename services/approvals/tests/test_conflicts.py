"""Unit tests of why a decision was refused: no IO."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from cascade.approvals.conflicts import (
    Conflict,
    CurrentProposal,
    conflict_message,
    conflict_reason,
    current_view,
)

SHA = "ab" * 32
PENDING = CurrentProposal(
    status="pending",
    version=2,
    payload_sha256=SHA,
    expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    expired=False,
    decided_by=None,
    decided_at=None,
)
DECIDED_AT = datetime(2029, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "version", "sha", "reason"),
    [
        (replace(PENDING, version=3), 2, SHA, Conflict.STALE_VERSION),
        (PENDING, 2, "cd" * 32, Conflict.PAYLOAD_CHANGED),
        (PENDING, 1, "cd" * 32, Conflict.STALE_VERSION),
        (replace(PENDING, expired=True), 2, SHA, Conflict.EXPIRED),
        (replace(PENDING, expired=True), 1, SHA, Conflict.EXPIRED),
        (replace(PENDING, status="approved"), 2, SHA, Conflict.ALREADY_DECIDED),
        (replace(PENDING, status="rejected", expired=True), 1, SHA, Conflict.ALREADY_DECIDED),
        (replace(PENDING, status="expired"), 2, SHA, Conflict.ALREADY_DECIDED),
        (PENDING, 2, SHA, Conflict.CONCURRENT_CHANGE),
    ],
)
def test_conflict_reason(
    current: CurrentProposal, version: int, sha: str, reason: Conflict
) -> None:
    assert conflict_reason(current, version, sha) is reason


def test_messages_tell_mike_what_happened() -> None:
    decided = replace(PENDING, status="approved", decided_by="mike", decided_at=DECIDED_AT)
    message = conflict_message(Conflict.ALREADY_DECIDED, decided, 2)
    assert message.startswith("the proposal is already approved by mike at 2029-05-01T12:00")
    stale = conflict_message(Conflict.STALE_VERSION, replace(PENDING, version=3), 2)
    assert "version 2" in stale
    assert "version 3" in stale
    assert "2030-01-01" in conflict_message(Conflict.EXPIRED, PENDING, 2)
    assert "payload differs" in conflict_message(Conflict.PAYLOAD_CHANGED, PENDING, 2)


def test_current_view_leaves_out_the_hash() -> None:
    # A script must re-read (review) the proposal to learn the hash it would approve.
    assert current_view(PENDING) == {
        "status": "pending",
        "version": 2,
        "expires_at": "2030-01-01T00:00:00+00:00",
        "decided_by": None,
        "decided_at": None,
    }
