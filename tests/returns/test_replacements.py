"""Replacement orders: an exchange's new items are made into an order once the return is far
enough, handed to fulfilment with their stock, shipped with a tracking number the customer
sees, and taken back when the return comes to nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.receiving import services as receiving
from returns_portal.returns.handlers import replacement_on_move
from returns_portal.returns.models import (
    ReplacementOrder,
    ReplacementStatus,
    Return,
    ReturnStatus,
)
from returns_portal.returns.services import (
    ReplacementError,
    ReturnError,
    can_cancel,
    cancel_return,
    create_replacement,
    hand_over_waiting,
    replacement_for,
    ship_replacement,
    transition,
)
from returns_portal.returns.states import Row, customer_state
from returns_portal.store.services import active_policy, save_policy
from tests.mail import body
from tests.refunds.conftest import INTACT_TEE, paid_order
from tests.returns.test_states import inspect, mails_of, page_of

WORKER = "user:999 w@example.com"
SUPPORT = "user:1 support@example.com"
NEW = "APP-TEE-BLK-L"


@pytest.fixture
def shop(app, session):
    paid_order()  # 1001: two black T-shirts in M, 129.00 each
    db.session.add(StockLevel(sku=NEW, product_group="APP-TEE", name="T-shirt",
                              variant="Black / L", unit_price=12900, on_hand=5))  # fmt: skip
    db.session.commit()
    return app


def stock() -> StockLevel:
    db.session.expire_all()
    return db.session.scalars(select(StockLevel).where(StockLevel.sku == NEW)).one()


def exchange(units: int = 2) -> Return:
    from tests.builders import open_portal_return

    return open_portal_return(
        items=(("L1", units, "too_small", "exchange"),), exchanges={"L1": NEW}
    )


def ship_ahead() -> None:
    document = dict(active_policy().document)
    document["resolutions"] = {**document["resolutions"], "ship_exchanges_before_receipt": True}
    save_policy(document, "test")


def actions(rma: Return, prefix: str = "replacement.") -> list[str]:
    return [
        a
        for a in db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "return", AuditEvent.entity_id == rma.number)
            .order_by(AuditEvent.id)
        )
        if a.startswith(prefix)
    ]


# --- when it is made ------------------------------------------------------------------------


def test_none_is_made_before_the_parcel_is_received_and_the_units_stay_held(shop):
    rma = exchange()
    assert replacement_for(rma) is None
    assert (stock().on_hand, stock().reserved) == (5, 2)
    assert customer_state(rma).replacement is None


def test_receiving_the_parcel_hands_the_new_items_to_fulfilment_with_their_stock(shop):
    rma = exchange()
    receiving.receive_parcel(rma, WORKER)
    order = replacement_for(rma)
    assert order is not None and order.status == ReplacementStatus.HANDED_TO_FULFILMENT
    assert order.handed_over_at is not None and order.shipped_at is None
    # The same shirt in another size costs what was paid for the one sent back.
    assert [(x.sku, x.quantity, x.unit_price, x.currency) for x in order.lines] == [
        (NEW, 2, 12900, "CNY")
    ]
    # The hold became a stock movement: two fewer on hand, none held any more.
    assert (stock().on_hand, stock().reserved) == (3, 0)
    assert actions(rma) == ["replacement.created", "replacement.handed_to_fulfilment"]


def test_a_delivery_made_twice_makes_one_order_and_moves_the_stock_once(shop):
    rma = exchange()
    receiving.receive_parcel(rma, WORKER)
    first = replacement_for(rma)
    for status in ("received", "inspected", "received"):
        replacement_on_move(rma.id, status)  # the outbox may deliver again, and late
    assert create_replacement(rma.id).id == first.id
    assert db.session.scalars(select(ReplacementOrder)).all() == [first]
    assert (stock().on_hand, stock().reserved) == (3, 0)
    assert actions(rma) == ["replacement.created", "replacement.handed_to_fulfilment"]


def test_a_return_without_an_exchange_gets_no_replacement(shop):
    from tests.builders import open_portal_return

    rma = open_portal_return(items=(("L1", 2, "too_small", "refund"),))
    receiving.receive_parcel(rma, WORKER)
    assert create_replacement(rma.id) is None
    assert db.session.scalars(select(ReplacementOrder)).all() == []


def test_the_policy_can_send_the_new_item_as_soon_as_the_return_is_accepted(shop):
    ship_ahead()
    rma = exchange()
    order = replacement_for(rma)
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT
    assert order is not None and order.status == ReplacementStatus.HANDED_TO_FULFILMENT
    receiving.receive_parcel(rma, WORKER)  # the parcel comes in later: nothing new is made
    assert db.session.scalars(select(ReplacementOrder)).all() == [order]
    assert (stock().on_hand, stock().reserved) == (3, 0)


def test_a_return_keeps_the_policy_it_was_decided_under(shop):
    save_policy(dict(active_policy().document), "test")  # new items wait for the parcel
    rma = exchange()
    assert rma.policy_version_id is not None
    ship_ahead()
    replacement_on_move(rma.id, "awaiting_shipment")
    assert replacement_for(rma) is None


# --- waiting for stock ----------------------------------------------------------------------


def test_units_not_on_hand_wait_pending_and_are_handed_over_once_they_are(shop):
    rma = exchange()
    row = stock()
    row.on_hand = 1  # the shop's count fell below what was held for this exchange
    db.session.commit()
    receiving.receive_parcel(rma, WORKER)
    order = replacement_for(rma)
    assert order.status == ReplacementStatus.PENDING
    assert actions(rma) == ["replacement.created", "replacement.waiting_for_stock"]
    assert customer_state(rma).replacement.shipped is False
    done = hand_over_waiting()
    assert (done.created, done.handed, done.waiting) == (0, 0, 1)
    assert actions(rma)[-1] == "replacement.waiting_for_stock"  # said once, not every hour
    row = stock()
    row.on_hand = 4
    db.session.commit()
    done = hand_over_waiting()
    assert (done.created, done.handed, done.waiting) == (0, 1, 0)
    db.session.refresh(order)
    assert order.status == ReplacementStatus.HANDED_TO_FULFILMENT
    assert (stock().on_hand, stock().reserved) == (2, 0)


def test_a_pending_replacement_cannot_be_shipped(shop):
    rma = exchange()
    row = stock()
    row.on_hand = 0
    db.session.commit()
    receiving.receive_parcel(rma, WORKER)
    with pytest.raises(ReplacementError, match="waiting for stock"):
        ship_replacement(rma, "SF Express", "SF1", SUPPORT)


def test_the_sweep_makes_the_replacements_an_earlier_version_never_made(shop):
    rma = exchange()
    receiving.receive_parcel(rma, WORKER)
    db.session.delete(replacement_for(rma))  # as if received before replacement orders
    row = stock()
    row.on_hand, row.reserved = 5, 2
    db.session.commit()
    done = hand_over_waiting()
    assert (done.created, done.handed, done.waiting) == (1, 0, 0)
    assert replacement_for(rma).status == ReplacementStatus.HANDED_TO_FULFILMENT
    assert hand_over_waiting().created == 0


# --- shipping -------------------------------------------------------------------------------


def test_shipping_tells_the_customer_the_carrier_and_tracking_number_once(shop):
    rma = exchange()
    receiving.receive_parcel(rma, WORKER)
    before = len(mails_of(shop, rma))
    order = ship_replacement(rma, " SF Express ", " SF1234567890 ", SUPPORT)
    assert (order.status, order.carrier, order.tracking_number) == (
        ReplacementStatus.SHIPPED, "SF Express", "SF1234567890"
    )  # fmt: skip
    mails = mails_of(shop, rma)
    assert len(mails) == before + 1
    assert f"Your new item for return {rma.number} is on its way" in mails[-1]["Subject"]
    text = " ".join(body(mails[-1]).split())
    assert "SF Express" in text and "SF1234567890" in text and "refund" not in text.lower()
    # Received, not checked yet: the row is the parcel's, the new item is told beside it.
    page = page_of(shop, rma)
    assert "Received at our warehouse" in page
    assert "Your new item was sent with SF Express, tracking number SF1234567890." in page
    # The same shipment reported again changes nothing and tells nobody again.
    assert ship_replacement(rma, "SF Express", "SF1234567890", SUPPORT).id == order.id
    assert len(mails_of(shop, rma)) == before + 1
    assert actions(rma).count("replacement.shipped") == 1


def test_another_tracking_number_for_a_shipped_replacement_is_refused(shop):
    rma = exchange()
    receiving.receive_parcel(rma, WORKER)
    ship_replacement(rma, "SF Express", "SF1", SUPPORT)
    with pytest.raises(ReplacementError, match="shipped already with SF Express"):
        ship_replacement(rma, "SF Express", "SF2", SUPPORT)
    assert replacement_for(rma).tracking_number == "SF1"


@pytest.mark.parametrize("carrier, tracking", [("", "SF1"), ("SF Express", "  ")])
def test_a_shipment_needs_a_carrier_and_a_tracking_number(shop, carrier, tracking):
    rma = exchange()
    receiving.receive_parcel(rma, WORKER)
    with pytest.raises(ReplacementError, match="carrier and its tracking number"):
        ship_replacement(rma, carrier, tracking, SUPPORT)
    assert replacement_for(rma).status == ReplacementStatus.HANDED_TO_FULFILMENT


def test_a_return_without_a_replacement_cannot_ship_one(shop):
    rma = exchange()
    with pytest.raises(ReplacementError, match="has no replacement order"):
        ship_replacement(rma, "SF Express", "SF1", SUPPORT)


def test_a_settled_exchange_whose_item_shipped_reads_on_its_way(shop):
    document = dict(active_policy().document)
    document["return_shipping"] = {**document["return_shipping"], "paid_by": "merchant"}
    save_policy(document, "test")
    rma = exchange()
    inspect(rma)
    assert customer_state(rma).row is Row.EXCHANGE_PREPARING
    ship_replacement(rma, "SF Express", "SF1", SUPPORT)
    assert customer_state(rma).row is Row.EXCHANGE_ON_ITS_WAY


# --- the return comes to nothing ------------------------------------------------------------


def test_cancelling_before_receipt_releases_the_held_units(shop):
    rma = exchange()
    cancel_return(rma)
    assert (stock().on_hand, stock().reserved) == (5, 0)
    assert replacement_for(rma) is None


def test_cancelling_puts_handed_over_units_back_and_cancels_the_replacement(shop):
    ship_ahead()
    rma = exchange()
    assert (stock().on_hand, stock().reserved) == (3, 0)
    cancel_return(rma)
    order = replacement_for(rma)
    assert order.status == ReplacementStatus.CANCELLED and order.cancelled_at is not None
    assert (stock().on_hand, stock().reserved) == (5, 0)
    assert actions(rma)[-1] == "replacement.cancelled"
    assert customer_state(rma).replacement is None  # a cancelled one is nothing to tell
    with pytest.raises(ReplacementError, match="was cancelled"):
        ship_replacement(rma, "SF Express", "SF1", SUPPORT)


def inspect_intact(rma: Return) -> None:
    inspection = receiving.receive_parcel(rma, WORKER)
    for _ in range(2):
        receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    for expected in receiving.expected_items(inspection):
        receiving.record_inspection(
            inspection, expected.finding, INTACT_TEE, "A", None, "", "", 0, WORKER
        )
    receiving.complete_inspection(inspection, WORKER)
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.INSPECTED  # the label's 6.00 waits for finance


def test_rejecting_a_return_whose_replacement_waits_for_stock_releases_the_hold(shop):
    rma = exchange()
    row = stock()
    row.on_hand = 1
    db.session.commit()
    inspect_intact(rma)
    assert replacement_for(rma).status == ReplacementStatus.PENDING
    transition(rma, ReturnStatus.REJECTED, SUPPORT, "Not the items we sent.")
    db.session.commit()
    assert replacement_for(rma).status == ReplacementStatus.CANCELLED
    assert (stock().on_hand, stock().reserved) == (1, 0)
    assert hand_over_waiting().handed == 0  # a cancelled order is never handed over


def test_the_customer_cannot_cancel_once_the_new_item_is_sent(shop):
    ship_ahead()
    rma = exchange()
    assert can_cancel(rma)
    ship_replacement(rma, "SF Express", "SF1", SUPPORT)
    assert not can_cancel(rma)
    with pytest.raises(ReturnError, match="new item has been sent"):
        cancel_return(rma)
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT
    page = page_of(shop, rma)
    assert "Cancel this return" not in page
    assert "Your new item was sent with SF Express, tracking number SF1." in page
    assert "Waiting for you to send it" in page  # the customer still owes the parcel


def test_rejected_after_inspection_cancels_a_replacement_not_yet_shipped(shop):
    rma = exchange()
    inspect_intact(rma)
    assert replacement_for(rma).status == ReplacementStatus.HANDED_TO_FULFILMENT
    assert (stock().on_hand, stock().reserved) == (3, 0)
    transition(rma, ReturnStatus.REJECTED, SUPPORT, "Not the items we sent.")
    db.session.commit()
    assert replacement_for(rma).status == ReplacementStatus.CANCELLED
    assert (stock().on_hand, stock().reserved) == (5, 0)  # the units are back on the shelf


def test_a_void_return_whose_item_shipped_is_recorded_for_the_staff(shop):
    ship_ahead()
    rma = exchange()
    ship_replacement(rma, "SF Express", "SF1", SUPPORT)
    transition(rma, ReturnStatus.EXPIRED, "system")  # the parcel never came
    db.session.commit()
    order = replacement_for(rma)
    assert order.status == ReplacementStatus.SHIPPED  # it can't be called back
    assert actions(rma)[-1] == "replacement.shipped_for_void_return"
    assert stock().on_hand == 3  # the units left with the new item


# --- the command line -----------------------------------------------------------------------


def test_the_cli_lists_ships_and_hands_over(shop, cli):
    empty = cli.invoke(args=["exchanges", "list"])
    assert empty.exit_code == 0 and "No replacement is waiting" in empty.output
    rma = exchange()
    receiving.receive_parcel(rma, WORKER)
    listed = cli.invoke(args=["exchanges", "list"])
    assert listed.exit_code == 0
    assert f"{rma.number}\thanded_to_fulfilment\t" in listed.output and f"{NEW}×2" in listed.output
    shipped = cli.invoke(
        args=["exchanges", "ship", rma.number.lower(), "--carrier", "SF Express",
              "--tracking", "SF9"]
    )  # fmt: skip
    assert shipped.exit_code == 0, shipped.output
    assert f"Replacement for {rma.number} shipped with SF Express" in shipped.output
    again = cli.invoke(
        args=["exchanges", "ship", rma.number, "--carrier", "SF Express", "--tracking", "SF8"]
    )
    assert again.exit_code == 1 and "shipped already" in again.output
    unknown = cli.invoke(
        args=["exchanges", "ship", "R-NONE", "--carrier", "SF Express", "--tracking", "SF8"]
    )
    assert unknown.exit_code == 1 and "No return R-NONE" in unknown.output
    swept = cli.invoke(args=["exchanges", "hand-over"])
    assert swept.exit_code == 0
    assert "0 replacement(s) created, 0 handed to fulfilment, 0 waiting for stock." in swept.output
