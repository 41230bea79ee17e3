"""Tables of the local NetSuite mirror: customers and their reference data."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Identity,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from cascade.shared.db.base import Base, now_column


class PaymentTerm(Base):
    """A NetSuite payment term (`Net 30`, ...)."""

    __tablename__ = "payment_terms"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    days: Mapped[int]
    netsuite_id: Mapped[str | None] = mapped_column(String(50))


class PricingTier(Base):
    """A pricing tier a customer can be placed in."""

    __tablename__ = "pricing_tiers"
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Program(Base):
    """A customer program (rebates, loyalty, ...) that customers are enrolled in."""

    __tablename__ = "programs"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(server_default=true())


class PricingTierProgram(Base):
    """The programs every new customer of a pricing tier gets by default."""

    __tablename__ = "pricing_tier_programs"
    pricing_tier: Mapped[str] = mapped_column(ForeignKey("pricing_tiers.code"), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), primary_key=True)


class Customer(Base):
    """A customer in the mirror; unique by normalized company name and by email."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    companyname: Mapped[str] = mapped_column(Text)
    companyname_normalized: Mapped[str] = mapped_column(Text, unique=True)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(100))
    billing_address: Mapped[str | None] = mapped_column(Text)
    shipping_address: Mapped[str | None] = mapped_column(Text)
    credit_limit: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    terms_id: Mapped[int | None] = mapped_column(ForeignKey("payment_terms.id"))
    pricing_tier: Mapped[str | None] = mapped_column(ForeignKey("pricing_tiers.code"))
    sales_rep: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    netsuite_id: Mapped[str | None] = mapped_column(String(100))
    lastmodifieddate: Mapped[datetime | None]
    created_by_run_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = now_column()
    # The same mailbox in another case is the same customer (invariant I1).
    __table_args__ = (Index("uq_customers_email_lower", func.lower(email), unique=True),)


class CustomerProgram(Base):
    """A customer's enrolment in a program."""

    __tablename__ = "customer_programs"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    run_id: Mapped[uuid.UUID | None]
    assigned_at: Mapped[datetime] = now_column()


class Item(Base):
    """An item (product) in the mirror."""

    __tablename__ = "items"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    netsuite_id: Mapped[str | None] = mapped_column(String(100))


class ItemPrice(Base):
    """An item's price for a pricing tier and currency."""

    __tablename__ = "item_prices"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    pricing_tier: Mapped[str] = mapped_column(ForeignKey("pricing_tiers.code"))
    currency: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    effective_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    source_run_id: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = now_column()
    __table_args__ = (UniqueConstraint("item_id", "pricing_tier", "currency"),)
