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
free-shipping threshold, an unreturned gift) settle against the card part first. Whatever
the split, the parts add up: card + credit - charge = the policy's total - the price of the
new items. Each part is explained by entries of the kinds it is made of (a line, a deduction
by its code, refunded delivery, new items): when the credit or a charge takes over what the
card part owes, the card part's entries move with it, so a label cost paid out of the
credit reads as the label cost, never as an exchange difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    exchange_prices: tuple[tuple[str, int], ...] = ()  # (line id, price of its new items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "card": self.card,
            "credit": self.credit,
            "bonus": self.bonus,
            "charge": self.charge,
            "exchange_value": self.exchange_value,
            "exchange_price": self.exchange_price,
            "exchange_prices": dict(self.exchange_prices),
        }


# Which part of a settlement each kind of refund row pays (refunds/models.py RefundMethod).
PART_OF_METHOD = {"original_payment": "card", "store_credit": "credit", "exchange_charge": "charge"}

Entry = tuple[str, str | None, int]  # (line id or cost code, line id or None, signed amount)

# Deductions that are costs of the whole return even when their line is returned too: an
# unreturned gift is charged on the gift's line, but it is not taken from that line's value
# (a free gift's is 0), so it must not make the line's part negative.
RETURN_COSTS = frozenset({"gift_not_returned"})


def _split(refund: Mapping[str, Any], exchange_prices: Mapping[str, int]) -> dict[str, Any]:
    """Work out each part with the entries that explain it (each part's entries add up)."""
    card: list[Entry] = []  # refund and exchange lines, delivery, costs of the whole return
    credit: list[Entry] = []
    line_deductions: dict[str, list[Mapping[str, Any]]] = {}
    for deduction in refund.get("deductions", []):
        if deduction.get("line_id") is not None and deduction.get("code") not in RETURN_COSTS:
            line_deductions.setdefault(str(deduction["line_id"]), []).append(deduction)
    exchange_value = price = 0
    for line in refund.get("lines", []):
        line_id = str(line["line_id"])
        resolution = str(line["resolution"])
        target = credit if resolution == "store_credit" else card
        part = [("line", line_id, int(line["items"]) + int(line["tax"]))]
        part += [
            (str(d["code"]), line_id, -int(d["amount"])) for d in line_deductions.get(line_id, [])
        ]
        target.extend(part)
        if resolution == "exchange":
            exchange_value += sum(amount for _code, _line, amount in part)
            if int(line["quantity"]):
                new = int(exchange_prices.get(line_id, 0))
                price += new
                card.append(("exchange_new_items", line_id, -new))
    if int(refund.get("shipping") or 0):
        card.append(("shipping", None, int(refund["shipping"])))
    priced = {str(line["line_id"]) for line in refund.get("lines", [])}
    for deduction in refund.get("deductions", []):
        line_id = deduction.get("line_id")
        code = str(deduction["code"])
        if line_id is None:
            card.append((code, None, -int(deduction["amount"])))
        elif str(line_id) not in priced or code in RETURN_COSTS:
            # A deduction on a line that is not itself returned (an unreturned gift is
            # charged on the gift's line) settles like a cost of the whole return; dropping
            # it would pay out more than the policy's total.
            card.append((code, str(line_id), -int(deduction["amount"])))
    if sum(amount for *_rest, amount in credit) < 0:
        # Deductions beyond the credit lines' own value (the engine caps a line's charges at
        # its value, so only a future rule could do this) are paid like costs of the return.
        card, credit = card + credit, []
    card_due = sum(amount for *_rest, amount in card)
    credit_due = sum(amount for *_rest, amount in credit)
    charge: list[Entry] = []
    if card_due < 0 and credit_due >= -card_due:
        # The customer owes what the credit due covers: the credit pays it, and the card
        # part's entries (new items, costs, what came back) explain the credit with their
        # own kinds.
        credit += card
        card = []
    elif card_due < 0:
        # More is owed than the whole credit due: it is all used up and the rest charged;
        # the charge is explained by every entry, with the signs of money coming in.
        charge = [(code, line_id, -amount) for code, line_id, amount in card + credit]
        card, credit = [], []
    return {"card": card, "credit": credit, "charge": charge, "credit_due": credit_due,
            "exchange_value": exchange_value, "price": price}  # fmt: skip


def part_entries(
    refund: Mapping[str, Any], exchange_prices: Mapping[str, int], part: str
) -> list[Entry]:
    """Return the entries that add up to one part ("card", "credit" or "charge")."""
    entries: list[Entry] = _split(refund, exchange_prices)[part]
    return entries


def settle(refund: Mapping[str, Any], exchange_prices: Mapping[str, int]) -> Settlement:
    """Split the policy's refund breakdown (`Evaluation.to_dict()["refund"]`).

    `exchange_prices` maps a line id to the price of the new items sent for its units.
    """
    split = _split(refund, exchange_prices)
    card, charge = (sum(a for *_r, a in split[k]) for k in ("card", "charge"))
    credit = max(sum(a for *_r, a in split["credit"]), 0)
    due_credit = split["credit_due"]
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
        exchange_value=split["exchange_value"],
        exchange_price=split["price"],
        exchange_prices=tuple(sorted((str(k), int(v)) for k, v in exchange_prices.items())),
    )


def settlement_for(
    breakdown: dict[str, Any], items: Iterable[tuple[str, str, int | None]]
) -> Settlement:
    """Split a refund breakdown for items given as (line id, resolution, new unit price)."""
    values = {line["line_id"]: line["items"] + line["tax"] for line in breakdown["lines"]}
    units = {line["line_id"]: line["quantity"] for line in breakdown["lines"]}
    prices = {}
    for ref, resolution, price in items:
        if resolution == "exchange":
            # No price (another variant of the same product, or a return made before prices
            # were kept): the new items cost what came back, so there is no difference.
            prices[ref] = values.get(ref, 0) if price is None else price * units.get(ref, 0)
    return settle(breakdown, prices)
