"""Store settings, the versioned policy, and the policy dry run used by the CLI and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, case, distinct, func, select

from returns_portal import policy
from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.orders.models import Order, OrderLine
from returns_portal.orders.schemas import OrderIn
from returns_portal.orders.services import OrderInvalid, load_order, order_to_dict, parse_order
from returns_portal.policy.document import PolicyDocumentIn
from returns_portal.policy.parse import InspectionIn, ReturnRequestIn
from returns_portal.policy.validation import Moment, read
from returns_portal.receiving.models import Inspection, InspectionItem
from returns_portal.returns.models import Return, ReturnItem, ReturnStatus
from returns_portal.store.identity import store_timezone
from returns_portal.store.models import PolicyVersion, StoreSettings
from returns_portal.types import utcnow

# Returns in these states gave nothing back, so their units can be returned again.
VOID_STATUSES = (ReturnStatus.CANCELLED, ReturnStatus.REJECTED, ReturnStatus.EXPIRED)


class DryRunInvalid(Exception):
    """The dry-run input is wrong; `errors` maps dotted paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def ensure_store() -> StoreSettings:
    """Return the store settings row, creating it from configuration the first time."""
    settings = db.session.scalar(select(StoreSettings).limit(1))
    if settings is None:
        config = current_app.config
        settings = StoreSettings(
            currency=config["STORE_CURRENCY"],
            return_address=dict(config["RETURN_ADDRESS"]),
        )
        db.session.add(settings)
        db.session.commit()
    return settings


def store_currency() -> str:
    """Return the store's currency: its settings row's, else the configured one."""
    currency = db.session.scalar(select(StoreSettings.currency).limit(1))
    return currency or str(current_app.config["STORE_CURRENCY"])


def default_document() -> dict[str, Any]:
    """Return the policy document used before a merchant saves one: the default pack."""
    document = policy.default_document("cn-7day")
    document["timezone"] = store_timezone()
    return dict(document)


def active_policy_version() -> PolicyVersion | None:
    """Return the active saved policy version, if the merchant has saved one."""
    return db.session.scalar(select(PolicyVersion).where(PolicyVersion.active.is_(True)).limit(1))


def active_policy() -> policy.Policy:
    """Return the policy returns are decided under now."""
    version = active_policy_version()
    if version is None:
        return policy.load_policy(default_document(), version=0)
    return policy.load_policy(version.document, version=version.version)


def save_policy(document: Mapping[str, Any], actor: str = "cli") -> PolicyVersion:
    """Validate a policy document, store it as the next version and make it active.

    Saving the document that is already active changes nothing and returns that version.

    Raises policy.PolicyInputError for malformed documents and policy.PolicyRefused when
    a rule would cut a statutory right; nothing is stored then.
    """
    current = db.session.scalar(
        select(PolicyVersion).where(PolicyVersion.active.is_(True)).with_for_update()
    )
    number = (db.session.scalar(select(func.max(PolicyVersion.version))) or 0) + 1
    loaded = policy.load_policy(document, version=number)
    if current is not None and current.digest == loaded.digest:
        return current
    if current is not None:
        current.active = False
    version = PolicyVersion(
        version=number,
        pack=loaded.pack,
        document=loaded.document,
        digest=loaded.digest,
        active=True,
        created_by=actor,
    )
    db.session.add(version)
    db.session.flush()
    record_event(
        actor, "policy.saved", "policy_version", number,
        before={"version": current.version, "digest": current.digest} if current else None,
        after={"version": number, "digest": loaded.digest, "pack": loaded.pack},
    )  # fmt: skip
    db.session.commit()
    return version


