"""The contract's context queries against the real PostgreSQL: duplicate detection variants,
read-only execution and the statement timeout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.contract import (
    Contract,
    evaluate_preconditions,
    load_contract,
    parse_contract,
    prepare_values,
    runtime_values,
)
from cascade.shared.normalize import normalize_company_name
from cascade.shared.proposals.context_reader import ContextReader

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
CONTRACT_PATH = Path(__file__).resolve().parents[4] / "contracts" / "new_customer.yaml"
NEW = {
    "company_name": "Acme, Inc.",
    "contact_email": "Sales@Acme.example",
    "billing_address": "1 Main St",
}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract(CONTRACT_PATH)


async def duplicate_verdict(
    factory: Factory, contract: Contract, existing: tuple[str, str | None], new: dict[str, str]
) -> bool:
    """Whether `no_duplicate` blocks `new` when `existing` (name, email) is in the mirror."""
    name, email = existing
    async with factory() as session, session.begin():
        await session.execute(text("DELETE FROM customers"))
        await session.execute(
            text(
                "INSERT INTO customers (companyname, companyname_normalized, email) "
                "VALUES (:c, :n, :e)"
            ),
            {"c": name, "n": normalize_company_name(name), "e": email},
        )
    values = prepare_values(
        contract, new, runtime_values(uuid.uuid4(), "new_customer", datetime.now(UTC))
    )
    context = await ContextReader(factory, 2000).load(contract.context, values)
    outcomes = {o.name: o for o in evaluate_preconditions(contract, values | context)}
    return outcomes["no_duplicate"].blocks


@pytest.mark.parametrize(
    ("existing", "new", "blocks"),
    [
        (("ACME Inc", None), NEW, True),
        (("acme inc.", None), NEW, True),
        (("  Acme,   Incorporated ", None), NEW, True),
        (("ＡＣＭＥ Ｉｎｃ", None), NEW, True),
        (("Acme LLC", None), NEW, True),
        (("Other Co", "sales@acme.example"), NEW, True),
        (("Other Co", "SALES@ACME.EXAMPLE"), NEW, True),
        (("Acme Widgets", "x@widgets.example"), NEW, False),
        (("Acmes Inc", None), NEW, False),
    ],
    ids=[
        "case-suffix",
        "dot",
        "spaces-long-suffix",
        "full-width",
        "other-suffix",
        "email",
        "email-case",
        "different-name",
        "near-miss",
    ],
)
async def test_duplicate_detection_variants(
    session_factory: Factory,
    contract: Contract,
    existing: tuple[str, str | None],
    new: dict[str, str],
    blocks: bool,
) -> None:
    assert await duplicate_verdict(session_factory, contract, existing, new) is blocks


def variant(contract_text: str, old: str, new: str) -> Contract:
    assert old in contract_text
    return parse_contract(contract_text.replace(old, new), "variant.yaml", "new_customer")


async def test_a_slow_context_query_hits_the_statement_timeout(session_factory: Factory) -> None:
    slow = variant(
        CONTRACT_PATH.read_text(),
        "WHERE name = 'Net 30'",
        "WHERE name = 'Net 30' AND pg_sleep(2) IS NOT NULL",
    )
    values = prepare_values(
        slow, NEW, runtime_values(uuid.uuid4(), "new_customer", datetime.now(UTC))
    )
    with pytest.raises(DBAPIError, match="statement timeout"):
        await ContextReader(session_factory, 200).load(slow.context, values)


async def test_a_context_query_with_a_side_effect_is_stopped(session_factory: Factory) -> None:
    # nextval() passes the load-time check (it is a SELECT) but writes: the read-only
    # transaction the reader opens is what stops it.
    writing = variant(
        CONTRACT_PATH.read_text(),
        "      SELECT id\n      FROM payment_terms\n      WHERE name = 'Net 30'",
        "      SELECT nextval('customers_id_seq') AS id\n      FROM payment_terms\n"
        "      WHERE name = 'Net 30'",
    )
    values = prepare_values(
        writing, NEW, runtime_values(uuid.uuid4(), "new_customer", datetime.now(UTC))
    )
    with pytest.raises(DBAPIError, match="read-only transaction"):
        await ContextReader(session_factory, 2000).load(writing.context, values)
