"""Order ingestion and read models: one validated upsert used by the API, imports and the demo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.orders.imports import OrderBatch
from returns_portal.orders.models import Order, OrderLine, Parcel, ParcelItem, Payment
from returns_portal.orders.schemas import LineIn, OrderIn, consistency_errors, field_errors
from returns_portal.returns.models import Return, ReturnItem, ReturnStatus

LINE_FIELDS = (
    "sku", "gtin", "variant", "product_group", "category", "quantity", "unit_price",
    "line_discount", "tax", "custom_made", "perishable", "digital_download", "sealed_media",
    "periodical", "hygiene_sealed", "final_sale", "confirmation_exclusion",
    "exclusion_confirmed", "gift_of", "gift_value", "image_url",
)  # fmt: skip
ORDER_FIELDS = (
    "customer_name", "postal_code", "country", "locale", "currency", "placed_at",
    "order_discount", "coupon_code", "shipping_paid", "standard_shipping",
    "free_shipping_threshold", "withdrawal_info_given", "return_costs_disclosed",
    "shipping_address",
)  # fmt: skip


class OrderInvalid(Exception):
    """The order failed validation; `errors` maps dotted field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class OrderConflict(OrderInvalid):
    """The change would rewrite what a return already relies on (a line's price or SKU, or
    its quantity below the units in returns); `errors` names each line and why."""


@dataclass(frozen=True)
class UpsertResult:
    order: Order
    created: bool
    changed: bool


def parse_order(data: Mapping[str, Any]) -> OrderIn:
    """Validate an order document or raise OrderInvalid with per-field errors."""
    try:
        order = OrderIn.model_validate(data)
    except ValidationError as exc:
        raise OrderInvalid(field_errors(exc)) from exc
    errors = consistency_errors(order)
    if errors:
        raise OrderInvalid(errors)
    return order


# Load an order whole in four queries, instead of one query per line and parcel.
WHOLE_ORDER = (
    selectinload(Order.lines),
    selectinload(Order.parcels).selectinload(Parcel.items),
    selectinload(Order.payments),
)


def load_order(number: str) -> Order | None:
    """Return the order with its lines, parcels and payments, or None."""
    return db.session.scalar(select(Order).where(Order.number == number).options(*WHOLE_ORDER))


def upsert_order(data: Mapping[str, Any] | OrderIn, actor: str = "api") -> UpsertResult:
    """Create or update the order with this number, all or nothing; same input, same result."""
    incoming = parse_order(data.model_dump() if isinstance(data, OrderIn) else data)
    for attempt in (1, 2):
        try:
            with db.session.begin_nested():
                result = _apply(incoming, actor)
            db.session.commit()
            return result
        except IntegrityError:
            # Two writers created the same new order at once: the loser retries as an update.
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _apply(incoming: OrderIn, actor: str) -> UpsertResult:
    order = db.session.scalar(
        select(Order)
        .where(Order.number == incoming.number)
        .options(*WHOLE_ORDER)
        .with_for_update(of=Order)
    )
    created = order is None
    before = None if order is None else order_to_dict(order)
    if order is None:
        order = Order(number=incoming.number)
        db.session.add(order)
    _check_removals(order, incoming)
    _check_returned_lines(order, incoming)
    order.email = incoming.email.lower()
    for name in ORDER_FIELDS:
        setattr(order, name, getattr(incoming, name))
    lines, dropped = _apply_lines(order, incoming.lines)
    _apply_parcels(order, incoming, lines)
    # Dropped lines go after the parcels stopped pointing at them, so the flush deletes
    # parcel items before their lines.
    for line in dropped:
        order.lines.remove(line)
    _apply_payments(order, incoming)
    db.session.flush()
    after = order_to_dict(order)
    changed = before != after
    if changed:
        record_event(
            actor, "order.created" if created else "order.updated", "order", order.number,
            before=before, after=after,
        )  # fmt: skip
    return UpsertResult(order, created, changed)


def _check_removals(order: Order, incoming: OrderIn) -> None:
    """Refuse to drop a line that a return already refers to."""
    kept = {line.line_id for line in incoming.lines}
    gone = [line for line in order.lines if line.line_ref not in kept]
    if not gone:
        return
    used = set(
        db.session.scalars(
            select(ReturnItem.order_line_id).where(
                ReturnItem.order_line_id.in_([line.id for line in gone])
            )
        )
    )
    messages = [
        f"line {line.line_ref} is in a return and cannot be removed"
        for line in gone
        if line.id in used
    ]
    if messages:
        raise OrderInvalid({"lines": messages})


def _check_returned_lines(order: Order, incoming: OrderIn) -> None:
    """Refuse to change the price or SKU of a line a live return holds, or to cut its
    quantity below the units returned: the return's decision and money were made on them."""
    if not order.lines or order.id is None:
        return
    void = [s.value for s in (ReturnStatus.CANCELLED, ReturnStatus.REJECTED, ReturnStatus.EXPIRED)]
    held = dict(
        db.session.execute(
            select(ReturnItem.order_line_id, func.sum(ReturnItem.quantity))
            .join(Return, Return.id == ReturnItem.return_id)
            .where(Return.order_id == order.id, Return.status.not_in(void))
            .group_by(ReturnItem.order_line_id)
        ).all()
    )
    if not held:
        return
    wanted = {line.line_id: line for line in incoming.lines}
    errors: dict[str, list[str]] = {}
    for line in order.lines:
        units = int(held.get(line.id) or 0)
        new = wanted.get(line.line_ref)
        if not units or new is None:
            continue
        said = []
        if new.sku != line.sku:
            said.append(
                f"its SKU cannot change from {line.sku} while {units} unit(s) are in a return"
            )
        if new.unit_price != line.unit_price or new.line_discount != line.line_discount:
            said.append(f"its price cannot change while {units} unit(s) are in a return")
        if new.quantity < units:
            said.append(f"its quantity cannot go below the {units} unit(s) in returns")
        if said:
            errors[f"lines.{line.line_ref}"] = said
    if errors:
        raise OrderConflict(errors)


