"""Runs a claimed check by its kind; whatever goes wrong becomes an outcome, never a raise."""

from __future__ import annotations

import logging

from cascade.shared.db.statuses import CheckKind
from cascade.verifier.domain import ClaimedCheck, Outcome
from cascade.verifier.http_checks import HttpChecks
from cascade.verifier.object_checks import ObjectChecks
from cascade.verifier.sql_checks import SqlChecks

log = logging.getLogger(__name__)


class CheckRunner:
    """Dispatches `sql`, `http` and `object` checks; an unknown kind is a broken check."""

    def __init__(self, sql: SqlChecks, http: HttpChecks, objects: ObjectChecks) -> None:
        self._sql = sql
        self._http = http
        self._objects = objects

    async def run(self, check: ClaimedCheck) -> Outcome:
        """One execution of `check`."""
        try:
            if check.kind == CheckKind.SQL:
                return await self._sql.run(check.spec)
            if check.kind == CheckKind.HTTP:
                return await self._http.run(check.spec)
            if check.kind == CheckKind.OBJECT:
                return await self._objects.run(check.spec)
        except Exception as exc:
            # A bug here must not leave the check running until its lease ends, attempt
            # after attempt: it is undecided and ends as `timeout` at its deadline.
            log.exception("verifier: check %s of run %s raised", check.check_name, check.run_id)
            return Outcome("undecided", f"the verifier failed: {type(exc).__name__}: {exc}")
        return Outcome("fail", f"unknown check kind {check.kind!r}", retryable=False)
