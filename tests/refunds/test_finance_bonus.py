"""The finance page shows the store-credit bonus and credit that were issued, not the policy's.

The policy earns its bonus on the credit due; when an exchange in the same return takes part
of that credit, the bonus shrinks with it (refunds/settlement.py). Finance once read the
policy's CN¥19.90 while CN¥15.30 was issued.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from returns_portal.extensions import db, limiter
from returns_portal.orders.models import StockLevel
from returns_portal.receiving import services as receiving
from returns_portal.refunds import services as refunds
from returns_portal.refunds.models import RefundStatus, StoreCreditEntry
from returns_portal.store.services import active_policy, save_policy
from tests.builders import open_portal_return
from tests.refunds.conftest import PASSWORD, paid_order

WORKER = "user:999 w@example.com"


@pytest.fixture
def desk(client, finance):
    limiter.reset()
    response = client.post("/staff/login", data={"email": finance.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def credit_and_exchange(session, finance):
    """The kettle (199.00) back for store credit with a 10% bonus, and one T-shirt (129.00)
    exchanged for a 159.00 one in the same return: the 30.00 difference, the 6.00 label and
    the 10.00 delivery fee (the order no longer reaches free shipping) come out of the credit
    due, so 153.00 is issued with a bonus of 15.30 (not 19.90)."""
    document = dict(active_policy().document)
    document["windows"] = {"categories": {"appliances": 30}, "products": {}}
    document["resolutions"] = {**document["resolutions"], "store_credit_bonus_percent": 10}
    save_policy(document, "test")
    db.session.add(StockLevel(sku="APP-TEE-SLK-L", product_group="APP-TEE-SILK", name="Silk T-shirt",
                              unit_price=15900, on_hand=5))  # fmt: skip
    db.session.commit()
    paid_order()
    rma = open_portal_return(
        items=(("L2", 1, "changed_mind", "store_credit"), ("L1", 1, "too_small", "exchange")),
        exchanges={"L1": "APP-TEE-SLK-L"},
    )
    inspection = receiving.receive_parcel(rma, WORKER)
    for code in ("APL-KETTLE", "APP-TEE-BLK-M"):
        receiving.scan_item(inspection, code, WORKER)
    for expected in receiving.expected_items(inspection):
        answers = {q.code: True for q in receiving.questions_for(inspection, expected)}
        receiving.record_inspection(
            inspection, expected.finding, answers, "A", None, "", "", 0, WORKER
        )
    receiving.complete_inspection(inspection, WORKER)
    (credit,) = refunds.return_refunds(rma.id)
    assert credit.method == "store_credit"
    return refunds.approve_refund(credit.id, finance)


def test_the_policy_s_bonus_is_larger_than_the_one_issued(credit_and_exchange):
    breakdown = credit_and_exchange.breakdown
    assert breakdown["refund"]["bonus_credit"] == 1990
    assert breakdown["settlement"]["credit"] == credit_and_exchange.amount == 15300
    assert breakdown["settlement"]["bonus"] == 1530


def test_the_finance_page_shows_the_bonus_and_credit_that_were_issued(desk, credit_and_exchange):
    refund = credit_and_exchange
    assert refund.status == RefundStatus.SUCCEEDED
    issued = {
        entry.kind: entry.amount
        for entry in db.session.scalars(
            select(StoreCreditEntry).where(StoreCreditEntry.refund_id == refund.id)
        )
    }
    assert issued == {"issue": 15300, "bonus": 1530}
    page = desk.get(f"/finance/refunds/{refund.id}").text
    assert re.search(r"data-amount>\s*CN¥153\.00\s*<", page)
    assert "(+ CN¥15.30 bonus)" in page
    assert "Choosing store credit adds a bonus of CN¥15.30." in page
    assert "CN¥19.90" not in page
