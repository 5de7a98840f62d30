"""Inspect what was counted in, then complete the inspection: restock and propose the refund.

Every finding and decision is an audit event; the refund proposal is computed by the
policy engine from the findings, exactly as the dry run computes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from returns_portal import policy
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.extensions import db
from returns_portal.orders.models import OrderLine, StockLevel
from returns_portal.receiving.models import Inspection, InspectionItem
from returns_portal.receiving.services.common import (
    Expected,
    ReceivingError,
    expected_items,
    note_staff,
)
from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.refunds.services import auto_approve, propose_settlement
from returns_portal.refunds.snapshots import estimate_of
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import order_context, transition
from returns_portal.returns.services.draft import RequestItem, policy_request
from returns_portal.shipping.models import Shipment
from returns_portal.store.models import PolicyVersion
from returns_portal.store.services import active_policy, returned_units
from returns_portal.types import utcnow

GRADES = ("A", "B", "C", "D")


class Disposition(StrEnum):
    RESTOCK = "restock"
    REFURBISH = "refurbish"
    LIQUIDATE = "liquidate"
    RECYCLE = "recycle"
    RETURN_TO_VENDOR = "return_to_vendor"


# Where each disposition's items go in the warehouse (printed on the bin label).
BINS = {
    Disposition.RESTOCK: "RST",
    Disposition.REFURBISH: "RFB",
    Disposition.LIQUIDATE: "LIQ",
    Disposition.RECYCLE: "RCY",
    Disposition.RETURN_TO_VENDOR: "RTV",
}
SOFT_GOODS = {"apparel", "shoes", "bags", "toys", "home_textiles", "home"}
DEVICES = {"electronics", "appliances"}
FAULTS = {"defective", "not_as_described", "damaged_in_transit", "wrong_item"}


# --- inspecting ----------------------------------------------------------------------------


def suggest_disposition(grade: str, category: str, reason: str, intact: bool) -> Disposition:
    """Suggest where an inspected item goes; the worker may override with a reason."""
    if grade == "D":
        return Disposition.RECYCLE
    if reason in FAULTS and category in DEVICES:
        return Disposition.RETURN_TO_VENDOR  # the maker repairs or credits faulty devices
    if grade == "A" and intact:
        return Disposition.RESTOCK
    if grade in {"A", "B"}:
        return Disposition.RESTOCK if category in SOFT_GOODS and intact else Disposition.REFURBISH
    return Disposition.REFURBISH if category in DEVICES else Disposition.LIQUIDATE


def questions_for(
    inspection: Inspection, expected: Expected
) -> tuple[policy.ChecklistQuestion, ...]:
    """Return the checklist the policy pack asks for this item's product."""
    rma = db.session.get(Return, inspection.return_id)
    assert rma is not None
    rules = return_policy(rma)
    context = order_context(rma.order)
    return policy.line_checklist(
        policy.PACKS[rules.pack],
        context.facts.line(expected.line.line_ref).product,
        expected.item.reason,  # a wrong-item or not-as-described claim is checked too
    )


