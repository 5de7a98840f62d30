"""A carrier's scans of a return's parcel: recorded once each, and what they mean for the return.

Carrier adapters, their webhooks and polling (the carrier work) call `record_scan` with a
status of the portal's own vocabulary; the first scan that shows the parcel moving puts the
return in transit, a delivery tells the customer it arrived.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.returns.events import ParcelDelivered
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services.lifecycle import transition
from returns_portal.shipping.models import Shipment, TrackingEvent

MOVING = frozenset({"accepted", "in_transit", "out_for_delivery", "delivered"})


def record_scan(
    shipment: Shipment,
    code: str,
    occurred_at: datetime,
    description: str = "",
    location: str | None = None,
) -> bool:
    """Record one scan of a return's parcel; return False if it was recorded already (a
    duplicate delivery of the same event). Scans may come in any order."""
    seen = db.session.scalar(
        select(TrackingEvent.id).where(
            TrackingEvent.shipment_id == shipment.id,
            TrackingEvent.code == code,
            TrackingEvent.occurred_at == occurred_at,
        )
    )
    if seen is not None:
        return False
    db.session.add(
        TrackingEvent(
            shipment_id=shipment.id, code=code, description=description[:300],
            location=location, occurred_at=occurred_at,
        )
    )  # fmt: skip
    rma = db.session.get(Return, shipment.return_id) if shipment.return_id else None
    if rma is not None and shipment.voided_at is None and code in MOVING:
        if rma.status == ReturnStatus.AWAITING_SHIPMENT:
            transition(rma, ReturnStatus.IN_TRANSIT, "carrier")
        if code == "delivered" and rma.status == ReturnStatus.IN_TRANSIT:
            publish(ParcelDelivered(return_id=rma.id))
    events.commit()
    return True
