"""Exchanges settle their price difference: refunded when the new item is cheaper, charged
when it is dearer, and nothing when the price is the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.orders.models import Order, Payment, StockLevel
from returns_portal.refunds import services
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.returns.models import Return
from tests.refunds.conftest import paid_order, proposed_refund


@pytest.fixture
def variants(session):
    # The returned T-shirt is worth what was paid for it; the new ones cost these prices.
    session.add_all([
        StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt",
                   variant="Black / L", unit_price=12900, on_hand=5),
        StockLevel(sku="APP-TEE-SLK-L", product_group="APP-TEE", name="Silk T-shirt",
                   variant="Silk / L", unit_price=15900, on_hand=5),
        StockLevel(sku="APP-TEE-BSC-L", product_group="APP-TEE", name="Basic T-shirt",
                   variant="Basic / L", unit_price=9900, on_hand=5),
    ])  # fmt: skip
    session.commit()


def settlement_of(refund: Refund) -> list[Refund]:
    return list(
        db.session.scalars(
            select(Refund).where(Refund.return_id == refund.return_id).order_by(Refund.id)
        )
    )


# The T-shirt came back worth 129.00; the prepaid label (6.00) comes off what is due.
VALUE, LABEL = 12900, 600


def test_the_breakdown_these_tests_rely_on(variants):
    paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-BLK-L")
    assert refund.breakdown["settlement"]["exchange_value"] == VALUE
    assert [(d["code"], d["amount"]) for d in refund.breakdown["refund"]["deductions"]] == [
        ("return_label_cost", LABEL)
    ]


def test_an_exchange_at_the_same_price_keeps_the_price_and_charges_only_the_label(variants):
    paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-BLK-L")
    rma = db.session.get(Return, refund.return_id)
    assert rma.items[0].exchange_unit_price == 12900
    assert [(r.method, r.amount) for r in settlement_of(refund)] == [("exchange_charge", LABEL)]


def test_a_cheaper_exchange_refunds_the_difference_to_the_card(variants, finance):
    reference = paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-BSC-L")
    due = VALUE - LABEL - 9900
    assert [(r.method, r.amount) for r in settlement_of(refund)] == [("original_payment", due)]
    paid = services.approve_refund(refund.id, finance)
    assert paid.status == RefundStatus.SUCCEEDED
    provider = payment_gateway().list_refunds(reference)
    assert [(r.amount, r.key) for r in provider] == [(due, refund.key)]


def test_a_refund_and_a_dearer_exchange_in_one_return_net_out_on_the_card(variants, finance):
    paid_order()
    refund = proposed_refund(quantity=2, resolution="exchange", exchange_sku="APP-TEE-SLK-L")
    # two shirts back (258.00), two silk shirts out (318.00), the label: 66.00 to pay
    assert [(r.method, r.amount) for r in settlement_of(refund)] == [
        ("exchange_charge", 2 * 15900 - 2 * VALUE + LABEL)
    ]


def test_a_dearer_exchange_charges_the_difference_once(variants, finance):
    paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-SLK-L")
    rows = settlement_of(refund)
    assert [(r.method, r.amount) for r in rows] == [("exchange_charge", 15900 - VALUE + LABEL)]
    calls = payment_gateway().charge_calls
    charge = services.approve_refund(rows[0].id, finance)
    assert charge.status == RefundStatus.SUCCEEDED
    order = db.session.get(Order, charge.order_id)
    collected = db.session.scalar(
        select(Payment).where(Payment.reference == charge.provider_refund_id)
    )
    assert collected is not None and collected.order_id == order.id
    assert collected.amount == 15900 - VALUE + LABEL
    record = payment_gateway().get_payment(charge.provider_refund_id)
    assert record.status == "succeeded" and record.metadata["charge_key"] == charge.key
    # Submitting again, or reconciling, collects nothing more.
    services.submit_refund(charge.id)
    services.reconcile()
    assert payment_gateway().charge_calls == calls + 1


def test_a_declined_charge_stays_failed_with_the_reason_and_is_retried_on_the_same_payment(
    variants, finance
):
    paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-SLK-L")
    gateway = payment_gateway()
    gateway.decline = True
    charge = services.approve_refund(refund.id, finance)
    assert charge.status == RefundStatus.FAILED
    assert "requires_payment_method" in charge.failure_message
    prepared = charge.provider_refund_id
    gateway.decline = False
    services.reconcile()
    db.session.refresh(charge)
    assert charge.status == RefundStatus.SUCCEEDED
    assert charge.provider_refund_id == prepared  # the same payment, confirmed this time


def test_a_crash_after_preparing_the_charge_is_settled_without_a_second_charge(
    variants, finance, monkeypatch
):
    paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-SLK-L")
    gateway = payment_gateway()
    real_confirm = gateway.confirm_charge
    calls = gateway.charge_calls

    def confirm_then_crash(reference):
        real_confirm(reference)  # the provider takes the money...
        raise SystemExit("worker killed")  # ...and our process dies before recording it

    monkeypatch.setattr(gateway, "confirm_charge", confirm_then_crash)
    with pytest.raises(SystemExit):
        services.approve_refund(refund.id, finance)
    monkeypatch.setattr(gateway, "confirm_charge", real_confirm)
    stuck = db.session.get(Refund, refund.id)
    db.session.refresh(stuck)
    assert stuck.status == RefundStatus.SUBMITTED
    services.reconcile(now_delay=timedelta(0))
    db.session.refresh(stuck)
    assert stuck.status == RefundStatus.SUCCEEDED
    assert gateway.charge_calls == calls + 1  # found succeeded at the provider: not confirmed again


def test_refunds_to_the_card_do_not_count_store_credit_or_charges(variants, finance):
    reference = paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-SLK-L")
    services.approve_refund(refund.id, finance)
    second = proposed_refund(quantity=1)
    assert services.refundable(second) == db.session.scalar(
        select(Payment.amount).where(Payment.reference == reference)
    )
