"""Warehouse receiving: identify a parcel, count items in, inspect, dispose, propose the refund.

Every scan, finding and decision is an audit event; the refund proposal is computed by the
policy engine from the findings, exactly as the dry run computes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from returns_portal import policy
from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.orders.models import OrderLine, StockLevel
from returns_portal.receiving.models import (
    Inspection,
    InspectionItem,
    InspectionStaff,
    UnidentifiedParcel,
)
from returns_portal.refunds.models import Refund
from returns_portal.refunds.services import auto_approve, propose_settlement
from returns_portal.returns.models import Return, ReturnItem, ReturnStatus
from returns_portal.returns.services import load_return, order_context, transition
from returns_portal.shipping.carriers import read_qr_payload
from returns_portal.shipping.models import Shipment
from returns_portal.store.models import PolicyVersion
from returns_portal.store.services import VOID_STATUSES, active_policy
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
RECEIVABLE = frozenset({ReturnStatus.AWAITING_SHIPMENT, ReturnStatus.IN_TRANSIT})
FAULTS = {"defective", "not_as_described", "damaged_in_transit", "wrong_item"}


class ReceivingError(Exception):
    """A warehouse action the portal refuses; the message is for the worker."""


# --- identifying a parcel ------------------------------------------------------------------


def identify(code: str) -> Return | None:
    """Return the return a scanned code names: RMA barcode, tracking number or drop-off QR."""
    code = code.strip()
    if not code:
        return None
    from_qr = read_qr_payload(code)
    if from_qr is not None:
        tracking, rma_number = from_qr
        return load_return(rma_number) or _by_tracking(tracking)
    if code.upper().startswith("R-"):
        return load_return(code)
    return _by_tracking(code.upper())


def _by_tracking(tracking_number: str) -> Return | None:
    return db.session.scalar(
        select(Return)
        .join(Shipment, Shipment.return_id == Return.id)
        .where(Shipment.tracking_number == tracking_number)
    )


def open_receipt(rma: Return) -> Inspection | None:
    """Return the return's receipt that is still being worked on, if any."""
    return db.session.scalar(
        select(Inspection)
        .where(Inspection.return_id == rma.id, Inspection.completed_at.is_(None))
        .order_by(Inspection.id.desc())
        .limit(1)
    )


def note_staff(receipt: Inspection, actor: str, action: str) -> None:
    """Remember a staff user's part in a receipt (committed with the step): separation of
    duties is by user id, never by the actor's name."""
    user_id = getattr(actor, "user_id", None)
    if user_id is None:
        return
    known = db.session.scalar(
        select(InspectionStaff.id).where(
            InspectionStaff.inspection_id == receipt.id,
            InspectionStaff.user_id == user_id,
            InspectionStaff.action == action,
        )
    )
    if known is None:
        db.session.add(InspectionStaff(inspection_id=receipt.id, user_id=user_id, action=action))


def receive_parcel(rma: Return, actor: str, code: str = "") -> Inspection:
    """Start the receipt of a return's parcel, or continue it when a second parcel arrives."""
    receipt = open_receipt(rma)
    if receipt is not None:
        receipt.parcels += 1
        note_staff(receipt, actor, "received")
        record_event(
            actor,
            "receipt.parcel",
            "return",
            rma.number,
            after={"parcels": receipt.parcels, "code": code},
        )
        db.session.commit()
        return receipt
    status = ReturnStatus(rma.status)
    if status not in RECEIVABLE:
        raise ReceivingError(
            _l(
                "Return %(number)s is %(status)s: it cannot be received.",
                number=rma.number,
                status=status.value,
            )
        )
    transition(rma, ReturnStatus.RECEIVED, actor)
    for shipment in db.session.scalars(select(Shipment).where(Shipment.return_id == rma.id)):
        if shipment.voided_at is None:
            shipment.status = "delivered"
    receipt = Inspection(
        return_id=rma.id, inspector=actor, started_at=utcnow(), parcels=1, unexpected=[]
    )
    receipt.items = [
        InspectionItem(return_item_id=item.id, received_qty=0, answers={}, photos=[], notes="")
        for item in rma.items
    ]
    receipt.inspector_id = getattr(actor, "user_id", None)
    db.session.add(receipt)
    db.session.flush()
    note_staff(receipt, actor, "received")
    record_event(actor, "receipt.started", "return", rma.number, after={"code": code})
    db.session.commit()
    return receipt


# --- counting items in ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One expected item of a receipt, with what has been counted so far."""

    finding: InspectionItem
    item: ReturnItem
    line: OrderLine

    @property
    def short(self) -> int:
        return max(0, self.item.quantity - self.finding.received_qty)


def expected_items(receipt: Inspection) -> list[Expected]:
    """Return the receipt's expected items with their order lines."""
    items = {
        i.id: i
        for i in db.session.scalars(
            select(ReturnItem).where(ReturnItem.return_id == receipt.return_id)
        )
    }
    lines = {
        line.id: line
        for line in db.session.scalars(
            select(OrderLine).where(OrderLine.id.in_([i.order_line_id for i in items.values()]))
        )
    }
    return [
        Expected(
            finding,
            items[finding.return_item_id],
            lines[items[finding.return_item_id].order_line_id],
        )
        for finding in receipt.items
    ]


