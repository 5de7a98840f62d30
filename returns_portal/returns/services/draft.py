"""A return being put together: find the order, decide its lines, choose items and
resolutions; nothing is stored until the customer confirms.

The browser only proposes; every choice is decided again here by the policy engine.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from returns_portal import policy
from returns_portal.extensions import db
from returns_portal.orders.models import Order, OrderLine, StockLevel
from returns_portal.orders.schemas import OrderIn
from returns_portal.orders.services import WHOLE_ORDER, order_to_dict
from returns_portal.refunds.settlement import Settlement, settlement_for
from returns_portal.returns.models import Return
from returns_portal.store.services import (
    active_policy,
    customer_history,
    order_facts,
    policy_of,
    returned_units,
    store_currency,
)
from returns_portal.types import utcnow

# --- finding the order -------------------------------------------------------------------


def _normalise_postcode(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def find_order(number: str, contact: str) -> Order | None:
    """Return the order if `contact` is its email or postal code, else None.

    An unknown number and a wrong contact do the same work, so the answer's timing does
    not tell which orders exist.
    """
    order = db.session.scalar(
        select(Order).where(Order.number == number.strip()).options(*WHOLE_ORDER)
    )
    given = contact.strip()
    email = (order.email if order else "\x00").encode()
    postcode = _normalise_postcode(order.postal_code if order else None).encode() or b"\x00"
    matches_email = hmac.compare_digest(email, given.lower().encode())
    matches_postcode = hmac.compare_digest(postcode, _normalise_postcode(given).encode())
    if order is None or not (matches_email or matches_postcode):
        return None
    return order


def load_customer_order(number: str) -> Order | None:
    """Return a stored order with everything the customer pages show."""
    return db.session.scalar(select(Order).where(Order.number == number).options(*WHOLE_ORDER))


# --- deciding the lines ------------------------------------------------------------------


@dataclass(frozen=True)
class LineChoice:
    """An order line as the customer sees it, with the policy's decision."""

    line: OrderLine
    decision: policy.LineDecision


@dataclass(frozen=True)
class OrderContext:
    """What the policy needs about a stored order, computed once per request."""

    order: Order
    facts: policy.OrderFacts
    rules: policy.Policy
    previously_returned: dict[str, int]


def order_context(order: Order, decided: Return | None = None) -> OrderContext:
    """Build the policy's view of a stored order under the active policy.

    `decided`: a stored return of the order being decided again (at inspection): the
    customer's history for the abuse rules is then counted as when it was opened, under
    the policy it was decided under, leaving it out.
    """
    rules = active_policy()
    document = OrderIn.model_validate(order_to_dict(order))
    if decided is None:
        customer = customer_history(rules, document, utcnow())
    else:
        customer = customer_history(policy_of(decided), document, decided.requested_at, decided)
    return OrderContext(order, order_facts(document, customer), rules, returned_units(order))


def line_choices(context: OrderContext, at: datetime) -> list[LineChoice]:
    """Decide every line of the order at time `at`."""
    decisions = {
        d.line_id: d
        for d in policy.decide_lines(
            context.facts, context.rules, at, previously_returned=context.previously_returned
        )
    }
    return [LineChoice(line, decisions[line.line_ref]) for line in context.order.lines]


# --- the draft the customer builds over the steps -----------------------------------------


@dataclass
class DraftItem:
    line_id: str
    quantity: int
    reason: str
    note: str = ""
    photos: list[str] = field(default_factory=list)
    resolution: str = policy.Resolution.REFUND.value
    exchange_sku: str | None = None


@dataclass
class Draft:
    """The return being put together, kept in the customer's signed session."""

    order_number: str
    items: list[DraftItem] = field(default_factory=list)
    method: str = policy.ReturnMethod.LABEL.value
    carrier: str | None = None
    service: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def to_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: Mapping[str, Any] | None, order_number: str) -> Draft:
        if not data or data.get("order_number") != order_number:
            return cls(order_number)
        items = [DraftItem(**item) for item in data.get("items", [])]
        return cls(
            order_number=order_number,
            items=items,
            method=data.get("method", policy.ReturnMethod.LABEL.value),
            carrier=data.get("carrier"),
            service=data.get("service"),
            token=data.get("token") or secrets.token_urlsafe(24),
        )


@dataclass(frozen=True)
class SubmittedItem:
    """What the browser sent for one line on the choose-items step (untrusted)."""

    line_id: str
    quantity: int
    reason: str
    note: str = ""
    new_photos: tuple[str, ...] = ()