def order_facts(
    order: OrderIn, customer: policy.CustomerHistory | None = None
) -> policy.OrderFacts:
    """Turn an order document into the facts the policy engine decides on."""
    lines = tuple(
        policy.OrderLine(
            line_id=line.line_id,
            product=policy.Product(
                sku=line.sku,
                category=line.category,
                custom_made=line.custom_made,
                perishable=line.perishable,
                digital_download=line.digital_download,
                sealed_media=line.sealed_media,
                periodical=line.periodical,
                hygiene_sealed=line.hygiene_sealed,
                final_sale=line.final_sale,
                confirmation_exclusion=(
                    policy.ConfirmationExclusion(line.confirmation_exclusion)
                    if line.confirmation_exclusion
                    else None
                ),
                exclusion_confirmed=line.exclusion_confirmed,
            ),
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_discount=line.line_discount,
            tax=line.tax,
            gift_of=line.gift_of,
            gift_value=line.gift_value,
        )
        for line in order.lines
    )
    parcels = tuple(
        policy.Parcel(parcel_id=p.parcel_id, delivered_at=p.delivered_at, lines=dict(p.lines))
        for p in order.parcels
    )
    return policy.OrderFacts(
        number=order.number,
        currency=order.currency,
        placed_at=order.placed_at,
        lines=lines,
        parcels=parcels,
        order_discount=order.order_discount,
        shipping_paid=order.shipping_paid,
        standard_shipping=order.standard_shipping,
        free_shipping_threshold=order.free_shipping_threshold,
        withdrawal_info_given=order.withdrawal_info_given,
        return_costs_disclosed=order.return_costs_disclosed,
        customer=customer or policy.CustomerHistory(),
    )


def returned_units(order: Order, before: Return | None = None) -> dict[str, int]:
    """Return units of each line (by line_ref) already in live returns of this order; with
    `before`, only in returns opened before that one (what it was decided against)."""
    earlier = [Return.id < before.id] if before is not None else []
    rows = db.session.execute(
        select(ReturnItem.order_line_id, func.sum(ReturnItem.quantity))
        .join(Return, Return.id == ReturnItem.return_id)
        .where(
            Return.order_id == order.id,
            Return.status.not_in([str(s) for s in VOID_STATUSES]),
            *earlier,
        )
        .group_by(ReturnItem.order_line_id)
    ).all()
    refs = {line.id: line.line_ref for line in order.lines}
    return {refs[line_id]: int(qty) for line_id, qty in rows if line_id in refs}


def customer_address(order: OrderIn) -> str:
    """Return the order's address as the abuse blocklist compares it (street and postcode)."""
    address = order.shipping_address
    postal_code = address.get("postal_code") or order.postal_code or ""
    return policy.address_line(address.get("line1", ""), address.get("line2", ""), postal_code)


def _days_before(at: datetime, days: int) -> datetime:
    try:
        return at - timedelta(days=days)
    except OverflowError:  # a dry run asked about the first days of year 1
        return datetime.min.replace(tzinfo=UTC)


