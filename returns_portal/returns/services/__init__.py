"""Customer returns: one module per job; callers import them from here.

- draft: find the order, decide its lines, put a return together (nothing stored yet);
- lifecycle: open a confirmed return with its label, move it through its statuses, cancel
  it, and tell its timeline;
- links: signed links that open a return's page without a session;
- steps: what a standard return need not ask (preselected quantity, the options step's
  defaults) and the review's coupon shares.
"""

from returns_portal.returns.services.draft import (
    Draft,
    DraftItem,
    ExchangeNotOffered,
    LineChoice,
    OrderContext,
    SubmittedItem,
    build_request,
    choose_items,
    choose_resolutions,
    draft_errors,
    draft_settlement,
    estimate,
    exchange_options,
    exchange_unit_price,
    find_order,
    line_choices,
    load_customer_order,
    order_context,
    stock_currency,
)
from returns_portal.returns.services.lifecycle import (
    CANCELLABLE,
    TRANSITIONS,
    IllegalTransition,
    ReturnError,
    TimelineEntry,
    cancel_return,
    find_by_token,
    load_return,
    new_rma_number,
    open_return,
    shipments_of,
    timeline,
    transition,
)
from returns_portal.returns.services.links import (
    return_from_link_token,
    return_number_in_url,
    return_page_url,
    signed_link_token,
)
from returns_portal.returns.services.steps import (
    DefaultOptions,
    PricePaid,
    coupon_shares,
    default_options,
    items_on_page,
    preselected_quantities,
    price_paid,
    take_default_options,
)

__all__ = [
    "CANCELLABLE",
    "TRANSITIONS",
    "DefaultOptions",
    "Draft",
    "DraftItem",
    "ExchangeNotOffered",
    "IllegalTransition",
    "LineChoice",
    "OrderContext",
    "PricePaid",
    "ReturnError",
    "SubmittedItem",
    "TimelineEntry",
    "build_request",
    "cancel_return",
    "choose_items",
    "choose_resolutions",
    "coupon_shares",
    "default_options",
    "draft_errors",
    "draft_settlement",
    "estimate",
    "exchange_options",
    "exchange_unit_price",
    "find_by_token",
    "find_order",
    "items_on_page",
    "line_choices",
    "load_customer_order",
    "load_return",
    "new_rma_number",
    "open_return",
    "order_context",
    "preselected_quantities",
    "price_paid",
    "return_from_link_token",
    "return_number_in_url",
    "return_page_url",
    "shipments_of",
    "signed_link_token",
    "stock_currency",
    "take_default_options",
    "timeline",
    "transition",
]
