"""The order feed can't rewrite what a return relies on: a returned line's SKU or price, or
its quantity below the units in returns, is refused with 409 and why; nothing is saved. Other
changes, and lines no live return holds, still apply."""

from __future__ import annotations

import pytest

from returns_portal.extensions import db
from returns_portal.orders.services import OrderConflict, load_order, upsert_order
from returns_portal.returns.models import Return
from tests.builders import make_order, make_return


@pytest.fixture
def returned(session):
    upsert_order(make_order())  # L1: two T-shirts at 129.00; L2: a kettle
    return make_return("R-TEST-01", L1=1)


def changed(**line):
    document = make_order()
    document["lines"][0] = {**document["lines"][0], **line}
    if "quantity" in line:  # its parcel ships what is ordered
        parcel = next(p for p in document["parcels"] if "L1" in p["lines"])
        parcel["lines"]["L1"] = line["quantity"]
    return document


@pytest.mark.parametrize(
    ("change", "said"),
    [({"sku": "APP-TEE-WHT-M"}, "its SKU cannot change from APP-TEE-BLK-M"),
     ({"unit_price": 9900}, "its price cannot change"),
     ({"line_discount": 500}, "its price cannot change")],
)  # fmt: skip
def test_rewriting_a_returned_line_is_refused_and_nothing_is_saved(returned, change, said):
    with pytest.raises(OrderConflict) as refused:
        upsert_order(changed(**change))
    assert any(said in message for message in refused.value.errors["lines.L1"])
    line = load_order("1001").lines[0]
    assert (line.sku, line.unit_price, line.line_discount) == ("APP-TEE-BLK-M", 12900, 0)


def test_a_quantity_below_the_units_in_returns_is_refused(session):
    upsert_order(make_order())
    make_return("R-TEST-01", L1=2)
    with pytest.raises(OrderConflict) as refused:
        upsert_order(changed(quantity=1))
    assert refused.value.errors == {
        "lines.L1": ["its quantity cannot go below the 2 unit(s) in returns"]
    }


def test_other_changes_still_apply(returned):
    document = changed(quantity=1)  # one unit is returned: one is still enough
    document["customer_name"] = "Li Wei-Zhang"
    document["lines"][1] = {**document["lines"][1], "unit_price": 19900}  # no return holds L2
    assert upsert_order(document).changed
    order = load_order("1001")
    assert (order.customer_name, order.lines[0].quantity, order.lines[1].unit_price) == (
        "Li Wei-Zhang", 1, 19900
    )  # fmt: skip


def test_a_cancelled_return_holds_nothing(returned):
    rma = db.session.get(Return, returned.id)
    rma.status = "cancelled"
    db.session.commit()
    assert upsert_order(changed(unit_price=9900)).changed


def test_the_api_answers_409_with_the_reason(returned, client, auth):
    answer = client.post("/api/v1/orders", json=changed(unit_price=9900), headers=auth)
    assert answer.status_code == 409
    body = answer.get_json()
    assert "rewrite lines in a return" in body["error"]
    assert body["errors"] == {
        "lines.L1": ["its price cannot change while 1 unit(s) are in a return"]
    }
    assert load_order("1001").lines[0].unit_price == 12900
