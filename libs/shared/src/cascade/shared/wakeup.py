"""Wake-ups instead of polls: a doorbell a poller rests on, rung after the commit that made
its work due, so the work starts at once; the poll interval stays only as a slow safety net
(a crash, a row made due by time, another process's commit)."""

from __future__ import annotations

import asyncio

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_INFO_KEY = "cascade.wake_on_commit"


class Wakeup:
    """A coalescing doorbell: rung any number of times, a resting poller wakes once."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        """Wake the poller resting on this bell (or make its next rest return at once)."""
        self._event.set()

    def clear(self) -> None:
        """Forget earlier rings: a poller calls this right before it looks for work, so a
        ring during the round leads to one more round."""
        self._event.clear()

    async def wait(self) -> None:
        """Return once the bell has rung."""
        await self._event.wait()

    @property
    def rung(self) -> bool:
        """Whether the bell rang since it was last cleared."""
        return self._event.is_set()


def ring_after_commit(session: AsyncSession, *bells: Wakeup) -> None:
    """Ring `bells` once this session's transaction commits; never on rollback, so a woken
    poller always finds what the commit made due."""
    pending: set[Wakeup] = session.sync_session.info.setdefault(_INFO_KEY, set())
    pending.update(bells)


def _after_commit(session: Session) -> None:
    for bell in session.info.pop(_INFO_KEY, ()):
        bell.ring()


def _after_rollback(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)


def install_commit_wakeups() -> None:
    """Listen for commits and rollbacks of every ORM session (idempotent); the listeners act
    only on sessions that `ring_after_commit` marked."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