def choose_items(
    choices: list[LineChoice], submitted: list[SubmittedItem], draft: Draft
) -> dict[str, list[str]]:
    """Check the chosen items against the policy and keep them in the draft; return errors."""
    by_line = {choice.line.line_ref: choice for choice in choices}
    previous = {item.line_id: item for item in draft.items}
    errors: dict[str, list[str]] = {}
    chosen: list[DraftItem] = []
    for item in submitted:
        if item.quantity <= 0:
            continue
        choice = by_line.get(item.line_id)
        if choice is None:
            errors.setdefault("form", []).append(_("That item is not part of this order."))
            continue
        decision = choice.decision
        problems = errors.setdefault(item.line_id, [])
        try:
            reason = policy.ReturnReason(item.reason)
        except ValueError:
            problems.append(_("Choose a reason."))
            continue
        if not decision.eligible:
            problems.append(_("This item can't be returned."))
        elif reason not in decision.allowed_reasons:
            problems.append(_("This reason isn't accepted for this item any more."))
        if item.quantity > decision.remaining_qty:
            problems.append(
                _("You can return at most %(count)d of this item.", count=decision.remaining_qty)
            )
        if reason is policy.ReturnReason.OTHER and not item.note.strip():
            problems.append(_("Tell us a little about the reason."))
        kept = previous.get(item.line_id)
        photos = [*(kept.photos if kept else []), *item.new_photos][:5]
        if reason in decision.photos_required_for and not photos:
            problems.append(_("Add at least one photo showing the problem."))
        if not problems:
            del errors[item.line_id]
        chosen.append(
            DraftItem(
                line_id=item.line_id,
                quantity=item.quantity,
                reason=reason.value,
                note=item.note.strip()[:500],
                photos=photos,
                resolution=kept.resolution if kept else policy.Resolution.REFUND.value,
                exchange_sku=kept.exchange_sku if kept else None,
            )
        )
    if not chosen and not errors:
        errors["form"] = [_("Choose at least one item to return.")]
    draft.items = chosen
    return errors


def draft_errors(choices: list[LineChoice], draft: Draft) -> dict[str, list[str]]:
    """Check the draft's items again (time passes, other returns happen); change nothing."""
    copy = Draft(draft.order_number, [DraftItem(**asdict(item)) for item in draft.items])
    submitted = [
        SubmittedItem(item.line_id, item.quantity, item.reason, item.note) for item in draft.items
    ]
    return choose_items(choices, submitted, copy)


def exchange_options(line: OrderLine) -> list[StockLevel]:
    """Return the variants this line can be exchanged for, in stock or not."""
    if not line.product_group:
        return []
    return list(
        db.session.scalars(
            select(StockLevel)
            .where(StockLevel.product_group == line.product_group)
            .order_by(StockLevel.sku)
        )
    )


class ExchangeNotOffered(Exception):
    """The new item can't be priced against what the customer paid for the returned one."""


def stock_currency(stock: StockLevel) -> str:
    """Return the currency of the stock's price (a row without one is in the store's)."""
    return stock.currency or store_currency()


def exchange_unit_price(line: OrderLine, stock: StockLevel) -> int | None:
    """Return the unit price an exchange of `line` for `stock` is settled at, or None: what
    the customer paid for the unit sent back. Raise ExchangeNotOffered if it can't be priced.

    The one pricing rule for the estimate, the reservation (ReturnItem.exchange_unit_price)
    and so the settlement.
    """
    if line.product_group and stock.product_group == line.product_group:
        # Another size or colour of the same product costs what the customer paid for the
        # unit they send back, after its discounts: a size swap sells nothing new, so the
        # list price (above a discounted price paid) is no difference to charge.
        return None
    if stock_currency(stock) != line.order.currency:
        # A price in another currency is not comparable with what was paid (129 CNY is not
        # 129 EUR), and the portal keeps no exchange rates: another product priced in
        # another currency than the order's is not offered at all.
        raise ExchangeNotOffered(stock.sku)
    # Another product costs its price; one the shop gave no price is exchanged like for like.
    return stock.unit_price or None


def draft_settlement(draft: Draft, breakdown: dict[str, Any]) -> Settlement:
    """Split the estimate into card, store credit and exchange difference, at today's prices."""
    skus = {item.exchange_sku for item in draft.items if item.exchange_sku}
    stock = (
        {s.sku: s for s in db.session.scalars(select(StockLevel).where(StockLevel.sku.in_(skus)))}
        if skus
        else {}
    )
    lines = (
        {
            line.line_ref: line
            for line in db.session.scalars(
                select(OrderLine).join(Order).where(Order.number == draft.order_number)
            )
        }
        if skus
        else {}
    )
    prices: dict[str, int | None] = {}
    for item in draft.items:
        new, line = stock.get(item.exchange_sku or ""), lines.get(item.line_id)
        if new is None or line is None:
            continue
        try:
            prices[item.line_id] = exchange_unit_price(line, new)
        except ExchangeNotOffered:
            # choose_resolutions keeps only offered variants and confirming refuses any
            # other: nothing to price here.
            continue
    return settlement_for(
        breakdown,
        [(item.line_id, item.resolution, prices.get(item.line_id)) for item in draft.items],
    )