def record_inspection(
    inspection: Inspection,
    finding: InspectionItem,
    answers: Mapping[str, bool],
    grade: str,
    disposition: str | None,
    override_reason: str,
    notes: str,
    diminished_value: int,
    actor: str,
    photos: list[str] | None = None,
) -> InspectionItem:
    """Save one item's checklist answers, grade and disposition (suggested unless overridden)."""
    if inspection.completed_at is not None:
        raise ReceivingError(_l("This receipt is complete."))
    note_staff(inspection, actor, "inspected")
    if grade not in GRADES:
        raise ReceivingError(_l("Choose a grade from A to D."))
    if diminished_value < 0:
        raise ReceivingError(_l("The diminished value cannot be negative."))
    expected = next(e for e in expected_items(inspection) if e.finding.id == finding.id)
    questions = questions_for(inspection, expected)
    known = {q.code for q in questions}
    clean = {code: bool(value) for code, value in answers.items() if code in known}
    missing = [q.code for q in questions if q.code not in clean]
    if missing:
        raise ReceivingError(_l("Answer every check before saving."))
    intact = all(clean[q.code] for q in questions if q.breaks_intact)
    if disposition and disposition not in {d.value for d in Disposition}:
        raise ReceivingError(_l("Choose where the item goes from the list."))
    suggested = suggest_disposition(grade, expected.line.category, expected.item.reason, intact)
    chosen = Disposition(disposition) if disposition else suggested
    if chosen != suggested and not override_reason.strip():
        raise ReceivingError(_l("Say why the item goes somewhere other than suggested."))
    before = {
        "answers": finding.answers,
        "grade": finding.grade,
        "disposition": finding.disposition,
    }
    finding.answers = clean
    finding.grade = grade
    finding.suggested_disposition = suggested.value
    finding.disposition = chosen.value
    finding.disposition_reason = override_reason.strip() or None
    finding.notes = notes.strip()[:2000]
    finding.diminished_value = diminished_value
    if photos:  # stored keys (see returns_portal.returns.photos); added to earlier ones
        finding.photos = [*(finding.photos or []), *photos][:10]
    rma = db.session.get(Return, inspection.return_id)
    assert rma is not None
    record_event(
        actor,
        "receipt.inspected",
        "return",
        rma.number,
        before=before,
        after={
            "item": expected.line.sku,
            "answers": clean,
            "grade": grade,
            "suggested": suggested.value,
            "disposition": chosen.value,
            "override_reason": finding.disposition_reason,
        },
    )
    db.session.commit()
    return finding


# --- completing the inspection: stock and the refund proposal ------------------------------------


def return_policy(rma: Return) -> policy.Policy:
    """Return the policy the return was decided under (its saved version)."""
    if rma.policy_version_id is not None:
        version = db.session.get(PolicyVersion, rma.policy_version_id)
        if version is not None:
            return policy.load_policy(version.document, version=version.version)
    return active_policy()


def return_request(rma: Return) -> policy.ReturnRequest:
    """Rebuild the policy request the customer made, with units returned before it (the
    same builder as the estimate the customer saw: `returns.services.draft.policy_request`)."""
    refs = {line.id: line.line_ref for line in rma.order.lines}
    shipment = db.session.scalar(
        select(Shipment).where(Shipment.return_id == rma.id).order_by(Shipment.id.desc()).limit(1)
    )
    return policy_request(
        (
            RequestItem(
                refs[item.order_line_id],
                item.quantity,
                item.reason,
                item.resolution,
                item.reason_note,
            )
            for item in rma.items
        ),
        rma.method,
        rma.requested_at,
        shipment.label_cost if shipment else None,
        returned_units(rma.order, before=rma),
    )


def policy_inspection(inspection: Inspection) -> policy.Inspection:
    """Turn the inspection into the policy engine's findings (`policy.Inspection`)."""
    return policy.Inspection(
        received_at=inspection.started_at,
        lines={
            e.line.line_ref: policy.LineFindings(
                line_id=e.line.line_ref,
                received_qty=e.finding.received_qty,
                answers=dict(e.finding.answers or {}),
                diminished_value=e.finding.diminished_value,
            )
            for e in expected_items(inspection)
        },
    )


def intact_findings(rma: Return, at: datetime) -> policy.Inspection:
    """Findings as if every unit came back intact at `at` (each line's checklist answered
    yes): how a refund is worked out before anyone has seen the items (the customer keeps
    them, or the refund is paid at the carrier's first scan)."""
    checklists = {d.line_id: d.checklist for d in estimate_of(rma.estimate).decisions}
    return policy.Inspection(
        received_at=at,
        lines={
            item.line.line_ref: policy.LineFindings(
                line_id=item.line.line_ref,
                received_qty=item.quantity,
                answers={q.code: True for q in checklists.get(item.line.line_ref, [])},
            )
            for item in rma.items
        },
    )


