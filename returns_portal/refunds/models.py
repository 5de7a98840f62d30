"""Refunds, their approvals, and the store-credit ledger."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returns_portal.extensions import db
from returns_portal.types import JSONType, UTCDateTime, utcnow


class RefundStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RefundMethod(StrEnum):
    """How one refund row moves money."""

    ORIGINAL_PAYMENT = "original_payment"  # refunded to the card at the provider
    STORE_CREDIT = "store_credit"  # issued as store credit in the ledger
    EXCHANGE_CHARGE = "exchange_charge"  # an exchange's price difference charged to the card


class Refund(db.Model):  # type: ignore[name-defined]
    """Money moving for a return; `key` is also the provider's idempotency key.

    One return may settle in up to three rows, one per method (see refunds/settlement.py).
    `provider_refund_id` is the provider's refund id, or for an exchange charge the id of
    the payment that collected the difference.
    """

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    status: Mapped[str] = mapped_column(String(16), default=RefundStatus.PROPOSED, index=True)
    method: Mapped[str] = mapped_column(String(24), default="original_payment")
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_message: Mapped[str | None] = mapped_column(Text)
    # The failure is a refusal that trying again can't change (the provider declined it, or
    # it would exceed the payment): it waits for finance instead of being retried.
    failure_final: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    approvals: Mapped[list[RefundApproval]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="RefundApproval.id"
    )


class RefundApproval(db.Model):  # type: ignore[name-defined]
    """One finance user's approve/deny/adjust decision on a refund."""

    __tablename__ = "refund_approvals"
    __table_args__ = (UniqueConstraint("refund_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    refund: Mapped[Refund] = relationship(back_populates="approvals")


class StoreCreditEntry(db.Model):  # type: ignore[name-defined]
    """One ledger entry (issue, bonus, redeem, expire); a balance is the sum, never stored."""

    __tablename__ = "store_credit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_email: Mapped[str] = mapped_column(String(320), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)  # positive in, negative out
    currency: Mapped[str] = mapped_column(String(3))
    code: Mapped[str | None] = mapped_column(String(32), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    # The caller's idempotency key for redemptions (and ours for expiries): replays are found.
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProviderEvent(db.Model):  # type: ignore[name-defined]
    """A payment-provider webhook event already handled: replays are recognised by id."""

    __tablename__ = "provider_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's evt_… id
    type: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
