"""Replacement orders: the new items of an exchange, handed to the shop's fulfilment and
shipped.

A return's exchanged items become one replacement order once the return is received, or
already while it awaits shipment when the policy it was decided under says so
(`resolutions.ship_exchanges_before_receipt`). Created means handed to fulfilment: the units
reserved when the customer confirmed leave the stock then (on_hand and reserved both drop by
them). When they are not on hand (the shop's count fell below what was held) the order waits,
pending, and is handed over by `hand_over_waiting` once they are.

A return that comes to nothing (cancelled, rejected, expired) takes its exchange back with
it: the reservation is released, or the units handed over go back on hand and the
replacement is cancelled. A replacement already shipped can't be called back: that is
recorded for the staff to follow up, and a customer can't cancel such a return themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from returns_portal import policy
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.refunds.snapshots import estimate_of
from returns_portal.returns.events import ReplacementShipped
from returns_portal.returns.models import (
    ReplacementLine,
    ReplacementOrder,
    ReplacementStatus,
    Return,
    ReturnItem,
    ReturnStatus,
)
from returns_portal.store.models import PolicyVersion
from returns_portal.store.services import active_policy
from returns_portal.types import utcnow

VOID = frozenset({ReturnStatus.CANCELLED, ReturnStatus.REJECTED, ReturnStatus.EXPIRED})
# The parcel is in (or was, and the return went on): the replacement is due.
RECEIVED_OR_LATER = frozenset(
    {ReturnStatus.RECEIVED, ReturnStatus.INSPECTED, ReturnStatus.RESOLVED, ReturnStatus.CLOSED}
)
# The customer has their label: the replacement is due here only if it ships before receipt.
ON_ITS_WAY = frozenset({ReturnStatus.AWAITING_SHIPMENT, ReturnStatus.IN_TRANSIT})
WAITING = (ReplacementStatus.PENDING.value, ReplacementStatus.HANDED_TO_FULFILMENT.value)


class ReplacementError(Exception):
    """A replacement action the portal refuses; the message is for the staff."""


def replacement_for(rma: Return) -> ReplacementOrder | None:
    """Return the return's replacement order, if it has one (any status)."""
    return db.session.scalar(select(ReplacementOrder).where(ReplacementOrder.return_id == rma.id))


def replacement_shipped(rma: Return) -> bool:
    """Whether the return's new items were sent to the customer already."""
    return (
        db.session.scalar(
            select(ReplacementOrder.id).where(
                ReplacementOrder.return_id == rma.id,
                ReplacementOrder.status == ReplacementStatus.SHIPPED.value,
            )
        )
        is not None
    )


def waiting_replacements() -> list[ReplacementOrder]:
    """Return the replacement orders not shipped yet (pending or handed over), oldest first."""
    return list(
        db.session.scalars(
            select(ReplacementOrder)
            .where(ReplacementOrder.status.in_(WAITING))
            .order_by(ReplacementOrder.created_at, ReplacementOrder.id)
        )
    )


def _exchanged(rma: Return) -> list[ReturnItem]:
    return [i for i in rma.items if i.resolution == policy.Resolution.EXCHANGE and i.exchange_sku]


def ships_before_receipt(rma: Return) -> bool:
    """Whether the policy the return was decided under sends the new items before the
    parcel is in (each return keeps its version: a later policy changes no promise)."""
    version = (
        db.session.get(PolicyVersion, rma.policy_version_id) if rma.policy_version_id else None
    )
    rules = (
        policy.load_policy(version.document, version=version.version)
        if version is not None
        else active_policy()
    )
    return rules.ship_exchanges_before_receipt


def replacement_due(rma: Return) -> bool:
    """Whether the return's exchanges should have their replacement order by now."""
    if not _exchanged(rma):
        return False
    status = ReturnStatus(rma.status)
    if status in RECEIVED_OR_LATER:
        return True
    return status in ON_ITS_WAY and ships_before_receipt(rma)


def _unit_price(rma: Return, item: ReturnItem) -> int:
    """What one new unit costs the customer: the price kept when they chose it, or (a
    variant of the same product) what they paid for the unit they send back."""
    if item.exchange_unit_price is not None:
        return item.exchange_unit_price
    ref = item.line.line_ref
    line = next((x for x in estimate_of(rma.estimate).refund.lines if x.line_id == ref), None)
    if line is None or not line.quantity:
        return 0
    # Rounded down to the minor unit: the settlement itself prices the units as a whole.
    return line.value // line.quantity


