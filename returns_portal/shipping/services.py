"""Return shipping: rates, labels and voids through the configured carriers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.orders.models import Order
from returns_portal.returns.models import Return
from returns_portal.shipping.carriers import (
    DEFAULT_CARRIERS,
    Address,
    Carrier,
    CarrierError,
    LabelRequest,
    Rate,
    carriers_from_config,
)
from returns_portal.shipping.easypost import CarrierRefused, EasyPostCarrier
from returns_portal.shipping.models import Shipment
from returns_portal.store.services import active_policy, ensure_store
from returns_portal.types import utcnow

log = logging.getLogger(__name__)

# A typical parcel of returned goods; carriers price by weight bands above it.
DEFAULT_WEIGHT_GRAMS = 1000
# Shipment states after which the carrier has the parcel and the label can't be voided.
MAX_LABEL_ATTEMPTS = 10
MOVING = frozenset({"accepted", "in_transit", "out_for_delivery", "delivered"})


def init_app(app: Flask) -> None:
    """Build the carriers the configuration lists (two local carriers by default)."""
    app.extensions["carriers"] = carriers_from_config(
        app.config.get("CARRIERS") or DEFAULT_CARRIERS, kinds={"easypost": EasyPostCarrier}
    )


def carriers() -> dict[str, Carrier]:
    """Return the configured carriers by code."""
    configured: dict[str, Carrier] = current_app.extensions["carriers"]
    return configured


def warehouse_address() -> Address:
    """Return the address returns are sent to, from the store settings."""

    # A store saved before it had a returns address falls back to the configured one.
    data: dict[str, Any] = ensure_store().return_address or dict(
        current_app.config["RETURN_ADDRESS"]
    )
    return Address(
        name=data.get("name", "Returns"),
        line1=data.get("line1", ""),
        line2=data.get("line2", ""),
        city=data.get("city", ""),
        postal_code=data.get("postal_code", ""),
        country=data.get("country", ""),
        phone=data.get("phone", ""),
    )


def customer_address(order: Order) -> Address:
    """Return the customer's address as the label's sender."""
    data: dict[str, Any] = order.shipping_address or {}
    return Address(
        name=data.get("name") or order.customer_name or order.email,
        line1=data.get("line1", ""),
        line2=data.get("line2", ""),
        city=data.get("city", ""),
        postal_code=data.get("postal_code") or order.postal_code or "",
        country=data.get("country") or order.country or "",
        phone=data.get("phone", ""),
    )


def rates_for(order: Order) -> dict[str, Rate]:
    """Return the price of every carrier service the policy lets the customer choose for
    this order's return, by carrier:service, cheapest first."""
    return allowed_rates(all_rates(order))


def allowed_rates(rates: dict[str, Rate]) -> dict[str, Rate]:
    """Keep the rates the policy allows (`return_shipping.services`, `max_rate`). When it
    would leave none, the cheapest of all stays: a carrier rule never takes the right to
    return away."""
    rules = active_policy()
    kept = {
        key: rate
        for key, rate in rates.items()
        if (not rules.allowed_services or key in rules.allowed_services)
        and (rules.max_rate is None or rate.amount <= rules.max_rate)
    }
    if kept or not rates:
        return kept
    cheapest = next(iter(rates))
    log.warning("the policy allows none of the rates offered; %s, the cheapest, stays", cheapest)
    return {cheapest: rates[cheapest]}


def all_rates(order: Order) -> dict[str, Rate]:
    """Return every carrier service's price for sending this order's return, by carrier:service."""
    found: dict[str, Rate] = {}
    for carrier in carriers().values():
        try:
            quotes = carrier.rates(
                customer_address(order), warehouse_address(), DEFAULT_WEIGHT_GRAMS, order.currency
            )
        except CarrierError as exc:  # an HTTP carrier down: the others are still offered
            log.warning("carrier %s quoted no rates: %s", carrier.code, exc)
            continue
        for rate in quotes:
            found[f"{rate.carrier}:{rate.service}"] = rate
    return dict(sorted(found.items(), key=lambda item: (item[1].amount, item[0])))


def service_rate(order: Order, carrier: str, service: str) -> Rate | None:
    """Return the named carrier service's rate (with its display names) for this order."""
    # Any rate, allowed now or not: a return keeps the service it was sent with.
    return all_rates(order).get(f"{carrier}:{service}")


