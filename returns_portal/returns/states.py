"""The customer's state table (docs/customer-states.md): which row a return is in, and the
facts its page and every customer mail show about it.

Each row answers four questions: the status in plain words, the one next step for the
customer (or that there is nothing to do), what happens to the money and when, and the
items. This module decides the row and gathers the facts; the words are the macros of
templates/returns/_state.txt, which the return page and the mails both render. Nothing
else decides what a customer is told about a return.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.policy import Reason
from returns_portal.receiving.services import proposed_refund, refund_due_by, return_policy
from returns_portal.refunds.services import MoneyPart, customer_money
from returns_portal.refunds.snapshots import RefundSnapshot, breakdown_of, estimate_of
from returns_portal.returns.models import ReplacementStatus, Return, ReturnStatus
from returns_portal.returns.services.replacements import replacement_for
from returns_portal.shipping.models import Shipment
from returns_portal.shipping.services import live_shipment
from returns_portal.store.identity import store_timezone
from returns_portal.types import utcnow

EXPIRING_WITHIN_DAYS = 2  # "label expiring soon" this many days before the date to send it
UNSETTLED = frozenset({"estimate", "proposed", "approved", "submitted", "failed"})
IN_HAND = frozenset({ReturnStatus.RECEIVED, ReturnStatus.INSPECTED, ReturnStatus.RESOLVED,
                     ReturnStatus.CLOSED})  # fmt: skip


class Row(StrEnum):
    """A row of the state table, in the order a return usually meets them."""

    NEEDS_REVIEW = "needs_review"
    AWAITING_SHIPMENT = "awaiting_shipment"
    LABEL_EXPIRING = "label_expiring"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUND_APPROVED = "refund_approved"
    REFUND_OVERDUE = "refund_overdue"
    PAID_TO_CARD = "paid_to_card"
    STORE_CREDIT_ISSUED = "store_credit_issued"
    EXCHANGE_PREPARING = "exchange_preparing"
    EXCHANGE_ON_ITS_WAY = "exchange_on_its_way"
    PARTLY_REFUNDED = "partly_refunded"
    REFUND_DENIED = "refund_denied"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ItemFact:
    """One returned line as the customer sees it."""

    name: str
    variant: str | None
    quantity: int
    reason: str  # reason code
    resolution: str
    exchange_for: str | None  # the new item's name and variant
    refund: int | None  # what the line brings back once checked (None: not decided yet)
    denied: bool  # checked, and nothing comes back for it
    deductions: list[tuple[int, Reason]]  # what was taken off this line, and why


@dataclass(frozen=True)
class Replacement:
    """The new item of an exchange, once the shop has it."""

    shipped: bool
    carrier: str | None
    tracking_number: str | None


@dataclass(frozen=True)
class CustomerState:
    row: Row
    number: str
    method: str  # label | qr_dropoff
    pack: str | None
    currency: str
    parts: list[MoneyPart]  # the money, each part with its status
    due_by: date | None  # when the refund is due, if known
    ship_by: date | None  # the last day to send the parcel, if the policy sets one
    today: date  # in the store's time zone
    reason: str  # why it was rejected, if it was
    items: list[ItemFact]
    exchange_only: bool  # every item is exchanged: the mails never speak of a refund
    returnless: bool  # the customer keeps the items (refunded without sending them back)
    replacement: Replacement | None

    @property
    def money_due(self) -> bool:
        """Money still comes back to the customer (not yet paid or denied)."""
        return any(
            p.status in UNSETTLED and p.method != "exchange_charge" and p.amount > 0
            for p in self.parts
        )

    @property
    def even(self) -> bool:
        """No money moves at all (an exchange for something of the same price)."""
        return all(p.amount == 0 for p in self.parts)

    @property
    def days_to_ship(self) -> int | None:
        return None if self.ship_by is None else (self.ship_by - self.today).days


def store_today() -> date:
    """Today in the store's time zone."""
    return utcnow().astimezone(ZoneInfo(store_timezone())).date()


def customer_state(rma: Return) -> CustomerState:
    """Return the row of the state table the return is in, with its facts."""
    today = store_today()
    parts = customer_money(rma)
    refund = proposed_refund(rma)
    estimate = estimate_of(rma.estimate)
    breakdown = breakdown_of(refund.breakdown).refund if refund else estimate.refund
    items = _items(rma, breakdown if refund else None, estimate.refund)
    due_by = refund_due_by(rma) or breakdown.refund_due_by
    ship_by_day = ship_by(rma)
    exchange_only = bool(rma.items) and all(i.resolution == "exchange" for i in rma.items)
    exchanged = any(i.resolution == "exchange" for i in rma.items)
    state = CustomerState(
        row=Row.AWAITING_SHIPMENT,
        number=rma.number,
        method=rma.method,
        pack=estimate.pack,
        currency=breakdown.currency or rma.order.currency,
        parts=parts,
        due_by=due_by,
        ship_by=ship_by_day,
        today=today,
        reason=(rma.status_reason or "") if rma.status == ReturnStatus.REJECTED else "",
        items=items,
        exchange_only=exchange_only,
        returnless=rma.returnless,
        replacement=_replacement(rma) if exchanged else None,
    )
    return replace(state, row=_row(rma, state))


