"""The policy is asked the same question about a return before it exists and at inspection."""

from __future__ import annotations

import pytest

from returns_portal.orders.services import upsert_order
from returns_portal.receiving import services as receiving
from returns_portal.returns.services import (
    Draft,
    DraftItem,
    build_request,
    load_customer_order,
    open_return,
    order_context,
)
from returns_portal.shipping.services import rates_for
from returns_portal.types import utcnow
from tests.builders import recent_order_document

WORKER = "user:7 warehouse@example.com"


def open_with_request(items, method="label", note=""):
    """Open a return as the customer pages do; return it with the request its estimate sent."""
    order = load_customer_order("1001")
    assert order is not None
    rates = rates_for(order)
    key = next(iter(rates))
    carrier, service = key.split(":")
    draft = Draft(
        "1001",
        [
            DraftItem(line, qty, reason, note=note, resolution=resolution)
            for line, qty, reason, resolution in items
        ],
        method=method,
        carrier=carrier,
        service=service,
    )
    at = utcnow()
    drafted = build_request(draft, at, rates[key].amount, order_context(order))
    rma = open_return(order_context(order), draft, rates[key].amount, "en", at=at)
    return rma, drafted


@pytest.fixture
def order(session):
    upsert_order(recent_order_document())


def test_a_stored_return_asks_the_policy_what_its_draft_asked(order):
    rma, drafted = open_with_request((("L1", 2, "too_small", "refund"),))
    receiving.receive_parcel(rma, WORKER)
    assert receiving.return_request(rma) == drafted


def test_notes_methods_resolutions_and_earlier_returns_reach_the_policy_alike(order):
    earlier, _ = open_with_request((("L1", 1, "too_small", "refund"),))
    rma, drafted = open_with_request(
        (("L1", 1, "other", "store_credit"),), method="qr_dropoff", note="Colour is off"
    )
    assert drafted.previously_returned == {"L1": 1}
    assert drafted.lines[0].note == "Colour is off"
    receiving.receive_parcel(rma, WORKER)
    assert receiving.return_request(rma) == drafted
    assert receiving.return_request(earlier).previously_returned == {}
