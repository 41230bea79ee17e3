"""Reference data: payment terms, pricing tiers, programs and each tier's default programs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYMENT_TERMS = [
    (1, "Due on receipt", 0),
    (2, "Net 15", 15),
    (3, "Net 30", 30),
    (4, "Net 45", 45),
    (5, "Net 60", 60),
]
PRICING_TIERS = [
    ("standard", "Standard"),
    ("silver", "Silver"),
    ("gold", "Gold"),
    ("platinum", "Platinum"),
]
PROGRAMS = [
    (1, "WELCOME", "Welcome kit", "Onboarding pack and first-order discount."),
    (2, "LOYALTY", "Loyalty points", "Points on every order, redeemable on later orders."),
    (3, "NET_TERMS_REVIEW", "Credit review", "Quarterly review of terms and credit limit."),
    (4, "VOLUME_REBATE", "Volume rebate", "Quarterly rebate above volume thresholds."),
    (5, "ACCOUNT_MANAGER", "Dedicated account manager", "A named account manager."),
]
TIER_DEFAULTS = {
    "standard": ["WELCOME", "LOYALTY"],
    "silver": ["WELCOME", "LOYALTY", "NET_TERMS_REVIEW"],
    "gold": ["WELCOME", "LOYALTY", "VOLUME_REBATE", "NET_TERMS_REVIEW"],
    "platinum": ["WELCOME", "VOLUME_REBATE", "NET_TERMS_REVIEW", "ACCOUNT_MANAGER"],
}


def upgrade() -> None:
    for term_id, name, days in PAYMENT_TERMS:
        op.execute(
            sa.text(
                "INSERT INTO payment_terms (id, name, days) VALUES (:id, :name, :days) "
                "ON CONFLICT DO NOTHING"
            ).bindparams(id=term_id, name=name, days=days)
        )
    for code, name in PRICING_TIERS:
        op.execute(
            sa.text(
                "INSERT INTO pricing_tiers (code, name) VALUES (:code, :name) "
                "ON CONFLICT DO NOTHING"
            ).bindparams(code=code, name=name)
        )
    for program_id, code, name, description in PROGRAMS:
        op.execute(
            sa.text(
                "INSERT INTO programs (id, code, name, description) "
                "VALUES (:id, :code, :name, :description) ON CONFLICT DO NOTHING"
            ).bindparams(id=program_id, code=code, name=name, description=description)
        )
    for tier, codes in TIER_DEFAULTS.items():
        for code in codes:
            op.execute(
                sa.text(
                    "INSERT INTO pricing_tier_programs (pricing_tier, program_id) "
                    "SELECT :tier, id FROM programs WHERE code = :code ON CONFLICT DO NOTHING"
                ).bindparams(tier=tier, code=code)
            )


def downgrade() -> None:
    for table in ("pricing_tier_programs", "programs", "pricing_tiers", "payment_terms"):
        op.execute(sa.text(f"DELETE FROM {table}"))
