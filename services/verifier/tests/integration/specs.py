"""Check rows as the runner stages them: the contract's own SQL with JSON parameters, and
NetSuite reads by external id."""

from __future__ import annotations

from typing import Any

from cascade.shared.contract import SqlCheck, load_contract
from cascade.shared.db.models import Customer
from cascade.shared.settings import Settings


def sql_spec(settings: Settings, name: str, customer: Customer) -> dict[str, Any]:
    """A staged `sql` check of the contract about `customer`, with JSON parameters."""
    [check] = [
        c
        for c in load_contract(settings.contracts_dir / "new_customer.yaml").verify
        if c.name == name
    ]
    assert isinstance(check, SqlCheck)
    params = {"customer_id": customer.id, "company_name": customer.companyname}
    return {"kind": "sql", "sql": check.sql, "params": params, "expect": "rows"}


def http_spec(external_id: str) -> dict[str, Any]:
    """A staged `http` check reading a customer from NetSuite by external id."""
    return {
        "kind": "http",
        "system": "netsuite",
        "method": "GET",
        "path": f"/record/v1/customer/eid:{external_id}",
        "expect_status": 200,
    }
