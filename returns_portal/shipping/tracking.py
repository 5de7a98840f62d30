"""Carrier tracking events in: webhooks, polling and the local carrier's own scans.

Every event is stored raw (CarrierEvent, once per carrier event id) and then applied
through `record_scan` in the portal's vocabulary (statuses.py), so a duplicate delivery
changes nothing and a late, older status changes nothing either. An event for a tracking
number the portal does not know is stored and answered 200 (the carrier would otherwise
deliver it again for days), with the outcome "unknown_tracking". Shipments whose parcel
went wrong (returned to sender, failure, no movement for TRACKING_STALLED_DAYS) are the
staff's exception list: `tracking_exceptions()` and `flask carriers exceptions`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from returns_portal.events import services as events
from returns_portal.extensions import db
from returns_portal.returns.models import Return
from returns_portal.returns.services.tracking import MOVING, ON_ITS_WAY, flag_problem, record_scan
from returns_portal.shipping.carriers import Carrier, CarrierError, LocalCarrier, TrackingUpdate
from returns_portal.shipping.easypost import EasyPostCarrier, tracking_updates
from returns_portal.shipping.models import CarrierEvent, Shipment
from returns_portal.shipping.services import carriers
from returns_portal.shipping.statuses import EASYPOST, TrackingCode, TrackingProblem
from returns_portal.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_POLL_BATCH = 100
DEFAULT_STALLED_DAYS = 5


class TrackingError(Exception):
    """A scan could not be recorded; the message says why, for the person who asked."""


@dataclass(frozen=True)
class TrackingException:
    """One shipment on the staff's exception list."""

    rma_number: str | None
    rma_status: str | None
    carrier: str
    tracking_number: str
    problem: str
    since: datetime | None
    last_event_at: datetime | None


def receive_easypost_event(carrier: str, event: Mapping[str, Any]) -> str:
    """Store an EasyPost webhook Event and apply its tracker once; return the outcome."""
    event_id = str(event.get("id") or "")
    result = event.get("result")
    tracker = result if isinstance(result, Mapping) else {}
    if not event_id:
        raise TrackingError("the event has no id")
    if tracker.get("object") != "Tracker":  # batch, refund, report … events: kept, not used
        return _store(carrier, event_id, None, str(event.get("description") or ""), None, None,
                      "ignored", dict(event))  # fmt: skip
    status = str(tracker.get("status") or "unknown")
    code = EASYPOST.get(status)
    try:
        updates = tracking_updates(tracker)
    except CarrierError as exc:
        raise TrackingError(str(exc)) from None
    occurred = updates[-1].occurred_at if updates else None
    return _apply(carrier, event_id, str(tracker.get("tracking_code") or ""), status,
                  code, occurred, updates, dict(event))  # fmt: skip


def emit_local_scan(
    tracking_number: str,
    code: str,
    occurred_at: datetime | None = None,
    description: str = "",
    location: str = "",
) -> str:
    """Scan a local carrier's parcel (the embedded default's carrier, driven by the CLI)."""
    try:
        portal = TrackingCode(code)
    except ValueError:
        known = ", ".join(c.value for c in TrackingCode)
        raise TrackingError(f"{code!r} is not a tracking code (use one of {known})") from None
    shipment = _shipment(tracking_number)
    if shipment is None:
        raise TrackingError(f"no shipment has tracking number {tracking_number!r}")
    if not isinstance(carriers().get(shipment.carrier), LocalCarrier):
        raise TrackingError(
            f"{tracking_number} is carried by {shipment.carrier}, which reports its own scans"
        )
    at = occurred_at or utcnow()
    update = TrackingUpdate(
        portal.value, description or _DESCRIPTIONS.get(portal, ""), at, location
    )
    return _apply(shipment.carrier, f"scan:{tracking_number}:{portal.value}:{at.isoformat()}",
                  tracking_number, portal.value, portal, at, [update], _raw(update))  # fmt: skip


JOURNEY = (
    TrackingCode.LABEL_CREATED,
    TrackingCode.ACCEPTED,
    TrackingCode.IN_TRANSIT,
    TrackingCode.OUT_FOR_DELIVERY,
    TrackingCode.DELIVERED,
)


