"""The new-customer workflow's pure parts, shared by the Temporal and the DBOS peer.

The same work as contracts/new_customer.yaml (version 2): the inputs and their limits, the
derived values, the context queries, the preconditions, the proposal and its hash, the
fan-out statements, the NetSuite body, the welcome email and the first-quote-context
bundle's scope (its queries, key and document are the contract's own step, see effects).
The SQL is the contract's, made idempotent by run (ON CONFLICT on the keys the run owns)
because the peers rely on their engine's retries instead of Cascade's step rows. Runs in
the peers' venv (.cache/bench-peers); no IO here.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cascade.shared.canonical import canonical_json, sha256_of, to_jsonable
from cascade.shared.normalize import normalize_company_name, normalize_email

WORKFLOW_TYPE = "new_customer"
CONTRACT_VERSION = 2
APPROVER = "mike"
ACTION_TYPE = "workflow_new_customer"
#: The contract's verify checks and their windows (seconds): staged as due rows.
#: The contract's `object_put` step: the bundle both peers PUT to the same S3 server.
BUNDLE_STEP = "first_quote_context"
VERIFY_CHECKS = (
    ("customer_persisted", 5),
    ("ns_customer_reflects", 900),
    ("ns_customer_matches", 900),
)


class Inputs(BaseModel):
    """The contract's inputs with their limits (one model, compiled once)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    company_name: str = Field(min_length=1, max_length=200)
    contact_email: str = Field(min_length=1, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=100)
    billing_address: str = Field(min_length=1, max_length=150)
    shipping_address: str | None = Field(default=None, max_length=150)
    credit_limit: Decimal | None = Field(
        default=None, ge=0, le=1_000_000, max_digits=12, decimal_places=2
    )
    terms: str | None = Field(default=None, max_length=64)
    sales_rep: str | None = Field(default=None, max_length=120)
    pricing_tier: Literal["standard", "silver", "gold", "platinum"] = "standard"


def derive(raw: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Validated inputs plus the contract's derived values, as JSON-able values (the form
    every step gets, so a retry or a replay sees exactly what the first attempt saw).

    Raises pydantic.ValidationError on bad inputs (a 422 at the front)."""
    inputs = Inputs.model_validate(raw)
    values: dict[str, Any] = to_jsonable(inputs.model_dump())
    values.update(
        run_id=run_id,
        company_name_normalized=normalize_company_name(inputs.company_name),
        contact_email_normalized=normalize_email(inputs.contact_email),
        shipping_address_effective=inputs.shipping_address or inputs.billing_address,
        customer_external_id=f"cascade-customer-{run_id}",
    )
    return values


# --- context (one read-only transaction) --------------------------------------------------

CONTEXT_MANY = {
    "existing_by_name": """
        SELECT id, companyname FROM customers
        WHERE companyname_normalized = :company_name_normalized
           OR (companyname_normalized IS NULL AND LOWER(companyname) = LOWER(:company_name))
        ORDER BY id LIMIT 10""",
    "existing_by_email": """
        SELECT id, companyname FROM customers
        WHERE LOWER(email) = :contact_email_normalized
        ORDER BY id LIMIT 10""",
    "default_programs": """
        SELECT p.id, p.name FROM programs AS p
        JOIN pricing_tier_programs AS t ON t.program_id = p.id
        WHERE t.pricing_tier = :pricing_tier AND p.active
        ORDER BY p.id""",
}
CONTEXT_SCALAR = {
    "default_terms": "SELECT id FROM payment_terms WHERE name = 'Net 30'",
    "requested_terms": (
        "SELECT id FROM payment_terms WHERE LOWER(name) = LOWER(CAST(:terms AS TEXT))"
    ),
    "terms_id": (
        "SELECT id FROM payment_terms "
        "WHERE LOWER(name) = LOWER(COALESCE(CAST(:terms AS TEXT), 'Net 30'))"
    ),
    "terms_name": (
        "SELECT name FROM payment_terms "
        "WHERE LOWER(name) = LOWER(COALESCE(CAST(:terms AS TEXT), 'Net 30'))"
    ),
}
#: What the blocking re-check after approval needs (the cheap subset of the context).
RECHECK_QUERIES = ("existing_by_name", "existing_by_email", "requested_terms", "default_terms")


def query_params(values: dict[str, Any]) -> dict[str, Any]:
    """The bind parameters every context query draws from."""
    keys = (
        "company_name",
        "company_name_normalized",
        "contact_email_normalized",
        "terms",
        "pricing_tier",
    )
    return {k: values[k] for k in keys}


def blocking_failures(values: dict[str, Any], ctx: dict[str, Any]) -> list[str]:
    """The contract's `block` preconditions that fail (empty: the run may go on)."""
    failed = []
    if ctx.get("existing_by_name") or ctx.get("existing_by_email"):
        failed.append("no_duplicate")
    if values.get("terms") is not None and ctx.get("requested_terms") is None:
        failed.append("known_terms")
    if ctx.get("default_terms") is None:
        failed.append("default_terms_configured")
    return failed


