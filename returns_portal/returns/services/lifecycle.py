"""A return's life once confirmed: open it (with its label), move it through its
statuses, cancel it, and tell what happened to it."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from returns_portal.audit.models import AuditEvent
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.orders.models import Order, OrderLine, StockLevel
from returns_portal.refunds.snapshots import to_store
from returns_portal.returns.events import ReturnMoved, ReturnOpened
from returns_portal.returns.models import Return, ReturnItem, ReturnStatus
from returns_portal.returns.services.draft import (
    Draft,
    ExchangeNotOffered,
    OrderContext,
    estimate,
    exchange_unit_price,
    order_context,
)
from returns_portal.returns.services.replacements import (
    VOID,
    replacement_shipped,
    void_exchange,
)
from returns_portal.shipping.models import Shipment
from returns_portal.shipping.services import ShippingError, create_return_label, void_return_label
from returns_portal.store.models import PolicyVersion
from returns_portal.store.services import (
    active_policy_version,
)
from returns_portal.types import utcnow


class ReturnError(Exception):
    """A request the portal refuses; the message is for the customer."""


class IllegalTransition(ReturnError):
    """A status change the lifecycle does not allow."""


# No 0/O, 1/I/L or U/V look-alikes: the number is read aloud and typed from paper.
RMA_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"


# Every legal status change; anything else is an error, never a silent no-op.
TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset(
        {ReturnStatus.AWAITING_SHIPMENT, ReturnStatus.NEEDS_REVIEW, ReturnStatus.CANCELLED}
    ),
    ReturnStatus.NEEDS_REVIEW: frozenset(
        {ReturnStatus.AWAITING_SHIPMENT, ReturnStatus.REJECTED, ReturnStatus.CANCELLED}
    ),
    ReturnStatus.AWAITING_SHIPMENT: frozenset(
        {
            ReturnStatus.IN_TRANSIT,
            ReturnStatus.RECEIVED,
            ReturnStatus.CANCELLED,
            ReturnStatus.EXPIRED,
        }
    ),
    ReturnStatus.IN_TRANSIT: frozenset({ReturnStatus.RECEIVED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.INSPECTED}),
    ReturnStatus.INSPECTED: frozenset({ReturnStatus.RESOLVED, ReturnStatus.REJECTED}),
    ReturnStatus.RESOLVED: frozenset({ReturnStatus.CLOSED}),
    # Support may take an expired return back as goodwill, with a new label.
    ReturnStatus.EXPIRED: frozenset({ReturnStatus.AWAITING_SHIPMENT}),
}


CANCELLABLE = frozenset(
    {ReturnStatus.REQUESTED, ReturnStatus.NEEDS_REVIEW, ReturnStatus.AWAITING_SHIPMENT}
)


# --- opening, following and cancelling ------------------------------------------------------


def new_rma_number() -> str:
    """Return a fresh RMA number such as R-7K3M-Q9 (unique: checked, and enforced by the index)."""
    for _attempt in range(20):
        chars = "".join(secrets.choice(RMA_ALPHABET) for _ in range(6))
        number = f"R-{chars[:4]}-{chars[4:]}"
        if db.session.scalar(select(Return.id).where(Return.number == number)) is None:
            return number
    raise RuntimeError("could not find a free RMA number")  # 29**6 numbers: practically never


def transition(rma: Return, to: ReturnStatus, actor: str, reason: str | None = None) -> None:
    """Move a return to status `to`, or raise IllegalTransition; audited."""
    current = ReturnStatus(rma.status)
    if to not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(
            _l("A return that is %(now)s cannot become %(then)s.", now=current.value, then=to.value)
        )
    if to in VOID:
        void_exchange(rma, to, actor)  # the exchange stock it holds goes back
    rma.status = to.value
    rma.status_reason = reason
    record_event(
        actor, f"return.{to.value}", "return", rma.number,
        before={"status": current.value}, after={"status": to.value, "reason": reason},
    )  # fmt: skip
    db.session.flush()  # a new return gets its id
    # Dispatched by the caller's events.commit(): mails, replacement orders, webhooks.
    publish(ReturnMoved(return_id=rma.id, status=to.value))


def find_by_token(token: str) -> Return | None:
    """Return the return a confirm form with this token already created."""
    return db.session.scalar(select(Return).where(Return.client_token == token))


def open_return(
    context: OrderContext,
    draft: Draft,
    label_cost: int | None,
    locale: str,
    at: datetime | None = None,
) -> Return:
    """Create the return the customer confirmed, decided again here, with its label.

    Confirming the same draft twice returns the first return.
    """
    existing = find_by_token(draft.token)
    if existing is not None:
        return existing
    at = at or utcnow()
    # Lock the order: two tabs confirming returns of the same line cannot both take it.
    db.session.execute(select(Order.id).where(Order.id == context.order.id).with_for_update())
    context = order_context(context.order)  # units returned meanwhile count
    evaluation = estimate(context, draft, at, label_cost)
    refused = [d.line_id for d in evaluation.decisions if not d.eligible]
    if not draft.items:
        raise ReturnError(_l("Choose at least one item to return."))
    if refused:
        raise ReturnError(_l("Some items can no longer be returned. Please review your choice."))
    version = active_policy_version()
    lines = {line.line_ref: line for line in context.order.lines}
    rma = Return(
        number=new_rma_number(),
        order_id=context.order.id,
        status=ReturnStatus.REQUESTED.value,
        policy_version_id=version.id if isinstance(version, PolicyVersion) else None,
        method=draft.method,
        locale=locale,
        needs_review=evaluation.needs_review,
        estimate=to_store(evaluation.to_dict()),
        requested_at=at,
        client_token=draft.token,
        carrier=draft.carrier,
        service=draft.service,
    )
    for item in draft.items:
        line = lines[item.line_id]
        price = _reserve(line, item.exchange_sku, item.quantity) if item.exchange_sku else None
        rma.items.append(
            ReturnItem(
                order_line_id=line.id,
                quantity=item.quantity,
                reason=item.reason,
                reason_note=item.note,
                resolution=item.resolution,
                exchange_sku=item.exchange_sku,
                exchange_unit_price=price,
                photos=list(item.photos),
            )
        )
    db.session.add(rma)
    db.session.flush()
    record_event(
        "customer", "return.requested", "return", rma.number,
        after={"order": context.order.number, "items": [asdict(i) for i in draft.items],
               "refund_total": evaluation.refund.total},
    )  # fmt: skip
    if evaluation.needs_review:
        transition(rma, ReturnStatus.NEEDS_REVIEW, "policy", "needs_review")
    else:
        transition(rma, ReturnStatus.AWAITING_SHIPMENT, "policy")
    try:
        create_return_label(rma, context.order)
    except ShippingError as exc:
        raise ReturnError(str(exc)) from exc
    publish(ReturnOpened(return_id=rma.id))  # the confirmation mail, after commit
    try:
        events.commit()
    except IntegrityError:
        # Two confirms of one draft raced past the token check: the first one won.
        db.session.rollback()
        winner = find_by_token(draft.token)
        if winner is None:
            raise
        return winner
    return rma


def _reserve(line: OrderLine, sku: str, quantity: int) -> int | None:
    """Hold exchange stock; return the new item's unit price, which the exchange is settled
    at (None: at what was paid for the returned unit, see draft.exchange_unit_price)."""
    stock = db.session.scalar(select(StockLevel).where(StockLevel.sku == sku).with_for_update())
    if stock is None or stock.available < quantity:
        raise ReturnError(_l("Sorry, the item you chose for the exchange has just sold out."))
    try:
        price = exchange_unit_price(line, stock)
    except ExchangeNotOffered as exc:
        raise ReturnError(
            _l("Sorry, the item you chose can't be offered as an exchange for this order.")
        ) from exc
    stock.reserved += quantity
    return price


def can_cancel(rma: Return) -> bool:
    """Whether the customer may still cancel: the parcel has not left, and no new item of
    an exchange was sent ahead of it (that one is theirs only against the returned one)."""
    return ReturnStatus(rma.status) in CANCELLABLE and not replacement_shipped(rma)


def cancel_return(rma: Return, actor: str = "customer", reason: str | None = None) -> Return:
    """Cancel a return that has not shipped: void its label and release exchange stock."""
    if ReturnStatus(rma.status) not in CANCELLABLE:
        raise ReturnError(_l("This return is on its way and can no longer be cancelled."))
    if replacement_shipped(rma):
        raise ReturnError(
            _l("Your new item has been sent, so this return can no longer be cancelled: "
               "please send back the item you are returning.")
        )  # fmt: skip
    try:
        void_return_label(rma)  # refused if the carrier already has the parcel
    except ShippingError as exc:
        raise ReturnError(str(exc)) from exc
    transition(rma, ReturnStatus.CANCELLED, actor, reason)  # releases the exchange stock
    events.commit()
    return rma


def load_return(number: str) -> Return | None:
    """Return the return with this number, or None."""
    return db.session.scalar(select(Return).where(Return.number == number.strip().upper()))


def shipments_of(rma: Return) -> list[Shipment]:
    """Return the return's shipments, newest first."""
    return list(
        db.session.scalars(
            select(Shipment).where(Shipment.return_id == rma.id).order_by(Shipment.id.desc())
        )
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    code: str  # return.requested, return.awaiting_shipment, carrier:<code>, …
    detail: str = ""


def timeline(rma: Return) -> list[TimelineEntry]:
    """Return what happened to the return, oldest first: status changes and carrier scans."""
    entries = [
        TimelineEntry(event.occurred_at, event.action)
        for event in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "return", AuditEvent.entity_id == rma.number)
            .order_by(AuditEvent.id)
        )
    ]
    for shipment in shipments_of(rma):
        for event in shipment.events:
            entries.append(
                TimelineEntry(event.occurred_at, f"carrier:{event.code}", event.description)
            )
    return sorted(entries, key=lambda entry: entry.at)