def _row(rma: Return, state: CustomerState) -> Row:
    status = ReturnStatus(rma.status)
    if status in (ReturnStatus.CANCELLED, ReturnStatus.EXPIRED, ReturnStatus.REJECTED):
        return Row(status.value)
    if status is ReturnStatus.NEEDS_REVIEW:
        return Row.NEEDS_REVIEW
    if status in (ReturnStatus.REQUESTED, ReturnStatus.AWAITING_SHIPMENT):
        days = state.days_to_ship
        expiring = days is not None and days <= EXPIRING_WITHIN_DAYS
        return Row.LABEL_EXPIRING if expiring else Row.AWAITING_SHIPMENT
    if status is ReturnStatus.IN_TRANSIT:
        return Row.DELIVERED if _last_scan(rma) == "delivered" else Row.IN_TRANSIT
    if state.money_due and state.due_by is not None and state.due_by < state.today:
        return Row.REFUND_OVERDUE
    if status is ReturnStatus.RECEIVED:
        return Row.RECEIVED
    return _settled_row(state)


def _settled_row(state: CustomerState) -> Row:
    """The row of a checked return, by what became of its money."""
    parts = [p for p in state.parts if p.method != "exchange_charge"] or state.parts
    if parts and all(p.status == "cancelled" for p in parts):
        return Row.REFUND_DENIED
    if any(p.status in ("estimate", "proposed") for p in parts):
        return Row.INSPECTED
    if any(p.status in UNSETTLED for p in parts):
        return Row.REFUND_APPROVED
    if any(p.status == "cancelled" for p in parts) or any(i.denied for i in state.items):
        return Row.PARTLY_REFUNDED
    if any(i.resolution == "exchange" for i in state.items):
        shipped = state.replacement is not None and state.replacement.shipped
        return Row.EXCHANGE_ON_ITS_WAY if shipped else Row.EXCHANGE_PREPARING
    card = any(p.method == "original_payment" and p.amount > 0 for p in parts)
    credit = any(p.method == "store_credit" for p in parts)
    return Row.STORE_CREDIT_ISSUED if credit and not card else Row.PAID_TO_CARD


def _items(
    rma: Return, checked: RefundSnapshot | None, estimated: RefundSnapshot
) -> list[ItemFact]:
    skus = {item.exchange_sku for item in rma.items if item.exchange_sku}
    stock = {
        s.sku: s
        for s in (
            db.session.scalars(select(StockLevel).where(StockLevel.sku.in_(skus))) if skus else []
        )
    }
    lines = {line.line_id: line for line in checked.lines} if checked else {}
    asked = {line.line_id: line.value for line in estimated.lines}
    found = []
    for item in rma.items:
        ref = item.line.line_ref
        new = stock.get(item.exchange_sku or "")
        taken = [(d.amount, d.reason.reason()) for d in (checked.deductions if checked else [])
                 if d.line_id == ref and d.amount]  # fmt: skip
        value = lines[ref].value if ref in lines else None
        refund = None if value is None else max(0, value - sum(a for a, _ in taken))
        found.append(
            ItemFact(
                name=item.line.product_name,
                variant=item.line.variant,
                quantity=item.quantity,
                reason=item.reason,
                resolution=item.resolution,
                exchange_for=(
                    " · ".join(x for x in (new.name, new.variant) if x)
                    if new
                    else item.exchange_sku
                ),
                refund=refund,
                # An exchanged line brings no money back by design: not a denial.
                denied=refund == 0 and asked.get(ref, 0) > 0 and item.resolution != "exchange",
                deductions=taken,
            )
        )
    return found


def _replacement(rma: Return) -> Replacement | None:
    order = replacement_for(rma)
    if order is None or order.status == ReplacementStatus.CANCELLED:
        return None
    return Replacement(
        shipped=order.status == ReplacementStatus.SHIPPED,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
    )


def ship_by(rma: Return) -> date | None:
    """The last day to send the parcel: the policy's, or the later day support gave."""
    days = return_policy(rma).ship_within_days
    extended = rma.ship_by_extended_to
    if days is None:
        return extended
    zone = ZoneInfo(store_timezone())
    policy_day = rma.requested_at.astimezone(zone).date() + timedelta(days=days)
    return max(policy_day, extended) if extended else policy_day


def _last_scan(rma: Return) -> str | None:
    shipment: Shipment | None = live_shipment(rma)
    if shipment is None or not shipment.events:
        return None
    return max(shipment.events, key=lambda e: e.occurred_at).code


def was_reviewed(rma: Return) -> bool:
    """The return went to our team before it was accepted."""
    return (
        db.session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.entity_type == "return",
                AuditEvent.entity_id == rma.number,
                AuditEvent.action == "return.needs_review",
            )
            .limit(1)
        )
        is not None
    )
