"""A gate proposal waiting past its approval window (`reminders.remind_once`, `overdue`),
on the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

from cascade.runner.reminders import WHAT, overdue, remind_once
from cascade.shared.topics import Topic, topic_name

from .fakes import NOW, PREFIX, RUN, FakeRunnerWork, new_customer

ALERT = topic_name(PREFIX, Topic.WORKFLOW_ALERT)
SINCE = NOW - timedelta(days=3)


async def test_an_overdue_proposal_alerts_with_who_waits_and_since_when() -> None:
    uow = FakeRunnerWork()
    assert await remind_once(uow, PREFIX, RUN, 4, SINCE, "Acme Tools")
    (alert,) = uow.staged_on(ALERT)
    detail = f"Acme Tools (proposal 4) has waited for a decision since {SINCE.isoformat()}"
    assert (alert.data["reason"], alert.data["detail"]) == ("approval overdue", detail)
    (remembered,) = uow.events.added
    assert remembered.idempotency_key == f"workflow.alert:{RUN}:{WHAT}"
    assert remembered.data == {"reason": WHAT, "detail": detail}
    assert uow.committed


async def test_a_run_without_a_title_is_named_by_its_proposal() -> None:
    uow = FakeRunnerWork()
    await remind_once(uow, PREFIX, RUN, 4, SINCE, None)
    (alert,) = uow.staged_on(ALERT)
    assert alert.data["detail"].startswith("proposal 4 has waited")


async def test_a_run_reminded_before_is_not_reminded_again() -> None:
    uow = FakeRunnerWork()
    await remind_once(uow, PREFIX, RUN, 4, SINCE, "Acme Tools")
    uow.staged.clear()
    uow.committed = False
    assert not await remind_once(uow, PREFIX, RUN, 4, SINCE, "Acme Tools")
    assert uow.staged == []
    assert len(uow.events.added) == 1
    assert not uow.committed


def test_a_proposal_is_overdue_only_past_its_contracts_window() -> None:
    contract = new_customer()
    assert contract.hitl is not None
    window = contract.hitl.approval_window
    assert overdue(contract, NOW - window - timedelta(seconds=1), NOW)
    assert not overdue(contract, NOW - window, NOW)
    assert not overdue(new_customer(approval=False), SINCE - window, NOW)  # no gate
    assert not overdue(None, SINCE - window, NOW)  # its contract is no longer loaded
