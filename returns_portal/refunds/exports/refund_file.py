"""One refund's file for finance: its breakdown, the inspection findings and the policy's
reasons, gathered for the refund page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from returns_portal.accounts.models import User
from returns_portal.extensions import db
from returns_portal.orders.models import Order, OrderLine
from returns_portal.policy import Deduction, Reason
from returns_portal.policy.money import Money
from returns_portal.receiving.models import Inspection
from returns_portal.refunds.models import Refund
from returns_portal.refunds.snapshots import BreakdownSnapshot, breakdown_of
from returns_portal.returns.models import Return, ReturnItem
from returns_portal.store.models import PolicyVersion


def reason_of(data: dict[str, Any]) -> Reason:
    """Rebuild a policy Reason from its stored form, so `explain` can word it for the reader."""
    return Reason.from_dict(data)


@dataclass(frozen=True)
class Line:
    line_id: str
    description: str
    quantity: int
    amount: int  # goods and tax
    resolution: str


@dataclass(frozen=True)
class Finding:
    """What the warehouse found for one returned item."""

    description: str
    received_qty: int
    answers: list[tuple[str, bool]]  # (question, yes)
    grade: str | None
    disposition: str | None
    disposition_reason: str | None
    diminished_value: int
    notes: str
    photos: list[str]  # storage keys: the customer's photos of the item, then the warehouse's


@dataclass(frozen=True)
class DecisionReasons:
    line_id: str
    description: str
    reasons: list[Reason]


@dataclass(frozen=True)
class RefundFile:
    """Everything finance reads before deciding on one refund."""

    refund: Refund
    rma: Return | None
    order: Order
    lines: list[Line]
    shipping: int
    deductions: list[Deduction]
    total: int | None  # the policy's total; None for refunds made outside the portal
    bonus_credit: int
    approval: str
    refund_due_by: date | None
    policy: str
    findings: list[Finding]
    inspectors: list[str]
    decisions: list[DecisionReasons]
    notes: list[Reason] = field(default_factory=list)
    approvers: dict[int, str] = field(default_factory=dict)  # user id -> email


def describe_line(line: OrderLine | None, line_id: str) -> str:
    if line is None:
        return line_id
    return f"{line.product_name} · {line.variant}" if line.variant else line.product_name


def order_lines(order: Order) -> dict[str, OrderLine]:
    return {line.line_ref: line for line in order.lines}


def _policy_label(refund: Refund) -> str:
    breakdown = breakdown_of(refund.breakdown)
    version = (
        db.session.get(PolicyVersion, refund.policy_version_id)
        if refund.policy_version_id
        else None
    )
    if version is not None:
        return f"{version.pack} v{version.version} ({version.digest[:12]})"
    if breakdown.pack is None:
        return ""
    number, digest = breakdown.policy_version, breakdown.policy_digest[:12]
    return f"{breakdown.pack} v{number} ({digest})" if number is not None else breakdown.pack


def _notes(breakdown: BreakdownSnapshot) -> list[Reason]:
    """Return the policy's notes, with the bonus the settlement actually issues."""
    notes = [r.reason() for r in [*breakdown.reasons, *breakdown.refund.reasons]]
    settlement = breakdown.settlement
    if settlement is None:
        return notes
    # The policy's bonus is before an exchange or a cost takes part of the credit; the
    # settlement's bonus is what is issued, so that is the amount finance must read.
    amount = Money(settlement.bonus, breakdown.refund.currency or settlement.currency)
    return [
        Reason(n.code, n.message, {**n.params, "amount": amount})
        if n.code == "store_credit_bonus"
        else n
        for n in notes
        if n.code != "store_credit_bonus" or settlement.bonus
    ]


def refund_file(refund: Refund) -> RefundFile:
    """Gather the refund's breakdown, the inspection findings and the policy's reasons."""
    order = db.session.get(Order, refund.order_id)
    assert order is not None
    rma = db.session.get(Return, refund.return_id) if refund.return_id else None
    by_ref = order_lines(order)
    breakdown = breakdown_of(refund.breakdown)
    money = breakdown.refund
    checklist: dict[str, str] = {}
    decisions = []
    for decision in breakdown.decisions:
        line_id = decision.line_id
        checklist.update({q.code: q.text for q in decision.checklist})
        decisions.append(
            DecisionReasons(
                line_id,
                describe_line(by_ref.get(line_id), line_id),
                [r.reason() for r in decision.reasons],
            )
        )
    findings: list[Finding] = []
    inspectors: list[str] = []
    if rma is not None:
        items = {item.id: item for item in rma.items}
        inspections = db.session.scalars(
            select(Inspection).where(Inspection.return_id == rma.id).order_by(Inspection.id)
        )
        for inspection in inspections:
            inspectors.append(inspection.inspector)
            for found in inspection.items:
                item: ReturnItem | None = items.get(found.return_item_id)
                findings.append(
                    Finding(
                        description=describe_line(item.line if item else None, "?"),
                        received_qty=found.received_qty,
                        answers=[
                            (checklist.get(code, code), bool(yes))
                            for code, yes in (found.answers or {}).items()
                        ],
                        grade=found.grade,
                        disposition=found.disposition,
                        disposition_reason=found.disposition_reason,
                        diminished_value=found.diminished_value,
                        notes=found.notes,
                        photos=[*(item.photos or [] if item else []), *(found.photos or [])],
                    )
                )
    return RefundFile(
        refund=refund,
        rma=rma,
        order=order,
        lines=[
            Line(
                line_id=line.line_id,
                description=describe_line(by_ref.get(line.line_id), line.line_id),
                quantity=line.quantity,
                amount=line.value,
                resolution=line.resolution,
            )
            for line in money.lines
        ],
        shipping=money.shipping,
        deductions=[d.deduction() for d in money.deductions],
        total=money.total,
        bonus_credit=money.bonus_credit,
        approval=money.approval,
        refund_due_by=money.refund_due_by,
        policy=_policy_label(refund),
        findings=findings,
        inspectors=inspectors,
        decisions=decisions,
        notes=_notes(breakdown),
        approvers={
            user_id: email
            for user_id, email in db.session.execute(
                select(User.id, User.email).where(
                    User.id.in_([a.user_id for a in refund.approvals])
                )
            )
        },
    )
