"""What happens to refunds, as domain events (their handlers: refunds/handlers.py and
notifications/handlers.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RefundApproved:
    """Enough approvals (or the policy's auto-approval): the refund is to be paid."""

    refund_id: int


@dataclass(frozen=True)
class RefundPaid:
    """Money moved: refunded to the card, issued as store credit, or a difference charged."""

    refund_id: int


@dataclass(frozen=True)
class RefundDenied:
    """Finance refused a refund, with a reason the customer is told."""

    refund_id: int
    reason: str
