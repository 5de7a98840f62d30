"""What every refund service shares: the refusal, the row lock, the limits, the states."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from returns_portal.accounts.models import Role, User
from returns_portal.events import services as events
from returns_portal.extensions import db
from returns_portal.orders.models import Order, Payment
from returns_portal.refunds.models import (
    Refund,
    RefundMethod,
    RefundStatus,
)
from returns_portal.returns.models import Return

APPROVERS = frozenset({Role.FINANCE, Role.ADMIN})
# Refunds that hold money: submitted (outcome pending) and succeeded both count against
# what a payment can still give back.


HOLDING = (RefundStatus.SUBMITTED.value, RefundStatus.SUCCEEDED.value)


RECONCILE_AFTER = timedelta(minutes=2)
# Finance may still adjust or deny these (a failed refund is never a dead end).


WAITING_FOR_FINANCE = (RefundStatus.PROPOSED.value, RefundStatus.FAILED.value)


class RefundError(Exception):
    """A refund action the portal refuses; the message is for the finance user."""


class IllegalRefundTransition(RefundError):
    """A status change the refund lifecycle does not have (a bug, not a user's mistake)."""


S = RefundStatus
# Which status may follow which. What the provider reports about money is the truth, so a
# paid or failed answer is taken from any state it can reach (e.g. a refund Stripe fails
# after paying it, or settles after a lost reply that finance has meanwhile denied).
TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.SUBMITTED, S.SUCCEEDED, S.FAILED}),
    S.SUBMITTED: frozenset({S.SUBMITTED, S.SUCCEEDED, S.FAILED}),  # resent when stale
    S.FAILED: frozenset({S.SUBMITTED, S.SUCCEEDED, S.FAILED, S.CANCELLED}),
    S.SUCCEEDED: frozenset({S.FAILED}),
    S.CANCELLED: frozenset({S.SUCCEEDED, S.FAILED}),
}


def move(refund: Refund, to: RefundStatus) -> None:
    """Set the refund's status to `to`, or raise IllegalRefundTransition (not committed;
    the caller audits the change with what caused it)."""
    current = RefundStatus(refund.status)
    if to not in TRANSITIONS[current]:
        raise IllegalRefundTransition(f"A refund that is {current} cannot become {to}.")
    refund.status = to.value


def actor_of(user: User) -> str:
    return f"user:{user.id} {user.email}"


def _locked(refund_id: int) -> Refund:
    refund = db.session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None:
        raise RefundError(_l("No such refund."))
    return refund


def refundable(refund: Refund, exclude_self: bool = False) -> int:
    """Return what the refund's payment can still give back (captured minus held refunds).

    Store credit and exchange charges move no money back to the card: their own amount is
    their limit (an adjustment may lower it, never raise it).
    """
    if refund.method != RefundMethod.ORIGINAL_PAYMENT:
        return refund.amount
    if refund.payment_id is None:
        return 0
    payment = db.session.get(Payment, refund.payment_id)
    assert payment is not None
    held = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id,
            Refund.method == RefundMethod.ORIGINAL_PAYMENT.value,
            Refund.status.in_(HOLDING),
            *([Refund.id != refund.id] if exclude_self else []),
        )
    )
    return int(payment.amount) - int(held or 0)


def refund_order_email(refund: Refund) -> str:
    order = db.session.get(Order, refund.order_id)
    assert order is not None
    return order.email


def _committed(refund_id: int) -> Refund:
    """Commit, run or queue what the change published (in-process: paid now); return the
    refund as it is now. With the broker down the commit stands and the outbox row waits."""
    events.commit()
    refund = db.session.get(Refund, refund_id)
    assert refund is not None
    db.session.refresh(refund)
    return refund


def _settlement_items(rma: Return) -> list[tuple[str, str, int | None]]:
    return [(i.line.line_ref, i.resolution, i.exchange_unit_price) for i in rma.items]
