"""Returns never sent: one reminder before the last day to send the parcel, then expiry (label
voided with the carrier, exchange stock released, the customer told), idempotent and bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.returns.expiry import ExpiryRun, expire_unsent
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.states import Row, customer_state, store_today
from returns_portal.shipping.services import live_shipment
from returns_portal.store.services import active_policy, save_policy
from returns_portal.types import utcnow
from tests.builders import open_portal_return
from tests.mail import attachments, body
from tests.refunds.conftest import paid_order
from tests.returns.test_states import mails_of, page_of


@pytest.fixture
def shop(app, session):
    paid_order()
    document = dict(active_policy().document)
    document["return_shipping"] = {**document["return_shipping"], "ship_within_days": 14,
                                   "remind_days_before": 2}  # fmt: skip
    save_policy(document, "test")
    return app


def aged(rma: Return, days: int) -> Return:
    """As if the return had been requested `days` days ago."""
    rma.requested_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return rma


def test_a_fresh_return_is_left_alone(shop):
    rma = open_portal_return()
    assert expire_unsent() == ExpiryRun(0, 0, 0)
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT
    assert [m["Subject"] for m in mails_of(shop, rma)] == [f"Your return {rma.number}"]


def test_the_customer_is_reminded_once_with_the_label_two_days_before(shop):
    rma = aged(open_portal_return(), 12)  # the last day is in two days
    assert expire_unsent().reminded == 1
    mail = mails_of(shop, rma)[-1]
    assert f"Reminder: please send your return {rma.number}" in mail["Subject"]
    assert "still waiting for you to send it" in body(mail) and "Send it by" in body(mail)
    assert f"{rma.number}-label.pdf" in attachments(mail)
    assert expire_unsent().reminded == 0  # once for that day
    assert len(mails_of(shop, rma)) == 2


def test_a_new_day_given_by_support_earns_a_new_reminder(shop):
    rma = aged(open_portal_return(), 13)  # the last day is tomorrow
    assert expire_unsent().reminded == 1
    rma.ship_by_extended_to = store_today() + timedelta(days=2)
    db.session.commit()
    assert expire_unsent().reminded == 1
    assert len(mails_of(shop, rma)) == 3


def test_past_its_last_day_the_return_expires_its_label_is_voided_and_the_customer_told(shop):
    rma = aged(open_portal_return(), 15)
    shipment = live_shipment(rma)
    run = expire_unsent()
    assert (run.expired, run.kept) == (1, 0)
    db.session.expire_all()
    rma = db.session.get(Return, rma.id)
    assert rma.status == ReturnStatus.EXPIRED
    assert live_shipment(rma) is None and shipment.voided_at is not None
    assert f"Your return {rma.number} has expired" in mails_of(shop, rma)[-1]["Subject"]
    assert customer_state(rma).row is Row.EXPIRED
    assert "Expired (never sent)" in page_of(shop, rma)
    assert expire_unsent() == ExpiryRun(0, 0, 0)  # idempotent: nothing more to do


def test_an_expired_exchange_gives_its_held_stock_back(shop):
    db.session.add(StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt",
                              variant="Black / L", unit_price=12900, on_hand=5))  # fmt: skip
    db.session.commit()
    rma = open_portal_return(
        items=(("L1", 2, "too_small", "exchange"),), exchanges={"L1": "APP-TEE-BLK-L"}
    )
    stock = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-BLK-L")).one()
    assert stock.reserved == 2
    aged(rma, 15)
    assert expire_unsent().expired == 1
    db.session.refresh(stock)
    assert (stock.on_hand, stock.reserved) == (5, 0)


def test_a_parcel_the_carrier_already_has_is_not_expired(shop):
    rma = aged(open_portal_return(), 15)
    shipment = live_shipment(rma)
    shipment.status = "in_transit"  # accepted by the carrier, its scan not yet applied
    db.session.commit()
    run = expire_unsent()
    assert (run.expired, run.kept) == (0, 1)
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT


def test_no_limit_in_the_policy_means_no_reminder_and_no_expiry(shop):
    document = dict(active_policy().document)
    document["return_shipping"] = {**document["return_shipping"], "ship_within_days": None}
    save_policy(document, "test")
    rma = aged(open_portal_return(), 400)
    assert expire_unsent() == ExpiryRun(0, 0, 0)
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT


def test_each_run_looks_at_a_bounded_batch_oldest_first(shop):
    paid_order("1002")
    older = aged(open_portal_return(), 16)
    newer = aged(open_portal_return("1002"), 15)
    assert expire_unsent(limit=1).expired == 1
    db.session.expire_all()
    assert db.session.get(Return, older.id).status == ReturnStatus.EXPIRED
    assert db.session.get(Return, newer.id).status == ReturnStatus.AWAITING_SHIPMENT
    assert expire_unsent(limit=1).expired == 1


def test_the_cli_runs_it_and_says_what_it_did(shop, cli):
    aged(open_portal_return(), 15)
    answer = cli.invoke(args=["returns", "expire"])
    assert answer.exit_code == 0
    assert "0 reminded, 1 expired, 0 past their day but already with the carrier." in answer.output
