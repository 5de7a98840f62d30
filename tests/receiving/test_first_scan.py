"""Refund at the carrier's first scan (policy `refund_at_first_scan`): a trusted return is
refunded, once, when the carrier accepts it; the warehouse still inspects it and its findings
are recorded against the refund that stands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.receiving import services as receiving
from returns_portal.receiving.handlers import refund_on_first_scan
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import transition
from returns_portal.returns.services.tracking import record_scan
from returns_portal.returns.states import Row, customer_state
from returns_portal.shipping.services import live_shipment
from returns_portal.store.services import active_policy, save_policy
from returns_portal.types import utcnow
from tests.builders import open_portal_return
from tests.refunds.conftest import INTACT_TEE, paid_order
from tests.returns.test_states import page_of

WORKER = "user:999 w@example.com"


def set_policy(**sections) -> None:
    document = dict(active_policy().document)
    for key, value in sections.items():
        document[key] = value if not isinstance(value, dict) else {**document[key], **value}
    save_policy(document, "test")


@pytest.fixture
def shop(app, session):
    paid_order()  # two T-shirts, 258.00 paid
    set_policy(refund_at_first_scan={"below": 100000},
               approval={"auto_approve_below": 100000})  # fmt: skip
    return app


def refunds_of(rma: Return) -> list[Refund]:
    db.session.expire_all()
    return list(db.session.scalars(select(Refund).where(Refund.return_id == rma.id)))


def accepted(rma: Return) -> None:
    """The carrier scans the parcel in: the return is on its way."""
    assert record_scan(live_shipment(rma), "accepted", utcnow(), "Accepted at the counter")


def actions(rma: Return) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "return", AuditEvent.entity_id == rma.number)
            .order_by(AuditEvent.id)
        )
    )


def inspect(rma: Return, count: int = 2) -> Refund:
    inspection = receiving.receive_parcel(rma, WORKER)
    for _ in range(count):
        receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    for expected in receiving.expected_items(inspection):
        receiving.record_inspection(
            inspection, expected.finding, INTACT_TEE, "A", None, "", "", 0, WORKER
        )
    return receiving.complete_inspection(inspection, WORKER)


def test_a_trusted_return_is_refunded_once_at_the_first_scan(shop):
    gateway = payment_gateway()
    before = gateway.refund_calls
    rma = open_portal_return()
    assert refunds_of(rma) == []
    accepted(rma)
    (refund,) = refunds_of(rma)
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.amount == rma.estimate["refund"]["total"]
    assert gateway.refund_calls == before + 1
    assert "refund.proposed_at_first_scan" in actions(rma)
    # The outbox may deliver the move again, and a second scan comes in: nothing twice.
    refund_on_first_scan(rma.id, "in_transit")
    record_scan(live_shipment(rma), "in_transit", utcnow(), "Departed")
    assert len(refunds_of(rma)) == 1 and gateway.refund_calls == before + 1
    db.session.refresh(rma)
    state = customer_state(rma)
    assert state.row is Row.IN_TRANSIT
    assert "paid back on" in page_of(shop, rma)


def test_the_warehouse_still_inspects_and_the_findings_are_kept(shop):
    gateway = payment_gateway()
    rma = open_portal_return()
    accepted(rma)
    paid = gateway.refund_calls
    (early,) = refunds_of(rma)
    refund = inspect(rma, count=1)  # one shirt is missing
    assert refund.id == early.id and len(refunds_of(rma)) == 1
    assert gateway.refund_calls == paid  # nothing paid or taken back by the inspection
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "inspection.after_early_refund")
    ).one()
    assert event.after["short"] == {"APP-TEE-BLK-M": 1} and event.after["differs"] is True
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.RESOLVED  # its money was settled at the first scan
    assert customer_state(rma).row is Row.PAID_TO_CARD


def test_above_the_order_value_the_refund_waits_for_the_warehouse(shop):
    set_policy(refund_at_first_scan={"below": 25800})  # the order paid exactly 258.00
    rma = open_portal_return()
    accepted(rma)
    assert refunds_of(rma) == []
    refund = inspect(rma)
    assert refund.status == RefundStatus.SUCCEEDED  # at receipt, as before
    assert "inspection.after_early_refund" not in actions(rma)


def test_off_by_default(app, session):
    paid_order()
    rma = open_portal_return()
    accepted(rma)
    assert refunds_of(rma) == []


def test_a_flagged_return_is_not_trusted(shop):
    from returns_portal.orders.models import Order

    email = db.session.scalars(select(Order.email).where(Order.number == "1001")).one()
    set_policy(abuse={"blocklist": {"emails": [email], "addresses": []}})
    rma = open_portal_return()
    assert rma.status == ReturnStatus.NEEDS_REVIEW
    transition(rma, ReturnStatus.AWAITING_SHIPMENT, "user:1 support@example.com")
    db.session.commit()
    accepted(rma)
    assert refunds_of(rma) == []


def test_an_exchange_is_not_refunded_early(shop):
    db.session.add(StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt",
                              variant="Black / L", unit_price=12900, on_hand=5))  # fmt: skip
    db.session.commit()
    rma = open_portal_return(
        items=(("L1", 2, "too_small", "exchange"),), exchanges={"L1": "APP-TEE-BLK-L"}
    )
    accepted(rma)
    assert refunds_of(rma) == []


def test_a_customer_with_a_rejected_return_is_not_trusted(shop):
    paid_order("1002")
    earlier = open_portal_return("1002", items=(("L1", 1, "too_small", "refund"),))
    transition(earlier, ReturnStatus.CANCELLED, "customer")  # not rejected: still trusted
    db.session.commit()
    rma = open_portal_return()
    accepted(rma)
    assert len(refunds_of(rma)) == 1
    paid_order("1003")
    rejected = open_portal_return("1003", items=(("L1", 1, "too_small", "refund"),))
    rejected.status = ReturnStatus.REJECTED.value  # as support left it
    db.session.commit()
    paid_order("1004")
    third = open_portal_return("1004", items=(("L1", 1, "too_small", "refund"),))
    accepted(third)
    assert refunds_of(third) == []
