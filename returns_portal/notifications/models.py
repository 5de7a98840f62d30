"""The e-mails the portal sent each customer, kept so staff can read what was said."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from returns_portal.extensions import db
from returns_portal.types import UTCDateTime, utcnow


class CustomerMail(db.Model):  # type: ignore[name-defined]
    """One mail handed to the mail server about a return: what it said, to whom, when."""

    __tablename__ = "customer_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # a key of notifications.services.SUBJECTS
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # the plain-text body, without attachments
    attachments: Mapped[str] = mapped_column(String(300), default="")  # file names, comma-separated
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
