"""Issue 13's walk against the stand-in carrier, in one place: a return buys a real rate, its
label downloads, signed tracker webhooks move the customer's page (duplicates and late ones
change nothing twice), an unsigned one is refused; an unused label is refunded with the
carrier at expiry and the exchange stock held is released; a trusted return is refunded at
the first scan, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.refunds.models import Refund
from returns_portal.returns.expiry import expire_unsent
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services.links import signed_link_token
from returns_portal.returns.states import Row
from returns_portal.shipping.services import live_shipment
from returns_portal.store.services import active_policy, save_policy
from returns_portal.types import utcnow
from tests.builders import open_portal_return
from tests.returns.test_states import page_of
from tests.shipping.easypost_standin import StandIn, later
from tests.shipping.test_tracking import URL, deliver, ep, open_ep_return, row_of, shop

__all__ = ["ep", "shop"]  # fixtures


def policy(**sections) -> None:
    document = dict(active_policy().document)
    for key, value in sections.items():
        document[key] = {**(document.get(key) or {}), **value}
    save_policy(document, "test")


def test_a_trusted_return_bought_from_the_carrier_travels_and_is_refunded_once(
    shop, ep, standin, client
):
    policy(refund_at_first_scan={"below": 100000}, approval={"auto_approve_below": 100000})
    rma = open_ep_return(shop)
    assert standin.purchases == 1 and live_shipment(rma).label_cost > 0
    with shop.test_request_context():
        token = signed_link_token(rma)
    label = client.get(f"/returns/{rma.number}/label.pdf?t={token}")
    assert label.status_code == 200 and label.data.startswith(b"%PDF")

    number = live_shipment(rma).tracking_number
    accepted = standin.advance(number, "in_transit", "Accepted at the origin facility", later(1))
    body, _ = StandIn.signed(accepted)
    assert (
        client.post(URL, data=body, headers={"Content-Type": "application/json"}).status_code == 401
    )
    assert row_of(rma) is Row.AWAITING_SHIPMENT  # the unsigned event changed nothing
    assert deliver(client, accepted)[0] == 200
    assert row_of(rma) is Row.IN_TRANSIT
    refunds = db.session.scalars(select(Refund).where(Refund.return_id == rma.id)).all()
    assert len(refunds) == 1 and refunds[0].status == "succeeded"  # at the first scan

    delivered = standin.advance(number, "delivered", "Delivered", later(3))
    out = standin.advance(number, "out_for_delivery", "Out for delivery", later(2))
    for event in (delivered, delivered, out, accepted):  # a duplicate and two late ones
        assert deliver(client, event)[0] == 200
    assert row_of(rma) is Row.DELIVERED
    assert "Delivered to our warehouse" in page_of(shop, rma)
    assert len(db.session.scalars(select(Refund).where(Refund.return_id == rma.id)).all()) == 1


def test_an_unused_label_is_refunded_with_the_carrier_at_expiry_and_the_stock_released(
    shop, ep, standin
):
    policy(return_shipping={"ship_within_days": 14})
    db.session.add(StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt",
                              variant="Black / L", unit_price=12900, on_hand=5))  # fmt: skip
    db.session.commit()
    rma = open_portal_return(
        items=(("L1", 2, "too_small", "exchange"),), exchanges={"L1": "APP-TEE-BLK-L"}
    )
    assert live_shipment(rma).carrier == "ep"
    rma.requested_at = utcnow() - timedelta(days=15)
    db.session.commit()
    assert expire_unsent().expired == 1
    db.session.expire_all()
    assert db.session.get(Return, rma.id).status == ReturnStatus.EXPIRED
    assert len(standin.refunds) == 1  # the unused label's money comes back from the carrier
    stock = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-BLK-L")).one()
    assert (stock.on_hand, stock.reserved) == (5, 0)
