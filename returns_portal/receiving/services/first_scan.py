"""The refund at the carrier's first scan (policy `refund_at_first_scan`), as Amazon and
Happy Returns pay trusted customers: once the carrier has accepted the parcel, the refund
is proposed as if every unit came back intact, and approved and paid by the usual rules
(exactly once, never above what was captured). The warehouse still inspects it later; its
findings are recorded against the refund that stands (complete_inspection).

Trusted means: the order's payments total less than the policy's `below`, the return was
not flagged (no abuse rule fired, not sent to review), nothing in it is an exchange (the
new item waits for the old one), and no earlier return of the customer was rejected.
"""

from __future__ import annotations

from sqlalchemy import select

from returns_portal import policy
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.extensions import db
from returns_portal.orders.models import Order
from returns_portal.receiving.services.inspecting import (
    intact_findings,
    proposed_refund,
    return_policy,
    return_request,
)
from returns_portal.refunds.models import Refund
from returns_portal.refunds.services import auto_approve, propose_settlement
from returns_portal.refunds.snapshots import estimate_of
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import order_context
from returns_portal.types import utcnow


def trusted(rma: Return, below: int) -> bool:
    """Whether the return qualifies for a refund before anyone has seen the items."""
    if rma.needs_review or estimate_of(rma.estimate).abuse:
        return False
    if any(item.resolution == policy.Resolution.EXCHANGE for item in rma.items):
        return False
    if sum(payment.amount for payment in rma.order.payments) >= below:
        return False
    rejected = db.session.scalar(
        select(Return.id)
        .join(Order, Order.id == Return.order_id)
        .where(
            Order.email == rma.order.email,
            Return.status == ReturnStatus.REJECTED.value,
            Return.id != rma.id,
        )
        .limit(1)
    )
    return rejected is None


def refund_at_first_scan(return_id: int) -> list[Refund]:
    """Propose (and, under the policy's threshold, approve) the refund of a trusted return
    the carrier has just accepted. Safe to call again: a refund proposed once is kept."""
    rma = db.session.scalar(select(Return).where(Return.id == return_id).with_for_update())
    if rma is None or rma.status != ReturnStatus.IN_TRANSIT or proposed_refund(rma):
        db.session.commit()
        return []
    rules = return_policy(rma)
    below = rules.refund_at_first_scan_below
    if below is None or not trusted(rma, below):
        db.session.commit()
        return []
    evaluation = policy.evaluate(
        order_context(rma.order, decided=rma).facts,
        return_request(rma),
        rules,
        intact_findings(rma, utcnow()),
    )
    refunds = propose_settlement(rma, evaluation.to_dict())
    record_event(
        "policy", "refund.proposed_at_first_scan", "return", rma.number,
        after={"refunds": {r.key: {"method": r.method, "amount": r.amount} for r in refunds},
               "below": below},
    )  # fmt: skip
    events.commit()
    return [auto_approve(refund) for refund in refunds]