#: The contract's `contact_email LIKE '%_@_%._%'`, as a regular expression.
VALID_EMAIL = re.compile(r".+@.+\..+", re.DOTALL)


def warnings(values: dict[str, Any], ctx: dict[str, Any]) -> list[str]:
    """The contract's `warn` preconditions that fail (shown to the approver)."""
    found = []
    if not VALID_EMAIL.fullmatch(values["contact_email"]):
        found.append("valid_email")
    if not ctx.get("default_programs"):
        found.append("tier_has_programs")
    return found


def proposal(values: dict[str, Any], ctx: dict[str, Any], warns: list[str]) -> dict[str, Any]:
    """What the approver sees and approves; its hash is what an approval must name."""
    return {
        "action_type": ACTION_TYPE,
        "entity_ref": f"workflow:new_customer:run_{values['run_id']}",
        "approver": APPROVER,
        "inputs": values,
        "context": ctx,
        "warnings": warns,
        "netsuite": netsuite_body(values, ctx),
    }


def payload_sha256(payload: dict[str, Any]) -> str:
    """The hash an approval must carry (canonical JSON, as Cascade hashes its proposals)."""
    return sha256_of(payload)


# --- effects ------------------------------------------------------------------------------

STAGE_SQL = """
    INSERT INTO peer_proposals (run_id, action_type, approver, payload, payload_sha256, status)
    VALUES (:run_id, :action_type, :approver, CAST(:payload AS JSONB), :payload_sha256, 'pending')
    ON CONFLICT (run_id) DO NOTHING"""
DECIDE_SQL = """
    UPDATE peer_proposals SET status = :status, decided_at = now(), decided_by = :approver
    WHERE run_id = :run_id AND status = 'pending'"""
INSERT_CUSTOMER_SQL = """
    INSERT INTO customers (
      companyname, companyname_normalized, email, phone,
      billing_address, shipping_address, credit_limit, terms_id,
      pricing_tier, sales_rep, external_id, netsuite_id,
      lastmodifieddate, created_at, created_by_run_id
    ) VALUES (
      :company_name, :company_name_normalized, :contact_email, :contact_phone,
      :billing_address, :shipping_address_effective, :credit_limit, :terms_id,
      :pricing_tier, :sales_rep, :customer_external_id, NULL,
      now(), now(), CAST(:run_id AS UUID)
    )
    ON CONFLICT (external_id) DO UPDATE SET external_id = EXCLUDED.external_id
    RETURNING id"""
WRITEBACK_SQL = "UPDATE customers SET netsuite_id = :netsuite_id WHERE id = :customer_id"
ASSIGN_PROGRAMS_SQL = """
    INSERT INTO customer_programs (customer_id, program_id, run_id)
    SELECT :customer_id, p.id, CAST(:run_id AS UUID)
    FROM programs AS p
    JOIN pricing_tier_programs AS t ON t.program_id = p.id
    WHERE t.pricing_tier = :pricing_tier AND p.active
    ON CONFLICT (customer_id, program_id) DO NOTHING"""
EMAIL_DRAFT_SQL = """
    INSERT INTO peer_email_drafts (run_id, to_address, subject, body)
    VALUES (:run_id, :to_address, :subject, :body)
    ON CONFLICT (run_id) DO NOTHING"""
RUN_LOG_SQL = """
    INSERT INTO workflow_run_log (run_id, workflow_type, status, started_at, completed_at,
                                  summary_json)
    VALUES (CAST(:run_id AS UUID), :workflow_type, :status, :started_at,
            now(), CAST(:summary AS JSONB))
    ON CONFLICT (run_id) DO NOTHING"""
REFLEXION_SQL = """
    INSERT INTO reflexion_log (run_id, workflow_type, narrative, tags, subject_key, email_domain)
    VALUES (CAST(:run_id AS UUID), :workflow_type, :narrative, CAST(:tags AS JSONB),
            :subject_key, :email_domain)
    ON CONFLICT (run_id) DO NOTHING"""