def customer_history(
    rules: policy.Policy, order: OrderIn, at: datetime, before: Return | None = None
) -> policy.CustomerHistory:
    """Count what the policy's abuse rules need about the order's customer as of `at`.

    `before`: the stored return being decided again (at inspection); only returns opened
    before it count, as when it was opened. At most two statements, both on indexed columns
    (orders.email, returns.order_id, return_items.return_id, inspection_items.return_item_id),
    and none when no rule counts history; the store's currency is read for money rules.
    Cancelled, rejected and expired returns gave nothing back and are left out, except that
    a claim refuted at inspection stays refuted.
    """
    abuse, email = rules.abuse, order.email.lower()
    # Money thresholds are in the store's currency; without them it is not read at all.
    money_rules = abuse.value_in_period is not None or abuse.high_value_line is not None
    currency = store_currency() if money_rules else None
    found = policy.CustomerHistory(email=email, address=customer_address(order), currency=currency)
    if not abuse.needs_history:
        return found
    earlier = [Return.id < before.id] if before is not None else []
    live = Return.status.not_in([str(s) for s in VOID_STATUSES])

    def since(rule: Any) -> Any:
        return Return.requested_at >= _days_before(at, rule.within_days if rule else 0)

    counted, value = abuse.returns_in_period, abuse.value_in_period
    # The value of the units returned as the rules count it (policy.abuse.returned_value).
    worth = (
        (OrderLine.unit_price * OrderLine.quantity - OrderLine.line_discount)
        * ReturnItem.quantity
        // OrderLine.quantity
    )
    other = [Order.email == email, Order.number != order.number]
    returned_orders = (
        select(func.count(distinct(Return.order_id)))
        .join(Order, Order.id == Return.order_id)
        .where(*other, live, *earlier)
        .correlate(None)  # counted on its own, not per row of the query it sits in
        .scalar_subquery()
    )
    # One row of aggregates: each figure a rule does not use is left at 0.
    returns = returned_value = other_orders = other_returned = 0
    if counted or value or abuse.share_returned:
        longest = max((r.within_days for r in (counted, value) if r), default=0)
        row = db.session.execute(
            select(
                func.count(distinct(case((since(counted), Return.id)))),
                func.coalesce(
                    func.sum(
                        case((and_(since(value), Order.currency == currency), worth), else_=0)
                    ),
                    0,
                ),
                select(func.count(Order.id)).where(*other).correlate(None).scalar_subquery(),
                returned_orders,
            )
            .select_from(ReturnItem)
            .join(Return, Return.id == ReturnItem.return_id)
            .join(Order, Order.id == Return.order_id)
            .join(OrderLine, OrderLine.id == ReturnItem.order_line_id)
            .where(
                Order.email == email,
                live,
                Return.requested_at >= _days_before(at, longest),
                Return.requested_at <= at,
                *earlier,
            )
        ).one()
        returns = int(row[0] or 0) if counted else 0
        returned_value = int(row[1] or 0) if value else 0
        other_orders, other_returned = int(row[2] or 0), int(row[3] or 0)
    refuted = 0
    if (claims := abuse.refuted_claims) is not None:
        checks = {str(reason): q.code for reason, q in policy.CLAIM_CHECKS.items()}
        answers = db.session.execute(
            select(ReturnItem.reason, InspectionItem.answers)
            .join(InspectionItem, InspectionItem.return_item_id == ReturnItem.id)
            .join(Inspection, Inspection.id == InspectionItem.inspection_id)
            .join(Return, Return.id == ReturnItem.return_id)
            .join(Order, Order.id == Return.order_id)
            .where(
                Order.email == email,
                ReturnItem.reason.in_(list(checks)),
                Inspection.completed_at.is_not(None),
                since(claims),
                Return.requested_at <= at,
                *earlier,
            )
        ).all()
        # Refuted: the claim's own check answered "no" (the item as ordered, as described).
        refuted = sum((given or {}).get(checks[reason]) is False for reason, given in answers)
    return replace(
        found,
        returns=returns,
        returned_value=returned_value,
        other_orders=other_orders,
        other_orders_returned=min(other_returned, other_orders),
        refuted_claims=refuted,
    )


def policy_of(rma: Return) -> policy.Policy:
    """Return the policy a stored return was decided under (its saved version, else the
    active one)."""
    if rma.policy_version_id is not None:
        version = db.session.get(PolicyVersion, rma.policy_version_id)
        if version is not None:
            return policy.load_policy(version.document, version=version.version)
    return active_policy()


class DryRunReturnIn(ReturnRequestIn):
    """The proposed return: lines, quantities and reasons; `requested_at` defaults to now."""

    requested_at: Moment = Field(
        default_factory=utcnow,
        description="When the customer asks (ISO 8601 with offset); default now.",
    )


