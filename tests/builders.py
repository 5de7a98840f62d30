"""Small builders for test data."""

from __future__ import annotations

import copy
from typing import Any


def make_order(number: str = "1001", **overrides: Any) -> dict[str, Any]:
    """Return a valid order document: a T-shirt pair and a kettle, split over two parcels."""
    order: dict[str, Any] = {
        "number": number,
        "email": "Li.Wei@Example.com",
        "customer_name": "Li Wei",
        "postal_code": "200000",
        "country": "CN",
        "currency": "CNY",
        "placed_at": "2026-11-01T10:00:00+08:00",
        "order_discount": 2000,
        "coupon_code": "WELCOME20",
        "shipping_paid": 0,
        "standard_shipping": 1000,
        "free_shipping_threshold": 19900,
        "lines": [
            {"line_id": "L1", "sku": "APP-TEE-BLK-M", "name": "T-shirt", "category": "apparel",
             "quantity": 2, "unit_price": 12900, "gtin": "6900000000011"},
            {"line_id": "L2", "sku": "APL-KETTLE", "name": "Kettle", "category": "appliances",
             "quantity": 1, "unit_price": 19900},
            {"line_id": "L3", "sku": "GIFT-POUCH", "name": "Gift pouch", "category": "gift",
             "quantity": 1, "unit_price": 0, "gift_of": "L2", "gift_value": 1500},
        ],
        "parcels": [
            {"parcel_id": "P1", "carrier": "SF Express", "tracking_number": "SF1",
             "delivered_at": "2026-11-03T15:00:00+08:00", "lines": {"L1": 2}},
            {"parcel_id": "P2", "delivered_at": "2026-11-05T09:00:00+08:00",
             "lines": {"L2": 1, "L3": 1}},
        ],
        "payments": [{"reference": f"pi_test_{number}", "amount": 43700}],
    }  # fmt: skip
    order.update(overrides)
    return copy.deepcopy(order)


def make_return(number: str, order_number: str = "1001", **quantities: int) -> Any:
    """Store a return of `quantities` (line_ref=units) of a stored order, status requested."""
    from returns_portal.extensions import db
    from returns_portal.orders.services import load_order
    from returns_portal.returns.models import Return, ReturnItem

    order = load_order(order_number)
    assert order is not None
    lines = {line.line_ref: line for line in order.lines}
    rma = Return(number=number, order_id=order.id, method="label")
    for line_ref, quantity in quantities.items():
        rma.items.append(
            ReturnItem(
                order_line_id=lines[line_ref].id,
                quantity=quantity,
                reason="changed_mind",
                resolution="refund",
            )
        )
    db.session.add(rma)
    db.session.commit()
    return rma


def recent_order_document(number: str = "1001") -> dict[str, Any]:
    """An order whose T-shirts (2) and mug arrived 2 days ago and kettle + gift 20 days ago."""
    from datetime import timedelta

    from returns_portal.types import utcnow

    now = utcnow()
    document = make_order(number)
    document["placed_at"] = (now - timedelta(days=25)).isoformat()
    document["order_discount"] = 0
    document["lines"][0]["product_group"] = "APP-TEE"
    document["lines"][0]["variant"] = "Black / M"
    document["lines"].append(
        {"line_id": "L4", "sku": "CUS-MUG", "name": "Custom photo mug", "category": "custom",
         "quantity": 1, "unit_price": 6900, "custom_made": True}
    )  # fmt: skip
    document["parcels"] = [
        {"parcel_id": "P1", "delivered_at": (now - timedelta(days=2)).isoformat(), "lines": {"L1": 2, "L4": 1}},
        {"parcel_id": "P2", "delivered_at": (now - timedelta(days=20)).isoformat(), "lines": {"L2": 1, "L3": 1}},
    ]  # fmt: skip
    document["shipping_address"] = {"name": "Li Wei", "line1": "1 Nanjing Road", "city": "Shanghai",
                                    "postal_code": "200000", "country": "CN"}  # fmt: skip
    return document


def one_item_order_document(number: str = "1002", **overrides: Any) -> dict[str, Any]:
    """An order of one T-shirt (one unit), delivered 2 days ago: a standard one-item return."""
    document = recent_order_document(number)
    tee = {**document["lines"][0], "quantity": 1}
    document["lines"] = [tee]
    document["parcels"] = [{**document["parcels"][0], "lines": {"L1": 1}}]
    document["payments"] = [{"reference": f"pi_test_{number}", "amount": tee["unit_price"]}]
    document.update(overrides)
    return document


def open_portal_return(
    order_number: str = "1001",
    items: tuple[tuple[str, int, str, str], ...] = (("L1", 2, "too_small", "refund"),),
    method: str = "label",
    exchanges: dict[str, str] | None = None,
) -> Any:
    """Open a return the way the customer pages do: (line, quantity, reason, resolution) items;
    `exchanges` names the new SKU for each line exchanged."""
    from returns_portal.returns.services import (
        Draft,
        DraftItem,
        load_customer_order,
        open_return,
        order_context,
    )
    from returns_portal.shipping.services import rates_for

    order = load_customer_order(order_number)
    assert order is not None
    rates = rates_for(order)
    key = next(iter(rates))
    carrier, service = key.split(":")
    draft = Draft(
        order_number,
        [
            DraftItem(
                line, qty, reason, resolution=resolution, exchange_sku=(exchanges or {}).get(line)
            )
            for line, qty, reason, resolution in items
        ],
        method=method,
        carrier=carrier,
        service=service,
    )
    return open_return(order_context(order), draft, rates[key].amount, "en")
