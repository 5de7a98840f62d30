"""Refunds past their due date: each customer is told once, with an apology and what to do."""

from __future__ import annotations

from sqlalchemy import or_, select

from returns_portal.audit.models import AuditEvent
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.refunds.models import Refund, RefundMethod, RefundStatus
from returns_portal.returns.events import RefundOverdue
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.states import Row, customer_state

OPEN = [s.value for s in (RefundStatus.PROPOSED, RefundStatus.APPROVED, RefundStatus.SUBMITTED,
                          RefundStatus.FAILED)]  # fmt: skip
TOLD = "return.refund_overdue"


def tell_overdue(limit: int = 500) -> int:
    """Tell the customer of every return whose refund became late (once per return); return
    how many were told. Bounded per run; the next run goes on."""
    told = set(db.session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == TOLD)))
    count = 0
    # A resolved return owes money only while one of its refunds is still open.
    open_refund = select(Refund.return_id).where(
        Refund.status.in_(OPEN), Refund.method != RefundMethod.EXCHANGE_CHARGE
    )
    candidates = select(Return).where(
        or_(
            Return.status.in_([ReturnStatus.RECEIVED.value, ReturnStatus.INSPECTED.value]),
            (Return.status == ReturnStatus.RESOLVED.value) & Return.id.in_(open_refund),
        )
    )
    for rma in db.session.scalars(candidates.order_by(Return.id)):
        if count >= limit:
            break
        if rma.number in told or customer_state(rma).row is not Row.REFUND_OVERDUE:
            continue
        record_event("system", TOLD, "return", rma.number, after={"status": rma.status})
        publish(RefundOverdue(return_id=rma.id))
        events.commit()
        count += 1
    return count
