"""A deduction on a line that is not itself returned (an unreturned gift) is never dropped."""

from __future__ import annotations

from returns_portal.refunds.settlement import part_entries, settle
from tests.refunds.test_settlement import breakdown, line


def test_an_unreturned_gift_is_deducted_from_the_card_part():
    money = breakdown(line("L2", 179800, "refund"), deductions=[("gift_not_returned", "L3", 1500)])
    result = settle(money, {})
    assert result.card == money["total"] == 178300
    assert sum(a for *_r, a in part_entries(money, {}, "card")) == result.card


def test_an_unreturned_gift_on_a_store_credit_return_comes_out_of_the_credit():
    money = breakdown(
        line("L2", 10000, "store_credit"), deductions=[("gift_not_returned", "L3", 1500)]
    )
    result = settle(money, {})
    assert result.card + result.credit - result.charge == money["total"] == 8500
    assert sum(a for *_r, a in part_entries(money, {}, "credit")) == result.credit
