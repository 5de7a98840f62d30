"""Money: allocation, telescoping per-unit shares, formatting (all integer minor units)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_portal.policy import (
    allocate,
    evaluate,
    format_money,
    line_paid_amounts,
    order_discount_share,
    unit_share,
)
from tests.policy.builders import ask, make_line, make_order, make_policy, make_request


def test_allocation_gives_the_largest_remainders_the_leftover_units():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [3, 3, 4]) == [3, 3, 4]
    assert allocate(5, [1, 2]) == [2, 3]


def test_allocation_breaks_ties_by_earliest_index():
    assert allocate(1, [1, 1, 1]) == [1, 0, 0]
    assert allocate(2, [5, 5, 5]) == [1, 1, 0]


def test_allocation_gives_zero_weights_nothing():
    assert allocate(7, [0, 3, 0, 4]) == [0, 3, 0, 4]
    assert allocate(1, [0, 1, 1]) == [0, 1, 0]


def test_allocation_over_all_zero_weights_is_zero_or_an_error():
    assert allocate(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        allocate(1, [0, 0])


def test_allocation_refuses_negative_weights():
    with pytest.raises(ValueError):
        allocate(10, [1, -1])


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_allocation_sums_exactly_and_stays_within_one_unit_of_the_exact_share(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact_floor = total * weight // weight_sum
        assert exact_floor <= part <= exact_floor + 1
        if weight == 0:
            assert part == 0


def test_per_unit_share_telescopes_so_the_last_unit_takes_the_remainder():
    # 100 over 3 units: 33, 33, 34 however the units are split.
    assert unit_share(100, 3, 0, 1) == 33
    assert unit_share(100, 3, 1, 1) == 33
    assert unit_share(100, 3, 2, 1) == 34
    assert unit_share(100, 3, 0, 2) + unit_share(100, 3, 2, 1) == 100


def test_per_unit_share_refuses_more_units_than_the_line_has():
    with pytest.raises(ValueError):
        unit_share(100, 3, 2, 2)


@given(
    amount=st.integers(min_value=0, max_value=10**9),
    split=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=10),
)
def test_any_split_of_partial_returns_adds_up_to_exactly_the_line(amount, split):
    quantity = sum(split)
    before = 0
    shares = []
    for count in split:
        shares.append(unit_share(amount, quantity, before, count))
        before += count
    assert sum(shares) == amount
    assert all(share >= 0 for share in shares)


@given(
    amount=st.integers(min_value=0, max_value=10**9),
    quantity=st.integers(min_value=1, max_value=50),
    data=st.data(),
)
def test_partial_returns_never_exceed_the_line(amount, quantity, data):
    before = data.draw(st.integers(min_value=0, max_value=quantity))
    count = data.draw(st.integers(min_value=0, max_value=quantity - before))
    assert (
        unit_share(amount, quantity, 0, before) + unit_share(amount, quantity, before, count)
        <= amount
    )


def test_order_discount_is_spread_pro_rata_over_sold_lines_not_gifts():
    order = make_order(
        make_line("A", price=3000, quantity=1),
        make_line("B", price=1000, quantity=2, line_discount=500),
        make_line("G", price=0, quantity=1, gift_of="A", gift_value=500),
        order_discount=1000,
    )
    # Weights 3000 and 1500 -> 667 and 333 of the 1000 discount.
    assert line_paid_amounts(order) == {"A": 2333, "B": 1167, "G": 0}


def test_a_line_s_coupon_share_is_what_its_refund_lacks_of_the_price_paid():
    order = make_order(
        make_line("A", price=12900, quantity=2),
        make_line("B", price=19900, quantity=1),
        order_discount=2000,
    )
    # Weights 25800 and 19900 -> 1129 and 871 of the 2000 coupon: A paid 24671 for two, the
    # first unit's refund is 12335 (rounded down), so it lacks 565; the second lacks 564.
    assert order_discount_share(order, "A", 0, 1) == 565
    assert order_discount_share(order, "A", 1, 1) == 564
    evaluation = evaluate(order, make_request(ask("A", 1)), make_policy())
    (line,) = evaluation.refund.lines
    assert line.items + order_discount_share(order, "A", 0, 1) == 12900


def test_coupon_shares_add_up_to_the_coupon_once_every_unit_is_back():
    order = make_order(
        make_line("A", price=12900, quantity=3),
        make_line("B", price=19900, quantity=1),
        make_line("G", price=0, quantity=1, gift_of="A", gift_value=500),
        order_discount=2001,
    )
    shares = [order_discount_share(order, "A", before, 1) for before in range(3)]
    shares.append(order_discount_share(order, "B", 0, 1))
    assert sum(shares) == 2001
    assert order_discount_share(order, "G", 0, 1) == 0  # a free gift carries none of it


def test_an_order_discount_larger_than_the_goods_is_refused():
    with pytest.raises(ValueError, match="order_discount"):
        make_order(make_line("A", price=100), order_discount=101)


def test_money_is_formatted_with_the_currency_and_its_decimals():
    assert format_money(12900, "CNY") == "CNY 129.00"
    assert format_money(5, "EUR") == "EUR 0.05"
    assert format_money(1500, "JPY") == "JPY 1500"
    assert format_money(-800, "CNY") == "CNY -8.00"
