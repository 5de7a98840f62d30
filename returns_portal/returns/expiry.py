"""Returns never sent: a reminder before the last day to send the parcel, then expiry.

The last day is the policy's `return_shipping.ship_within_days` after the request (the
version each return was decided under), or the later day support gave
(Return.ship_by_extended_to). `remind_days_before` that day the customer is reminded, once
for that day (a new day given by support earns a new reminder); the day after it, the return
expires: its label is voided with the carrier (refunded where the carrier refunds unused
labels), any exchange stock it held is released, and the customer is told. Support can
take an expired return back from the desk.

Run by the `returns.expire` job (and `flask returns expire`): idempotent, in bounded
batches, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from returns_portal.audit.models import AuditEvent
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.receiving.services import return_policy
from returns_portal.returns.events import ShipReminder
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import transition
from returns_portal.returns.states import ship_by, store_today
from returns_portal.shipping.services import ShippingError, void_return_label

REMINDED = "return.ship_reminder"


@dataclass(frozen=True)
class ExpiryRun:
    reminded: int
    expired: int
    kept: int  # past their day but already with the carrier: left to the tracking


def _reminded_for(rma: Return) -> set[str]:
    """The last days the customer was already reminded of (ISO dates)."""
    return {
        str((after or {}).get("ship_by"))
        for after in db.session.scalars(
            select(AuditEvent.after).where(
                AuditEvent.entity_type == "return",
                AuditEvent.entity_id == rma.number,
                AuditEvent.action == REMINDED,
            )
        )
    }


def _remind(rma: Return, day: date) -> bool:
    if day.isoformat() in _reminded_for(rma):
        return False
    record_event("system", REMINDED, "return", rma.number, after={"ship_by": day.isoformat()})
    publish(ShipReminder(return_id=rma.id))
    events.commit()
    return True


def _expire(rma: Return, day: date) -> bool:
    """Expire the return; False if the carrier has the parcel already (it is on its way)."""
    locked = db.session.scalar(select(Return).where(Return.id == rma.id).with_for_update())
    if locked is None or locked.status != ReturnStatus.AWAITING_SHIPMENT:
        db.session.commit()  # moved meanwhile (sent, cancelled): nothing to do
        return False
    try:
        void_return_label(locked)  # refused when the carrier already has the parcel
    except ShippingError:
        db.session.rollback()
        return False
    transition(locked, ReturnStatus.EXPIRED, "system", f"not sent by {day.isoformat()}")
    events.commit()  # the customer's mail, the exchange stock released
    return True


def expire_unsent(limit: int = 500) -> ExpiryRun:
    """Remind and expire the returns waiting to be sent, at most `limit` looked at per run."""
    today = store_today()
    waiting = db.session.scalars(
        select(Return)
        .where(Return.status == ReturnStatus.AWAITING_SHIPMENT.value)
        .order_by(Return.requested_at, Return.id)
        .limit(limit)
    ).all()
    reminded = expired = kept = 0
    for rma in waiting:
        day = ship_by(rma)
        if day is None:
            continue
        if day < today:
            if _expire(rma, day):
                expired += 1
            else:
                kept += 1
            continue
        before = return_policy(rma).remind_days_before
        if before is not None and (day - today).days <= before and _remind(rma, day):
            reminded += 1
    db.session.commit()
    return ExpiryRun(reminded, expired, kept)
