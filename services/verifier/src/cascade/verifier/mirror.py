"""What "NetSuite agrees with the mirror" means for a record read by external id. No IO.

A check that reads `/record/v1/<type>/eid:<id>` of a mirrored record type compares the
record with the mirror's row of the same external id: the internal id the mirror keeps must
be NetSuite's, and the fields both sides hold must be equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

_BY_EXTERNAL_ID = re.compile(r"^/record/v1/(?P<type>[^/?#]+)/eid:(?P<eid>[^/?#]+)$")


@dataclass(frozen=True)
class MirrorSpec:
    """The mirror row of a record (`:external_id` bound) and the fields compared:
    (mirror column, NetSuite field) pairs."""

    query: str
    fields: tuple[tuple[str, str], ...]


MIRRORS = {
    "customer": MirrorSpec(
        query="SELECT netsuite_id, companyname FROM customers WHERE external_id = :external_id",
        fields=(("netsuite_id", "id"), ("companyname", "companyName")),
    ),
}


def record_by_external_id(path: str) -> tuple[str, str] | None:
    """(record type, external id) of a path that reads a record by `eid:`; else None."""
    match = _BY_EXTERNAL_ID.match(path)
    if match is None:
        return None
    return match.group("type"), unquote(match.group("eid"))


def mismatches(
    spec: MirrorSpec, record: Mapping[str, Any], mirror: Mapping[str, Any] | None
) -> list[str]:
    """Where NetSuite and the mirror disagree; empty when they agree."""
    if mirror is None:
        return ["the mirror has no row with this external id"]
    found = []
    for column, field in spec.fields:
        ours, theirs = mirror.get(column), record.get(field)
        if ours is None or theirs is None or str(ours) != str(theirs):
            found.append(f"mirror {column}={ours!r} but NetSuite {field}={theirs!r}")
    return found
