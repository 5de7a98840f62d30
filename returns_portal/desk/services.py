"""What staff do to a return from the desk. Each action is one function: it checks the
actor's role, refuses what the return's state does not allow (with words for the staff),
records an audit row naming the actor, and commits through events.commit(), so the
customer's mail and any other side effect go out after the change is saved.

Who may do what (admin may do everything):

| action | roles |
| --- | --- |
| read any return, add a note | support, warehouse, finance |
| approve or reject a flagged return | support |
| cancel on the customer's behalf | support |
| resend the confirmation (with the label) | support |
| void the label and issue a new one | support |
| give more days to send the parcel | support |
| accept an expired return late, as goodwill | support |
| let the customer keep the items (returnless refund) | support |

None of them moves money: refunds stay with finance's approval (a returnless refund is
proposed, never approved, here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from returns_portal import policy
from returns_portal.accounts.models import Role
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.receiving.services import intact_findings, return_policy, return_request
from returns_portal.refunds.services import propose_settlement
from returns_portal.returns.events import ConfirmationResent, ShipByExtended
from returns_portal.returns.models import Return, ReturnNote, ReturnStatus
from returns_portal.returns.services import ReturnError, cancel_return, order_context, transition
from returns_portal.returns.states import store_today
from returns_portal.shipping.services import (
    ShippingError,
    create_return_label,
    live_shipment,
    void_return_label,
)
from returns_portal.types import utcnow

READERS = (Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE)
SUPPORT = (Role.SUPPORT,)
MAX_NOTE = 4000
MAX_EXTENSION_DAYS = 60


class DeskError(Exception):
    """An action the desk refuses; the message is for the staff member."""


@dataclass(frozen=True)
class Actor:
    """Who acts, and with which role (a signed-in user's, or the command line's)."""

    name: str  # as audit events name actors: "user:3 support@example.com"
    role: Role


def _allowed(actor: Actor, roles: tuple[Role, ...]) -> None:
    if actor.role != Role.ADMIN and actor.role not in roles:
        raise DeskError(str(_l("Your role can't do that.")))


def _reason(reason: str, what: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise DeskError(
            str(_l("Say why you %(what)s: the customer and the log keep it.", what=what))
        )
    if len(reason) > 500:
        raise DeskError(str(_l("Keep the reason under 500 characters.")))
    return reason


def _check_day(until: date) -> None:
    """A last day to send the parcel support may give: after today, within the bound."""
    today = store_today()
    if until <= today:
        raise DeskError(str(_l("Choose a day after today.")))
    if until > today + timedelta(days=MAX_EXTENSION_DAYS):
        raise DeskError(str(_l("At most %(n)d days from today.", n=MAX_EXTENSION_DAYS)))


def _status(rma: Return) -> ReturnStatus:
    return ReturnStatus(rma.status)


def add_note(rma: Return, actor: Actor, body: str) -> ReturnNote:
    """Add an internal note (never shown to the customer)."""
    _allowed(actor, READERS)
    text = body.strip()
    if not text:
        raise DeskError(str(_l("Write the note first.")))
    if len(text) > MAX_NOTE:
        raise DeskError(str(_l("Keep a note under %(n)d characters.", n=MAX_NOTE)))
    note = ReturnNote(return_id=rma.id, author=actor.name, body=text)
    db.session.add(note)
    record_event(actor.name, "return.note_added", "return", rma.number, after={"note": text})
    events.commit()
    return note


def approve_review(rma: Return, actor: Actor, note: str = "") -> Return:
    """Accept a return our team was checking: the customer may send it (they are mailed
    their label) and the warehouse may receive it. Its refund still waits for finance."""
    _allowed(actor, SUPPORT)
    if _status(rma) is not ReturnStatus.NEEDS_REVIEW:
        raise DeskError(str(_l("Only a return being checked can be approved.")))
    transition(rma, ReturnStatus.AWAITING_SHIPMENT, actor.name, note.strip() or "approved")
    events.commit()
    return rma


def reject_review(rma: Return, actor: Actor, reason: str) -> Return:
    """Refuse a return our team was checking, saying why (the customer reads the reason);
    its label stops working."""
    _allowed(actor, SUPPORT)
    why = _reason(reason, _l("reject it"))
    if _status(rma) is not ReturnStatus.NEEDS_REVIEW:
        raise DeskError(str(_l("Only a return being checked can be rejected.")))
    try:
        void_return_label(rma)
    except ShippingError as exc:
        raise DeskError(str(exc)) from exc
    transition(rma, ReturnStatus.REJECTED, actor.name, why)
    events.commit()
    return rma


def cancel_for_customer(rma: Return, actor: Actor, reason: str) -> Return:
    """Cancel the return as the customer asked (by phone, by mail), saying why."""
    _allowed(actor, SUPPORT)
    why = _reason(reason, _l("cancel it"))
    try:
        cancel_return(rma, actor.name, why)
    except ReturnError as exc:
        raise DeskError(str(exc)) from exc
    return rma


def resend_confirmation(rma: Return, actor: Actor) -> None:
    """Mail the customer their confirmation again, with the label while it still works."""
    _allowed(actor, SUPPORT)
    if _status(rma) in (ReturnStatus.CANCELLED, ReturnStatus.REJECTED, ReturnStatus.EXPIRED):
        raise DeskError(str(_l("This return has ended: there is nothing to resend.")))
    record_event(actor.name, "return.confirmation_resent", "return", rma.number)
    publish(ConfirmationResent(return_id=rma.id))
    events.commit()


def reissue_label(rma: Return, actor: Actor, reason: str) -> Return:
    """Void the return's label and issue a new one (lost, damaged, wrong), then mail it."""
    _allowed(actor, SUPPORT)
    why = _reason(reason, _l("replace the label"))
    if _status(rma) is not ReturnStatus.AWAITING_SHIPMENT:
        raise DeskError(str(_l("Only a return waiting to be sent can get a new label.")))
    old = live_shipment(rma)
    try:
        void_return_label(rma)
        new = create_return_label(rma, rma.order)
    except ShippingError as exc:
        db.session.rollback()
        raise DeskError(str(exc)) from exc
    record_event(
        actor.name, "return.label_reissued", "return", rma.number,
        before={"tracking_number": old.tracking_number if old else None},
        after={"tracking_number": new.tracking_number, "reason": why},
    )  # fmt: skip
    publish(ConfirmationResent(return_id=rma.id))
    events.commit()
    return rma