def _apply_lines(
    order: Order, incoming: list[LineIn]
) -> tuple[dict[str, OrderLine], list[OrderLine]]:
    existing = {line.line_ref: line for line in order.lines}
    lines: dict[str, OrderLine] = {}
    for position, data in enumerate(incoming):
        line = existing.pop(data.line_id, None)
        if line is None:
            line = OrderLine(line_ref=data.line_id)
            order.lines.append(line)
        line.position = position
        line.product_name = data.name
        for name in LINE_FIELDS:
            setattr(line, name, getattr(data, name))
        lines[data.line_id] = line
    return lines, list(existing.values())


def _apply_parcels(order: Order, incoming: OrderIn, lines: dict[str, OrderLine]) -> None:
    existing = {parcel.parcel_ref: parcel for parcel in order.parcels}
    db.session.flush()  # new lines need ids before parcel items can point at them
    for data in incoming.parcels:
        parcel = existing.pop(data.parcel_id, None)
        if parcel is None:
            parcel = Parcel(parcel_ref=data.parcel_id)
            order.parcels.append(parcel)
        parcel.carrier = data.carrier
        parcel.tracking_number = data.tracking_number
        parcel.shipped_at = data.shipped_at
        parcel.delivered_at = data.delivered_at
        items = {item.order_line_id: item for item in parcel.items}
        wanted = {lines[ref].id: qty for ref, qty in data.lines.items()}
        for line_id, item in list(items.items()):
            if line_id not in wanted:
                parcel.items.remove(item)
        for line_id, qty in wanted.items():
            if line_id in items:
                items[line_id].quantity = qty
            else:
                parcel.items.append(ParcelItem(order_line_id=line_id, quantity=qty))
    for parcel in existing.values():
        order.parcels.remove(parcel)


def _apply_payments(order: Order, incoming: OrderIn) -> None:
    errors: dict[str, list[str]] = {}
    for index, data in enumerate(incoming.payments):
        owner = db.session.scalar(
            select(Order.number)
            .join(Payment, Payment.order_id == Order.id)
            .where(Payment.provider == data.provider, Payment.reference == data.reference)
        )
        if owner is not None and owner != incoming.number:
            errors[f"payments.{index}.reference"] = [f"already belongs to order {owner}"]
    if errors:
        raise OrderInvalid(errors)
    existing = {(p.provider, p.reference): p for p in order.payments}
    for data in incoming.payments:
        payment = existing.pop((data.provider, data.reference), None)
        if payment is None:
            payment = Payment(provider=data.provider, reference=data.reference)
            order.payments.append(payment)
        payment.amount = data.amount
        payment.currency = incoming.currency
        payment.method = data.method
        payment.captured_at = data.captured_at
    for payment in existing.values():
        order.payments.remove(payment)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def order_to_dict(order: Order) -> dict[str, Any]:
    """Return the order in the same format the shop sends it (JSON-ready)."""
    refs = {line.id: line.line_ref for line in order.lines}
    data: dict[str, Any] = {"number": order.number, "email": order.email}
    for name in ORDER_FIELDS:
        data[name] = getattr(order, name)
    data["placed_at"] = _iso(order.placed_at)
    data["lines"] = [
        {"line_id": line.line_ref, "name": line.product_name}
        | {name: getattr(line, name) for name in LINE_FIELDS}
        for line in order.lines
    ]
    data["parcels"] = [
        {
            "parcel_id": parcel.parcel_ref,
            "carrier": parcel.carrier,
            "tracking_number": parcel.tracking_number,
            "shipped_at": _iso(parcel.shipped_at),
            "delivered_at": _iso(parcel.delivered_at),
            "lines": {refs.get(item.order_line_id, "?"): item.quantity for item in parcel.items},
        }
        for parcel in order.parcels
    ]
    data["payments"] = [
        {
            "provider": p.provider,
            "reference": p.reference,
            "amount": p.amount,
            "method": p.method,
            "captured_at": _iso(p.captured_at),
        }
        for p in order.payments
    ]
    return data


@dataclass
class ImportFailure:
    row: int
    order: str
    field: str
    message: str


@dataclass
class ImportReport:
    """What an import did: counts, and each failure with the input row it comes from."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[ImportFailure] | None = None

    @property
    def failed_orders(self) -> int:
        return len({f.order for f in self.failures or ()})


def import_orders(
    batches: list[OrderBatch], actor: str = "import", progress: Any = None
) -> ImportReport:
    """Upsert each order batch on its own; good orders are committed, bad ones reported."""
    report = ImportReport(failures=[])
    assert report.failures is not None
    for batch in batches:
        errors = batch.errors
        if not errors and batch.data is not None:
            try:
                result = upsert_order(batch.data, actor=actor)
            except OrderInvalid as exc:
                errors = exc.errors
            else:
                if result.created:
                    report.created += 1
                elif result.changed:
                    report.updated += 1
                else:
                    report.unchanged += 1
        for path, messages in errors.items():
            for message in messages:
                report.failures.append(
                    ImportFailure(batch.row_of(path), batch.number, path, message)
                )
        if progress is not None:
            progress(1)
    return report