@dataclass(frozen=True)
class ScanResult:
    kind: str  # counted | extra | wrong
    message: str
    expected: Expected | None = None


def scan_item(receipt: Inspection, code: str, actor: str) -> ScanResult:
    """Count one scanned item (SKU or GTIN) into the receipt, flagging anything unexpected."""
    if receipt.completed_at is not None:
        raise ReceivingError(_l("This receipt is complete."))
    note_staff(receipt, actor, "scanned")
    code = code.strip()
    rma = db.session.get(Return, receipt.return_id)
    assert rma is not None
    matches = [e for e in expected_items(receipt) if code in {e.line.sku, e.line.gtin}]
    open_match = next((e for e in matches if e.short > 0), None)
    if open_match is not None:
        open_match.finding.received_qty += 1
        result = ScanResult(
            "counted",
            str(
                _l(
                    "%(name)s: %(count)d of %(expected)d",
                    name=open_match.line.product_name,
                    count=open_match.finding.received_qty,
                    expected=open_match.item.quantity,
                )
            ),
            open_match,
        )
    else:
        kind = "extra" if matches else "wrong"
        flagged = list(receipt.unexpected or [])
        entry = next((u for u in flagged if u["code"] == code and u["kind"] == kind), None)
        if entry is None:
            flagged.append({"code": code, "kind": kind, "qty": 1})
        else:
            entry["qty"] += 1
        receipt.unexpected = flagged  # a new list, so the JSON column sees the change
        message = (
            _l("Extra item: more %(name)s than announced.", name=matches[0].line.product_name)
            if matches
            else _l("Wrong item: %(code)s is not part of this return.", code=code)
        )
        result = ScanResult(kind, str(message), matches[0] if matches else None)
    record_event(actor, f"receipt.scan.{result.kind}", "return", rma.number, after={"code": code})
    db.session.commit()
    return result


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


def questions_for(receipt: Inspection, expected: Expected) -> tuple[policy.ChecklistQuestion, ...]:
    """Return the checklist the policy pack asks for this item's product."""
    rma = db.session.get(Return, receipt.return_id)
    assert rma is not None
    rules = return_policy(rma)
    context = order_context(rma.order)
    return policy.line_checklist(
        policy.PACKS[rules.pack], context.facts.line(expected.line.line_ref).product
    )


def record_findings(
    receipt: Inspection,
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
    if receipt.completed_at is not None:
        raise ReceivingError(_l("This receipt is complete."))
    note_staff(receipt, actor, "inspected")
    if grade not in GRADES:
        raise ReceivingError(_l("Choose a grade from A to D."))
    if diminished_value < 0:
        raise ReceivingError(_l("The diminished value cannot be negative."))
    expected = next(e for e in expected_items(receipt) if e.finding.id == finding.id)
    questions = questions_for(receipt, expected)
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
    rma = db.session.get(Return, receipt.return_id)
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


# --- completing the receipt: stock and the refund proposal ----------------------------------------


def return_policy(rma: Return) -> policy.Policy:
    """Return the policy the return was decided under (its saved version)."""
    if rma.policy_version_id is not None:
        version = db.session.get(PolicyVersion, rma.policy_version_id)
        if version is not None:
            return policy.load_policy(version.document, version=version.version)
    return active_policy()


def return_request(rma: Return) -> policy.ReturnRequest:
    """Rebuild the policy request the customer made, with units returned before it."""
    refs = {line.id: line.line_ref for line in rma.order.lines}
    earlier = db.session.execute(
        select(ReturnItem.order_line_id, func.sum(ReturnItem.quantity))
        .join(Return, Return.id == ReturnItem.return_id)
        .where(
            Return.order_id == rma.order_id,
            Return.id < rma.id,
            Return.status.not_in([str(s) for s in VOID_STATUSES]),
        )
        .group_by(ReturnItem.order_line_id)
    ).all()
    shipment = db.session.scalar(
        select(Shipment).where(Shipment.return_id == rma.id).order_by(Shipment.id.desc()).limit(1)
    )
    return policy.ReturnRequest(
        requested_at=rma.requested_at,
        lines=tuple(
            policy.RequestedLine(
                line_id=refs[item.order_line_id],
                quantity=item.quantity,
                reason=policy.ReturnReason(item.reason),
                resolution=policy.Resolution(item.resolution),
                note=item.reason_note,
            )
            for item in rma.items
        ),
        method=policy.ReturnMethod(rma.method),
        label_cost=shipment.label_cost if shipment else None,
        previously_returned={refs[line_id]: int(qty) for line_id, qty in earlier},
    )


def findings(receipt: Inspection) -> policy.Inspection:
    """Turn the receipt into the policy engine's inspection findings."""
    return policy.Inspection(
        received_at=receipt.started_at,
        lines={
            e.line.line_ref: policy.LineFindings(
                line_id=e.line.line_ref,
                received_qty=e.finding.received_qty,
                answers=dict(e.finding.answers or {}),
                diminished_value=e.finding.diminished_value,
            )
            for e in expected_items(receipt)
        },
    )


def complete_receipt(receipt: Inspection, actor: str) -> Refund:
    """Finish the receipt: restock, mark the return inspected and propose its refund."""
    if receipt.completed_at is not None:
        raise ReceivingError(_l("This receipt is complete."))
    note_staff(receipt, actor, "completed")
    expected = expected_items(receipt)
    if any(e.finding.grade is None and e.finding.received_qty > 0 for e in expected):
        raise ReceivingError(_l("Inspect every received item before completing the receipt."))
    rma = db.session.get(Return, receipt.return_id)
    assert rma is not None
    rules = return_policy(rma)
    context = order_context(rma.order)
    evaluation = policy.evaluate(context.facts, return_request(rma), rules, findings(receipt))
    for e in expected:
        if e.finding.disposition == Disposition.RESTOCK and e.finding.received_qty:
            _restock(e.line, e.finding.received_qty)
    receipt.completed_at = utcnow()
    transition(rma, ReturnStatus.INSPECTED, actor)

    refunds = propose_settlement(rma, evaluation.to_dict())
    record_event(
        actor,
        "refund.proposed",
        "return",
        rma.number,
        after={
            "refunds": {r.key: {"method": r.method, "amount": r.amount} for r in refunds},
            "short": {e.line.sku: e.short for e in expected if e.short},
            "unexpected": receipt.unexpected,
        },
    )
    db.session.commit()
    paid = [auto_approve(refund) for refund in refunds]
    return paid[0]


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
            on_hand=0,
            reserved=0,
        )
        db.session.add(stock)
    stock.on_hand += quantity


