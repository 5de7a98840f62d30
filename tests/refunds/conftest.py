"""A paid order, a received return and its refund proposal, for the finance tests."""

from __future__ import annotations

import pytest

from returns_portal.accounts.services import create_user
from returns_portal.orders.demo import pay_with_test_card
from returns_portal.orders.services import upsert_order
from returns_portal.receiving import services as receiving
from returns_portal.refunds.gateway import payment_gateway
from tests.builders import open_portal_return, recent_order_document

PASSWORD = "correct horse battery"
INTACT_TEE = {"brand_tag_attached": True, "clean_and_undamaged": True, "accessories_complete": True,
              "gifts_returned": True}  # fmt: skip


def paid_order(number: str = "1001") -> str:
    """Store the recent order, paid through the app's gateway; return the payment reference."""
    document = recent_order_document(number)
    total = sum(line["unit_price"] * line["quantity"] for line in document["lines"])
    payment = pay_with_test_card(
        payment_gateway(), total, document["currency"], {"order_number": number}
    )
    document["payments"] = [{"reference": payment.reference, "amount": payment.amount}]
    upsert_order(document)
    return payment.reference


def proposed_refund(
    order_number: str = "1001",
    quantity: int = 2,
    inspector: str = "user:999 w@example.com",
    resolution: str = "refund",
    exchange_sku: str | None = None,
):
    """Open, receive and inspect a return of `quantity` T-shirts; return the refund proposal
    (the first row of its settlement)."""
    rma = open_portal_return(
        order_number,
        items=(("L1", quantity, "too_small", resolution),),
        exchanges={"L1": exchange_sku} if exchange_sku else None,
    )
    inspection = receiving.receive_parcel(rma, inspector)
    for _ in range(quantity):
        receiving.scan_item(inspection, "APP-TEE-BLK-M", inspector)
    for expected in receiving.expected_items(inspection):
        receiving.record_inspection(
            inspection, expected.finding, INTACT_TEE, "A", None, "", "", 0, inspector
        )
    return receiving.complete_inspection(inspection, inspector)


@pytest.fixture
def finance(session):
    return create_user("fin@example.com", PASSWORD, "finance")


@pytest.fixture
def finance2(session):
    return create_user("fin2@example.com", PASSWORD, "finance")
