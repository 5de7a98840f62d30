"""Warehouse inspections of returned items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returns_portal.extensions import db
from returns_portal.returns.models import Return
from returns_portal.types import JSONType, UTCDateTime, utcnow


class Inspection(db.Model):  # type: ignore[name-defined]
    """The warehouse's inspection of one return, over one or more parcels, until completed."""

    __tablename__ = "inspections"
    # With the start: the desk's "received, not inspected for days" reads only the index.
    __table_args__ = (Index("ix_inspections_return_id", "return_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"))
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspector: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parcels: Mapped[int] = mapped_column(Integer, default=1)
    # Scanned codes that were not expected: [{"code", "kind": "extra"|"wrong", "qty"}]
    unexpected: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)

    items: Mapped[list[InspectionItem]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="InspectionItem.id"
    )
    rma: Mapped[Return] = relationship()


class InspectionStaff(db.Model):  # type: ignore[name-defined]
    """A staff user who received, scanned, inspected or completed an inspection: none of them
    may approve its refund."""

    __tablename__ = "inspection_staff"
    __table_args__ = (UniqueConstraint("inspection_id", "user_id", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))  # received | scanned | inspected | completed


class InspectionItem(db.Model):  # type: ignore[name-defined]
    """Findings for one return item: quantity, checklist answers, grade, disposition."""

    __tablename__ = "inspection_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    return_item_id: Mapped[int] = mapped_column(ForeignKey("return_items.id"), index=True)
    received_qty: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    grade: Mapped[str | None] = mapped_column(String(1))
    suggested_disposition: Mapped[str | None] = mapped_column(String(24))
    disposition: Mapped[str | None] = mapped_column(String(24))
    disposition_reason: Mapped[str | None] = mapped_column(Text)
    diminished_value: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[str]] = mapped_column(JSONType, default=list)

    inspection: Mapped[Inspection] = relationship(back_populates="items")


class UnidentifiedParcel(db.Model):  # type: ignore[name-defined]
    """A parcel that arrived matching no return; kept until someone attaches it to one."""

    __tablename__ = "unidentified_parcels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(200), index=True)  # what was scanned, if anything
    tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    carrier: Mapped[str | None] = mapped_column(String(64))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    sender_email: Mapped[str] = mapped_column(String(320), default="")
    order_number: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by: Mapped[str] = mapped_column(String(200))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"), index=True)
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attached_by: Mapped[str | None] = mapped_column(String(200))
