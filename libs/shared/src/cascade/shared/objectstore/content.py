"""What an object is made of, before any IO: canonical bytes and their SHA-256.

The bytes are the canonical JSON of the document (sorted keys, no insignificant whitespace,
UTF-8), so the same document is always the same bytes and the same hash: a retried or
repeated PUT writes an identical object.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cascade.shared.canonical import canonical_json

SHA256_METADATA = "sha256"
"""User metadata key (`x-amz-meta-sha256`) holding the hex SHA-256 of the body."""
JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class ObjectBody:
    """The bytes to store and their hex SHA-256."""

    data: bytes
    sha256: str
    content_type: str = JSON_CONTENT_TYPE


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def object_body(document: Any) -> ObjectBody:
    """The canonical JSON bytes of `document` and their hash."""
    data = canonical_json(document).encode("utf-8")
    return ObjectBody(data, sha256_hex(data))
