from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from returns_portal import policy
from returns_portal.extensions import db
from returns_portal.orders.demo import demo_order, order_total, seed_demo
from returns_portal.orders.models import Order, OrderLine
from returns_portal.orders.services import parse_order
from returns_portal.refunds.gateway import StripeGateway
from returns_portal.store.services import active_policy, order_facts

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_the_demo_store_covers_every_category_the_policy_cares_about(session):
    seed_demo(48, now=NOW)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 48
    lines = db.session.scalars(select(OrderLine)).all()
    categories = {line.category for line in lines}
    assert {
        "apparel",
        "electronics",
        "cosmetics",
        "food",
        "custom",
        "software",
        "periodical",
    } <= categories
    assert any(line.perishable for line in lines)
    assert any(line.custom_made for line in lines)
    assert any(line.sealed_media for line in lines)
    assert any(line.periodical for line in lines)
    assert any(line.gift_of for line in lines)
    orders = db.session.scalars(select(Order)).all()
    assert any(order.order_discount for order in orders)
    assert any(order.shipping_paid == 0 for order in orders)
    assert any(order.shipping_paid > 0 for order in orders)
    assert any(len(order.parcels) > 1 for order in orders)


def test_demo_lines_fall_both_inside_and_outside_their_windows(session):
    seed_demo(48, now=NOW)
    rules = active_policy()
    outcomes: Counter[str] = Counter()
    for index in range(48):
        facts = order_facts(parse_order(demo_order(index, NOW)))
        for decision in policy.decide_lines(facts, rules, NOW):
            codes = {reason.code for reason in decision.reasons}
            if policy.ReturnReason.CHANGED_MIND in decision.allowed_reasons:
                outcomes[
                    "statutory window open" if decision.statutory else "merchant window open"
                ] += 1
            elif "window_closed" in codes:
                outcomes["window closed"] += 1
            elif any(code.startswith("excluded_") for code in codes):
                outcomes["excluded by law"] += 1
            if "not_delivered" in codes:
                outcomes["not delivered"] += 1
    for outcome in ("statutory window open", "merchant window open", "window closed",
                    "excluded by law", "not delivered"):  # fmt: skip
        assert outcomes[outcome] >= 3, outcomes


def test_every_demo_order_is_paid_for_what_it_costs(session):
    seed_demo(12, now=NOW)
    for order in db.session.scalars(select(Order)):
        assert len(order.payments) == 1
        assert order.payments[0].amount == order_total(demo_order(int(order.number) - 1001, NOW))


def test_seeding_again_changes_nothing_and_makes_no_new_payments(session):
    seed_demo(10, now=NOW)
    references = set(db.session.scalars(select(Order.number)))
    summary = seed_demo(10, now=NOW)
    assert summary.payments_created == 0
    assert set(db.session.scalars(select(Order.number))) == references


def test_demo_payments_exist_in_stripe(app, session, localstripe_url, monkeypatch):
    gateway = StripeGateway("sk_test_demo", localstripe_url)
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)
    summary = seed_demo(3, now=NOW)
    assert summary.payments_created == 3
    for order in db.session.scalars(select(Order)):
        record = gateway.get_payment(order.payments[0].reference)
        assert record is not None and record.status == "succeeded"
        assert record.amount == order.payments[0].amount
        assert record.metadata["order_number"] == order.number


@pytest.mark.parametrize("index", range(48))
def test_each_demo_order_is_valid(index):
    parse_order(demo_order(index, NOW))


def test_the_demo_store_has_other_sizes_in_stock_for_exchanges(session):
    from returns_portal.orders.models import StockLevel

    seed_demo(3, now=NOW)
    tees = {
        s.sku: s
        for s in db.session.scalars(select(StockLevel).where(StockLevel.product_group == "APP-TEE"))
    }
    assert {"APP-TEE-BLK-M", "APP-TEE-BLK-L", "APP-TEE-BLK-S", "APP-TEE-WHT-M"} <= set(tees)
    assert tees["APP-TEE-BLK-S"].available == 6
    assert tees["APP-TEE-WHT-M"].available == 0


def test_the_demo_store_has_one_staff_user_per_role(session):
    from returns_portal.accounts.services import authenticate
    from returns_portal.orders.demo import DEMO_PASSWORD

    seed_demo(1, now=NOW)
    seed_demo(1, now=NOW)  # again: no duplicates
    for role in ("admin", "warehouse", "finance", "support"):
        assert authenticate(f"{role}@example.com", DEMO_PASSWORD).role == role


def forgetful_payment_server(app, monkeypatch):
    """The payment server restarted empty, as localstripe does on every `make run`."""
    from returns_portal.refunds.gateway import FakeGateway

    gateway = FakeGateway()
    for _ in range(1000):  # its payment ids are not the ones the database holds
        gateway.create_payment(1, "CNY", {})
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)
    return gateway


def refund_against(order: Order):
    """A refund paid back to the order's payment, as a return's settlement leaves it."""
    from returns_portal.refunds.models import Refund

    refund = Refund(
        key=f"demo-test-{order.number}",
        order_id=order.id,
        payment_id=order.payments[0].id,
        status="succeeded",
        method="original_payment",
        currency="CNY",
        amount=1000,
        provider_refund_id=f"re_demo_{order.number}",
    )
    db.session.add(refund)
    db.session.commit()
    return refund


def test_seeding_again_after_a_refund_works_when_the_payment_server_forgot_its_payments(
    app, session, monkeypatch
):
    from returns_portal.orders.services import load_order

    seed_demo(3, now=NOW)
    order = load_order("1001")
    refund = refund_against(order)
    gateway = forgetful_payment_server(app, monkeypatch)

    summary = seed_demo(3, now=NOW)  # `make run` again

    assert summary.payments_created == 3
    db.session.expire_all()
    order = load_order("1001")
    [payment] = order.payments
    assert refund.payment_id == payment.id  # the refund still names the order's payment
    record = gateway.get_payment(payment.reference)  # which the payment server now knows
    assert record is not None and record.amount == payment.amount


def test_seeding_a_third_time_after_a_refund_makes_no_new_payments(app, session, monkeypatch):
    seed_demo(2, now=NOW)
    refund_against(db.session.scalars(select(Order).where(Order.number == "1002")).one())
    forgetful_payment_server(app, monkeypatch)
    seed_demo(2, now=NOW)
    assert seed_demo(2, now=NOW).payments_created == 0


def test_the_demo_has_one_return_that_travelled_the_whole_way_once(session):
    from returns_portal.returns.models import Return
    from returns_portal.returns.states import Row, customer_state
    from returns_portal.shipping.services import live_shipment

    seed_demo(12, now=NOW)
    (rma,) = db.session.scalars(select(Return)).all()
    assert rma.client_token == "demo-journey" and rma.order.number != "1002"  # README's is free
    codes = [event.code for event in live_shipment(rma).events]
    assert codes == ["accepted", "in_transit", "out_for_delivery", "delivered"]
    assert customer_state(rma).row is Row.DELIVERED
    seed_demo(12, now=NOW)  # make run again: the same one, not a second
    assert [r.id for r in db.session.scalars(select(Return))] == [rma.id]
