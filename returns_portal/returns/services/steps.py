"""What a standard return need not ask: the quantity the items page starts at, the options
step when its defaults stand, and the figures the review shows so its total explains itself.

Issue 11 §2: from the landing page to a label on screen in at most six interactions, without
skipping a decision the policy needs. Every shortcut here falls back to asking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from returns_portal import policy
from returns_portal.orders.models import OrderLine
from returns_portal.returns.services.draft import (
    Draft,
    LineChoice,
    OrderContext,
    SubmittedItem,
    choose_resolutions,
)

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


# --- the options step ------------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultOptions:
    """What the options page would have preselected, when the customer need not choose."""

    resolutions: dict[str, str]  # by line id
    exchange_skus: dict[str, str]  # by line id, for exchanges chosen earlier
    method: str
    carrier_service: str  # "carrier:service"


def default_options(
    choices: list[LineChoice], draft: Draft, rates: Mapping[str, int]
) -> DefaultOptions | None:
    """Return the options step's defaults for the draft's items if they stand, else None.

    They stand when no choice is left that only the customer can make: each item has one
    sensible resolution (the one already chosen, else the options page's preselected refund,
    else the policy's only offer), an exchange has its variant, the items share a method
    (the one chosen, the label, or the only one allowed) and a carrier is priced (the one
    chosen, else the cheapest, as the options page preselects).
    """
    by_line = {choice.line.line_ref: choice for choice in choices}
    if not draft.items or not rates:
        return None
    resolutions: dict[str, str] = {}
    exchange_skus: dict[str, str] = {}
    methods: set[policy.ReturnMethod] | None = None
    for item in draft.items:
        choice = by_line.get(item.line_id)
        if choice is None:
            return None
        allowed = choice.decision.allowed_resolutions
        if item.resolution in allowed:
            resolution = policy.Resolution(item.resolution)
        elif len(allowed) == 1:
            resolution = allowed[0]
        else:
            return None
        if resolution is policy.Resolution.EXCHANGE:
            if not item.exchange_sku:
                return None  # which size or colour is the customer's choice
            exchange_skus[item.line_id] = item.exchange_sku
        resolutions[item.line_id] = resolution.value
        allowed_methods = set(choice.decision.allowed_methods)
        methods = allowed_methods if methods is None else methods & allowed_methods
    values = {method.value for method in methods or ()}
    if draft.method in values:
        method = draft.method
    elif len(values) == 1:
        method = values.pop()
    else:
        return None
    chosen = f"{draft.carrier}:{draft.service}"
    carrier_service = chosen if chosen in rates else next(iter(rates))
    return DefaultOptions(resolutions, exchange_skus, method, carrier_service)


def take_default_options(choices: list[LineChoice], draft: Draft, rates: Mapping[str, int]) -> bool:
    """Keep the options step's defaults in the draft when they stand; tell whether they did.

    They are checked as the options page checks a customer's answer (an exchange's stock
    too), so the review never starts from something the options page would have refused.
    """
    defaults = default_options(choices, draft, rates)
    if defaults is None:
        return False
    errors = choose_resolutions(
        choices, draft, defaults.resolutions, defaults.exchange_skus, defaults.method,
        defaults.carrier_service, rates,
    )  # fmt: skip
    return not errors


# --- the review ------------------------------------------------------------------------------


def coupon_shares(context: OrderContext, draft: Draft) -> dict[str, int]:
    """Return, by line id, the part of the order's coupon the draft's units carried: what
    their refund lacks of the price paid (only lines that carried some)."""
    before = context.previously_returned
    shares = {
        item.line_id: policy.order_discount_share(
            context.facts, item.line_id, before.get(item.line_id, 0), item.quantity
        )
        for item in draft.items
    }
    return {line_id: share for line_id, share in shares.items() if share > 0}