def refund_due_by(rma: Return) -> date | None:
    """Return when the refund is due once the parcel is in (the pack may count from receipt)."""
    receipt = db.session.scalar(
        select(Inspection).where(Inspection.return_id == rma.id).order_by(Inspection.id).limit(1)
    )
    if receipt is None:
        return None
    # The date hangs on the day the parcel came in, not on what the counting finds: assume
    # everything announced arrived, so the date shows before the counting is done.
    announced = policy.Inspection(
        received_at=receipt.started_at,
        lines={
            e.line.line_ref: policy.LineFindings(e.line.line_ref, e.item.quantity)
            for e in expected_items(receipt)
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


# --- parcels that match nothing ---------------------------------------------------------


def register_unidentified(
    code: str,
    actor: str,
    tracking_number: str = "",
    carrier: str = "",
    sender_name: str = "",
    sender_email: str = "",
    order_number: str = "",
    notes: str = "",
) -> UnidentifiedParcel:
    """Put a parcel that matches no return in the unidentified queue."""
    parcel = UnidentifiedParcel(
        code=code.strip()[:200],
        tracking_number=(tracking_number or code).strip().upper()[:64] or None,
        carrier=carrier.strip()[:64] or None,
        sender_name=sender_name.strip()[:200],
        sender_email=sender_email.strip().lower()[:320],
        order_number=order_number.strip()[:64],
        notes=notes.strip()[:2000],
        received_at=utcnow(),
        received_by=actor,
    )
    db.session.add(parcel)
    db.session.flush()
    record_event(actor, "parcel.unidentified", "parcel", parcel.id, after={"code": parcel.code})
    db.session.commit()
    return parcel


def search_unidentified(
    query: str = "", include_attached: bool = False
) -> list[UnidentifiedParcel]:
    """Find queued parcels by order number, email, name, tracking number or scanned code."""
    statement = select(UnidentifiedParcel).order_by(UnidentifiedParcel.received_at.desc())
    if not include_attached:
        statement = statement.where(UnidentifiedParcel.return_id.is_(None))
    words = query.strip()
    if words:
        like = f"%{words.lower()}%"
        statement = statement.where(
            or_(
                func.lower(UnidentifiedParcel.order_number).like(like),
                func.lower(UnidentifiedParcel.sender_email).like(like),
                func.lower(UnidentifiedParcel.sender_name).like(like),
                func.lower(UnidentifiedParcel.tracking_number).like(like),
                func.lower(UnidentifiedParcel.code).like(like),
                func.lower(UnidentifiedParcel.notes).like(like),
            )
        )
    return list(db.session.scalars(statement.limit(200)))


def attach_parcel(parcel: UnidentifiedParcel, rma_number: str, actor: str) -> Inspection:
    """Attach a queued parcel to the return it belongs to and start (or continue) its receipt."""
    if parcel.return_id is not None:
        raise ReceivingError(_l("This parcel is already attached to a return."))
    rma = load_return(rma_number)
    if rma is None:
        raise ReceivingError(_l("No return %(number)s.", number=rma_number.strip().upper()))
    parcel.return_id = rma.id
    parcel.attached_at = utcnow()
    parcel.attached_by = actor
    record_event(actor, "parcel.attached", "return", rma.number, after={"parcel": parcel.id})
    return receive_parcel(rma, actor, code=parcel.code)


def receipt_for(receipt_id: int) -> Inspection | None:
    """Return a receipt by id."""
    return db.session.get(Inspection, receipt_id)
