"""What the shop sold: orders, their lines, parcels and payments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returns_portal.extensions import db
from returns_portal.types import JSONType, UTCDateTime, utcnow


class Order(db.Model):  # type: ignore[name-defined]
    """An order pushed in by the shop; amounts are integer minor units of `currency`."""

    __tablename__ = "orders"
    # The desk finds a customer by the beginning of their name (a prefix LIKE): on
    # PostgreSQL that needs the pattern operator class whatever the database's collation.
    # The id in it finds a common name's orders without reading them.
    __table_args__ = (
        Index(
            "ix_orders_customer_name",
            "customer_name",
            "id",
            postgresql_ops={"customer_name": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)  # stored lower-cased
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str | None] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_discount: Mapped[int] = mapped_column(Integer, default=0)
    coupon_code: Mapped[str | None] = mapped_column(String(64))
    shipping_paid: Mapped[int] = mapped_column(Integer, default=0)
    standard_shipping: Mapped[int] = mapped_column(Integer, default=0)
    free_shipping_threshold: Mapped[int | None] = mapped_column(Integer)
    withdrawal_info_given: Mapped[bool] = mapped_column(Boolean, default=True)
    return_costs_disclosed: Mapped[bool] = mapped_column(Boolean, default=True)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    parcels: Mapped[list[Parcel]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Parcel.id"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Payment.id"
    )


class OrderLine(db.Model):  # type: ignore[name-defined]
    """One sold product line with the facts the return policy needs."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_ref: Mapped[str] = mapped_column(String(64))  # the shop's own line id
    position: Mapped[int] = mapped_column(Integer, default=0)
    sku: Mapped[str] = mapped_column(String(64), index=True)
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    product_name: Mapped[str] = mapped_column(String(300))
    variant: Mapped[str | None] = mapped_column(String(200))
    product_group: Mapped[str | None] = mapped_column(String(64))  # variants of one product
    category: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    line_discount: Mapped[int] = mapped_column(Integer, default=0)
    tax: Mapped[int] = mapped_column(Integer, default=0)
    custom_made: Mapped[bool] = mapped_column(Boolean, default=False)
    perishable: Mapped[bool] = mapped_column(Boolean, default=False)
    digital_download: Mapped[bool] = mapped_column(Boolean, default=False)
    sealed_media: Mapped[bool] = mapped_column(Boolean, default=False)
    periodical: Mapped[bool] = mapped_column(Boolean, default=False)
    hygiene_sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    final_sale: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmation_exclusion: Mapped[str | None] = mapped_column(String(40))
    exclusion_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    gift_of: Mapped[str | None] = mapped_column(String(64))  # line_ref of the line it came with
    gift_value: Mapped[int] = mapped_column(Integer, default=0)
    image_url: Mapped[str | None] = mapped_column(String(500))

    order: Mapped[Order] = relationship(back_populates="lines")


class Parcel(db.Model):  # type: ignore[name-defined]
    """One outbound parcel of an order and when the customer took possession of it."""

    __tablename__ = "parcels"
    __table_args__ = (UniqueConstraint("order_id", "parcel_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    parcel_ref: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="parcels")
    items: Mapped[list[ParcelItem]] = relationship(
        back_populates="parcel", cascade="all, delete-orphan", order_by="ParcelItem.id"
    )


class ParcelItem(db.Model):  # type: ignore[name-defined]
    """How many units of a line travelled in a parcel."""

    __tablename__ = "parcel_items"
    __table_args__ = (UniqueConstraint("parcel_id", "order_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)

    parcel: Mapped[Parcel] = relationship(back_populates="items")
    line: Mapped[OrderLine] = relationship()


class Payment(db.Model):  # type: ignore[name-defined]
    """Money captured for an order at the payment provider (a Stripe PaymentIntent)."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("provider", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32), default="stripe")
    method: Mapped[str] = mapped_column(String(32), default="card")
    reference: Mapped[str] = mapped_column(String(255))  # PaymentIntent id
    amount: Mapped[int] = mapped_column(Integer)  # captured
    currency: Mapped[str] = mapped_column(String(3))
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="payments")


class StockLevel(db.Model):  # type: ignore[name-defined]
    """Units of a SKU the shop can sell, and how many are held for exchanges; the price is
    integer minor units of `currency`."""

    __tablename__ = "stock_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    product_group: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(300))
    variant: Mapped[str | None] = mapped_column(String(200))
    unit_price: Mapped[int] = mapped_column(Integer, default=0)
    # The currency of `unit_price`. NULL means the store's currency (StoreSettings.currency):
    # rows from before prices carried one were priced in it. The portal sets it on every row
    # it creates; `returns.services.stock_currency` reads it.
    currency: Mapped[str | None] = mapped_column(String(3))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved)