def choose_resolutions(
    choices: list[LineChoice],
    draft: Draft,
    resolutions: Mapping[str, str],
    exchange_skus: Mapping[str, str],
    method: str,
    carrier_service: str,
    rates: Mapping[str, int],
) -> dict[str, list[str]]:
    """Check each item's resolution, the return method and the carrier; keep them."""
    by_line = {choice.line.line_ref: choice for choice in choices}
    errors: dict[str, list[str]] = {}
    for item in draft.items:
        choice = by_line.get(item.line_id)
        if choice is None:
            errors.setdefault("form", []).append(_("That item is not part of this order."))
            continue
        wanted = resolutions.get(item.line_id, item.resolution)
        try:
            resolution = policy.Resolution(wanted)
        except ValueError:
            errors.setdefault(item.line_id, []).append(_("Choose what you would like instead."))
            continue
        if resolution not in choice.decision.allowed_resolutions:
            errors.setdefault(item.line_id, []).append(
                _("That option isn't offered for this item.")
            )
            continue
        item.resolution = resolution.value
        item.exchange_sku = None
        if resolution is policy.Resolution.EXCHANGE:
            sku = exchange_skus.get(item.line_id, "")
            options = {stock.sku: stock for stock in exchange_options(choice.line)}
            stock = options.get(sku)
            if stock is None:
                errors.setdefault(item.line_id, []).append(_("Choose the size or colour you want."))
            elif stock.available < item.quantity:
                errors.setdefault(item.line_id, []).append(_("Sorry, that one is out of stock."))
            else:
                item.exchange_sku = sku
    allowed_methods = (
        set.intersection(
            *(
                set(by_line[i.line_id].decision.allowed_methods)
                for i in draft.items
                if i.line_id in by_line
            )
        )
        if draft.items
        else set()
    )
    if method not in {m.value for m in allowed_methods}:
        errors.setdefault("method", []).append(_("Choose how you will send the parcel."))
    else:
        draft.method = method
    if carrier_service not in rates:
        errors.setdefault("carrier", []).append(_("Choose a carrier."))
    else:
        draft.carrier, draft.service = carrier_service.split(":", 1)
    return errors


@dataclass(frozen=True)
class RequestItem:
    """One item of a return as the policy is asked about it: plain values, the same whether
    they come from a draft or from a stored return."""

    line_id: str  # the order line's line_ref
    quantity: int
    reason: str
    resolution: str
    note: str = ""


def policy_request(
    items: Iterable[RequestItem],
    method: str,
    requested_at: datetime,
    label_cost: int | None,
    previously_returned: Mapping[str, int],
) -> policy.ReturnRequest:
    """Build the policy engine's request for a return.

    The one builder for the estimate (from a draft, before the return exists) and for the
    inspection (from the stored return), so both ask the engine about the same facts.
    """
    return policy.ReturnRequest(
        requested_at=requested_at,
        lines=tuple(
            policy.RequestedLine(
                line_id=item.line_id,
                quantity=item.quantity,
                reason=policy.ReturnReason(item.reason),
                resolution=policy.Resolution(item.resolution),
                note=item.note,
            )
            for item in items
        ),
        method=policy.ReturnMethod(method),
        label_cost=label_cost,
        previously_returned=dict(previously_returned),
    )


def build_request(draft: Draft, at: datetime, label_cost: int | None, context: OrderContext
                  ) -> policy.ReturnRequest:  # fmt: skip
    """Turn the draft into the policy engine's return request."""
    return policy_request(
        (
            RequestItem(item.line_id, item.quantity, item.reason, item.resolution, item.note)
            for item in draft.items
        ),
        draft.method,
        at,
        label_cost,
        context.previously_returned,
    )


def estimate(context: OrderContext, draft: Draft, at: datetime, label_cost: int | None
             ) -> policy.Evaluation:  # fmt: skip
    """Evaluate the draft as it stands: decisions and the refund breakdown."""
    return policy.evaluate(
        context.facts, build_request(draft, at, label_cost, context), context.rules
    )
