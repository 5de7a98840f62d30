"""A believable demo store: orders across every category the policy cares about, paid in Stripe."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from returns_portal import policy
from returns_portal.accounts.services import create_user, find_user
from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.orders.models import Payment, StockLevel
from returns_portal.orders.services import load_order, upsert_order
from returns_portal.refunds.gateway import (
    FakeGateway,
    GatewayError,
    PaymentGateway,
    PaymentRecord,
    StripeGateway,
    payment_gateway,
)
from returns_portal.shipping.carriers import LocalCarrier
from returns_portal.shipping.tracking import advance_local_journeys, emit_local_scan
from returns_portal.store.services import active_policy_version, ensure_store, save_policy
from returns_portal.types import utcnow

# sku, name, variant, group, category, unit price (fen), product facts
CATALOGUE: tuple[tuple[str, str, str | None, str | None, str, int, dict[str, Any]], ...] = (
    ("APP-TEE-BLK-M", "Organic cotton T-shirt", "Black / M", "APP-TEE", "apparel", 12900, {}),
    ("APP-TEE-BLK-L", "Organic cotton T-shirt", "Black / L", "APP-TEE", "apparel", 12900, {}),
    ("APP-JKT-NVY-M", "Lightweight down jacket", "Navy / M", "APP-JKT", "apparel", 89900, {}),
    ("APP-SCARF-SILK", "Silk scarf, last season", "Ivory", None, "apparel", 19900,
     {"final_sale": True}),
    ("SHO-RUN-42", "Trail running shoes", "EU 42", "SHO-RUN", "shoes", 59900, {}),
    ("BAG-TOTE-CNV", "Canvas tote bag", None, None, "bags", 9900, {}),
    ("ELE-EARBUDS", "Wireless earbuds", "White", None, "electronics", 49900,
     {"confirmation_exclusion": "value_drops_once_activated", "exclusion_confirmed": True}),
    ("ELE-KBD-75", "Mechanical keyboard 75%", "Brown switches", None, "electronics", 69900, {}),
    ("APL-KETTLE", "Electric kettle 1.7 L", None, None, "appliances", 19900, {}),
    ("COS-SERUM-30", "Hyaluronic serum 30 ml", None, None, "cosmetics", 25900,
     {"confirmation_exclusion": "quality_changes_once_unsealed", "exclusion_confirmed": True}),
    ("COS-LIP-07", "Satin lipstick", "No. 07", None, "cosmetics", 15900,
     {"confirmation_exclusion": "quality_changes_once_unsealed"}),
    ("FOOD-LYCHEE-2KG", "Fresh lychees 2 kg", None, None, "food", 8800, {"perishable": True}),
    ("FOOD-TEA-250", "Longjing green tea 250 g", None, None, "food", 16800, {}),
    ("CUS-MUG-PHOTO", "Custom photo mug", None, None, "custom", 6900, {"custom_made": True}),
    ("SW-OFFICE-BOX", "Office suite (boxed, sealed)", None, None, "software", 39900,
     {"sealed_media": True}),
    ("SW-GAME-CODE", "Game download code", None, None, "software", 29900,
     {"digital_download": True}),
    ("PER-DESIGN-MAG", "Design monthly, November issue", None, None, "periodical", 3500,
     {"periodical": True}),
    ("HOM-TOWEL-SET", "Bath towel set", "Grey", None, "home_textiles", 15900, {}),
    ("TOY-BLOCKS-50", "Wooden blocks, 50 pieces", None, None, "toys", 12900, {}),
)  # fmt: skip
GIFT = ("GIFT-POUCH", "Gift: travel pouch", "gift", 1500)
# Variants offered for exchanges only (not in the demo orders): sku, group, variant, stock.
EXTRA_VARIANTS = (
    ("APP-TEE-BLK-S", "APP-TEE", "Black / S", 6),
    ("APP-TEE-WHT-M", "APP-TEE", "White / M", 0),
    ("APP-JKT-NVY-L", "APP-JKT", "Navy / L", 3),
    ("APP-JKT-NVY-S", "APP-JKT", "Navy / S", 0),
    ("SHO-RUN-41", "SHO-RUN", "EU 41", 2),
    ("SHO-RUN-43", "SHO-RUN", "EU 43", 4),
)  # sku, name, category, stated value
CUSTOMERS = (
    ("Li Wei", "li.wei@example.com", "200000"),
    ("Wang Fang", "wang.fang@example.com", "100010"),
    ("Zhang Min", "zhang.min@example.com", "310000"),
    ("Chen Jing", "chen.jing@example.com", "518000"),
    ("Liu Yang", "liu.yang@example.com", "610000"),
    ("Ana García", "ana.garcia@example.com", "28001"),
    ("Ioana Popescu", "ioana.popescu@example.com", "010011"),
    ("Emma Müller", "emma.mueller@example.com", "10115"),
    ("Zhao Lei", "zhao.lei@example.com", "430000"),
    ("Sun Li", "sun.li@example.com", "210000"),
)
COUPONS = (("WELCOME20", 2000), ("SINGLES11", 5000), ("VIP10", 1000))
FREE_SHIPPING_THRESHOLD = 29900
STANDARD_SHIPPING = 1000
# Days between delivery and now: inside the 7-day window, on its edge, inside longer
# merchant windows only, and well outside every window.
DELIVERED_DAYS_AGO = (1, 2, 3, 5, 6, 7, 9, 12, 20, 28, 45)
# The demo merchant's rules over the default pack (docs/examples/policy-demo.json is a copy).
DEMO_POLICY: dict[str, Any] = {
    "pack": "cn-7day",
    "timezone": "Asia/Shanghai",
    "windows": {
        "categories": {
            "apparel": 30,
            "shoes": 30,
            "bags": 30,
            "home_textiles": 15,
            "electronics": 15,
        }
    },
    "holiday_extensions": [
        {"ordered_from": "2026-11-01", "ordered_to": "2026-11-15", "return_by": "2026-12-31"}
    ],
    "defect": {"window_days": 30, "photos_required": True},
    "restocking_fee": {"categories": {"electronics": {"percent": 10}}, "default": None},
    "return_shipping": {"paid_by": "customer", "label_cost": 1200, "free_above": 50000},
    "methods": ["label", "qr_dropoff"],
    "resolutions": {
        "allowed": ["refund", "store_credit", "exchange"],
        "store_credit_bonus_percent": 10,
        "exchange_only_categories": [],
    },
    "approval": {"auto_approve_below": 10000, "two_approvers_above": 100000},
    "abuse": {"returns_in_period": {"max_returns": 5, "within_days": 90}},
}


# Demo staff, one per role; the password is printed by `flask demo seed`. Demo data only.
DEMO_PASSWORD = "returns-demo-2026"
DEMO_STAFF = ("admin", "warehouse", "finance", "support")


@dataclass(frozen=True)
class SeedSummary:
    orders: int
    payments_created: int
    example_number: str
    example_email: str
    journey_number: str | None = None  # the return whose parcel has come the whole way


def demo_order(index: int, now: datetime) -> dict[str, Any]:
    """Build demo order number 1001+index (deterministic for a given `now`)."""
    rng = random.Random(index * 7919 + 17)
    name, email, postcode = CUSTOMERS[index % len(CUSTOMERS)]
    products = rng.sample(CATALOGUE, rng.choice((1, 1, 2, 2, 3)))
    # Make sure every product appears somewhere in the first orders.
    products = [
        CATALOGUE[index % len(CATALOGUE)],
        *(p for p in products if p is not CATALOGUE[index % len(CATALOGUE)]),
    ]
    lines: list[dict[str, Any]] = []
    for n, (sku, title, variant, group, category, price, facts) in enumerate(products, start=1):
        quantity = 2 if category in {"apparel", "food", "toys"} and rng.random() < 0.3 else 1
        lines.append({
            "line_id": f"L{n}", "sku": sku, "gtin": f"69{zlib.crc32(sku.encode()) % 10**11:011d}",
            "name": title, "variant": variant, "product_group": group, "category": category,
            "quantity": quantity, "unit_price": price, **facts,
        })  # fmt: skip
    if any(line["sku"] == "ELE-EARBUDS" for line in lines) or index % 9 == 4:
        sku, title, category, value = GIFT
        lines.append({
            "line_id": f"L{len(lines) + 1}", "sku": sku, "name": title, "category": category,
            "quantity": 1, "unit_price": 0, "gift_of": "L1", "gift_value": value,
        })  # fmt: skip
    goods = sum(line["unit_price"] * line["quantity"] for line in lines)
    coupon = COUPONS[index % len(COUPONS)] if index % 4 == 1 else None
    discount = min(coupon[1], goods // 2) if coupon else 0
    free = goods - discount >= FREE_SHIPPING_THRESHOLD
    shipping = 0 if free else STANDARD_SHIPPING

    delivered_ago = DELIVERED_DAYS_AGO[index % len(DELIVERED_DAYS_AGO)]
    delivered = now - timedelta(
        days=delivered_ago, hours=rng.randint(0, 10), minutes=rng.randint(0, 59)
    )
    placed = delivered - timedelta(days=rng.randint(2, 4), hours=rng.randint(0, 12))
    not_delivered = index % 16 == 15
    sellable = [line for line in lines if not line.get("gift_of")]
    if len(sellable) > 1 and index % 5 == 2:
        # Split shipment: the last product arrives three days after the rest.
        first = {line["line_id"]: line["quantity"] for line in lines if line is not sellable[-1]}
        parcels = [
            _parcel(index, 1, placed, delivered - timedelta(days=3), first),
            _parcel(
                index, 2, placed, delivered, {sellable[-1]["line_id"]: sellable[-1]["quantity"]}
            ),
        ]
    else:
        parcels = [_parcel(index, 1, placed, None if not_delivered else delivered,
                           {line["line_id"]: line["quantity"] for line in lines})]  # fmt: skip
    return {
        "number": str(1001 + index),
        "email": email,
        "customer_name": name,
        "postal_code": postcode,
        "country": "CN" if index % len(CUSTOMERS) < 5 or index % len(CUSTOMERS) > 7 else "ES",
        "locale": "zh_Hans" if index % len(CUSTOMERS) < 5 else "en",
        "currency": "CNY",
        "placed_at": placed.isoformat(),
        "order_discount": discount,
        "coupon_code": coupon[0] if coupon else None,
        "shipping_paid": shipping,
        "standard_shipping": STANDARD_SHIPPING,
        "free_shipping_threshold": FREE_SHIPPING_THRESHOLD,
        "shipping_address": {
            "name": name,
            "line1": f"{100 + index} Huaihai Road, Apt {index % 9 + 1}",
            "city": "Shanghai",
            "postal_code": postcode,
            "country": "CN",
        },
        "lines": lines,
        "parcels": parcels,
    }


def _parcel(index: int, n: int, placed: datetime, delivered: datetime | None,
            lines: dict[str, int]) -> dict[str, Any]:  # fmt: skip
    return {
        "parcel_id": f"P{n}",
        "carrier": "SF Express",
        "tracking_number": f"SF{1300000000 + index * 10 + n}",
        "shipped_at": (placed + timedelta(hours=20)).isoformat(),
        "delivered_at": delivered.isoformat() if delivered else None,
        "lines": lines,
    }


def seed_staff() -> None:
    """Create one demo staff user per role (role@example.com) unless they exist."""
    for role in DEMO_STAFF:
        email = f"{role}@example.com"
        if find_user(email) is None:
            create_user(email, DEMO_PASSWORD, role, name=f"Demo {role}", actor="demo")


def seed_stock() -> None:
    """Give every demo product (and a few extra sizes) stock, so exchanges can be offered."""
    wanted: dict[str, tuple[str | None, str, str | None, int, int]] = {
        sku: (group, name, variant, price, 3 + zlib.crc32(sku.encode()) % 12)
        for sku, name, variant, group, _category, price, _facts in CATALOGUE
    }
    names = {group: name for _sku, name, _v, group, *_rest in CATALOGUE if group}
    for extra_sku, extra_group, extra_variant, extra_stock in EXTRA_VARIANTS:
        price = next(p for _s, _n, _v, g, _c, p, _f in CATALOGUE if g == extra_group)
        wanted[extra_sku] = (extra_group, names[extra_group], extra_variant, price, extra_stock)
    existing = {s.sku: s for s in db.session.scalars(select(StockLevel))}
    for sku, (group, name, variant, price, on_hand) in wanted.items():
        stock = existing.get(sku) or StockLevel(sku=sku, reserved=0)
        stock.product_group, stock.name, stock.variant = group, name, variant
        stock.unit_price = price
        stock.currency = "CNY"  # the catalogue's prices are fen, like the demo orders'
        stock.on_hand = on_hand
        db.session.add(stock)
    db.session.commit()


def order_total(document: dict[str, Any]) -> int:
    """Return what the customer paid for a demo order."""
    lines = document["lines"]
    goods = sum(
        line["unit_price"] * line["quantity"] - line.get("line_discount", 0) for line in lines
    )
    tax = sum(line.get("tax", 0) for line in lines)
    return int(goods - document["order_discount"] + tax + document["shipping_paid"])


def seed_demo(
    count: int = 48, progress: Callable[[int], None] | None = None, now: datetime | None = None
) -> SeedSummary:
    """Create or refresh `count` demo orders, each paid by a PaymentIntent the gateway knows."""
    ensure_store()
    if active_policy_version() is None:
        save_policy(DEMO_POLICY, actor="demo")
    seed_stock()
    seed_staff()
    gateway = payment_gateway()
    now = now or utcnow()
    created_payments = 0
    for index in range(count):
        document = demo_order(index, now)
        existing = load_order(document["number"])
        payment = next(iter(existing.payments), None) if existing else None
        amount = order_total(document)
        record = gateway.get_payment(payment.reference) if payment is not None else None
        if record is None or record.amount != amount:
            # The payment server forgot it (localstripe keeps nothing between runs): pay again.
            record = pay_with_test_card(
                gateway, amount, "CNY", {"order_number": document["number"]}
            )
            created_payments += 1
            if payment is not None:
                _repoint_payment(payment, record)
        document["payments"] = [{"reference": record.reference, "amount": record.amount,
                                 "captured_at": document["placed_at"]}]  # fmt: skip
        upsert_order(document, actor="demo")
        if progress is not None:
            progress(1)
    db.session.commit()
    # Returns opened in an earlier run move one scan on (the local carrier's own scans), so
    # the embedded default shows a parcel's whole journey: `flask carriers scan` does more.
    advance_local_journeys(limit=3)
    journey = seed_journey(now)  # and one return has come the whole way already
    example = demo_order(1, now)
    return SeedSummary(count, created_payments, example["number"], example["email"], journey)


def _repoint_payment(payment: Payment, record: PaymentRecord) -> None:
    """Give the order's payment row the reference of the payment that replaces it.

    Refunds already made point at the row (refunds.payment_id): the order's import would
    swap it for a new row and the database would refuse to delete the old one (the crash of
    a second `make run` after any refund). The row stays; only what it refers to changes.
    """
    before = {"reference": payment.reference, "amount": payment.amount}
    payment.reference, payment.amount = record.reference, record.amount
    record_event(
        "demo", "order.payment_replaced", "order", payment.order.number,
        before=before, after={"reference": record.reference, "amount": record.amount},
    )  # fmt: skip


def pay_with_test_card(
    gateway: PaymentGateway, amount: int, currency: str, metadata: dict[str, str]
) -> PaymentRecord:
    """Capture a payment as a shop's checkout would, for demo data and tests: with Stripe's
    documented test card (test keys and localstripe take it, live keys refuse it)."""
    if isinstance(gateway, FakeGateway):
        return gateway.create_payment(amount, currency, metadata)
    if not isinstance(gateway, StripeGateway):
        raise GatewayError("Demo payments need the Stripe adapter or the fake.")
    import stripe  # as in the adapter: only when Stripe is really used

    try:
        method = gateway.client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034,
                         "cvc": "123"},
            }
        )  # fmt: skip
        intent = gateway.client.v1.payment_intents.create(
            # Card only and confirmed at once; the library's typed params omit
            # payment_method_types, which the API (and localstripe) still take.
            params={
                "amount": amount,
                "currency": currency.lower(),
                "payment_method": method.id,
                "payment_method_types": ["card"],
                "confirm": True,
                "metadata": metadata,
            }
        )
    except stripe.StripeError as exc:
        raise GatewayError(f"Stripe refused the payment: {exc.user_message or exc}") from exc
    record = gateway.get_payment(intent.id)
    if record is None:
        raise GatewayError(f"Stripe does not know the payment it just made ({intent.id}).")
    return record


# The demo's one return that has travelled the whole way: its page shows each scan.
JOURNEY_TOKEN = "demo-journey"


def seed_journey(now: datetime) -> str | None:
    """Open one demo return on the local carrier and scan its parcel from the counter to
    the warehouse's door, once (later runs find it by its token); return its number."""
    from returns_portal.returns.services import (
        Draft,
        DraftItem,
        find_by_token,
        line_choices,
        load_customer_order,
        open_return,
        order_context,
    )
    from returns_portal.shipping.services import carriers, live_shipment, rates_for

    existing = find_by_token(JOURNEY_TOKEN)
    if existing is not None:
        return existing.number
    for index in range(2, 48):  # 1002 is the README's order to try: leave it untouched
        order = load_customer_order(demo_order(index, now)["number"])
        if order is None:
            continue
        context = order_context(order)
        choice = next(
            (c for c in line_choices(context, now)
             if c.decision.eligible and policy.Resolution.REFUND in c.decision.allowed_resolutions
             and c.decision.allowed_reasons),
            None,
        )  # fmt: skip
        rates = rates_for(order)
        local = [k for k in rates if isinstance(carriers().get(k.split(":")[0]), LocalCarrier)]
        if choice is None or not local:
            continue
        carrier, service = local[0].split(":")
        draft = Draft(
            order.number,
            [DraftItem(choice.line.line_ref, 1, choice.decision.allowed_reasons[0].value,
                       resolution=policy.Resolution.REFUND.value)],
            method="label", carrier=carrier, service=service, token=JOURNEY_TOKEN,
        )  # fmt: skip
        rma = open_return(context, draft, rates[local[0]].amount, "en", at=now)
        shipment = live_shipment(rma)
        if shipment is None:
            return rma.number
        for hours, code, where in JOURNEY_SCANS:
            emit_local_scan(shipment.tracking_number, code, now + timedelta(hours=hours),
                            location=where)  # fmt: skip
        return rma.number
    return None


# Each scan of the demo's journey: hours from now, the code, where.
JOURNEY_SCANS = (
    (-50, "accepted", "Shanghai Pudong counter"),
    (-40, "in_transit", "Shanghai sorting centre"),
    (-6, "out_for_delivery", "Shanghai Minhang"),
    (-2, "delivered", "Demo Store Returns Centre"),
)