COMPLETION_SQL = """
    INSERT INTO events (id, type, run_id, idempotency_key, data)
    VALUES (gen_random_uuid(), :status, CAST(:run_id AS UUID), :idempotency_key,
            CAST(:data AS JSONB))
    ON CONFLICT (idempotency_key) DO NOTHING"""
VERIFY_SQL = """
    INSERT INTO peer_verify_due (run_id, check_name, due_at)
    SELECT :run_id, c.name, now() + make_interval(secs => c.window_s)
    FROM unnest(CAST(:names AS TEXT[]), CAST(:windows AS INTEGER[])) AS c(name, window_s)
    ON CONFLICT (run_id, check_name) DO NOTHING"""


def customer_params(values: dict[str, Any], terms_id: int) -> dict[str, Any]:
    """Bind parameters of the customer insert (credit limit as a Decimal for NUMERIC)."""
    keys = (
        "company_name", "company_name_normalized", "contact_email", "contact_phone",
        "billing_address", "shipping_address_effective", "pricing_tier", "sales_rep",
        "customer_external_id", "run_id",
    )  # fmt: skip
    limit = values.get("credit_limit")
    return {
        **{k: values.get(k) for k in keys},
        "credit_limit": None if limit is None else Decimal(limit),
        "terms_id": terms_id,
    }


def netsuite_body(values: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """The customer record the contract sends to NetSuite (empty fields left out)."""
    body: dict[str, Any] = {
        "externalId": values["customer_external_id"],
        "companyName": values["company_name"],
        "email": values["contact_email"],
        "phone": values.get("contact_phone"),
        "creditLimit": values.get("credit_limit"),
        "terms": {"id": str(ctx["terms_id"])},
        "addressBook": {
            "items": [
                {
                    "defaultBilling": True,
                    "defaultShipping": False,
                    "addressBookAddress": {"addr1": values["billing_address"]},
                },
                {
                    "defaultBilling": False,
                    "defaultShipping": True,
                    "addressBookAddress": {"addr1": values["shipping_address_effective"]},
                },
            ]
        },
    }
    return {k: v for k, v in body.items() if v is not None}


def welcome_email(values: dict[str, Any]) -> dict[str, str]:
    """The contract's welcome email, rendered."""
    name, tier, email = values["company_name"], values["pricing_tier"], values["contact_email"]
    body = (
        f"Hello {name} team,\n\n"
        f"Welcome aboard! Your customer account is set up on our {tier} pricing tier,\n"
        f"and this address ({email}) will receive your quotes, order confirmations\n"
        "and invoices.\n\n"
        "If anything in your account details looks wrong, reply to this email and we will\n"
        "put it right.\n\n"
        "Kind regards,\nCustomer Operations\n"
    )
    return {
        "run_id": values["run_id"],
        "to_address": email,
        "subject": f"Welcome aboard, {name}",
        "body": body,
    }


def post_params(values: dict[str, Any], status: str, started_at: str) -> dict[str, Any]:
    """Bind parameters of the post actions: run log, reflexion, completion, verify rows."""
    run_id = values["run_id"]
    summary = {"status": status, "customer_external_id": values["customer_external_id"]}
    return {
        "run_id": run_id,
        "workflow_type": WORKFLOW_TYPE,
        "status": status,
        "started_at": datetime.fromisoformat(started_at),
        "summary": canonical_json(summary),
        "narrative": f"new_customer {values['company_name']}: {status}",
        "tags": canonical_json([WORKFLOW_TYPE]),
        "subject_key": values["company_name_normalized"],
        "email_domain": values["contact_email_normalized"].rpartition("@")[2],
        "idempotency_key": f"{WORKFLOW_TYPE}:{run_id}",
        "data": canonical_json(summary),
        "names": [n for n, _ in VERIFY_CHECKS],
        "windows": [w for _, w in VERIFY_CHECKS],
    }


def bundle_scope(values: dict[str, Any], ids: dict[str, Any], started_at: str) -> dict[str, Any]:
    """What the bundle step's queries, key and document are rendered over: the run's values
    and what Cascade's step sees besides: `ids` = the customer row's id, NetSuite's id and
    the context's terms id; the run's start (ISO, as the engine recorded it)."""
    return {
        **values,
        "customer_id": ids["customer_id"],
        "netsuite_id": ids["netsuite_id"],
        "terms_id": ids["terms_id"],
        "run_started_at": datetime.fromisoformat(started_at),
    }


def bundle_key(run_id: str) -> str:
    """Where a run's bundle is (the contract's key template, for the check)."""
    return f"customers/cascade-customer-{run_id}/first-quote-context/v1.json"
