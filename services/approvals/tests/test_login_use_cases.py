"""The admin's login (`logins`): the attempt reserved under the throttle before the password
is checked, the session opened, checked on each request and closed, on the in-memory unit of
work."""

from __future__ import annotations

from datetime import timedelta

from cascade.approvals.logins import Login, log_in, log_out, reserve_attempt, signed_in
from cascade.approvals.sessions import SessionPolicy
from cascade.approvals.throttle import GLOBAL_KEY, Budget, address_key

from .fakes import NOW, FakeApprovalsWork, FakeSession, FakeThrottle

ADDR = "10.0.0.7"
POLICY = SessionPolicy(idle_s=1800, absolute_s=43200)
BUDGETS = [(address_key(ADDR), Budget(3, 2.0, 300.0)), (GLOBAL_KEY, Budget(20, 1.0, 30.0))]
KEYS = tuple(key for key, _ in BUDGETS)


def sessions_of_each_age(uow: FakeApprovalsWork) -> dict[str, FakeSession]:
    """An idle session, one past its absolute timeout and a live one, by cookie."""
    rows = uow.ui_sessions.rows
    rows["idle"] = FakeSession("mike", ADDR, NOW + timedelta(hours=1), NOW - timedelta(hours=1))
    rows["old"] = FakeSession("mike", ADDR, NOW - timedelta(seconds=1))
    rows["live"] = FakeSession("mike", ADDR, NOW + timedelta(hours=1), NOW - timedelta(minutes=5))
    return rows


def correct_password(presented: str | None = None) -> Login:
    return Login("mike", ADDR, KEYS, presented)


async def test_a_correct_password_forgives_the_attempt_and_opens_a_session() -> None:
    uow = FakeApprovalsWork()
    assert await reserve_attempt(uow, BUDGETS) == 0.0
    assert uow.committed
    uow.committed = False
    cookie = await log_in(uow, correct_password(), POLICY)
    assert uow.committed
    assert uow.login_throttles.rows == {}
    session = uow.ui_sessions.rows[cookie]
    assert (session.actor, session.remote_addr) == ("mike", ADDR)
    assert session.expires_at == NOW + timedelta(seconds=POLICY.absolute_s)
    user = await signed_in(uow, cookie, ADDR, POLICY)
    assert user is not None
    assert (user.actor, user.remote_addr) == ("mike", ADDR)


async def test_each_attempt_is_counted_and_committed_before_the_password_is_checked() -> None:
    uow = FakeApprovalsWork()
    # A wrong password: the route answers 401 after the reservation, which stays counted.
    for _ in range(3):
        assert await reserve_attempt(uow, BUDGETS) == 0.0
    rows = uow.login_throttles.rows
    assert (rows[address_key(ADDR)].failures, rows[GLOBAL_KEY].failures) == (3, 3)
    assert rows[address_key(ADDR)].blocked_until is None
    assert uow.committed
    # The first attempt past the free ones still runs, and blocks the next for the base delay.
    assert await reserve_attempt(uow, BUDGETS) == 0.0
    assert rows[address_key(ADDR)].blocked_until == NOW + timedelta(seconds=2.0)
    assert rows[GLOBAL_KEY].blocked_until is None


async def test_a_blocked_address_waits_and_nothing_is_committed() -> None:
    uow = FakeApprovalsWork()
    uow.login_throttles.rows[address_key(ADDR)] = FakeThrottle(4, NOW + timedelta(seconds=30))
    assert await reserve_attempt(uow, BUDGETS) == 30.0
    assert not uow.committed
    assert uow.login_throttles.rows[address_key(ADDR)].failures == 4
    assert GLOBAL_KEY not in uow.login_throttles.rows


async def test_a_global_block_waits_though_the_address_was_counted_first() -> None:
    uow = FakeApprovalsWork()
    uow.login_throttles.rows[GLOBAL_KEY] = FakeThrottle(25, NOW + timedelta(seconds=8))
    assert await reserve_attempt(uow, BUDGETS) == 8.0
    # The address's count is rolled back with the unit of work: it never commits.
    assert not uow.committed


async def test_logout_closes_the_session() -> None:
    uow = FakeApprovalsWork()
    cookie = await log_in(uow, correct_password(), POLICY)
    uow.committed = False
    await log_out(uow, cookie)
    assert uow.committed
    assert uow.ui_sessions.rows == {}
    assert await signed_in(uow, cookie, ADDR, POLICY) is None


async def test_a_new_login_closes_the_session_the_browser_presented() -> None:
    uow = FakeApprovalsWork()
    old = await log_in(uow, correct_password(), POLICY)
    new = await log_in(uow, correct_password(presented=old), POLICY)
    assert new != old
    assert list(uow.ui_sessions.rows) == [new]
    assert await signed_in(uow, old, ADDR, POLICY) is None


async def test_a_login_purges_sessions_past_either_timeout() -> None:
    uow = FakeApprovalsWork()
    rows = sessions_of_each_age(uow)
    new = await log_in(uow, correct_password(), POLICY)
    assert sorted(rows) == sorted(["live", new])


async def test_a_session_past_either_timeout_signs_nobody_in() -> None:
    uow = FakeApprovalsWork()
    rows = sessions_of_each_age(uow)
    assert await signed_in(uow, "idle", ADDR, POLICY) is None
    assert await signed_in(uow, "old", ADDR, POLICY) is None
    assert await signed_in(uow, "live", ADDR, POLICY) is not None
    # The request marks the session seen, so its idle timeout starts again.
    assert rows["live"].last_seen_at == NOW
    assert uow.committed
