"""`object` checks: the object a run stored is there, with the bytes it recorded.

Passes when the object exists, its bytes hash to the SHA-256 the run recorded (and the
`sha256` metadata written with it agrees), and it parses as a JSON object with the expected
`schema_version`. A store that does not answer leaves the check undecided.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from cascade.shared.objectstore import ObjectStore, ObjectStoreError, sha256_hex
from cascade.verifier.domain import Outcome

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _valid(spec: dict[str, Any]) -> bool:
    version = spec.get("schema_version")
    return (
        isinstance(spec.get("key"), str)
        and bool(spec["key"])
        and isinstance(spec.get("sha256"), str)
        and _HEX64.match(spec["sha256"]) is not None
        and (version is None or (isinstance(version, int) and version >= 1))
    )


def judge(data: bytes, metadata_sha256: str | None, expected: str, version: int | None) -> Outcome:
    """Pass or fail for the bytes read (pure)."""
    found = sha256_hex(data)
    detail: dict[str, Any] = {"sha256": found, "size": len(data)}
    if found != expected:
        reason = f"the object's bytes hash to {found}, not the recorded {expected}"
        return Outcome("fail", reason, detail, retryable=False)
    if metadata_sha256 != expected:
        reason = f"the object's sha256 metadata is {metadata_sha256!r}, not {expected}"
        return Outcome("fail", reason, detail, retryable=False)
    try:
        document = json.loads(data)
    except ValueError as exc:
        return Outcome("fail", f"the object is not JSON: {exc}", detail, retryable=False)
    if not isinstance(document, dict):
        return Outcome("fail", "the object is JSON but not an object", detail, retryable=False)
    detail["schema_version"] = document.get("schema_version")
    if version is not None and document.get("schema_version") != version:
        reason = f"schema_version is {document.get('schema_version')!r}, expected {version}"
        return Outcome("fail", reason, detail, retryable=False)
    return Outcome("pass", "the object is stored with the recorded hash and parses", detail)


class ObjectChecks:
    """Runs `{"kind": "object", "key", "sha256", "schema_version"}` specs."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    async def run(self, spec: dict[str, Any]) -> Outcome:
        """The outcome of one read; never raises for a store problem."""
        if not _valid(spec):
            return Outcome("fail", "malformed object check", {"spec": spec}, retryable=False)
        key, expected = str(spec["key"]), str(spec["sha256"])
        started = time.monotonic()
        try:
            fetched = await self._store.fetch(key)
        except ObjectStoreError as exc:
            detail = {"error": str(exc), "duration_ms": _elapsed_ms(started)}
            if exc.transient:
                return Outcome("undecided", f"the object store did not answer: {exc}", detail)
            return Outcome("fail", f"the object store refused the read: {exc}", detail)
        base = {"key": key, "bucket": self._store.bucket, "duration_ms": _elapsed_ms(started)}
        if fetched is None:
            return Outcome("fail", f"object {key} is missing from the object store", base)
        stored, data = fetched
        outcome = judge(data, stored.sha256, expected, spec.get("schema_version"))
        return Outcome(
            outcome.verdict, outcome.reason, {**base, **outcome.detail}, outcome.retryable
        )


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
