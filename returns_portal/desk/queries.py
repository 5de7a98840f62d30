"""Finding returns for the desk: search by what a customer or a parcel says, filter, sort,
page; and the count of each status. Every search term is matched against an index (RMA and
order numbers and tracking numbers exactly, the e-mail exactly as stored, the name by its
beginning), so the list stays fast on a big shop."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, Select, func, or_, select, union

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
LATE = ("uninspected", "overdue", "carrier_problem")
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


NAME_MIN_LETTERS = 3  # a shorter beginning of a Latin name matches a good part of a big shop


def name_searchable(term: str) -> bool:
    """Whether `term` is long enough to look names up by: three letters, or any character
    beyond ASCII (two Chinese characters already name few people)."""
    return len(term) >= NAME_MIN_LETTERS or not term.isascii()


def _matching(q: str) -> Any:
    """The condition for a search term: an RMA, order or tracking number, an e-mail or the
    beginning of a customer's name."""
    term = q.strip()
    if not term:
        return None
    by_order = Order.number == term
    by_customer: Any = None
    if "@" in term:
        by_customer = Order.email == term.lower()
    elif name_searchable(term):
        # The beginning of the name, as typed; a prefix keeps the name index usable.
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        by_customer = Order.customer_name.like(f"{escaped}%", escape="\\")
    # Each way of matching reads its own index (the name's and the returns' order index hold
    # the ids, so a common name is found without reading its orders) and the returns found
    # are looked up by id: one OR over columns of joined tables reads every return and order.
    # Not correlated: each part reads its tables afresh.
    found: CompoundSelect[Any] = union(
        select(Return.id).where(Return.number == term.upper()).correlate(None),
        select(Shipment.return_id).where(Shipment.tracking_number == term).correlate(None),
        *(
            select(Return.id)
            .join(Order, Order.id == Return.order_id)
            .where(condition)
            .correlate(None)
            for condition in (by_order, by_customer)
            if condition is not None
        ),
    )
    return Return.id.in_(found)


def _filtered(filters: Filters, now: datetime) -> Select[Any]:
    # Returns only: the page joins the orders for its columns, and the counts never need them.
    query = select(Return)
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
        # The column itself, not IS TRUE, which the partial index of flagged returns answers
        # (needs_review is never NULL).
        query = query.where(
            or_(Return.needs_review, Return.status == ReturnStatus.NEEDS_REVIEW.value)
        )
    if filters.older_than_days is not None:
        query = query.where(Return.requested_at < now - timedelta(days=filters.older_than_days))
    if filters.late == "uninspected":
        # An inspection started before then, asked as "the first one started before then":
        # a look at the start of each received return's index range, where EXISTS would be
        # planned as a hash of every inspection ever started.
        first_started = (
            select(func.min(Inspection.started_at))
            .where(Inspection.return_id == Return.id)
            .scalar_subquery()
        )
        query = query.where(
            Return.status == ReturnStatus.RECEIVED.value,
            first_started < now - UNINSPECTED_AFTER,
        )
    elif filters.late == "overdue":
        # The few told-overdue events, by the action index, then their returns by number.
        told = select(AuditEvent.entity_id).where(
            AuditEvent.action == "return.refund_overdue", AuditEvent.entity_type == "return"
        )
        query = query.where(Return.status.in_(OPEN_MONEY), Return.number.in_(told))
    elif filters.late == "carrier_problem":
        # Returned to sender, a failure, or no movement for days (shipping.tracking), by the
        # shipments' problem index: the few parcels staff should follow up with the carrier.
        troubled = select(Shipment.return_id).where(
            Shipment.problem.is_not(None), Shipment.voided_at.is_(None)
        )
        query = query.where(
            Return.status.in_(
                (ReturnStatus.AWAITING_SHIPMENT.value, ReturnStatus.IN_TRANSIT.value)
            ),
            Return.id.in_(troubled),
        )
    return query


def search_returns(filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> ResultPage:
    """Return one page of the returns matching `filters`, and the count of each status
    among the returns the search term matches (before the status filter)."""
    now = utcnow()
    page = max(1, page)
    order_by = SORTS.get(filters.sort, SORTS["newest"])
    # The page's ids first, read in order from an index where the filters allow, then only
    # their rows and orders: a deep page skips ids, not joined rows.
    ids = (
        _filtered(filters, now)
        .with_only_columns(Return.id)
        .order_by(*order_by)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
        .correlate(None)
    )
    query = (
        select(Return, Order.number, Order.email, Order.customer_name)
        .join(Order, Order.id == Return.order_id)
        .where(Return.id.in_(ids))
        .order_by(*order_by)
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
    query = _filtered(unfiltered, now or utcnow())
    if unfiltered == Filters(older_than_days=unfiltered.older_than_days, sort=unfiltered.sort):
        # Nothing but the request time: one count per status, each a range of the status
        # index read without the table, costs half of grouping every row by its status.
        where = () if query.whereclause is None else (query.whereclause,)
        each = [
            select(func.count())
            .select_from(Return)
            .where(Return.status == status.value, *where)
            .scalar_subquery()
            for status in ReturnStatus
        ]
        counted = db.session.execute(select(*each)).one()
        return {status.value: int(n) for status, n in zip(ReturnStatus, counted, strict=True)}
    grouped = query.with_only_columns(Return.status, func.count()).group_by(Return.status)
    counts = {status: int(n) for status, n in db.session.execute(grouped)}
    return {status.value: counts.get(status.value, 0) for status in ReturnStatus}


def carriers_in_use() -> list[str]:
    """The carriers returns were sent with, for the filter's choices."""
    return [c for c in db.session.scalars(select(Return.carrier).distinct()) if c]
