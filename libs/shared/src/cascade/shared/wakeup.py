"""Wake-ups instead of polls: a doorbell a poller rests on, rung after the commit that made
its work due, so the work starts at once; the poll interval stays only as a slow safety net
(a crash, a row made due by time, another process's commit)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

_INFO_KEY = "cascade.wake_on_commit"
_CALLBACKS_KEY = "cascade.on_commit"
_BELLS_KEY = "cascade.bells"

OUTBOX = "outbox"
"""The bell of the process's outbox relay, rung by every commit that staged a row."""


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


class Bells:
    """The doorbells of one process by what they announce (the outbox, a job table), carried
    by its session factory so whatever commits work can wake whoever does it, without a
    global: `build_session_factory` gives each factory its own."""

    def __init__(self) -> None:
        self._bells: dict[str, Wakeup] = {}

    def __getitem__(self, name: str) -> Wakeup:
        return self._bells.setdefault(name, Wakeup())


def bells_info(bells: Bells) -> dict[str, Any]:
    """The session factory's `info` that lets its sessions reach `bells`."""
    return {_BELLS_KEY: bells}


def factory_bells(factory: async_sessionmaker[AsyncSession]) -> Bells:
    """The bells a session factory carries (a bare factory gets a set of its own)."""
    info: dict[str, Any] = factory.kw.setdefault("info", {})
    bells: Bells = info.setdefault(_BELLS_KEY, Bells())
    return bells


def wake_after_commit(session: AsyncSession, name: str) -> None:
    """Ring the bell `name` of the process that owns `session` once its transaction commits
    (sessions of a factory without bells ring nothing)."""
    bells = session.sync_session.info.get(_BELLS_KEY)
    if isinstance(bells, Bells):
        ring_after_commit(session, bells[name])


def after_root_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call `callback` once this session's (outermost) transaction has committed; never on
    rollback. SQLAlchemy's own `after_commit` also fires when a SAVEPOINT is released,
    before anything is durable: this one does not."""
    callbacks: list[Callable[[], None]] = session.sync_session.info.setdefault(_CALLBACKS_KEY, [])
    callbacks.append(callback)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT was released (`begin_nested`): nothing is committed yet, and a poller
        # woken now would look before the real commit and then rest for its whole interval.
        return
    for bell in session.info.pop(_INFO_KEY, ()):
        bell.ring()
    for callback in session.info.pop(_CALLBACKS_KEY, ()):
        callback()


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT rolled back: the outer transaction may still commit
    session.info.pop(_INFO_KEY, None)
    session.info.pop(_CALLBACKS_KEY, None)


def install_commit_wakeups() -> None:
    """Listen for commits and rollbacks of every ORM session (idempotent); the listeners act
    only on sessions that `ring_after_commit` marked."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
