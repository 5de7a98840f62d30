"""What a standard return need not ask: the quantity the items page starts at, and what
each line cost, so the customer need not look it up.

Issue 11 §2: from the landing page to a label on screen in at most six interactions, without
skipping a decision the policy needs. Every shortcut here falls back to asking.
"""

from __future__ import annotations

from dataclasses import dataclass

from returns_portal.orders.models import OrderLine
from returns_portal.returns.services.draft import Draft, LineChoice, SubmittedItem

# --- the items page --------------------------------------------------------------------------


def preselected_quantities(choices: list[LineChoice]) -> dict[str, int]:
    """Return the quantity each returnable line's select starts at before anything is chosen.

    A line is preselected at 1 only when it is the order's one returnable item (free gifts
    go back with their item and don't count) and one unit of it is left: that return can only
    be of that unit. Everywhere else the select starts at 0, so that nothing is returned by
    accident: a multi-unit line could be meant as 1 or all of them, and preselecting each of
    several one-unit lines would have the customer un-pick every line they keep (or be told
    to give a reason for it).
    """
    returnable = [
        choice
        for choice in choices
        if choice.decision.eligible and choice.decision.remaining_qty > 0
    ]
    items = [choice for choice in returnable if choice.line.gift_of is None]
    quantities = {choice.line.line_ref: 0 for choice in returnable}
    if len(items) == 1 and items[0].decision.remaining_qty == 1:
        quantities[items[0].line.line_ref] = 1
    return quantities


def items_on_page(choices: list[LineChoice], draft: Draft) -> dict[str, SubmittedItem]:
    """Return what the items page shows per line: the draft's choices, else the preselection.

    Once the draft holds a choice, the lines it left out show 0: the customer has decided.
    """
    if draft.items:
        return {
            item.line_id: SubmittedItem(item.line_id, item.quantity, item.reason, item.note)
            for item in draft.items
        }
    return {
        line_id: SubmittedItem(line_id, quantity, "")
        for line_id, quantity in preselected_quantities(choices).items()
    }


@dataclass(frozen=True)
class PricePaid:
    """What the customer paid for a line, as the items page shows it."""

    amount: int  # minor units of the order's currency
    each: bool  # for one unit; else for the whole line


def price_paid(line: OrderLine) -> PricePaid:
    """Return what one unit of the line cost after the line's own discount, or the whole
    line's price when that discount does not split evenly over its units.

    The order's coupon is left out: it is shared over the order's lines, and the review shows
    each returned line's share of it beside the refund.
    """
    total = line.unit_price * line.quantity - line.line_discount
    each, rest = divmod(total, line.quantity)
    return PricePaid(total, each=False) if rest else PricePaid(each, each=True)
