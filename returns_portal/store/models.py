"""Store settings and the versioned return policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from returns_portal.extensions import db
from returns_portal.types import JSONType, UTCDateTime, utcnow


class StoreSettings(db.Model):  # type: ignore[name-defined]
    """The one row of merchant-wide settings (name, time zone, public URL, currency, return
    address)."""

    __tablename__ = "store_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Name, time zone and public URL: None means the configured one (STORE_NAME,
    # STORE_TIMEZONE, PUBLIC_URL); the admin sets them in the browser (store.identity).
    name: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    public_url: Mapped[str | None] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    return_address: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    support_email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PolicyVersion(db.Model):  # type: ignore[name-defined]
    """One saved version of the return policy document; returns keep the version they used."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    pack: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    digest: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
