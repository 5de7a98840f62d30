"""Finance's decisions on a refund: proposals from a settlement, approve, adjust, deny,
retry, and the policy's auto-approval; two people by id, never the warehouse staff."""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from returns_portal.accounts.models import Role, User
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.receiving.models import Inspection, InspectionStaff
from returns_portal.refunds.events import RefundApproved, RefundDenied
from returns_portal.refunds.models import (
    Refund,
    RefundApproval,
    RefundMethod,
    RefundStatus,
)
from returns_portal.refunds.services.common import (
    APPROVERS,
    WAITING_FOR_FINANCE,
    RefundError,
    _committed,
    _locked,
    _settlement_items,
    actor_of,
    move,
    refundable,
)
from returns_portal.refunds.settlement import settlement_for
from returns_portal.refunds.snapshots import breakdown_of, to_store
from returns_portal.returns.models import Return
from returns_portal.types import utcnow


def propose_settlement(rma: Return, evaluation: dict[str, Any]) -> list[Refund]:
    """Write the return's refund proposal: one row per way the money moves (not committed).

    The card part, the store credit and an exchange's price difference each get their own
    row, key and approval, so each is paid exactly once on its own. A return that settles
    to nothing still gets a (zero) card row, so finance sees the decision.
    """
    breakdown = evaluation["refund"]
    parts = settlement_for(breakdown, _settlement_items(rma))
    payment = rma.order.payments[0].id if rma.order.payments else None
    rows = [
        (RefundMethod.ORIGINAL_PAYMENT, parts.card),
        (RefundMethod.STORE_CREDIT, parts.credit),
        (RefundMethod.EXCHANGE_CHARGE, parts.charge),
    ]
    wanted = [(method, amount) for method, amount in rows if amount > 0] or rows[:1]
    refunds = []
    for method, amount in wanted:
        refund = Refund(
            key=secrets.token_hex(16),
            return_id=rma.id,
            order_id=rma.order_id,
            payment_id=None if method is RefundMethod.STORE_CREDIT else payment,
            status=RefundStatus.PROPOSED.value,
            method=method.value,
            currency=breakdown["currency"],
            amount=amount,
            breakdown=to_store(evaluation, settlement=parts.to_dict()),
            policy_version_id=rma.policy_version_id,
        )
        db.session.add(refund)
        refunds.append(refund)
    db.session.flush()
    return refunds


def approvals_needed(refund: Refund) -> int:
    """Return how many different finance users must approve (from the policy's thresholds)."""
    return 2 if breakdown_of(refund.breakdown).refund.approval == "two_finance" else 1


def _warehouse_staff(refund: Refund) -> set[int]:
    """Return the ids of every user who received, scanned, inspected or completed the
    return's inspections (or started one, for inspections made before each step was recorded)."""
    if refund.return_id is None:
        return set()
    inspections = select(Inspection.id).where(Inspection.return_id == refund.return_id)
    steps = db.session.scalars(
        select(InspectionStaff.user_id).where(InspectionStaff.inspection_id.in_(inspections))
    )
    starters = db.session.scalars(
        select(Inspection.inspector_id).where(
            Inspection.return_id == refund.return_id, Inspection.inspector_id.is_not(None)
        )
    )
    return {*steps, *(i for i in starters if i is not None)}


def approve_refund(refund_id: int, user: User, note: str = "") -> Refund:
    """Record one finance approval; with enough of them, pay the refund.

    Refused: a role other than finance/admin, the user who inspected the items, a second
    approval by the same user, a refund not waiting for approval.
    """
    refund = _locked(refund_id)
    if Role(user.role) not in APPROVERS:
        raise RefundError(_l("Only finance can approve refunds."))
    if user.id in _warehouse_staff(refund):
        raise RefundError(_l("You inspected these items, so someone else must approve the refund."))
    if refund.status != RefundStatus.PROPOSED:
        raise RefundError(
            _l("This refund is %(status)s; there is nothing to approve.", status=refund.status)
        )
    if any(a.user_id == user.id for a in refund.approvals):
        raise RefundError(
            _l("You have approved this refund already; a second person must approve it.")
        )
    refund.approvals.append(RefundApproval(user_id=user.id, decision="approve", note=note.strip()))
    approved = sum(1 for a in refund.approvals if a.decision == "approve") >= approvals_needed(
        refund
    )
    if approved:
        move(refund, RefundStatus.APPROVED)
    record_event(
        actor_of(user),
        "refund.approved" if approved else "refund.approval",
        "refund",
        refund.key,
        after={"amount": refund.amount, "note": note.strip()},
    )
    if approved:
        publish(RefundApproved(refund_id=refund.id))
    refund_id = refund.id
    return _committed(refund_id)


