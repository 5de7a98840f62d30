"""A carrier's scans of a return's parcel: recorded once each, and what they mean for the return.

Carrier adapters, their webhooks and polling (shipping/tracking.py) and the local carrier's
`flask carriers scan` call `record_scan` with a code of the portal's own vocabulary
(shipping/statuses.py); the first scan that shows the parcel moving puts the return in
transit, the first delivery tells the customer it arrived. The shipment's status only moves
forward: a status the carrier reports after a newer, further one changes nothing. Returned
to sender and failure put the shipment in the staff's exception list and tell the customer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.returns.events import ParcelDelivered
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services.lifecycle import transition
from returns_portal.shipping.events import TrackingTrouble
from returns_portal.shipping.models import Shipment, TrackingEvent
from returns_portal.shipping.statuses import (
    PROBLEMS,
    TrackingCode,
    TrackingProblem,
    is_ahead,
    is_behind,
)

MOVING = frozenset({"accepted", "in_transit", "out_for_delivery", "delivered"})
# A return the customer is told about when its parcel goes wrong: still on its way to us.
ON_ITS_WAY = frozenset({ReturnStatus.AWAITING_SHIPMENT, ReturnStatus.IN_TRANSIT})


def record_scan(
    shipment: Shipment,
    code: str,
    occurred_at: datetime,
    description: str = "",
    location: str | None = None,
) -> bool:
    """Record one scan of a return's parcel; return False if it was recorded already (a
    duplicate delivery of the same event) or it is behind (an earlier status reported
    after a newer, further one). Scans may come in any order."""
    seen = db.session.scalar(
        select(TrackingEvent.id).where(
            TrackingEvent.shipment_id == shipment.id,
            TrackingEvent.code == code,
            TrackingEvent.occurred_at == occurred_at,
        )
    )
    if seen is not None:
        return False
    newest = db.session.scalar(
        select(func.max(TrackingEvent.occurred_at)).where(TrackingEvent.shipment_id == shipment.id)
    )
    if newest is not None and occurred_at > newest and is_behind(code, shipment.status):
        return False  # e.g. "in transit" after "delivered": the carrier's raw event is kept
    db.session.add(
        TrackingEvent(
            shipment_id=shipment.id, code=code, description=description[:300],
            location=location, occurred_at=occurred_at,
        )
    )  # fmt: skip
    first_delivery = code == TrackingCode.DELIVERED and shipment.status != TrackingCode.DELIVERED
    live = shipment.voided_at is None
    if live and is_ahead(code, shipment.status):
        shipment.status = code
    if shipment.last_event_at is None or occurred_at > shipment.last_event_at:
        shipment.last_event_at = occurred_at
    rma = db.session.get(Return, shipment.return_id) if shipment.return_id else None
    _note_problem(shipment, code, occurred_at, newer=newest is None or occurred_at > newest)
    if rma is not None and live and code in MOVING:
        if rma.status == ReturnStatus.AWAITING_SHIPMENT:
            transition(rma, ReturnStatus.IN_TRANSIT, "carrier")
        if first_delivery and rma.status == ReturnStatus.IN_TRANSIT:
            publish(ParcelDelivered(return_id=rma.id))
    events.commit()
    return True


def flag_problem(shipment: Shipment, problem: TrackingProblem, at: datetime) -> bool:
    """Put a shipment in the exception list (once) and tell its customer; False if it is
    there already or arrived. The caller commits."""
    if shipment.problem is not None or shipment.status == TrackingCode.DELIVERED:
        return False
    shipment.problem, shipment.problem_at = problem.value, at
    rma = db.session.get(Return, shipment.return_id) if shipment.return_id else None
    if rma is not None and shipment.voided_at is None and rma.status in ON_ITS_WAY:
        publish(TrackingTrouble(return_id=rma.id, shipment_id=shipment.id, problem=problem.value))
    return True


def _note_problem(shipment: Shipment, code: str, at: datetime, newer: bool) -> None:
    if code == TrackingCode.DELIVERED:
        shipment.problem = shipment.problem_at = None  # it arrived after all
    elif code in MOVING and newer and shipment.problem == TrackingProblem.STALLED:
        shipment.problem = shipment.problem_at = None  # moving again
    elif code in PROBLEMS:
        flag_problem(shipment, PROBLEMS[code], at)
