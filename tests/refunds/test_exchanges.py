"""Exchanges settle their price difference: refunded when the new item is cheaper, charged
when it is dearer, and nothing when the price is the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db
from returns_portal.orders.demo import pay_with_test_card, seed_demo
from returns_portal.orders.models import Order, Payment, StockLevel
from returns_portal.orders.services import upsert_order
from returns_portal.receiving import services as receiving
from returns_portal.refunds import services
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import (
    Draft,
    DraftItem,
    ExchangeNotOffered,
    ReturnError,
    draft_settlement,
    exchange_unit_price,
    replacement_for,
    stock_currency,
)
from tests.builders import open_portal_return, recent_order_document
from tests.refunds.conftest import INTACT_TEE, paid_order, proposed_refund


@pytest.fixture
def variants(session):
    # The returned T-shirt is worth what was paid for it. Another size of it costs that too;
    # other products (the silk and the basic shirt) cost these prices.
    session.add_all([
        StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt",
                   variant="Black / L", unit_price=12900, on_hand=5),
        StockLevel(sku="APP-TEE-SLK-L", product_group="APP-TEE-SILK", name="Silk T-shirt",
                   variant="Silk / L", unit_price=15900, on_hand=5),
        StockLevel(sku="APP-TEE-BSC-L", product_group="APP-TEE-BASIC", name="Basic T-shirt",
                   variant="Basic / L", unit_price=9900, on_hand=5),
    ])  # fmt: skip
    session.commit()


def settlement_of(refund: Refund) -> list[Refund]:
    return list(
        db.session.scalars(
            select(Refund).where(Refund.return_id == refund.return_id).order_by(Refund.id)
        )
    )


def audit_actions(entity_type: str, entity_id: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )


def draft_of(rma: Return) -> Draft:
    """The draft the customer confirmed for `rma` (its items as the review step had them)."""
    items = [
        DraftItem(i.line.line_ref, i.quantity, i.reason, resolution=i.resolution,
                  exchange_sku=i.exchange_sku)
        for i in rma.items
    ]  # fmt: skip
    return Draft(rma.order.number, items)


# The T-shirt came back worth 129.00; the prepaid label (6.00) comes off what is due.
VALUE, LABEL = 12900, 600


def test_the_breakdown_these_tests_rely_on(variants):
    paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-BLK-L")
    assert refund.breakdown["settlement"]["exchange_value"] == VALUE
    assert [(d["code"], d["amount"]) for d in refund.breakdown["refund"]["deductions"]] == [
        ("return_label_cost", LABEL)
    ]


def test_another_size_of_the_same_product_costs_what_was_paid_and_only_the_label_is_due(
    variants,
):
    paid_order()
    refund = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-BLK-L")
    rma = db.session.get(Return, refund.return_id)
    assert rma.items[0].exchange_unit_price is None  # what was paid for the returned unit
    assert refund.breakdown["settlement"]["exchange_price"] == VALUE
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


# --- what a new item costs: the same product at what was paid, another at its price --------


def inspected(rma, units: int, sku: str, inspector: str = "user:999 w@example.com") -> Refund:
    """Receive and inspect `units` intact units of `sku` for the return; its first refund row."""
    inspection = receiving.receive_parcel(rma, inspector)
    for _ in range(units):
        receiving.scan_item(inspection, sku, inspector)
    for expected in receiving.expected_items(inspection):
        receiving.record_inspection(
            inspection, expected.finding, INTACT_TEE, "A", None, "", "", 0, inspector
        )
    return receiving.complete_inspection(inspection, inspector)


def test_a_same_size_swap_of_demo_order_1001_moves_no_money_and_resolves_the_return(session):
    seed_demo(2)  # 1001: two black T-shirts in M, free return shipping above 500.00
    gateway = payment_gateway()
    rma = open_portal_return(
        "1001", items=(("L1", 1, "too_small", "exchange"),), exchanges={"L1": "APP-TEE-BLK-L"}
    )
    refunds_before, charges_before = gateway.refund_calls, gateway.charge_calls
    refund = inspected(rma, 1, "APP-TEE-BLK-M")
    assert [(r.method, r.amount) for r in settlement_of(refund)] == [("original_payment", 0)]
    # Nothing to approve and nothing to pay: settled at inspection, without finance, and
    # without the provider (which refuses an amount of 0).
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_refund_id is None
    assert (gateway.refund_calls, gateway.charge_calls) == (refunds_before, charges_before)
    assert audit_actions("refund", refund.key)[-2:] == [
        "refund.auto_approved",
        "refund.settled_without_payment",
    ]
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.RESOLVED
    replacement = replacement_for(rma)
    assert replacement is not None and replacement.status == "handed_to_fulfilment"
    assert [(x.sku, x.quantity, x.currency) for x in replacement.lines] == [
        ("APP-TEE-BLK-L", 1, "CNY")
    ]


def test_a_zero_part_of_a_flagged_inspection_waits_for_finance_and_is_then_settled_unpaid(
    session, finance
):
    seed_demo(2)
    gateway = payment_gateway()
    rma = open_portal_return(
        "1001", items=(("L1", 1, "too_small", "exchange"),), exchanges={"L1": "APP-TEE-BLK-L"}
    )
    inspection = receiving.receive_parcel(rma, "user:999 w@example.com")
    receiving.scan_item(inspection, "APP-TEE-BLK-M", "user:999 w@example.com")
    (expected,) = receiving.expected_items(inspection)
    worn = {**INTACT_TEE, "clean_and_undamaged": False}
    receiving.record_inspection(
        inspection, expected.finding, worn, "C", None, "", "", 0, "user:999 w@example.com"
    )
    refund = receiving.complete_inspection(inspection, "user:999 w@example.com")
    assert (refund.amount, refund.status) == (0, RefundStatus.PROPOSED)  # finance decide
    before = (gateway.refund_calls, gateway.charge_calls)
    settled = services.approve_refund(refund.id, finance)
    assert settled.status == RefundStatus.SUCCEEDED and settled.provider_refund_id is None
    assert (gateway.refund_calls, gateway.charge_calls) == before
    assert audit_actions("refund", settled.key)[-1] == "refund.settled_without_payment"


def test_a_size_swap_costs_what_was_paid_after_the_coupon_not_the_list_price(session):
    seed_demo(6)  # 1006: a tote and two T-shirts in L, 10.00 off with a coupon
    rma = open_portal_return(
        "1006", items=(("L2", 1, "too_small", "exchange"),), exchanges={"L2": "APP-TEE-BLK-S"}
    )
    assert rma.items[0].exchange_unit_price is None  # the list price, 129.00, plays no part
    estimate = draft_settlement(draft_of(rma), rma.estimate["refund"])
    paid = rma.estimate["refund"]["lines"][0]["items"]
    assert paid < 12900  # the coupon's share came off what the shirt cost
    assert estimate.exchange_price == estimate.exchange_value == paid
    refund = inspected(rma, 1, "APP-TEE-BLK-L")
    settlement = refund.breakdown["settlement"]
    assert settlement["exchange_price"] == settlement["exchange_value"] == paid
    # What is left to pay is the return's own costs (its label, the free delivery it
    # breaks), none of it a price difference: they add up to the deductions exactly.
    deductions = sum(d["amount"] for d in refund.breakdown["refund"]["deductions"])
    assert [(r.method, r.amount) for r in settlement_of(refund)] == [
        ("exchange_charge", deductions)
    ]
    replacement = replacement_for(rma)  # the new shirt goes out at what was paid for the old
    assert [(x.sku, x.quantity, x.unit_price) for x in replacement.lines] == [
        ("APP-TEE-BLK-S", 1, paid)
    ]
    assert replacement.status == "handed_to_fulfilment"


def test_another_dearer_product_charges_its_price_less_what_was_paid(session):
    seed_demo(6)
    rma = open_portal_return(
        "1006", items=(("L2", 1, "too_small", "exchange"),), exchanges={"L2": "APP-JKT-NVY-L"}
    )
    assert rma.items[0].exchange_unit_price == 89900  # the jacket is another product
    refund = inspected(rma, 1, "APP-TEE-BLK-L")
    paid = refund.breakdown["refund"]["lines"][0]["items"]
    deductions = sum(d["amount"] for d in refund.breakdown["refund"]["deductions"])
    assert [(r.method, r.amount) for r in settlement_of(refund)] == [
        ("exchange_charge", 89900 - paid + deductions)
    ]
    replacement = replacement_for(rma)
    assert [(x.sku, x.quantity, x.unit_price) for x in replacement.lines] == [
        ("APP-JKT-NVY-L", 1, 89900)
    ]


def test_another_product_s_price_is_kept_when_the_shop_changes_it_before_inspection(variants):
    paid_order()
    rma = open_portal_return(
        items=(("L1", 1, "too_small", "exchange"),), exchanges={"L1": "APP-TEE-SLK-L"}
    )
    stock = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-SLK-L")).one()
    stock.unit_price = 25900
    db.session.commit()
    refund = inspected(rma, 1, "APP-TEE-BLK-M")
    assert refund.breakdown["settlement"]["exchange_price"] == 15900


# --- stock priced in another currency than the order ---------------------------------------


def eur_order(number: str = "2001") -> Order:
    """Order `number` of recent_order_document, in euros and paid through the gateway."""
    document = recent_order_document(number)
    document["currency"] = "EUR"
    for line in document["lines"]:
        line["unit_price"] = line["unit_price"] * 4000 // 12900  # the T-shirt: 40.00 EUR
    total = sum(line["unit_price"] * line["quantity"] for line in document["lines"])
    payment = pay_with_test_card(payment_gateway(), total, "EUR", {"order_number": number})
    document["payments"] = [{"reference": payment.reference, "amount": payment.amount}]
    upsert_order(document)
    order = db.session.scalars(select(Order).where(Order.number == number)).one()
    return order


@pytest.fixture
def cny_and_eur_stock(session):
    # The store prices in yuan (stock without a currency is in the store's); one product,
    # a cap, is priced in euros.
    session.add_all([
        StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt",
                   variant="Black / L", unit_price=12900, on_hand=5),
        StockLevel(sku="APP-TEE-SLK-L", product_group="APP-TEE-SILK", name="Silk T-shirt",
                   variant="Silk / L", unit_price=15900, currency="CNY", on_hand=5),
        StockLevel(sku="APP-CAP", product_group="APP-CAP", name="Cap", unit_price=2500,
                   currency="EUR", on_hand=5),
    ])  # fmt: skip
    session.commit()


def test_a_size_swap_of_a_euro_order_costs_what_was_paid_whatever_the_stock_s_currency(
    cny_and_eur_stock,
):
    eur_order()
    rma = open_portal_return(
        "2001", items=(("L1", 1, "too_small", "exchange"),), exchanges={"L1": "APP-TEE-BLK-L"}
    )
    assert rma.items[0].exchange_unit_price is None  # never the stock's 129 (yuan) in euros
    refund = inspected(rma, 1, "APP-TEE-BLK-M")
    settlement = refund.breakdown["settlement"]
    assert settlement["currency"] == "EUR"
    assert settlement["exchange_price"] == settlement["exchange_value"] == 4000
    (line,) = replacement_for(rma).lines
    assert (line.sku, line.unit_price, line.currency) == ("APP-TEE-BLK-L", 4000, "EUR")


def test_another_product_priced_in_another_currency_is_not_offered(cny_and_eur_stock):
    order = eur_order()
    silk = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-SLK-L")).one()
    with pytest.raises(ExchangeNotOffered):
        exchange_unit_price(order.lines[0], silk)
    with pytest.raises(ReturnError, match="can't be offered as an exchange"):
        open_portal_return(
            "2001", items=(("L1", 1, "too_small", "exchange"),), exchanges={"L1": "APP-TEE-SLK-L"}
        )
    db.session.rollback()
    db.session.refresh(silk)
    assert silk.reserved == 0
    assert db.session.scalars(select(Return)).all() == []


def test_another_product_priced_in_the_order_s_currency_costs_its_price(cny_and_eur_stock):
    eur_order()
    rma = open_portal_return(
        "2001", items=(("L1", 1, "too_small", "exchange"),), exchanges={"L1": "APP-CAP"}
    )
    assert rma.items[0].exchange_unit_price == 2500
    refund = inspected(rma, 1, "APP-TEE-BLK-M")
    assert refund.breakdown["settlement"]["exchange_price"] == 2500


def test_stock_without_a_currency_is_priced_in_the_store_s(cny_and_eur_stock):
    tee = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-BLK-L")).one()
    cap = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-CAP")).one()
    assert (stock_currency(tee), stock_currency(cap)) == ("CNY", "EUR")


def test_stock_the_warehouse_restocks_from_an_order_takes_the_order_s_currency(session):
    eur_order()
    rma = open_portal_return("2001", items=(("L1", 1, "changed_mind", "refund"),))
    inspected(rma, 1, "APP-TEE-BLK-M")
    stock = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-BLK-M")).one()
    assert (stock.on_hand, stock.unit_price, stock.currency) == (1, 4000, "EUR")


def test_the_demo_store_prices_its_stock_in_yuan(session):
    seed_demo(1)
    assert set(db.session.scalars(select(StockLevel.currency))) == {"CNY"}
