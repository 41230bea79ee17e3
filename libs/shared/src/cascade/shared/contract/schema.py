"""The JSON Schema of the contract format (for editors and other tools)."""

from __future__ import annotations

from typing import Any

from .models import Contract

SCHEMA_ID = "https://cascade.invalid/schemas/contract-v2.json"


def contract_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a contract document, as validated on input."""
    schema = Contract.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
