"""What each customer page shows, gathered by one call: the views only parse and render.

A page model reads from several domains (shipping, receiving, refunds) so the view does
not have to; it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from returns_portal.orders.models import Order, StockLevel
from returns_portal.policy import Evaluation
from returns_portal.receiving.services import proposed_refund, refund_due_by
from returns_portal.refunds.credit import CreditCode
from returns_portal.refunds.services import MoneyPart, customer_money
from returns_portal.refunds.snapshots import RefundSnapshot, breakdown_of, estimate_of
from returns_portal.returns.models import Return
from returns_portal.returns.reasons import NEXT_STEPS, REFUND_DENIED_STEP
from returns_portal.returns.services import (
    CANCELLABLE,
    Draft,
    DraftItem,
    LineChoice,
    OrderContext,
    TimelineEntry,
    estimate,
    exchange_options,
    timeline,
)
from returns_portal.shipping.carriers import Rate
from returns_portal.shipping.models import Shipment
from returns_portal.shipping.services import live_shipment, service_rate


@dataclass(frozen=True)
class TrackPage:
    """A return's page: where it is, what happens to the money, what the customer can do."""

    rma: Return
    shipment: Shipment | None
    rate: Rate | None  # the shipment's service, with display names
    breakdown: RefundSnapshot  # the refund: the proposal after inspection, else the estimate
    due_by: date | None
    pack: str | None  # the rule pack the return was decided under
    parts: list[MoneyPart]
    codes: list[CreditCode]  # this return's own store-credit codes (shown masked)
    timeline: list[TimelineEntry]
    cancellable: bool
    next_step: str | None  # the one thing to know or do now, in the reader's language


def track_page(rma: Return) -> TrackPage:
    shipment = live_shipment(rma)
    refund = proposed_refund(rma)
    parts = customer_money(rma)
    return TrackPage(
        rma=rma,
        shipment=shipment,
        rate=service_rate(rma.order, shipment.carrier, shipment.service) if shipment else None,
        # After inspection the proposal (due date counted from receipt) replaces the estimate.
        breakdown=(breakdown_of(refund.breakdown) if refund else estimate_of(rma.estimate)).refund,
        due_by=refund_due_by(rma),
        pack=estimate_of(rma.estimate).pack,
        parts=parts,
        # Only this return's own credit: whoever opens the page (a guessed postal code, a
        # forwarded link) can't spend it. The full code is in the owner's mail.
        codes=[part.code for part in parts if part.code is not None],
        timeline=timeline(rma),
        cancellable=rma.status in CANCELLABLE,
        next_step=_next_step(rma, parts),
    )


def _next_step(rma: Return, parts: list[MoneyPart]) -> str | None:
    """The status's next step, unless the money says otherwise: a refund denied in every
    part is not "being prepared"."""
    if parts and all(part.status == "cancelled" for part in parts):
        return str(REFUND_DENIED_STEP)
    step = NEXT_STEPS.get(rma.status)
    return str(step) if step is not None else None


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
