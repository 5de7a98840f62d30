"""What every receiving service shares: the refusal, an inspection's staff and expected items."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.orders.models import OrderLine
from returns_portal.receiving.models import Inspection, InspectionItem, InspectionStaff
from returns_portal.returns.models import ReturnItem


class ReceivingError(Exception):
    """A warehouse action the portal refuses; the message is for the worker."""


def load_inspection(inspection_id: int) -> Inspection | None:
    """Return an inspection by id."""
    return db.session.get(Inspection, inspection_id)


def load_finding(inspection_id: int, item_id: int) -> InspectionItem | None:
    """Return one item's findings by id, if they belong to that inspection."""
    finding = db.session.get(InspectionItem, item_id)
    return finding if finding is not None and finding.inspection_id == inspection_id else None


def note_staff(inspection: Inspection, actor: str, action: str) -> None:
    """Remember a staff user's part in an inspection (committed with the step): separation of
    duties is by user id, never by the actor's name."""
    user_id = getattr(actor, "user_id", None)
    if user_id is None:
        return
    known = db.session.scalar(
        select(InspectionStaff.id).where(
            InspectionStaff.inspection_id == inspection.id,
            InspectionStaff.user_id == user_id,
            InspectionStaff.action == action,
        )
    )
    if known is None:
        db.session.add(InspectionStaff(inspection_id=inspection.id, user_id=user_id, action=action))


@dataclass(frozen=True)
class Expected:
    """One expected item of an inspection, with what has been counted so far."""

    finding: InspectionItem
    item: ReturnItem
    line: OrderLine

    @property
    def short(self) -> int:
        return max(0, self.item.quantity - self.finding.received_qty)


def expected_items(inspection: Inspection) -> list[Expected]:
    """Return the inspection's expected items with their order lines."""
    items = {
        i.id: i
        for i in db.session.scalars(
            select(ReturnItem).where(ReturnItem.return_id == inspection.return_id)
        )
    }
    lines = {
        line.id: line
        for line in db.session.scalars(
            select(OrderLine).where(OrderLine.id.in_([i.order_line_id for i in items.values()]))
        )
    }
    return [
        Expected(
            finding,
            items[finding.return_item_id],
            lines[items[finding.return_item_id].order_line_id],
        )
        for finding in inspection.items
    ]
