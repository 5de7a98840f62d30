"""Return shipments, their labels and the carrier's tracking events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returns_portal.extensions import db
from returns_portal.types import JSONType, UTCDateTime, utcnow


class Shipment(db.Model):  # type: ignore[name-defined]
    """A parcel travelling back to the warehouse under one label or QR code."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(64), unique=True)
    label_cost: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default="label_created")
    qr_payload: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The carrier's own id for the shipment and the label files it made (HTTP carriers).
    provider_id: Mapped[str | None] = mapped_column(String(64))
    label_url: Mapped[str | None] = mapped_column(Text)
    label_zpl_url: Mapped[str | None] = mapped_column(Text)
    # Why staff should look at it (statuses.TrackingProblem), and since when; None: on track.
    problem: Mapped[str | None] = mapped_column(String(24), index=True)
    problem_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The newest carrier event, and when the carrier was last asked (polling takes the
    # longest-unasked first).
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tracked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment",
        cascade="all, delete-orphan",
        order_by="TrackingEvent.occurred_at",
    )


class TrackingEvent(db.Model):  # type: ignore[name-defined]
    """One scan or status reported by the carrier for a shipment."""

    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(300), default="")
    location: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class CarrierEvent(db.Model):  # type: ignore[name-defined]
    """A carrier's tracking event as it arrived (webhook or poll): kept raw, applied once."""

    __tablename__ = "carrier_events"
    __table_args__ = (UniqueConstraint("carrier", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(128))  # the carrier's id, or one derived
    tracking_number: Mapped[str] = mapped_column(String(64), index=True)
    shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(64))  # in the carrier's words
    code: Mapped[str | None] = mapped_column(String(32))  # in the portal's (statuses.py)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(24))  # applied, behind, unknown_tracking …
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
