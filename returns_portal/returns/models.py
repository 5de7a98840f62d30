"""Returns (RMAs) and the items in them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returns_portal.extensions import db
from returns_portal.orders.models import Order, OrderLine
from returns_portal.types import JSONType, UTCDateTime, utcnow


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    AWAITING_SHIPMENT = "awaiting_shipment"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    INSPECTED = "inspected"
    RESOLVED = "resolved"
    CLOSED = "closed"
    NEEDS_REVIEW = "needs_review"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Return(db.Model):  # type: ignore[name-defined]
    """One customer request to send items back (an RMA), decided under one policy version."""

    __tablename__ = "returns"
    # The desk lists returns newest (or oldest) first, of one status or all, or by their last
    # change, a page at a time: each order is an index read from one end, with the id as the
    # tie-break the list sorts by. Flagged returns are few: their index holds only them.
    __table_args__ = (
        Index("ix_returns_status_requested_at", "status", "requested_at", "id"),
        # With the id: a return is found by its order without reading the table.
        Index("ix_returns_order_id", "order_id", "id"),
        Index("ix_returns_requested_at", "requested_at", "id"),
        Index("ix_returns_updated_at", "updated_at", "id"),
        # A carrier's returns counted by status from the index alone.
        Index("ix_returns_carrier", "carrier", "status"),
        Index(
            "ix_returns_flagged",
            "requested_at",
            postgresql_where=text("needs_review"),
            sqlite_where=text("needs_review"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[str] = mapped_column(String(24), default=ReturnStatus.REQUESTED)
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    method: Mapped[str] = mapped_column(String(24))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    estimate: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # policy evaluation
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The token of the confirm form that created it: a double-submitted confirm finds
    # this return instead of creating a second one.
    client_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    carrier: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    # Support gave the customer until this day (in the store's time zone) to send the
    # parcel, beyond what the policy's ship_within_days allows.
    ship_by_extended_to: Mapped[date | None] = mapped_column(Date)
    # The customer keeps the items: refunded without sending them back (returnless).
    returnless: Mapped[bool] = mapped_column(Boolean, default=False)

    order: Mapped[Order] = relationship()
    items: Mapped[list[ReturnItem]] = relationship(
        back_populates="rma", cascade="all, delete-orphan", order_by="ReturnItem.id"
    )


class ReturnItem(db.Model):  # type: ignore[name-defined]
    """Units of one order line in a return, with the reason and the resolution asked for."""

    __tablename__ = "return_items"
    # The desk filters returns by their items' reason and resolution (either or both): the
    # returns with such items are read from an index alone.
    __table_args__ = (
        Index("ix_return_items_reason", "reason", "resolution", "return_id"),
        Index("ix_return_items_resolution", "resolution", "return_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    reason_note: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(String(24))
    exchange_sku: Mapped[str | None] = mapped_column(String(64))
    # The new item's unit price when the customer chose it: the exchange difference is
    # settled against this price, not whatever the shop charges on the day of inspection.
    # None: the new item costs what was paid for the returned unit (another variant of the
    # same product, or a stock item the shop gave no price), so no difference either way.
    exchange_unit_price: Mapped[int | None] = mapped_column(Integer)
    photos: Mapped[list[str]] = mapped_column(JSONType, default=list)  # storage keys

    rma: Mapped[Return] = relationship(back_populates="items")
    line: Mapped[OrderLine] = relationship()


class ReplacementStatus(StrEnum):
    PENDING = "pending"  # due, but its units are not on hand yet
    HANDED_TO_FULFILMENT = "handed_to_fulfilment"  # out of stock, for the shop to send
    SHIPPED = "shipped"  # on its way to the customer, with a carrier and tracking number
    CANCELLED = "cancelled"  # the return came to nothing before it shipped


class ReplacementOrder(db.Model):  # type: ignore[name-defined]
    """The new items of a return's exchanges, for the shop's fulfilment to send (one per
    return; see returns.services.replacements)."""

    __tablename__ = "replacement_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), unique=True)
    status: Mapped[str] = mapped_column(String(24), default=ReplacementStatus.PENDING, index=True)
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rma: Mapped[Return] = relationship()
    lines: Mapped[list[ReplacementLine]] = relationship(
        back_populates="replacement", cascade="all, delete-orphan", order_by="ReplacementLine.id"
    )


class ReplacementLine(db.Model):  # type: ignore[name-defined]
    """Units of one SKU sent for one exchanged return item, at the price it was settled at."""

    __tablename__ = "replacement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    replacement_id: Mapped[int] = mapped_column(
        ForeignKey("replacement_orders.id", ondelete="CASCADE"), index=True
    )
    return_item_id: Mapped[int] = mapped_column(ForeignKey("return_items.id"), unique=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))

    replacement: Mapped[ReplacementOrder] = relationship(back_populates="lines")


class ReturnNote(db.Model):  # type: ignore[name-defined]
    """An internal note on a return, written by staff; never shown to the customer."""

    __tablename__ = "return_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(200))  # an actor, as audit events name them
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