class ShippingError(Exception):
    """A label could not be bought or voided; the message is for the customer."""


def create_return_label(rma: Return, order: Order) -> Shipment:
    """Buy (or issue) the return label for `rma` and record the shipment."""
    carrier = carriers().get(rma.carrier or "")
    if carrier is None:
        raise ShippingError(_l("The chosen carrier is not available. Please choose another."))
    # The local carrier derives numbers from the RMA; `attempt` steps past a number that is
    # already taken (a hash collision, or a label voided earlier for this return).
    for attempt in range(MAX_LABEL_ATTEMPTS):
        try:
            label = carrier.create_label(
                LabelRequest(
                    reference=rma.number,
                    service=rma.service or "",
                    from_address=customer_address(order),
                    to_address=warehouse_address(),
                    weight_grams=DEFAULT_WEIGHT_GRAMS,
                    currency=order.currency,
                    qr_dropoff=rma.method == "qr_dropoff",
                    attempt=attempt,
                )
            )
        except CarrierRefused as exc:  # the carrier said why (an address it can't use …)
            raise ShippingError(
                _l("The carrier could not issue a label: %(reason)s", reason=str(exc))
            ) from exc
        except CarrierError as exc:
            raise ShippingError(
                _l("The carrier could not issue a label just now. Please try again.")
            ) from exc
        taken = db.session.scalar(
            select(Shipment.id).where(Shipment.tracking_number == label.tracking_number)
        )
        if taken is None:
            break
    else:
        raise ShippingError(_l("The carrier could not issue a label just now. Please try again."))
    shipment = Shipment(
        return_id=rma.id,
        carrier=label.carrier,
        service=label.service,
        tracking_number=label.tracking_number,
        label_cost=label.amount,
        currency=label.currency,
        status="label_created",
        qr_payload=label.qr_payload,
        created_at=utcnow(),
        provider_id=label.provider_id,
        label_url=label.label_url,
        label_zpl_url=label.label_zpl_url,
    )
    db.session.add(shipment)
    db.session.flush()
    record_event(
        "system", "shipment.label_created", "return", rma.number,
        after={"carrier": label.carrier, "service": label.service,
               "tracking_number": label.tracking_number, "cost": label.amount},
    )  # fmt: skip
    return shipment


def void_return_label(rma: Return) -> None:
    """Void the return's live labels; refuse if the carrier already has the parcel."""
    shipments = db.session.scalars(
        select(Shipment).where(Shipment.return_id == rma.id, Shipment.voided_at.is_(None))
    ).all()
    for shipment in shipments:
        if shipment.status in MOVING or any(e.code in MOVING for e in shipment.events):
            raise ShippingError(_l("This return is on its way and can no longer be cancelled."))
    for shipment in shipments:
        carrier = carriers().get(shipment.carrier)
        if carrier is not None:
            try:
                carrier.void_label(shipment.tracking_number)
            except CarrierError as exc:
                raise ShippingError(
                    _l("The carrier could not cancel the label just now. Please try again.")
                ) from exc
        shipment.status = "voided"
        shipment.voided_at = utcnow()
        record_event("system", "shipment.voided", "return", rma.number,
                     after={"tracking_number": shipment.tracking_number})  # fmt: skip


def live_shipment(rma: Return) -> Shipment | None:
    """Return the return's current (not voided) shipment."""
    return db.session.scalar(
        select(Shipment)
        .where(Shipment.return_id == rma.id, Shipment.voided_at.is_(None))
        .order_by(Shipment.id.desc())
        .limit(1)
    )


def carrier_label(shipment: Shipment, kind: str) -> bytes | None:
    """Return the label file an HTTP carrier made for the shipment ("label.pdf" or
    "label.zpl"), or None when the portal draws the label itself (the local carriers)."""
    url = {"label.pdf": shipment.label_url, "label.zpl": shipment.label_zpl_url}.get(kind)
    carrier = carriers().get(shipment.carrier)
    if not url or not isinstance(carrier, EasyPostCarrier):
        return None
    try:
        return carrier.download(url)
    except CarrierError as exc:
        raise ShippingError(
            _l("The carrier's label can't be fetched just now. Please try again.")
        ) from exc
