"""What each customer page shows, gathered by one call: the views only parse and render.

A page model reads from several domains (shipping, receiving, refunds) so the view does
not have to; it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from returns_portal.orders.models import Order, StockLevel
from returns_portal.policy import Evaluation
from returns_portal.refunds.credit import CreditCode
from returns_portal.returns.models import Return
from returns_portal.returns.services import (
    Draft,
    DraftItem,
    LineChoice,
    OrderContext,
    TimelineEntry,
    can_cancel,
    estimate,
    exchange_options,
    timeline,
)
from returns_portal.returns.states import CustomerState, customer_state
from returns_portal.shipping.carriers import Rate
from returns_portal.shipping.models import Shipment
from returns_portal.shipping.services import live_shipment, service_rate


@dataclass(frozen=True)
class TrackPage:
    """A return's page: where it is, what happens to the money, what the customer can do."""

    rma: Return
    state: CustomerState  # the row of the state table: status, next step, money, items
    shipment: Shipment | None
    rate: Rate | None  # the shipment's service, with display names
    codes: list[CreditCode]  # this return's own store-credit codes (shown masked)
    timeline: list[TimelineEntry]
    cancellable: bool


def track_page(rma: Return) -> TrackPage:
    shipment = live_shipment(rma)
    state = customer_state(rma)
    return TrackPage(
        rma=rma,
        state=state,
        shipment=shipment,
        rate=service_rate(rma.order, shipment.carrier, shipment.service) if shipment else None,
        # Only this return's own credit: whoever opens the page (a guessed postal code, a
        # forwarded link) can't spend it. The full code is in the owner's mail.
        codes=[part.code for part in state.parts if part.code is not None],
        timeline=timeline(rma),
        cancellable=can_cancel(rma),
    )


@dataclass(frozen=True)
class OptionsPage:
    """The resolutions and shipping step: each chosen item, the carrier rates, and what
    the policy makes of them."""

    order: Order
    chosen: list[tuple[DraftItem, LineChoice]]
    rates: dict[str, Rate]  # cheapest first
    selected_rate: str  # "carrier:service"
    shipping_free: bool  # the policy waives the label's cost
    bonus_percent: int  # extra store credit the policy gives instead of a refund
    exchange_options: dict[str, list[StockLevel]]  # by line id


def options_page(
    context: OrderContext, choices: list[LineChoice], draft: Draft, rates: dict[str, Rate],
    at: datetime,
) -> OptionsPage:  # fmt: skip
    by_line = {c.line.line_ref: c for c in choices}
    chosen = [(item, by_line[item.line_id]) for item in draft.items if item.line_id in by_line]
    cheapest = next(iter(rates)) if rates else ""
    # Priced with a real carrier rate: free only if the policy waives the label's cost.
    probe_cost = rates[cheapest].amount if rates else None
    evaluation: Evaluation = estimate(context, draft, at, probe_cost)
    return OptionsPage(
        order=context.order,
        chosen=chosen,
        rates=rates,
        selected_rate=f"{draft.carrier}:{draft.service}" if draft.carrier else cheapest,
        shipping_free=not any(d.code == "return_label_cost" for d in evaluation.refund.deductions),
        bonus_percent=int(
            context.rules.document["resolutions"].get("store_credit_bonus_percent") or 0
        ),
        exchange_options={
            item.line_id: exchange_options(choice.line)
            for item, choice in chosen
            if "exchange" in choice.decision.allowed_resolutions
        },
    )


def context_of(page: TrackPage | OptionsPage) -> dict[str, Any]:
    """The page model's fields as template variables."""
    return {f.name: getattr(page, f.name) for f in fields(page)}