class DryRunIn(BaseModel):
    """A dry run: `order` (inline, as for POST /orders) or `order_number` (stored), a return."""

    # `flask policy explain` reads the same. Each part is read by the model named here, one
    # part after the other (see `dry_run`).
    model_config = ConfigDict(extra="forbid")

    order: OrderIn | None = Field(
        default=None, description="An order inline, as for POST /orders; give this or order_number."
    )
    order_number: str | None = Field(
        default=None,
        description="A stored order; units already in its returns count against each line.",
    )
    return_: DryRunReturnIn = Field(alias="return")
    inspection: InspectionIn | None = Field(
        default=None, description="What the warehouse found, to decide the refund after inspection."
    )
    policy: PolicyDocumentIn | None = Field(
        default=None,
        description="A policy document to try instead of the active one (docs/policy.md).",
    )


DRY_RUN_FIELDS = frozenset(field.alias or name for name, field in DryRunIn.model_fields.items())


def dry_run(payload: Mapping[str, Any]) -> tuple[policy.Evaluation, policy.Policy]:
    """Evaluate a proposed return with the same engine and facts the portal uses.

    Returns the evaluation and the policy it was made under.

    `payload` is a DryRunIn: {"order": {...} | "order_number": "...", "return": {...},
    "inspection": {...}?, "policy": {...}?}. Each part is read by its model in turn — the
    policy first, so that one cutting a statutory right is refused whatever else is wrong;
    the return after the order, whose earlier returns it defaults to. Raises DryRunInvalid
    naming each bad field, policy.PolicyRefused when an inline policy cuts a statutory right.
    """
    if not isinstance(payload, Mapping):
        raise DryRunInvalid({"body": ["expected a JSON object"]})
    unknown = sorted(set(payload) - DRY_RUN_FIELDS)
    errors: dict[str, list[str]] = {key: ["unknown field"] for key in unknown}

    rules = active_policy()
    if payload.get("policy") is not None:
        try:
            rules = policy.load_policy(payload["policy"], version=None)
        except policy.PolicyInputError as exc:
            errors.update(_prefixed("policy", exc.errors))

    order_doc: OrderIn | None = None
    previously: dict[str, int] = {}
    if ("order" in payload) == ("order_number" in payload):
        errors["order"] = ["give either an inline order or an order_number, not both"]
    elif "order" in payload:
        try:
            order_doc = parse_order(payload["order"])
        except OrderInvalid as exc:
            errors.update(_prefixed("order", exc.errors))
    else:
        # Any JSON value names an order by its text; one that names none is "no order …".
        stored = load_order(str(payload["order_number"]))
        if stored is None:
            errors["order_number"] = [f"no order {payload['order_number']}"]
        else:
            order_doc = OrderIn.model_validate(order_to_dict(stored))
            previously = returned_units(stored)

    request_data = payload.get("return")
    request: policy.ReturnRequest | None = None
    if not isinstance(request_data, Mapping):
        errors["return"] = ["required: the proposed return (lines, quantities, reasons)"]
    else:
        try:
            draft = read(DryRunReturnIn, request_data)
        except policy.PolicyInputError as exc:
            errors.update(_prefixed("return", exc.errors))
        else:
            if previously and "previously_returned" not in draft.model_fields_set:
                draft.previously_returned = previously
            request = draft.to_request()

    inspection = None
    if payload.get("inspection") is not None:
        try:
            inspection = policy.parse_inspection(payload["inspection"])
        except policy.PolicyInputError as exc:
            errors.update(_prefixed("inspection", exc.errors))

    if errors or order_doc is None or request is None:
        raise DryRunInvalid(errors)
    # The customer's history is counted for an inline order too, by its e-mail address.
    facts = order_facts(order_doc, customer_history(rules, order_doc, request.requested_at))
    try:
        policy.validate_request(facts, request)
    except policy.PolicyInputError as exc:
        raise DryRunInvalid(_prefixed("return", exc.errors)) from exc
    return policy.evaluate(facts, request, rules, inspection), rules


def _prefixed(prefix: str, errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {f"{prefix}.{key}" if key else prefix: list(value) for key, value in errors.items()}