def adjust_refund(refund_id: int, user: User, amount: int, reason: str) -> Refund:
    """Change a proposed refund's amount, with a reason; never above what remains refundable."""
    refund = _locked(refund_id)
    if Role(user.role) not in APPROVERS:
        raise RefundError(_l("Only finance can adjust refunds."))
    if refund.status not in WAITING_FOR_FINANCE:
        raise RefundError(_l("Only a proposed or failed refund can be adjusted."))
    if not reason.strip():
        raise RefundError(_l("Say why the amount changes."))
    if amount < 0 or amount > refundable(refund, exclude_self=True):
        raise RefundError(_l("The amount must be between 0 and what remains refundable."))
    before = refund.amount
    refund.amount = amount
    record_event(
        actor_of(user),
        "refund.adjusted",
        "refund",
        refund.key,
        before={"amount": before},
        after={"amount": amount, "reason": reason.strip()},
    )
    db.session.commit()
    return refund


def deny_refund(refund_id: int, user: User, reason: str) -> Refund:
    """Refuse a proposed refund, with a reason the customer is told."""
    refund = _locked(refund_id)
    if Role(user.role) not in APPROVERS:
        raise RefundError(_l("Only finance can deny refunds."))
    if refund.status not in WAITING_FOR_FINANCE:
        raise RefundError(_l("Only a proposed or failed refund can be denied."))
    if not reason.strip():
        raise RefundError(_l("Say why the refund is denied; the customer is told."))
    move(refund, RefundStatus.CANCELLED)
    refund.failure_message = reason.strip()
    mine = next((a for a in refund.approvals if a.user_id == user.id), None)
    if mine is None:
        refund.approvals.append(
            RefundApproval(user_id=user.id, decision="deny", note=reason.strip())
        )
    else:  # they approved it before it failed: their decision is now a denial (audited)
        mine.decision, mine.note, mine.decided_at = "deny", reason.strip(), utcnow()
    record_event(
        actor_of(user), "refund.denied", "refund", refund.key, after={"reason": reason.strip()}
    )
    publish(RefundDenied(refund_id=refund.id, reason=reason.strip()))
    events.commit()
    return refund


def retry_refund(refund_id: int, user: User) -> Refund:
    """Pay a failed refund again now (after the provider recovered, or after an adjustment)."""
    refund = _locked(refund_id)
    if Role(user.role) not in APPROVERS:
        raise RefundError(_l("Only finance can retry refunds."))
    if refund.status != RefundStatus.FAILED:
        raise RefundError(_l("Only a failed refund can be retried."))
    record_event(
        actor_of(user),
        "refund.retried",
        "refund",
        refund.key,
        before={"message": refund.failure_message},
        after={"amount": refund.amount},
    )
    publish(RefundApproved(refund_id=refund.id))
    return _committed(refund.id)


def auto_approve(refund: Refund) -> Refund:
    """Pay a proposal at once when the policy allows: under its threshold, inspection
    passed (nothing short, extra or failing a check) and no abuse flag.

    A part of 0 on the card (an exchange for a new item of the same price) is settled at
    once whatever the threshold: there is nothing for finance to approve. Flagged, it still
    waits for finance, who decide whether the exchange stands.
    """
    breakdown = breakdown_of(refund.breakdown)
    nothing = refund.amount == 0 and refund.method != RefundMethod.STORE_CREDIT
    if (breakdown.refund.approval != "auto" and not nothing) or breakdown.needs_review:
        return refund
    flags = {"not_intact", "fewer_received", "not_received", "gift_not_returned"}
    codes = breakdown.reason_codes()
    rma = db.session.get(Return, refund.return_id) if refund.return_id else None
    inspection = db.session.scalar(
        select(Inspection)
        .where(Inspection.return_id == refund.return_id)
        .order_by(Inspection.id.desc())
    )
    if (
        codes & flags
        or (rma is not None and rma.needs_review)
        or (inspection is not None and inspection.unexpected)
    ):
        return refund
    locked = _locked(refund.id)
    if locked.status != RefundStatus.PROPOSED:
        return locked
    move(locked, RefundStatus.APPROVED)
    record_event(
        "policy", "refund.auto_approved", "refund", locked.key,
        after={"amount": locked.amount, "why": "nothing to pay" if nothing else "under threshold"},
    )  # fmt: skip
    publish(RefundApproved(refund_id=locked.id))
    return _committed(locked.id)
