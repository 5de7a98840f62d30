"""Parcels that match no return: put them in a queue, find them, attach them to their return.

Attaching starts (or continues) the return's inspection exactly as scanning its code would.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.receiving.models import Inspection, UnidentifiedParcel
from returns_portal.receiving.services.common import ReceivingError
from returns_portal.receiving.services.scanning import receive_parcel
from returns_portal.returns.services import load_return
from returns_portal.types import utcnow


def register_unidentified(
    code: str,
    actor: str,
    tracking_number: str = "",
    carrier: str = "",
    sender_name: str = "",
    sender_email: str = "",
    order_number: str = "",
    notes: str = "",
) -> UnidentifiedParcel:
    """Put a parcel that matches no return in the unidentified queue."""
    parcel = UnidentifiedParcel(
        code=code.strip()[:200],
        tracking_number=(tracking_number or code).strip().upper()[:64] or None,
        carrier=carrier.strip()[:64] or None,
        sender_name=sender_name.strip()[:200],
        sender_email=sender_email.strip().lower()[:320],
        order_number=order_number.strip()[:64],
        notes=notes.strip()[:2000],
        received_at=utcnow(),
        received_by=actor,
    )
    db.session.add(parcel)
    db.session.flush()
    record_event(actor, "parcel.unidentified", "parcel", parcel.id, after={"code": parcel.code})
    db.session.commit()
    return parcel


def search_unidentified(
    query: str = "", include_attached: bool = False
) -> list[UnidentifiedParcel]:
    """Find queued parcels by order number, email, name, tracking number or scanned code."""
    statement = select(UnidentifiedParcel).order_by(UnidentifiedParcel.received_at.desc())
    if not include_attached:
        statement = statement.where(UnidentifiedParcel.return_id.is_(None))
    words = query.strip()
    if words:
        like = f"%{words.lower()}%"
        statement = statement.where(
            or_(
                func.lower(UnidentifiedParcel.order_number).like(like),
                func.lower(UnidentifiedParcel.sender_email).like(like),
                func.lower(UnidentifiedParcel.sender_name).like(like),
                func.lower(UnidentifiedParcel.tracking_number).like(like),
                func.lower(UnidentifiedParcel.code).like(like),
                func.lower(UnidentifiedParcel.notes).like(like),
            )
        )
    return list(db.session.scalars(statement.limit(200)))


def load_parcel(parcel_id: int) -> UnidentifiedParcel | None:
    """Return a queued (or already attached) parcel by id."""
    return db.session.get(UnidentifiedParcel, parcel_id)


def attach_parcel(parcel: UnidentifiedParcel, rma_number: str, actor: str) -> Inspection:
    """Attach a queued parcel to the return it belongs to and start (or continue) its inspection."""
    if parcel.return_id is not None:
        raise ReceivingError(_l("This parcel is already attached to a return."))
    rma = load_return(rma_number)
    if rma is None:
        raise ReceivingError(_l("No return %(number)s.", number=rma_number.strip().upper()))
    parcel.return_id = rma.id
    parcel.attached_at = utcnow()
    parcel.attached_by = actor
    record_event(actor, "parcel.attached", "return", rma.number, after={"parcel": parcel.id})
    return receive_parcel(rma, actor, code=parcel.code)