def create_replacement(return_id: int) -> ReplacementOrder | None:
    """Create the return's replacement order and hand it to fulfilment, once.

    Returns the replacement (the one made before, if any), or None when the return has no
    exchange or is not that far yet. Safe to call again and again: outbox rows can be
    delivered twice.
    """
    # The return's row lock orders this against a concurrent delivery and against the
    # return being cancelled meanwhile (void_exchange takes it too).
    rma = db.session.scalar(select(Return).where(Return.id == return_id).with_for_update())
    if rma is None or not replacement_due(rma):
        db.session.commit()
        return None
    existing = replacement_for(rma)
    if existing is not None:
        db.session.commit()
        return existing
    currency = rma.order.currency
    replacement = ReplacementOrder(
        return_id=rma.id,
        status=ReplacementStatus.PENDING.value,
        lines=[
            ReplacementLine(
                return_item_id=item.id,
                sku=item.exchange_sku,
                quantity=item.quantity,
                unit_price=_unit_price(rma, item),
                currency=currency,
            )
            for item in _exchanged(rma)
        ],
    )
    db.session.add(replacement)
    try:
        db.session.flush()
    except IntegrityError:
        # A second delivery got here first (the lock is a no-op on SQLite): keep its order.
        db.session.rollback()
        rma = db.session.get(Return, return_id)
        return replacement_for(rma) if rma is not None else None
    record_event(
        "system", "replacement.created", "return", rma.number,
        after={"lines": [_line_fact(line) for line in replacement.lines]},
    )  # fmt: skip
    _hand_over(replacement, rma, first_try=True)
    events.commit()
    return replacement


def _line_fact(line: ReplacementLine) -> dict[str, object]:
    return {"sku": line.sku, "quantity": line.quantity, "unit_price": line.unit_price,
            "currency": line.currency}  # fmt: skip


def _locked_stock(skus: set[str]) -> dict[str, StockLevel]:
    rows = db.session.scalars(
        select(StockLevel).where(StockLevel.sku.in_(sorted(skus))).with_for_update()
    )
    return {row.sku: row for row in rows}


def _hand_over(replacement: ReplacementOrder, rma: Return, first_try: bool = False) -> bool:
    """Move the reserved units out of stock and hand the order to fulfilment; False (and
    the order stays pending) when they are not on hand. Not committed."""
    wanted = Counter[str]()
    for line in replacement.lines:
        wanted[line.sku] += line.quantity
    stock = _locked_stock(set(wanted))
    short = {
        sku: {"wanted": units, "on_hand": stock[sku].on_hand if sku in stock else 0}
        for sku, units in wanted.items()
        if sku not in stock or stock[sku].on_hand < units
    }
    if short:
        if first_try:  # said once; the retries only try again
            record_event(
                "system", "replacement.waiting_for_stock", "return", rma.number,
                after={"short": short},
            )  # fmt: skip
        return False
    for sku, units in wanted.items():
        stock[sku].on_hand -= units
        # The reservation made when the customer confirmed becomes this stock movement.
        stock[sku].reserved = max(0, stock[sku].reserved - units)
    replacement.status = ReplacementStatus.HANDED_TO_FULFILMENT.value
    replacement.handed_over_at = utcnow()
    record_event(
        "system", "replacement.handed_to_fulfilment", "return", rma.number,
        before={"status": ReplacementStatus.PENDING.value},
        after={"status": replacement.status, "lines": [_line_fact(x) for x in replacement.lines]},
    )  # fmt: skip
    return True


# The statuses the hand-over sweep looks for a missing replacement in: received and still
# open. (A closed return from before replacement orders existed was settled by hand.)
SWEPT = (ReturnStatus.RECEIVED.value, ReturnStatus.INSPECTED.value, ReturnStatus.RESOLVED.value)


