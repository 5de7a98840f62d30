"""Small builders for policy facts: a test states only what matters to its rule."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from returns_portal.policy import (
    Inspection,
    LineFindings,
    OrderFacts,
    OrderLine,
    Parcel,
    Policy,
    Product,
    RequestedLine,
    Resolution,
    ReturnMethod,
    ReturnReason,
    ReturnRequest,
    load_policy,
)

SIGNED = "2026-11-10T23:30:00+08:00"
PLACED = "2026-11-08T10:00:00+08:00"
PRODUCT_FLAGS = frozenset(Product.__dataclass_fields__) - {"sku", "category"}


def at(text: str) -> datetime:
    """Parse an ISO-8601 timestamp that carries its UTC offset."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, "test timestamps must carry an offset"
    return moment


def make_product(sku: str = "SKU-1", category: str = "apparel", **facts: Any) -> Product:
    """Build a product; flags not given are False."""
    return Product(sku=sku, category=category, **facts)


def make_line(
    line_id: str = "L1",
    *,
    price: int = 10000,
    quantity: int = 1,
    category: str = "apparel",
    sku: str | None = None,
    product: Product | None = None,
    **facts: Any,
) -> OrderLine:
    """Build a line; `facts` may mix product flags (final_sale=True) and line money (tax=100)."""
    product_facts = {key: facts.pop(key) for key in list(facts) if key in PRODUCT_FLAGS}
    if product is None:
        product = make_product(sku or f"SKU-{line_id}", category, **product_facts)
    return OrderLine(line_id=line_id, product=product, quantity=quantity, unit_price=price, **facts)


def make_order(
    *lines: OrderLine,
    delivered_at: str | None = SIGNED,
    parcels: tuple[Parcel, ...] | None = None,
    placed_at: str = PLACED,
    currency: str = "CNY",
    **facts: Any,
) -> OrderFacts:
    """Build an order; by default one parcel holds every unit, signed for at `delivered_at`."""
    if not lines:
        lines = (make_line(),)
    if parcels is None:
        parcels = (
            Parcel(
                "P1",
                None if delivered_at is None else at(delivered_at),
                {line.line_id: line.quantity for line in lines},
            ),
        )
    return OrderFacts(
        number="1001",
        currency=currency,
        placed_at=at(placed_at),
        lines=tuple(lines),
        parcels=parcels,
        **facts,
    )


def ask(
    line_id: str = "L1",
    quantity: int = 1,
    reason: ReturnReason = ReturnReason.NO_REASON,
    resolution: Resolution = Resolution.REFUND,
) -> RequestedLine:
    """Ask to return `quantity` units of a line, by default without a reason, for a refund."""
    return RequestedLine(line_id, quantity, reason, resolution)


def make_request(
    *lines: RequestedLine,
    requested_at: str = "2026-11-12T10:00:00+08:00",
    method: ReturnMethod = ReturnMethod.LABEL,
    label_cost: int | None = None,
    previously_returned: Mapping[str, int] | None = None,
) -> ReturnRequest:
    """Build a request made two days after the default signing, in Shanghai."""
    return ReturnRequest(
        requested_at=at(requested_at),
        lines=lines or (ask(),),
        method=method,
        label_cost=label_cost,
        previously_returned=dict(previously_returned or {}),
    )


def make_policy(pack: str = "cn-7day", version: int | None = 1, **rules: Any) -> Policy:
    """Build a policy over `pack` with top-level document keys overridden by `rules`."""
    return load_policy({"pack": pack, **rules}, version=version)


def found(
    line_id: str = "L1",
    received_qty: int = 1,
    diminished_value: int = 0,
    **answers: bool,
) -> LineFindings:
    """Record what the warehouse found for one line; checklist answers as keywords."""
    return LineFindings(line_id, received_qty, answers, diminished_value)


def inspected(
    *findings: LineFindings, received_at: str = "2026-11-15T14:00:00+08:00"
) -> Inspection:
    """Build an inspection received on 15 Nov 2026 (Shanghai) from line findings."""
    return Inspection(at(received_at), {f.line_id: f for f in findings})


def codes(reasons):
    """Return the machine codes of `reasons`, in order."""
    return [r.code for r in reasons]


def only(decisions):
    """Return the single decision of a one-line order."""
    (decision,) = decisions
    return decision
