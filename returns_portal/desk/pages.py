"""Everything the desk shows about one return, gathered in one call for its page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select

from returns_portal.audit.models import AuditEvent
from returns_portal.desk.services import notes_of
from returns_portal.extensions import db
from returns_portal.notifications.models import CustomerMail
from returns_portal.receiving.models import Inspection
from returns_portal.refunds.models import Refund
from returns_portal.refunds.snapshots import EstimateSnapshot, estimate_of
from returns_portal.returns.models import ReplacementOrder, Return, ReturnNote
from returns_portal.returns.services import replacement_for, shipments_of
from returns_portal.returns.states import CustomerState, customer_state
from returns_portal.shipping.models import Shipment

TIMELINE_LIMIT = 500  # the newest events of a return and its refunds


@dataclass(frozen=True)
class DeskReturn:
    rma: Return
    state: CustomerState  # what the customer is told now
    decision: EstimateSnapshot
    timeline: list[AuditEvent]
    shipments: list[Shipment]
    inspections: list[Inspection]
    refunds: list[Refund]
    replacement: ReplacementOrder | None
    mails: list[CustomerMail]
    notes: list[ReturnNote]
    photos: dict[int, list[str]]  # return item id → the customer's photo keys

    @property
    def flagged(self) -> bool:
        return self.rma.needs_review or self.rma.status == "needs_review"


def desk_return(rma: Return) -> DeskReturn:
    refunds = list(
        db.session.scalars(select(Refund).where(Refund.return_id == rma.id).order_by(Refund.id))
    )
    # The return's own events and its refunds', one list in time order.
    keys = [refund.key for refund in refunds]
    about = or_(
        and_(AuditEvent.entity_type == "return", AuditEvent.entity_id == rma.number),
        and_(AuditEvent.entity_type == "refund", AuditEvent.entity_id.in_(keys)),
    )
    timeline = list(
        db.session.scalars(
            select(AuditEvent).where(about).order_by(AuditEvent.id.desc()).limit(TIMELINE_LIMIT)
        )
    )
    timeline.reverse()
    return DeskReturn(
        rma=rma,
        state=customer_state(rma),
        decision=estimate_of(rma.estimate),
        timeline=timeline,
        shipments=shipments_of(rma),
        inspections=list(
            db.session.scalars(
                select(Inspection).where(Inspection.return_id == rma.id).order_by(Inspection.id)
            )
        ),
        refunds=refunds,
        replacement=replacement_for(rma),
        mails=list(
            db.session.scalars(
                select(CustomerMail)
                .where(CustomerMail.return_id == rma.id)
                .order_by(CustomerMail.id)
            )
        ),
        notes=notes_of(rma),
        photos={item.id: list(item.photos or []) for item in rma.items},
    )


def photo_keys(rma: Return) -> set[str]:
    """Every photo key the return's items and inspections hold (what the desk may show)."""
    keys = {key for item in rma.items for key in (item.photos or [])}
    for inspection in db.session.scalars(select(Inspection).where(Inspection.return_id == rma.id)):
        keys.update(key for item in inspection.items for key in (item.photos or []))
    return keys


def mail_of(rma: Return, mail_id: int) -> CustomerMail | None:
    mail = db.session.get(CustomerMail, mail_id)
    return mail if mail is not None and mail.return_id == rma.id else None


def changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """(key, before, after) for what an audit event changed or said."""
    before, after = event.before or {}, event.after or {}
    return [(key, before.get(key), after.get(key)) for key in dict.fromkeys([*before, *after])]
