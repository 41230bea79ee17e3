"""A staged check's parameters are JSON; the statement needs them typed.

The runner bound datetimes, decimals and ids, and JSONB kept them as text. asyncpg refuses
text where the server expects a timestamptz (even under `CAST(:x AS TIMESTAMPTZ)`), so the
verifier asks the server which type each parameter has and converts the JSON value to it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


class ParameterError(ValueError):
    """A staged value cannot be the type the statement needs: the check is broken."""


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "t", "1", "yes"}
    return bool(value)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "timestamptz": lambda v: datetime.fromisoformat(str(v)),
    "timestamp": lambda v: datetime.fromisoformat(str(v)),
    "date": lambda v: date.fromisoformat(str(v)),
    "numeric": lambda v: Decimal(str(v)),
    "int2": int,
    "int4": int,
    "int8": int,
    "float4": float,
    "float8": float,
    "uuid": lambda v: uuid.UUID(str(v)),
    "bool": _to_bool,
    "text": str,
    "varchar": str,
    "bpchar": str,
    "name": str,
    "json": lambda v: v if isinstance(v, str) else json.dumps(v),
    "jsonb": lambda v: v if isinstance(v, str) else json.dumps(v),
}


def coerce(name: str, value: Any, pg_type: str) -> Any:
    """`value` as the Python type asyncpg sends for `pg_type` (NULL and unknown types as is)."""
    convert = _CONVERT.get(pg_type)
    if value is None or convert is None:
        return value
    try:
        return convert(value)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise ParameterError(f"parameter :{name} = {value!r} is not a valid {pg_type}") from exc


def coerce_all(params: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """Every parameter converted to the type the server declared for it."""
    return {name: coerce(name, value, types.get(name, "")) for name, value in params.items()}