def missing_replacements(limit: int) -> list[int]:
    """Return ids of received returns with an exchange but no replacement order yet."""
    has_order = select(ReplacementOrder.id).where(ReplacementOrder.return_id == Return.id)
    exchanged = select(ReturnItem.id).where(
        ReturnItem.return_id == Return.id,
        ReturnItem.resolution == policy.Resolution.EXCHANGE.value,
        ReturnItem.exchange_sku.is_not(None),
    )
    return list(
        db.session.scalars(
            select(Return.id)
            .where(Return.status.in_(SWEPT), exchanged.exists(), ~has_order.exists())
            .order_by(Return.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class HandOver:
    created: int  # replacement orders made for returns that had none
    handed: int  # pending ones handed to fulfilment now that their units are on hand
    waiting: int  # still pending for want of stock


def hand_over_waiting(limit: int = 500) -> HandOver:
    """Create the replacement orders that are due but missing (an event lost, or a return
    received before replacement orders existed), then hand over every pending one whose
    units are on hand now. At most `limit` of each per run."""
    created = 0
    for return_id in missing_replacements(limit):
        created += create_replacement(return_id) is not None
    pending = db.session.scalars(
        select(ReplacementOrder.id)
        .where(ReplacementOrder.status == ReplacementStatus.PENDING.value)
        .order_by(ReplacementOrder.id)
        .limit(limit)
    ).all()
    db.session.commit()
    handed = waiting = 0
    for replacement_id in pending:
        replacement = db.session.scalar(
            select(ReplacementOrder).where(ReplacementOrder.id == replacement_id).with_for_update()
        )
        if replacement is None or replacement.status != ReplacementStatus.PENDING:
            db.session.commit()
            continue
        if _hand_over(replacement, replacement.rma):
            handed += 1
        else:
            waiting += 1
        events.commit()
    return HandOver(created, handed, waiting)


def ship_replacement(
    rma: Return, carrier: str, tracking_number: str, actor: str, at: datetime | None = None
) -> ReplacementOrder:
    """Record that fulfilment shipped the return's replacement; publish ReplacementShipped.

    Recording the same shipment again changes nothing (and tells nobody again); another
    carrier or tracking number for a shipped replacement is refused.
    """
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier or not tracking_number:
        raise ReplacementError("A shipment needs its carrier and its tracking number.")
    replacement = db.session.scalar(
        select(ReplacementOrder).where(ReplacementOrder.return_id == rma.id).with_for_update()
    )
    if replacement is None:
        db.session.rollback()
        raise ReplacementError(f"Return {rma.number} has no replacement order.")
    status = ReplacementStatus(replacement.status)
    if status is ReplacementStatus.SHIPPED:
        db.session.rollback()
        if (replacement.carrier, replacement.tracking_number) == (carrier, tracking_number):
            return replacement
        raise ReplacementError(
            f"The replacement for {rma.number} was shipped already with {replacement.carrier}, "
            f"tracking number {replacement.tracking_number}."
        )
    if status is not ReplacementStatus.HANDED_TO_FULFILMENT:
        db.session.rollback()
        why = "is waiting for stock" if status is ReplacementStatus.PENDING else "was cancelled"
        raise ReplacementError(f"The replacement for {rma.number} {why}: it can't ship.")
    replacement.status = ReplacementStatus.SHIPPED.value
    replacement.carrier, replacement.tracking_number = carrier, tracking_number
    replacement.shipped_at = at or utcnow()
    record_event(
        actor, "replacement.shipped", "return", rma.number,
        before={"status": status.value},
        after={"status": replacement.status, "carrier": carrier,
               "tracking_number": tracking_number},
    )  # fmt: skip
    publish(ReplacementShipped(return_id=rma.id))  # the customer's mail, after commit
    events.commit()
    return replacement


def _release(rma: Return) -> None:
    """Give back the exchange stock the return holds (reserved when it was confirmed)."""
    wanted = Counter[str]()
    for item in _exchanged(rma):
        wanted[item.exchange_sku or ""] += item.quantity
    for sku, stock in _locked_stock(set(wanted)).items():
        stock.reserved = max(0, stock.reserved - wanted[sku])


def void_exchange(rma: Return, to: ReturnStatus, actor: str) -> None:
    """Take back what the return's exchanges hold now that it comes to nothing (`to`):
    release the reservation, or cancel a replacement not shipped and put its units back
    on hand. A shipped replacement stays shipped; it is recorded for the staff. Not
    committed: part of the return's transition."""
    # Waits for a replacement being created right now (create_replacement holds the lock).
    db.session.execute(select(Return.id).where(Return.id == rma.id).with_for_update())
    replacement = db.session.scalar(
        select(ReplacementOrder).where(ReplacementOrder.return_id == rma.id).with_for_update()
    )
    status = ReplacementStatus(replacement.status) if replacement else None
    if replacement is None or status is ReplacementStatus.PENDING:
        _release(rma)
    elif status is ReplacementStatus.HANDED_TO_FULFILMENT:
        # Fulfilment has not shipped it: the units go back where they were taken from.
        for sku, stock in _locked_stock({line.sku for line in replacement.lines}).items():
            stock.on_hand += sum(x.quantity for x in replacement.lines if x.sku == sku)
    if replacement is None or status is ReplacementStatus.CANCELLED:
        return
    if status is ReplacementStatus.SHIPPED:
        # It can't be called back: the customer has the new item and the return is void.
        record_event(
            actor, "replacement.shipped_for_void_return", "return", rma.number,
            after={"return_status": to.value, "carrier": replacement.carrier,
                   "tracking_number": replacement.tracking_number},
        )  # fmt: skip
        return
    replacement.status = ReplacementStatus.CANCELLED.value
    replacement.cancelled_at = utcnow()
    record_event(
        actor, "replacement.cancelled", "return", rma.number,
        before={"status": status.value if status else None},
        after={"status": replacement.status, "return_status": to.value},
    )  # fmt: skip