def complete_inspection(inspection: Inspection, actor: str) -> Refund:
    """Finish the inspection: restock, mark the return inspected and propose its refund
    (or, when it was proposed at the carrier's first scan, record what was found)."""
    if inspection.completed_at is not None:
        raise ReceivingError(_l("This receipt is complete."))
    note_staff(inspection, actor, "completed")
    expected = expected_items(inspection)
    if any(e.finding.grade is None and e.finding.received_qty > 0 for e in expected):
        raise ReceivingError(_l("Inspect every received item before completing the receipt."))
    rma = db.session.get(Return, inspection.return_id)
    assert rma is not None
    rules = return_policy(rma)
    context = order_context(rma.order, decided=rma)  # the abuse rules count as at its opening
    evaluation = policy.evaluate(
        context.facts, return_request(rma), rules, policy_inspection(inspection)
    )
    for e in expected:
        if e.finding.disposition == Disposition.RESTOCK and e.finding.received_qty:
            _restock(e.line, e.finding.received_qty)
    inspection.completed_at = utcnow()
    transition(rma, ReturnStatus.INSPECTED, actor)

    early = proposed_refund(rma)
    if early is not None:
        return _after_early_refund(rma, early, evaluation, expected, inspection, actor)
    refunds = propose_settlement(rma, evaluation.to_dict())
    record_event(
        actor,
        "refund.proposed",
        "return",
        rma.number,
        after={
            "refunds": {r.key: {"method": r.method, "amount": r.amount} for r in refunds},
            "short": {e.line.sku: e.short for e in expected if e.short},
            "unexpected": inspection.unexpected,
        },
    )
    events.commit()
    paid = [auto_approve(refund) for refund in refunds]
    return paid[0]


def _after_early_refund(
    rma: Return,
    early: Refund,
    evaluation: policy.Evaluation,
    expected: list[Expected],
    inspection: Inspection,
    actor: str,
) -> Refund:
    """The refund was proposed at the first scan: it stands (paid exactly once, as any
    refund); the inspection's findings are recorded, and what they would have taken off is
    flagged for the staff to follow up."""
    would = evaluation.refund.total
    refunds = db.session.scalars(select(Refund).where(Refund.return_id == rma.id)).all()
    proposed = sum(r.amount for r in refunds if r.method != "exchange_charge")
    record_event(
        actor, "inspection.after_early_refund", "return", rma.number,
        after={"short": {e.line.sku: e.short for e in expected if e.short},
               "unexpected": inspection.unexpected, "refund_now": would,
               "refunded_at_first_scan": proposed, "differs": would != proposed},
    )  # fmt: skip
    if all(r.status in (RefundStatus.SUCCEEDED, RefundStatus.CANCELLED) for r in refunds):
        transition(rma, ReturnStatus.RESOLVED, "system", "refunded at the first scan")
    events.commit()
    return early


def _restock(line: OrderLine, quantity: int) -> None:
    stock = db.session.scalar(
        select(StockLevel).where(StockLevel.sku == line.sku).with_for_update()
    )
    if stock is None:
        stock = StockLevel(
            sku=line.sku,
            product_group=line.product_group,
            name=line.product_name,
            variant=line.variant,
            unit_price=line.unit_price,
            currency=line.order.currency,  # the price just taken from the order is in its currency
            on_hand=0,
            reserved=0,
        )
        db.session.add(stock)
    stock.on_hand += quantity


def refund_due_by(rma: Return) -> date | None:
    """Return when the refund is due once the parcel is in (the pack may count from receipt)."""
    inspection = db.session.scalar(
        select(Inspection).where(Inspection.return_id == rma.id).order_by(Inspection.id).limit(1)
    )
    if inspection is None:
        return None
    # The date hangs on the day the parcel came in, not on what the counting finds: assume
    # everything announced arrived, so the date shows before the counting is done.
    announced = policy.Inspection(
        received_at=inspection.started_at,
        lines={
            e.line.line_ref: policy.LineFindings(e.line.line_ref, e.item.quantity)
            for e in expected_items(inspection)
        },
    )
    context = order_context(rma.order)
    evaluation = policy.evaluate(context.facts, return_request(rma), return_policy(rma), announced)
    return evaluation.refund.refund_due_by


def proposed_refund(rma: Return) -> Refund | None:
    """Return the return's main refund (the first of its settlement), if one was proposed."""
    return db.session.scalar(
        select(Refund).where(Refund.return_id == rma.id).order_by(Refund.id).limit(1)
    )
