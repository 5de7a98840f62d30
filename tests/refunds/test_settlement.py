"""Splitting a return's refund into card, store credit and the exchange difference."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from returns_portal.refunds.settlement import part_entries, settle


def line(line_id: str, items: int, resolution: str, tax: int = 0, quantity: int = 1) -> dict:
    return {"line_id": line_id, "quantity": quantity, "items": items, "tax": tax,
            "resolution": resolution}  # fmt: skip


def breakdown(*lines: dict, shipping: int = 0, deductions=(), bonus: int = 0) -> dict:
    total = sum(x["items"] + x["tax"] for x in lines) + shipping - sum(d[2] for d in deductions)
    return {
        "currency": "CNY",
        "lines": list(lines),
        "shipping": shipping,
        "deductions": [{"code": c, "line_id": lid, "amount": a} for c, lid, a in deductions],
        "total": total,
        "bonus_credit": bonus,
    }


def test_a_plain_refund_goes_back_to_the_card():
    result = settle(breakdown(line("L1", 5000, "refund", tax=650)), {})
    assert (result.card, result.credit, result.charge) == (5650, 0, 0)


def test_store_credit_lines_become_credit_with_their_bonus():
    result = settle(
        breakdown(line("L1", 5000, "refund"), line("L2", 3000, "store_credit"), bonus=300), {}
    )
    assert (result.card, result.credit, result.bonus, result.charge) == (5000, 3000, 300, 0)


def test_an_exchange_at_the_same_price_moves_no_money():
    result = settle(breakdown(line("L1", 8900, "exchange")), {"L1": 8900})
    assert (result.card, result.credit, result.charge) == (0, 0, 0)
    assert (result.exchange_value, result.exchange_price) == (8900, 8900)


def test_a_cheaper_exchange_refunds_the_difference_to_the_card():
    result = settle(breakdown(line("L1", 8900, "exchange")), {"L1": 7900})
    assert (result.card, result.charge) == (1000, 0)


def test_a_dearer_exchange_charges_the_difference():
    result = settle(breakdown(line("L1", 8900, "exchange")), {"L1": 9900})
    assert (result.card, result.credit, result.charge) == (0, 0, 1000)


def test_a_dearer_exchange_is_paid_first_from_the_card_refund_of_the_same_return():
    result = settle(
        breakdown(line("L1", 5000, "refund"), line("L2", 8900, "exchange")), {"L2": 9900}
    )
    assert (result.card, result.charge) == (4000, 0)


def test_then_from_the_credit_due_and_the_bonus_shrinks_with_it():
    result = settle(
        breakdown(line("L1", 600, "refund"), line("L2", 2000, "store_credit"),
                  line("L3", 8900, "exchange"), bonus=200),
        {"L3": 10500},
    )  # fmt: skip
    # owed 1600 for the exchange: 600 from the card part, 1000 from the credit due
    assert (result.card, result.credit, result.charge) == (0, 1000, 0)
    assert result.bonus == 100


def test_line_deductions_stay_with_their_line_and_the_label_comes_off_the_card():
    result = settle(
        breakdown(
            line("L1", 5000, "refund"),
            line("L2", 3000, "store_credit"),
            deductions=[("diminished_value", "L2", 500), ("return_label_cost", None, 1200)],
        ),
        {},
    )
    assert (result.card, result.credit) == (3800, 2500)


def test_a_label_cost_on_an_exchange_only_return_is_charged():
    result = settle(
        breakdown(line("L1", 8900, "exchange"), deductions=[("return_label_cost", None, 1200)]),
        {"L1": 8900},
    )
    assert (result.card, result.charge) == (0, 1200)


def test_refunded_delivery_goes_to_the_card():
    result = settle(breakdown(line("L1", 3000, "store_credit"), shipping=1000), {})
    assert (result.card, result.credit) == (1000, 3000)


def test_units_not_accepted_get_no_new_item():
    result = settle(breakdown(line("L1", 0, "exchange", quantity=0)), {"L1": 8900})
    assert (result.card, result.charge, result.exchange_price) == (0, 0, 0)


amounts = st.integers(min_value=0, max_value=50_000)


@given(
    st.lists(
        st.tuples(amounts, st.sampled_from(["refund", "store_credit", "exchange"]), amounts),
        min_size=1,
        max_size=5,
    ),
    amounts,
    st.integers(min_value=0, max_value=5_000),
)
def test_the_parts_always_add_up_and_each_is_explained_by_its_entries(lines, shipping, label):
    data = breakdown(
        *[line(f"L{i}", value, resolution) for i, (value, resolution, _) in enumerate(lines)],
        shipping=shipping,
        deductions=[("return_label_cost", None, label)],
    )
    prices = {f"L{i}": price for i, (_, resolution, price) in enumerate(lines)
              if resolution == "exchange"}  # fmt: skip
    result = settle(data, prices)
    assert min(result.card, result.credit, result.charge, result.bonus) >= 0
    assert not (result.card and result.charge)  # never refund and charge the card together
    assert result.card + result.credit - result.charge == data["total"] - sum(prices.values())
    for part, amount in (("card", result.card), ("credit", result.credit),
                         ("charge", result.charge)):  # fmt: skip
        assert sum(entry[2] for entry in part_entries(data, prices, part)) == amount


def test_a_charge_is_explained_by_the_new_items_less_what_came_back():
    data = breakdown(line("L1", 8900, "exchange"), deductions=[("return_label_cost", None, 600)])
    assert part_entries(data, {"L1": 9900}, "charge") == [
        ("line", "L1", -8900),
        ("exchange_new_items", "L1", 9900),
        ("return_label_cost", None, 600),
    ]
