"""Finding returns for the desk: search by what a customer or a parcel says, filter, sort,
page; and the count of each status. Every search term is matched against an index (RMA and
order numbers and tracking numbers exactly, the e-mail exactly as stored, the name by its
beginning), so the list stays fast on a big shop."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, or_, select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db
from returns_portal.orders.models import Order
from returns_portal.receiving.models import Inspection
from returns_portal.refunds.snapshots import AbuseFlagSnapshot, estimate_of
from returns_portal.returns.models import Return, ReturnItem, ReturnStatus
from returns_portal.shipping.models import Shipment
from returns_portal.types import utcnow

PER_PAGE = 50
UNINSPECTED_AFTER = timedelta(days=2)  # received, and not checked this long after
# What "late" can mean on the desk, each answering "who is waiting on us?".
LATE = ("uninspected", "overdue")
SORTS = {
    "newest": (Return.requested_at.desc(), Return.id.desc()),
    "oldest": (Return.requested_at.asc(), Return.id.asc()),
    "updated": (Return.updated_at.desc(), Return.id.desc()),
}
OPEN_MONEY = (ReturnStatus.RECEIVED.value, ReturnStatus.INSPECTED.value)


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to; every field optional."""

    q: str = ""
    status: str = ""
    reason: str = ""
    resolution: str = ""
    carrier: str = ""
    flagged: bool = False
    older_than_days: int | None = None
    late: str = ""  # one of LATE
    sort: str = "newest"


@dataclass(frozen=True)
class Row:
    rma: Return
    order_number: str
    email: str
    name: str
    items: int

    @property
    def flags(self) -> list[AbuseFlagSnapshot]:
        """The abuse rules that fired for this return, with their figures."""
        return estimate_of(self.rma.estimate).abuse


@dataclass(frozen=True)
class ResultPage:
    rows: list[Row]
    page: int
    has_next: bool
    counts: dict[str, int] = field(default_factory=dict)  # status → returns in it


def _matching(q: str) -> Any:
    """The condition for a search term: an RMA, order or tracking number, an e-mail or the
    beginning of a customer's name."""
    term = q.strip()
    if not term:
        return None
    shipped = exists().where(Shipment.return_id == Return.id, Shipment.tracking_number == term)
    conditions = [
        Return.number == term.upper(),
        Order.number == term,
        shipped,
    ]
    if "@" in term:
        conditions.append(Order.email == term.lower())
    else:
        # The beginning of the name, as typed; a prefix keeps the name index usable.
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Order.customer_name.like(f"{escaped}%", escape="\\"))
    return or_(*conditions)


def _filtered(filters: Filters, now: datetime) -> Select[Any]:
    query = select(Return).join(Order, Order.id == Return.order_id)
    condition = _matching(filters.q)
    if condition is not None:
        query = query.where(condition)
    if filters.status:
        query = query.where(Return.status == filters.status)
    if filters.reason or filters.resolution:
        item = select(ReturnItem.id).where(ReturnItem.return_id == Return.id)
        if filters.reason:
            item = item.where(ReturnItem.reason == filters.reason)
        if filters.resolution:
            item = item.where(ReturnItem.resolution == filters.resolution)
        query = query.where(item.exists())
    if filters.carrier:
        query = query.where(Return.carrier == filters.carrier)
    if filters.flagged:
        query = query.where(
            or_(Return.needs_review.is_(True), Return.status == ReturnStatus.NEEDS_REVIEW.value)
        )
    if filters.older_than_days is not None:
        query = query.where(Return.requested_at < now - timedelta(days=filters.older_than_days))
    if filters.late == "uninspected":
        started = select(Inspection.id).where(
            Inspection.return_id == Return.id, Inspection.started_at < now - UNINSPECTED_AFTER
        )
        query = query.where(Return.status == ReturnStatus.RECEIVED.value, started.exists())
    elif filters.late == "overdue":
        told = select(AuditEvent.id).where(
            AuditEvent.entity_type == "return",
            AuditEvent.entity_id == Return.number,
            AuditEvent.action == "return.refund_overdue",
        )
        query = query.where(Return.status.in_(OPEN_MONEY), told.exists())
    return query


def search_returns(filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> ResultPage:
    """Return one page of the returns matching `filters`, and the count of each status
    among the returns the search term matches (before the status filter)."""
    now = utcnow()
    page = max(1, page)
    order_by = SORTS.get(filters.sort, SORTS["newest"])
    query = (
        _filtered(filters, now)
        .add_columns(Order.number, Order.email, Order.customer_name)
        .order_by(*order_by)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    found = db.session.execute(query).all()
    returns = [r[0] for r in found[:per_page]]
    items = _item_counts([r.id for r in returns])
    rows = [
        Row(rma, number, email, name, items.get(rma.id, 0))
        for rma, number, email, name in found[:per_page]
    ]
    return ResultPage(rows, page, len(found) > per_page, status_counts(filters, now))


def _item_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    counted = db.session.execute(
        select(ReturnItem.return_id, func.sum(ReturnItem.quantity))
        .where(ReturnItem.return_id.in_(ids))
        .group_by(ReturnItem.return_id)
    )
    return {return_id: int(units or 0) for return_id, units in counted}


def status_counts(filters: Filters, now: datetime | None = None) -> dict[str, int]:
    """Returns in each status among those the filters match, all but the status filter."""
    unfiltered = Filters(**{**filters.__dict__, "status": ""})
    query = (
        _filtered(unfiltered, now or utcnow())
        .with_only_columns(Return.status, func.count(Return.id))
        .group_by(Return.status)
    )
    counts = {status: int(n) for status, n in db.session.execute(query)}
    return {status.value: counts.get(status.value, 0) for status in ReturnStatus}


def carriers_in_use() -> list[str]:
    """The carriers returns were sent with, for the filter's choices."""
    return [c for c in db.session.scalars(select(Return.carrier).distinct()) if c]
