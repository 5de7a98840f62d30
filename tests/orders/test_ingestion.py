from __future__ import annotations

import pytest
from sqlalchemy import func, select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db
from returns_portal.orders.models import Order, OrderLine, ParcelItem
from returns_portal.orders.services import OrderInvalid, load_order, order_to_dict, upsert_order
from tests.builders import make_order, make_return


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_new_order_is_created_with_lines_parcels_and_payment(session):
    result = upsert_order(make_order())
    assert result.created
    order = load_order("1001")
    assert order is not None
    assert order.email == "li.wei@example.com"
    assert [line.line_ref for line in order.lines] == ["L1", "L2", "L3"]
    assert [p.parcel_ref for p in order.parcels] == ["P1", "P2"]
    assert order.payments[0].reference == "pi_test_1001"
    assert order.placed_at.utcoffset() is not None
    assert order.placed_at.isoformat() == "2026-11-01T02:00:00+00:00"


def test_sending_the_same_order_twice_leaves_one_order_and_no_second_audit_event(session):
    upsert_order(make_order())
    again = upsert_order(make_order())
    assert not again.created
    assert not again.changed
    assert count(Order) == 1
    assert count(OrderLine) == 3
    assert count(AuditEvent) == 1


def test_an_update_changes_lines_in_place_and_is_audited(session):
    upsert_order(make_order())
    line_id = load_order("1001").lines[0].id
    changed = make_order()
    changed["lines"][0]["quantity"] = 3
    changed["parcels"][0]["lines"]["L1"] = 3
    result = upsert_order(changed)
    assert result.changed and not result.created
    order = load_order("1001")
    assert order.lines[0].id == line_id
    assert order.lines[0].quantity == 3
    assert count(AuditEvent) == 2


def test_a_line_dropped_from_the_order_is_removed_with_its_parcel_items(session):
    upsert_order(make_order())
    smaller = make_order()
    smaller["lines"] = smaller["lines"][:1]
    smaller["parcels"] = smaller["parcels"][:1]
    upsert_order(smaller)
    assert [line.line_ref for line in load_order("1001").lines] == ["L1"]
    assert count(ParcelItem) == 1


def test_round_trip_through_the_output_format_is_unchanged(session):
    upsert_order(make_order())
    first = order_to_dict(load_order("1001"))
    upsert_order(first)
    assert order_to_dict(load_order("1001")) == first


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"currency": "cny"}, "currency"),
        ({"placed_at": "2026-11-01T10:00:00"}, "placed_at"),
        ({"order_discount": 10**9}, "order_discount"),
        ({"lines": []}, "lines"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_order_fields_are_named_and_nothing_is_saved(session, change, field):
    with pytest.raises(OrderInvalid) as info:
        upsert_order(make_order(**change))
    assert any(key == field or key.startswith(field) for key in info.value.errors), (
        info.value.errors
    )
    assert count(Order) == 0


def test_bad_line_fields_carry_their_index(session):
    order = make_order()
    order["lines"][1]["quantity"] = 0
    order["lines"][0]["category"] = "Apparel"
    with pytest.raises(OrderInvalid) as info:
        upsert_order(order)
    assert "lines.1.quantity" in info.value.errors
    assert info.value.errors["lines.0.category"] == [
        "must be lower-case letters, digits and underscores, e.g. home_textiles"
    ]


def test_parcels_must_hold_known_lines_and_not_more_than_ordered(session):
    order = make_order()
    order["parcels"][0]["lines"] = {"L1": 5, "L9": 1}
    with pytest.raises(OrderInvalid) as info:
        upsert_order(order)
    assert info.value.errors["parcels.0.lines.L9"] == ["names no line of this order"]
    assert info.value.errors["parcels"] == ["line L1 ships 5 units, more than the 2 ordered"]


def test_a_gift_must_name_a_line_of_the_order(session):
    order = make_order()
    order["lines"][2]["gift_of"] = "L7"
    with pytest.raises(OrderInvalid) as info:
        upsert_order(order)
    assert info.value.errors["lines.2.gift_of"] == ["names no other line of this order: L7"]


def test_a_failed_update_leaves_the_stored_order_as_it_was(session):
    upsert_order(make_order())
    before = order_to_dict(load_order("1001"))
    bad = make_order()
    bad["lines"][0]["unit_price"] = -5
    with pytest.raises(OrderInvalid):
        upsert_order(bad)
    assert order_to_dict(load_order("1001")) == before


def test_a_payment_already_recorded_for_another_order_is_refused(session):
    upsert_order(make_order("1001"))
    other = make_order("1002")
    other["payments"][0]["reference"] = "pi_test_1001"
    with pytest.raises(OrderInvalid) as info:
        upsert_order(other)
    assert info.value.errors == {"payments.0.reference": ["already belongs to order 1001"]}
    assert count(Order) == 1


def test_a_line_that_is_in_a_return_cannot_be_dropped(session):
    upsert_order(make_order())
    make_return("R-TEST-01", L2=1)
    smaller = make_order()
    smaller["lines"] = smaller["lines"][:1]
    smaller["parcels"] = smaller["parcels"][:1]
    with pytest.raises(OrderInvalid) as info:
        upsert_order(smaller)
    assert info.value.errors == {"lines": ["line L2 is in a return and cannot be removed"]}
    assert len(load_order("1001").lines) == 3