def advance_local_journeys(limit: int = 3) -> int:
    """Move up to `limit` local-carrier parcels one step towards the warehouse (the demo)."""
    local = sorted(code for code, c in carriers().items() if isinstance(c, LocalCarrier))
    shipments = db.session.scalars(
        select(Shipment)
        .join(Return, Return.id == Shipment.return_id)
        .where(
            Shipment.carrier.in_(local),
            Shipment.voided_at.is_(None),
            Shipment.status.in_([code.value for code in JOURNEY[:-1]]),
            Return.status.in_(sorted(ON_ITS_WAY)),
        )
        .order_by(Shipment.id)
        .limit(limit)
    ).all()
    for shipment in shipments:
        step = JOURNEY[JOURNEY.index(TrackingCode(shipment.status)) + 1]
        emit_local_scan(shipment.tracking_number, step.value, location="Shanghai")
    return len(shipments)


def poll_trackers(limit: int | None = None) -> str:
    """Ask carriers without webhooks about their parcels still on the way, longest-unasked
    first, at most `limit` (CARRIER_POLL_BATCH) per run; return a summary."""
    limit = (
        limit
        if limit is not None
        else current_app.config.get("CARRIER_POLL_BATCH", DEFAULT_POLL_BATCH)
    )
    polled = {code for code, carrier in carriers().items() if _polled(carrier)}
    if not polled:
        return "no carrier to poll"
    shipments = db.session.scalars(
        select(Shipment)
        .where(
            Shipment.carrier.in_(sorted(polled)),
            Shipment.voided_at.is_(None),
            Shipment.status != TrackingCode.DELIVERED.value,
            Shipment.problem.is_(None) | (Shipment.problem == TrackingProblem.STALLED.value),
        )
        .order_by(Shipment.tracked_at.is_not(None), Shipment.tracked_at, Shipment.id)
        .limit(limit)
    ).all()
    asked = applied = failed = 0
    for shipment in shipments:
        carrier, number = carriers()[shipment.carrier], shipment.tracking_number
        shipment.tracked_at = utcnow()
        db.session.commit()
        asked += 1
        try:
            updates = carrier.track(number)
        except CarrierError as exc:
            failed += 1
            log.warning("tracking %s with %s failed: %s", number, shipment.carrier, exc)
            continue
        for update in updates:
            event_id = f"poll:{number}:{update.code}:{update.occurred_at.isoformat()}"
            outcome = _apply(
                shipment.carrier,
                event_id,
                number,
                update.code,
                _code(update.code),
                update.occurred_at,
                [update],
                _raw(update),
            )
            applied += outcome == "applied"
    return f"{asked} parcel(s) asked, {applied} new event(s), {failed} failed"


def flag_stalled(days: int | None = None, limit: int = 500) -> str:
    """Put parcels that stopped moving (no event for `days`) on the exception list."""
    days = (
        days
        if days is not None
        else current_app.config.get("TRACKING_STALLED_DAYS", DEFAULT_STALLED_DAYS)
    )
    now = utcnow()
    shipments = db.session.scalars(
        select(Shipment)
        .where(
            Shipment.voided_at.is_(None),
            Shipment.problem.is_(None),
            Shipment.status.in_(sorted(MOVING - {TrackingCode.DELIVERED.value})),
            Shipment.last_event_at < now - timedelta(days=days),
        )
        .order_by(Shipment.last_event_at)
        .limit(limit)
    ).all()
    flagged = sum(flag_problem(shipment, TrackingProblem.STALLED, now) for shipment in shipments)
    events.commit()
    return f"{flagged} parcel(s) without movement for {days} days"


def tracking_exceptions(limit: int = 100) -> list[TrackingException]:
    """Return the shipments staff should look at, the oldest problem first."""
    rows = db.session.execute(
        select(Shipment, Return.number, Return.status)
        .outerjoin(Return, Return.id == Shipment.return_id)
        .where(Shipment.problem.is_not(None), Shipment.voided_at.is_(None))
        .order_by(Shipment.problem_at, Shipment.id)
        .limit(limit)
    ).all()
    return [
        TrackingException(
            number,
            status,
            s.carrier,
            s.tracking_number,
            str(s.problem),
            s.problem_at,
            s.last_event_at,
        )
        for s, number, status in rows
    ]


