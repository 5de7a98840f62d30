"""Customer e-mails as event handlers: each runs after its change is committed, and again
later when the mail server refused it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from flask import Flask

from returns_portal import jobs
from returns_portal.events.services import RetryLater, subscribe
from returns_portal.extensions import db
from returns_portal.notifications import channels, services
from returns_portal.refunds.events import RefundDenied, RefundPaid
from returns_portal.refunds.models import Refund
from returns_portal.returns.events import (
    ConfirmationResent,
    ParcelDelivered,
    RefundOverdue,
    ReplacementShipped,
    ReturnMoved,
    ReturnOpened,
    ShipByExtended,
    ShipReminder,
)
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.overdue import tell_overdue
from returns_portal.returns.states import Row, customer_state, was_reviewed


def _sent(ok: bool) -> None:
    if not ok:
        raise RetryLater("the mail server refused the message")


def mail_return_opened(return_id: int, channel: str = "email") -> None:
    rma = db.session.get(Return, return_id)
    if rma is not None:
        _sent(services.send_return_confirmation(rma, channel=channel))


# The status changes the customer is told of by mail, and the mail each one sends. Opening
# a return has its own mail (ReturnOpened); a paid or denied refund has its own too.
STATUS_MAILS = {
    ReturnStatus.AWAITING_SHIPMENT: "accepted",  # only after our team's check
    ReturnStatus.IN_TRANSIT: "in_transit",
    ReturnStatus.RECEIVED: "received",
    ReturnStatus.INSPECTED: "inspected",
    ReturnStatus.REJECTED: "rejected",
    ReturnStatus.CANCELLED: "cancelled",
    ReturnStatus.EXPIRED: "expired",
    ReturnStatus.RESOLVED: "settled",  # only when no money moved (an even exchange)
}


def mail_return_moved(return_id: int, status: str, channel: str = "email") -> None:
    """Tell the customer of a status change, unless the return has moved on since (the
    later change's mail tells the news) or another mail already says it."""
    rma = db.session.get(Return, return_id)
    kind = STATUS_MAILS.get(ReturnStatus(status))
    if rma is None or kind is None or rma.status != status:
        return
    if status == ReturnStatus.AWAITING_SHIPMENT and not was_reviewed(rma):
        return  # a return accepted at once: its confirmation mail says so
    if status == ReturnStatus.RESOLVED and not customer_state(rma).even:
        return  # money moved: the refund's own mail says how
    if rma.returnless and status == ReturnStatus.INSPECTED:
        kind = "returnless"  # nothing was sent or checked: the customer keeps the items
    _sent(services.send_update(rma, kind, channel=channel))


def mail_parcel_delivered(return_id: int, channel: str = "email") -> None:
    rma = db.session.get(Return, return_id)
    if rma is not None and rma.status == ReturnStatus.IN_TRANSIT:  # not yet scanned in
        _sent(services.send_update(rma, "delivered", channel=channel))


def mail_refund_overdue(return_id: int, channel: str = "email") -> None:
    rma = db.session.get(Return, return_id)
    if rma is not None and customer_state(rma).row is Row.REFUND_OVERDUE:  # not paid since
        _sent(services.send_update(rma, "overdue", channel=channel))


def mail_replacement_shipped(return_id: int, channel: str = "email") -> None:
    rma = db.session.get(Return, return_id)
    if rma is not None:
        _sent(services.send_update(rma, "replacement_shipped", channel=channel))


def mail_confirmation_resent(return_id: int, channel: str = "email") -> None:
    rma = db.session.get(Return, return_id)
    if rma is not None:
        _sent(services.send_update(rma, "resent", channel=channel))


def mail_ship_by_extended(return_id: int, channel: str = "email") -> None:
    rma = db.session.get(Return, return_id)
    if rma is not None and rma.status == ReturnStatus.AWAITING_SHIPMENT:  # not sent since
        _sent(services.send_update(rma, "extended", channel=channel))


def mail_ship_reminder(return_id: int, channel: str = "email") -> None:
    rma = db.session.get(Return, return_id)
    if rma is not None and rma.status == ReturnStatus.AWAITING_SHIPMENT:  # not sent since
        _sent(services.send_update(rma, "reminder", channel=channel))


def tell_overdue_job() -> str:
    return f"{tell_overdue()} customer(s) told of a late refund"


def _refund_and_return(refund_id: int) -> tuple[Refund, Return] | None:
    refund = db.session.get(Refund, refund_id)
    rma = db.session.get(Return, refund.return_id) if refund and refund.return_id else None
    return (refund, rma) if refund is not None and rma is not None else None


def mail_refund_paid(refund_id: int, channel: str = "email") -> None:
    found = _refund_and_return(refund_id)
    if found is not None:
        _sent(services.send_refund_paid(found[1], found[0], channel=channel))


def mail_refund_denied(refund_id: int, reason: str, channel: str = "email") -> None:
    found = _refund_and_return(refund_id)
    if found is not None:
        _sent(services.send_refund_denied(found[1], found[0], reason, channel=channel))


# Each customer message, by event: its handler's name after the channel's ("mail." for
# e-mail, as the outbox has always named them), the event, and what sends it.
MESSAGES: tuple[tuple[str, type, Callable[..., None]], ...] = (
    ("return_opened", ReturnOpened, mail_return_opened),
    ("return_moved", ReturnMoved, mail_return_moved),
    ("parcel_delivered", ParcelDelivered, mail_parcel_delivered),
    ("refund_overdue", RefundOverdue, mail_refund_overdue),
    ("replacement_shipped", ReplacementShipped, mail_replacement_shipped),
    ("confirmation_resent", ConfirmationResent, mail_confirmation_resent),
    ("ship_by_extended", ShipByExtended, mail_ship_by_extended),
    ("ship_reminder", ShipReminder, mail_ship_reminder),
    ("refund_paid", RefundPaid, mail_refund_paid),
    ("refund_denied", RefundDenied, mail_refund_denied),
)


def init_app(app: Flask) -> None:
    channels.init_app(app)
    for name, event, fn in MESSAGES:
        subscribe(app, event, f"mail.{name}", fn)
        # Every other channel has handlers of its own: one failing is retried alone.
        for code in channels.extra_channels(app):
            subscribe(app, event, f"{code}.{name}", partial(fn, channel=code))
    jobs.register(app, "returns.tell_overdue", tell_overdue_job, every=timedelta(hours=6))
