"""Through the services: a gift signed for before its item goes back with it, free of charge.

The kettle (L2) arrived 2 days ago; its free pouch (L3) came in an earlier parcel 10 days ago,
so the pouch's own 7 days are over while the kettle's are not (RULES.md cn-7day "Gifts").
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from returns_portal.orders.services import upsert_order
from returns_portal.receiving import services as receiving
from returns_portal.refunds import services as refunds
from returns_portal.returns.services import line_choices, load_customer_order, order_context
from returns_portal.types import utcnow
from tests.builders import open_portal_return, recent_order_document

WORKER = "user:7 warehouse@example.com"


@pytest.fixture
def order(session):
    document = recent_order_document()
    now = utcnow()
    document["parcels"] = [
        {"parcel_id": "P1", "delivered_at": (now - timedelta(days=2)).isoformat(),
         "lines": {"L1": 2, "L4": 1, "L2": 1}},
        {"parcel_id": "P2", "delivered_at": (now - timedelta(days=10)).isoformat(),
         "lines": {"L3": 1}},
    ]  # fmt: skip
    upsert_order(document)
    return load_customer_order("1001")


def inspect(rma, gifts_returned: bool, scanned=("APL-KETTLE",)):
    inspection = receiving.receive_parcel(rma, WORKER)
    for code in scanned:
        receiving.scan_item(inspection, code, WORKER)
    for expected in receiving.expected_items(inspection):
        answers = {q.code: True for q in receiving.questions_for(inspection, expected)}
        if "gifts_returned" in answers:
            answers["gifts_returned"] = gifts_returned
        receiving.record_inspection(
            inspection, expected.finding, answers, "A", None, "", "", 0, WORKER
        )
    return receiving.complete_inspection(inspection, WORKER)


def deductions(rma) -> list[tuple[str, str | None, int]]:
    (refund, *_rest) = refunds.return_refunds(rma.id)
    return [
        (d["code"], d["line_id"], d["amount"]) for d in refund.breakdown["refund"]["deductions"]
    ]


def test_the_customer_may_choose_the_gift_while_its_item_is_returnable(order):
    choices = {c.line.line_ref: c.decision for c in line_choices(order_context(order), utcnow())}
    assert choices["L2"].eligible and choices["L3"].eligible
    assert choices["L3"].last_day == choices["L2"].last_day


def test_an_item_and_its_early_gift_go_back_together_with_no_gift_charge(order):
    rma = open_portal_return(items=(("L2", 1, "changed_mind", "refund"),
                                    ("L3", 1, "changed_mind", "refund")))  # fmt: skip
    refund = inspect(rma, gifts_returned=True, scanned=("APL-KETTLE", "GIFT-POUCH"))
    assert [code for code, _line, _amount in deductions(rma)] == ["return_label_cost"]
    assert refund.amount == refund.breakdown["refund"]["total"] == 19900 - deductions(rma)[0][2]


def test_a_gift_packed_with_its_item_and_ticked_there_is_not_charged(order):
    rma = open_portal_return(items=(("L2", 1, "changed_mind", "refund"),))
    refund = inspect(rma, gifts_returned=True)
    assert "gift_not_returned" not in [code for code, _line, _amount in deductions(rma)]
    assert refund.amount == 19900 - sum(amount for *_rest, amount in deductions(rma))


def test_a_gift_really_not_sent_back_is_the_only_extra_deduction(order):
    rma = open_portal_return(items=(("L2", 1, "changed_mind", "refund"),))
    refund = inspect(rma, gifts_returned=False)
    found = deductions(rma)
    assert ("gift_not_returned", "L3", 1500) in found
    assert [code for code, *_rest in found] == ["gift_not_returned", "return_label_cost"]
    assert refund.amount == 19900 - sum(amount for *_rest, amount in found)