def extend_ship_by(rma: Return, actor: Actor, until: date, reason: str) -> Return:
    """Give the customer until `until` (the store's day) to send the parcel."""
    _allowed(actor, SUPPORT)
    why = _reason(reason, _l("give more time"))
    if _status(rma) is not ReturnStatus.AWAITING_SHIPMENT:
        raise DeskError(str(_l("Only a return waiting to be sent can get more time.")))
    _check_day(until)
    before = rma.ship_by_extended_to
    rma.ship_by_extended_to = until
    record_event(
        actor.name, "return.ship_by_extended", "return", rma.number,
        before={"until": before.isoformat() if before else None},
        after={"until": until.isoformat(), "reason": why},
    )  # fmt: skip
    publish(ShipByExtended(return_id=rma.id))
    events.commit()
    return rma


def accept_late(rma: Return, actor: Actor, until: date, reason: str) -> Return:
    """Take back an expired return as goodwill: a new label, and until `until` to send it."""
    _allowed(actor, SUPPORT)
    why = _reason(reason, _l("accept it late"))
    if _status(rma) is not ReturnStatus.EXPIRED:
        raise DeskError(str(_l("Only an expired return can be accepted late.")))
    if any(item.resolution == "exchange" for item in rma.items):
        # Its new item's stock went back when it expired: a new return holds it again.
        raise DeskError(
            str(_l("An exchange can't be accepted late: its new item is no longer held. "
                   "Help the customer open a new return instead."))
        )  # fmt: skip
    _check_day(until)
    try:
        create_return_label(rma, rma.order)
    except ShippingError as exc:
        db.session.rollback()
        raise DeskError(str(exc)) from exc
    rma.ship_by_extended_to = until
    transition(rma, ReturnStatus.AWAITING_SHIPMENT, actor.name, f"goodwill: {why}")
    record_event(
        actor.name, "return.accepted_late", "return", rma.number,
        after={"until": until.isoformat(), "reason": why},
    )  # fmt: skip
    publish(ConfirmationResent(return_id=rma.id))
    events.commit()
    return rma


def keep_items(rma: Return, actor: Actor, reason: str) -> Return:
    """Let the customer keep the items (not worth the postage, or a goodwill gesture): the
    label is voided and the refund is proposed as if every item came back intact, for
    finance to approve like any other."""
    _allowed(actor, SUPPORT)
    why = _reason(reason, _l("let the customer keep the items"))
    if _status(rma) is not ReturnStatus.AWAITING_SHIPMENT:
        raise DeskError(str(_l("Only a return waiting to be sent can become returnless.")))
    try:
        void_return_label(rma)
    except ShippingError as exc:
        raise DeskError(str(exc)) from exc
    rma.returnless = True
    record_event(actor.name, "return.returnless", "return", rma.number, after={"reason": why})
    transition(rma, ReturnStatus.RECEIVED, actor.name, "kept by the customer")
    evaluation = policy.evaluate(
        # The abuse rules count as when the return was opened, as at an inspection.
        order_context(rma.order, decided=rma).facts,
        return_request(rma),
        return_policy(rma),
        intact_findings(rma, utcnow()),
    )
    transition(rma, ReturnStatus.INSPECTED, actor.name, "kept by the customer")
    refunds = propose_settlement(rma, evaluation.to_dict())
    record_event(
        actor.name, "refund.proposed", "return", rma.number,
        after={"refunds": {r.key: {"method": r.method, "amount": r.amount} for r in refunds},
               "returnless": True},
    )  # fmt: skip
    events.commit()  # no auto-approval: finance decides on money nobody has checked
    return rma


def notes_of(rma: Return) -> list[ReturnNote]:
    return list(
        db.session.scalars(
            select(ReturnNote).where(ReturnNote.return_id == rma.id).order_by(ReturnNote.id)
        )
    )
