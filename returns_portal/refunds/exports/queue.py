"""The approval queue: refunds filtered by status, method, amount and dates, with totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from returns_portal.extensions import db
from returns_portal.orders.models import Order
from returns_portal.refunds.exports.amounts import amount_bound
from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.refunds.services import approvals_needed
from returns_portal.returns.models import Return
from returns_portal.types import utcnow

QUEUE_DEFAULT = (RefundStatus.PROPOSED.value, RefundStatus.FAILED.value)
QUEUE_LIMIT = 500  # rows on one page; the totals always cover the whole filtered set
METHODS = ("original_payment", "store_credit", "exchange_charge")


@dataclass(frozen=True)
class QueueFilter:
    """What the finance user asked to see; amounts are major units of each refund's currency."""

    statuses: tuple[str, ...] = QUEUE_DEFAULT
    older_than_days: int | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    method: str | None = None
    ids: tuple[int, ...] | None = None

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.statuses:
            found.append(Refund.status.in_(self.statuses))
        if self.older_than_days is not None:
            found.append(Refund.created_at <= now - timedelta(days=self.older_than_days))
        if self.min_amount is not None:
            found.append(amount_bound(self.min_amount, lower=True))
        if self.max_amount is not None:
            found.append(amount_bound(self.max_amount, lower=False))
        if self.method:
            found.append(Refund.method == self.method)
        if self.ids is not None:
            found.append(Refund.id.in_(self.ids))
        return found


@dataclass(frozen=True)
class QueueRow:
    """One refund as the queue shows it."""

    refund: Refund
    return_number: str | None
    order_number: str
    email: str
    age_days: int
    approvals: int
    needed: int


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    totals: dict[str, int]  # per currency, over the whole filtered set
    count: int

    @property
    def truncated(self) -> bool:
        return self.count > len(self.rows)


def refund_queue(wanted: QueueFilter, limit: int = QUEUE_LIMIT) -> Queue:
    """Return the refunds matching `wanted`, oldest first, with totals per currency."""
    now = utcnow()
    conditions = wanted.conditions(now)
    rows = db.session.execute(
        select(Refund, Return.number, Order.number, Order.email)
        .outerjoin(Return, Return.id == Refund.return_id)
        .join(Order, Order.id == Refund.order_id)
        .where(*conditions)
        .options(selectinload(Refund.approvals))
        .order_by(Refund.created_at, Refund.id)
        .limit(limit)
    ).all()
    sums = db.session.execute(
        select(Refund.currency, func.sum(Refund.amount), func.count(Refund.id))
        .where(*conditions)
        .group_by(Refund.currency)
        .order_by(Refund.currency)
    ).all()
    return Queue(
        rows=[
            QueueRow(
                refund=refund,
                return_number=return_number,
                order_number=order_number,
                email=email,
                age_days=max(0, (now - refund.created_at).days),
                approvals=sum(1 for a in refund.approvals if a.decision == "approve"),
                needed=approvals_needed(refund),
            )
            for refund, return_number, order_number, email in rows
        ],
        totals={currency: int(total or 0) for currency, total, _ in sums},
        count=sum(int(n) for _, _, n in sums),
    )
