"""What an object check concludes from the bytes it read (pure)."""

from __future__ import annotations

import hashlib

from cascade.shared.objectstore import object_body
from cascade.verifier.object_checks import ObjectChecks, judge

BODY = object_body({"schema_version": 1, "document_type": "first_quote_context"})


def test_the_recorded_bytes_pass() -> None:
    outcome = judge(BODY.data, BODY.sha256, BODY.sha256, 1)
    assert outcome.verdict == "pass"
    assert outcome.detail["schema_version"] == 1


def test_other_bytes_fail_for_good() -> None:
    other = object_body({"schema_version": 1, "document_type": "changed"})
    outcome = judge(other.data, other.sha256, BODY.sha256, 1)
    assert (outcome.verdict, outcome.retryable) == ("fail", False)
    assert BODY.sha256 in outcome.reason


def test_metadata_that_disagrees_fails() -> None:
    outcome = judge(BODY.data, None, BODY.sha256, 1)
    assert outcome.verdict == "fail"
    assert "metadata" in outcome.reason


def test_another_schema_version_fails() -> None:
    assert judge(BODY.data, BODY.sha256, BODY.sha256, 2).verdict == "fail"
    assert judge(BODY.data, BODY.sha256, BODY.sha256, None).verdict == "pass"


def test_bytes_that_are_not_a_json_object_fail() -> None:
    for data in (b"not json", b"[1, 2]"):
        expected = hashlib.sha256(data).hexdigest()
        assert judge(data, expected, expected, None).verdict == "fail"


async def test_a_malformed_spec_is_a_broken_check() -> None:
    checks = ObjectChecks(store=None)  # type: ignore[arg-type]
    outcome = await checks.run({"kind": "object", "key": "k", "sha256": "not-a-hash"})
    assert (outcome.verdict, outcome.retryable) == ("fail", False)