# --- applying one event -----------------------------------------------------------------------

_DESCRIPTIONS = {
    TrackingCode.LABEL_CREATED: "Label created",
    TrackingCode.ACCEPTED: "Accepted by the carrier",
    TrackingCode.IN_TRANSIT: "In transit",
    TrackingCode.OUT_FOR_DELIVERY: "Out for delivery",
    TrackingCode.DELIVERED: "Delivered",
    TrackingCode.RETURNED_TO_SENDER: "Returned to sender",
    TrackingCode.FAILURE: "Delivery failed",
    TrackingCode.VOIDED: "Label cancelled",
}


def _apply(
    carrier: str,
    event_id: str,
    tracking_number: str,
    status: str,
    code: TrackingCode | None,
    occurred_at: datetime | None,
    updates: Sequence[TrackingUpdate],
    payload: dict[str, Any],
) -> str:
    shipment = _shipment(tracking_number, carrier)
    outcome = _store(carrier, event_id, tracking_number, status, code, occurred_at,
                     "received" if shipment is not None else "unknown_tracking", payload,
                     shipment)  # fmt: skip
    if outcome != "received" or shipment is None:
        return outcome
    row = db.session.scalar(
        select(CarrierEvent).where(
            CarrierEvent.carrier == carrier, CarrierEvent.event_id == event_id
        )
    )
    new = 0
    for update in updates:  # the tracker's history, oldest first: each scan counts once
        # One event at a time per parcel (PostgreSQL row lock, until record_scan commits):
        # two deliveries racing can't both record the same scan or tell of a delivery twice.
        shipment = (
            db.session.get(Shipment, shipment.id, with_for_update=True, populate_existing=True)
            or shipment
        )
        new += record_scan(shipment, update.code, update.occurred_at, update.description,
                           update.location or None)  # fmt: skip
    if row is not None:
        row.outcome = "applied" if new else "no_change"
    db.session.commit()
    return "applied" if new else "no_change"


def _store(
    carrier: str,
    event_id: str,
    tracking_number: str | None,
    status: str,
    code: TrackingCode | None,
    occurred_at: datetime | None,
    outcome: str,
    payload: dict[str, Any],
    shipment: Shipment | None = None,
) -> str:
    """Keep the raw event once; "duplicate" if this carrier sent this event id before."""
    key = event_id[:128]
    before = db.session.scalar(
        select(CarrierEvent.outcome).where(
            CarrierEvent.carrier == carrier, CarrierEvent.event_id == key
        )
    )
    if before == "received" and shipment is not None:
        return "received"  # stored, but applying it was cut short: apply it again (idempotent)
    if before is not None:
        return "duplicate"
    try:
        with db.session.begin_nested():  # two deliveries at once: the second is a duplicate
            db.session.add(
                CarrierEvent(
                    carrier=carrier, event_id=key, tracking_number=(tracking_number or "")[:64],
                    shipment_id=shipment.id if shipment else None, status=status[:64],
                    code=code.value if code else None, occurred_at=occurred_at,
                    received_at=utcnow(), outcome=outcome, payload=payload,
                )
            )  # fmt: skip
    except IntegrityError:
        return "duplicate"
    db.session.commit()
    return outcome


def _shipment(tracking_number: str, carrier: str | None = None) -> Shipment | None:
    query = select(Shipment).where(Shipment.tracking_number == tracking_number)
    if carrier is not None:
        query = query.where(Shipment.carrier == carrier)
    found: Shipment | None = db.session.scalar(query)
    return found


def _code(value: str) -> TrackingCode | None:
    try:
        return TrackingCode(value)
    except ValueError:
        return None


def _raw(update: TrackingUpdate) -> dict[str, Any]:
    return {
        "code": update.code,
        "description": update.description,
        "occurred_at": update.occurred_at.isoformat(),
        "location": update.location,
    }


def _polled(carrier: Carrier) -> bool:
    """Carriers that report nothing by themselves: HTTP carriers without a webhook secret."""
    if isinstance(carrier, LocalCarrier):
        return False  # its scans come from `flask carriers scan`
    if isinstance(carrier, EasyPostCarrier):
        return not carrier.webhook_secret
    return True
