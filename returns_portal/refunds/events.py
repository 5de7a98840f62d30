"""What happens to refunds, as domain events; and what the refunds domain does about them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from returns_portal.events.services import RetryLater, subscribe


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


def pay_approved_refund(refund_id: int) -> None:
    """Pay an approved refund; ask to be run again while the provider can't be reached.

    A refusal trying again can't change (the provider declined the refund, or it would
    exceed the payment) ends here: the refund waits in the finance queue.
    """
    from returns_portal.refunds.models import RefundStatus
    from returns_portal.refunds.services import submit_refund

    refund = submit_refund(refund_id)
    if refund.status == RefundStatus.FAILED and not refund.failure_final:
        raise RetryLater(refund.failure_message or "the refund failed")


def init_app(app: Flask) -> None:
    # Imported here: services imports this module for its event classes.
    from returns_portal.refunds.services import RefundError

    subscribe(app, RefundApproved, "refunds.pay", pay_approved_refund, final=(RefundError,))
