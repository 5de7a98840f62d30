"""Customer e-mails as event handlers: each runs after its change is committed, and again
later when the mail server refused it."""

from __future__ import annotations

from flask import Flask

from returns_portal.events.services import RetryLater, subscribe
from returns_portal.extensions import db
from returns_portal.notifications import services
from returns_portal.refunds.events import RefundDenied, RefundPaid
from returns_portal.refunds.models import Refund
from returns_portal.returns.events import ReturnOpened
from returns_portal.returns.models import Return


def _sent(ok: bool) -> None:
    if not ok:
        raise RetryLater("the mail server refused the message")


def mail_return_opened(return_id: int) -> None:
    rma = db.session.get(Return, return_id)
    if rma is not None:
        _sent(services.send_return_confirmation(rma))


def _refund_and_return(refund_id: int) -> tuple[Refund, Return] | None:
    refund = db.session.get(Refund, refund_id)
    rma = db.session.get(Return, refund.return_id) if refund and refund.return_id else None
    return (refund, rma) if refund is not None and rma is not None else None


def mail_refund_paid(refund_id: int) -> None:
    found = _refund_and_return(refund_id)
    if found is not None:
        _sent(services.send_refund_paid(found[1], found[0]))


def mail_refund_denied(refund_id: int, reason: str) -> None:
    found = _refund_and_return(refund_id)
    if found is not None:
        _sent(services.send_refund_denied(found[1], found[0], reason))


def init_app(app: Flask) -> None:
    subscribe(app, ReturnOpened, "mail.return_opened", mail_return_opened)
    subscribe(app, RefundPaid, "mail.refund_paid", mail_refund_paid)
    subscribe(app, RefundDenied, "mail.refund_denied", mail_refund_denied)
