"""Use cases of the admin's login: reserve the attempt under the throttle, open a session for
a correct password, check the session on every request, close it at logout.

The routes (`ui_login.py`, `web.current_user`) keep the HTTP: forms, CSRF tokens, cookies,
status codes. The password is verified between the reservation and the login, outside any
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cascade.approvals.sessions import SessionPolicy, SessionUser
from cascade.approvals.throttle import Budget, delay_after
from cascade.approvals.unit_of_work import LoginWork, SessionWork


async def reserve_attempt(uow: LoginWork, budgets: Sequence[tuple[str, Budget]]) -> float:
    """Count one attempt under every key, in order, and commit when none is blocked; 0.0 then.

    Otherwise the seconds until the first blocked key may try again, and nothing committed:
    what was counted before it is rolled back with the unit of work.
    """
    throttles = uow.login_throttles
    for key, budget in budgets:
        failures = await throttles.take(key)
        if failures is None:
            return max(await throttles.blocked_for([key]), 0.001)
        delay = delay_after(failures, budget)
        if delay > 0:
            # Still under the row lock of `take`: the next attempt waits for this commit
            # and then sees the block.
            await throttles.block(key, delay)
    await uow.commit()
    return 0.0


@dataclass(frozen=True)
class Login:
    """A correct password: who, from where, the throttle keys its attempt was counted under,
    and the session cookie the browser presented, if any."""

    actor: str
    remote_addr: str | None
    keys: tuple[str, ...]
    presented: str | None


async def log_in(uow: LoginWork, login: Login, policy: SessionPolicy) -> str:
    """Forgive the attempt, drop expired sessions and the presented one (a login always
    issues a new id: no fixation), open the new session and commit; its cookie."""
    await uow.login_throttles.forgive(login.keys)
    await uow.ui_sessions.purge_expired(policy)
    if login.presented:
        await uow.ui_sessions.close(login.presented)
    cookie = await uow.ui_sessions.open(login.actor, login.remote_addr, policy)
    await uow.commit()
    return cookie


async def log_out(uow: SessionWork, cookie: str) -> None:
    """Close the session, so the cookie opens nothing any more."""
    await uow.ui_sessions.close(cookie)
    await uow.commit()


async def signed_in(
    uow: SessionWork, cookie: str, remote_addr: str | None, policy: SessionPolicy
) -> SessionUser | None:
    """The admin of the session `cookie` opens when it is within both timeouts, marked as
    seen now (committed); None otherwise."""
    user = await uow.ui_sessions.touch(cookie, remote_addr, policy)
    await uow.commit()
    return user
