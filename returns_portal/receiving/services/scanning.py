"""Identify a parcel by what is scanned on it, receive it, and count its items in.

Every scan is an audit event; a parcel that names no return goes to the unidentified queue
(see `unidentified`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.extensions import db
from returns_portal.receiving.models import Inspection, InspectionItem
from returns_portal.receiving.services.common import (
    Expected,
    ReceivingError,
    expected_items,
    note_staff,
)
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import load_return, return_number_in_url, transition
from returns_portal.shipping.carriers import read_qr_payload
from returns_portal.shipping.models import Shipment
from returns_portal.types import utcnow

RECEIVABLE = frozenset({ReturnStatus.AWAITING_SHIPMENT, ReturnStatus.IN_TRANSIT})


# --- identifying a parcel ------------------------------------------------------------------


def identify(code: str) -> Return | None:
    """Return the return a scanned code names: RMA barcode, tracking number, the carrier's
    drop-off QR or the customer's QR (the return page's address)."""
    code = code.strip()
    if not code:
        return None
    code = return_number_in_url(code) or code  # the customer's QR: the return page's address
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


def open_inspection(rma: Return) -> Inspection | None:
    """Return the return's inspection that is still being worked on, if any."""
    return db.session.scalar(
        select(Inspection)
        .where(Inspection.return_id == rma.id, Inspection.completed_at.is_(None))
        .order_by(Inspection.id.desc())
        .limit(1)
    )


def receive_parcel(rma: Return, actor: str, code: str = "") -> Inspection:
    """Start the inspection of a return's parcel, or continue it when a second parcel arrives."""
    inspection = open_inspection(rma)
    if inspection is not None:
        inspection.parcels += 1
        note_staff(inspection, actor, "received")
        # The audit log keeps the actions' first names ("receipt.*"): it is append-only and
        # read by name, so renaming them would split one history in two.
        record_event(
            actor,
            "receipt.parcel",
            "return",
            rma.number,
            after={"parcels": inspection.parcels, "code": code},
        )
        db.session.commit()
        return inspection
    status = ReturnStatus(rma.status)
    if status is ReturnStatus.NEEDS_REVIEW:
        # The customer may have sent it anyway: keep it, don't count it in yet.
        raise ReceivingError(
            _l(
                "Return %(number)s is being checked by support: it cannot be received yet. "
                "Put the parcel aside and ask support to approve or reject it.",
                number=rma.number,
            )
        )
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
    inspection = Inspection(
        return_id=rma.id, inspector=actor, started_at=utcnow(), parcels=1, unexpected=[]
    )
    inspection.items = [
        InspectionItem(return_item_id=item.id, received_qty=0, answers={}, photos=[], notes="")
        for item in rma.items
    ]
    inspection.inspector_id = getattr(actor, "user_id", None)
    db.session.add(inspection)
    db.session.flush()
    note_staff(inspection, actor, "received")
    record_event(actor, "receipt.started", "return", rma.number, after={"code": code})
    events.commit()
    return inspection


def receive_scan(code: str, actor: str) -> Inspection | None:
    """Receive the parcel a scanned code names (see `identify`) and return its inspection;
    None when the code names no return."""
    rma = identify(code)
    if rma is None:
        return None
    return receive_parcel(rma, actor, code=code)


# --- counting items in ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    kind: str  # counted | extra | wrong
    message: str
    expected: Expected | None = None


def scan_item(inspection: Inspection, code: str, actor: str) -> ScanResult:
    """Count one scanned item (SKU or GTIN) into the inspection, flagging anything unexpected."""
    if inspection.completed_at is not None:
        raise ReceivingError(_l("This receipt is complete."))
    note_staff(inspection, actor, "scanned")
    code = code.strip()
    rma = db.session.get(Return, inspection.return_id)
    assert rma is not None
    matches = [e for e in expected_items(inspection) if code in {e.line.sku, e.line.gtin}]
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
        flagged = list(inspection.unexpected or [])
        entry = next((u for u in flagged if u["code"] == code and u["kind"] == kind), None)
        if entry is None:
            flagged.append({"code": code, "kind": kind, "qty": 1})
        else:
            entry["qty"] += 1
        inspection.unexpected = flagged  # a new list, so the JSON column sees the change
        message = (
            _l("Extra item: more %(name)s than announced.", name=matches[0].line.product_name)
            if matches
            else _l("Wrong item: %(code)s is not part of this return.", code=code)
        )
        result = ScanResult(kind, str(message), matches[0] if matches else None)
    record_event(actor, f"receipt.scan.{result.kind}", "return", rma.number, after={"code": code})
    db.session.commit()
    return result
