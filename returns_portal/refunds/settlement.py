"""Split a return's refund by how the customer is paid back: card, store credit, exchange.

The policy engine prices every returned line the same way whatever the customer chose. The
money then goes three ways:

- lines resolved as a refund go back to the original payment;
- lines resolved as store credit become credit (with the policy's bonus on top);
- lines resolved as an exchange pay for the new item: when it costs less than what comes
  back, the difference goes back to the original payment; when it costs more, the customer
  pays the difference — first out of money due back to the card in the same return, then
  out of the store credit due, and only what is still missing is charged.

Refunded delivery and deductions that belong to no line (a return label, a broken
free-shipping threshold) settle against the card part first. Whatever the split, the parts
add up: card + credit - charge = the policy's total - the price of the new items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settlement:
    """Money for one return, in minor units of one currency."""

    currency: str
    card: int  # back to the original payment
    credit: int  # store credit (without the bonus)
    bonus: int  # bonus store credit on top of `credit`
    charge: int  # the exchange price difference the customer still owes
    exchange_value: int  # what the exchanged lines were worth (after their deductions)
    exchange_price: int  # what the new items cost

    def to_dict(self) -> dict[str, int | str]:
        return {
            "currency": self.currency,
            "card": self.card,
            "credit": self.credit,
            "bonus": self.bonus,
            "charge": self.charge,
            "exchange_value": self.exchange_value,
            "exchange_price": self.exchange_price,
        }


def settle(refund: Mapping[str, Any], exchange_prices: Mapping[str, int]) -> Settlement:
    """Split the policy's refund breakdown (`Evaluation.to_dict()["refund"]`).

    `exchange_prices` maps a line id to the price of the new items sent for its units.
    """
    line_deductions: dict[str, int] = {}
    order_level = int(refund.get("shipping") or 0)
    for deduction in refund.get("deductions", []):
        if deduction.get("line_id") is None:
            order_level -= int(deduction["amount"])
        else:
            line_id = str(deduction["line_id"])
            line_deductions[line_id] = line_deductions.get(line_id, 0) + int(deduction["amount"])
    buckets = {"refund": 0, "store_credit": 0, "exchange": 0}
    price = 0
    for line in refund.get("lines", []):
        line_id = str(line["line_id"])
        value = int(line["items"]) + int(line["tax"]) - line_deductions.get(line_id, 0)
        resolution = str(line["resolution"])
        buckets[resolution if resolution in buckets else "refund"] += value
        if resolution == "exchange" and int(line["quantity"]):
            price += int(exchange_prices.get(line_id, 0))
    card = buckets["refund"] + order_level + buckets["exchange"] - price
    credit = due_credit = max(buckets["store_credit"], 0)
    if card < 0:  # the customer owes something: take it from the credit due, then charge
        moved = min(-card, credit)
        credit -= moved
        card += moved
    charge = max(-card, 0)
    card = max(card, 0)
    # The policy earned the bonus on the credit due, never more than the total; when an
    # exchange or a cost takes some of that credit, the bonus shrinks in proportion.
    bonus = int(refund.get("bonus_credit") or 0)
    basis = min(due_credit, int(refund.get("total") or 0))
    if credit < basis:
        bonus = bonus * credit // basis
    elif not credit:
        bonus = 0
    return Settlement(
        currency=str(refund.get("currency") or ""),
        card=card,
        credit=credit,
        bonus=bonus,
        charge=charge,
        exchange_value=buckets["exchange"],
        exchange_price=price,
    )
