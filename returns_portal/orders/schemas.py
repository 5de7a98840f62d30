"""The order format the shop sends (JSON API and import files), validated field by field."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from returns_portal.inputs import INT32_MAX

# The amount columns are `integer`: 2³¹−1 minor units (21 million yuan or euros) per field.
Minor = Annotated[int, Field(ge=0, le=INT32_MAX, description="Amount in minor units (cents, fen).")]


def _storable(moment: datetime) -> datetime:
    """Refuse a time that has no UTC form a database can hold (e.g. 0001-01-01T00:00+03:00)."""
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if not 1900 <= in_utc.year <= 9998:
        raise ValueError("must be between the years 1900 and 9998")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_storable)]
Ref = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/#-]+$")]
# Strict: pydantic would read 0, 1, "yes" and "false" as booleans, which the schema says are not.
Flag = Annotated[bool, Field(strict=True)]
ConfirmationExclusion = Literal[
    "quality_changes_once_unsealed", "value_drops_once_activated", "near_expiry_or_flaw"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# A category word that names a legal exclusion implies its fact (RULES.md): a merchant who
# sends only `category: periodical` must not lose the exclusion. An explicit false wins.
CATEGORY_FACTS = {
    "periodical": "periodical",
    "custom": "custom_made",
    "custom_made": "custom_made",
    "fresh_food": "perishable",
    "perishable": "perishable",
    "digital_download": "digital_download",
}


class LineIn(_Strict):
    """One order line: the product, what was paid, and the facts the return policy needs."""

    line_id: Ref
    sku: Ref
    gtin: Annotated[str, Field(pattern=r"^\d{8,14}$")] | None = None
    name: Annotated[str, Field(min_length=1, max_length=300)]
    variant: Annotated[str, Field(max_length=200)] | None = None
    product_group: Ref | None = Field(None, description="Variants of one product share a group.")
    category: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    unit_price: Minor
    line_discount: Minor = 0
    tax: Minor = Field(0, description="Tax charged on top for the whole line; 0 if included.")
    custom_made: Flag = False
    perishable: Flag = False
    digital_download: Flag = False
    sealed_media: Flag = False
    periodical: Flag = False
    hygiene_sealed: Flag = False
    final_sale: Flag = False
    confirmation_exclusion: ConfirmationExclusion | None = None
    exclusion_confirmed: Flag = False
    gift_of: Ref | None = Field(None, description="line_id of the line this gift came with.")
    gift_value: Minor = Field(0, description="Stated value of one gift unit.")
    image_url: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _category_implies_its_fact(self) -> LineIn:
        fact = CATEGORY_FACTS.get(self.category)
        if fact is not None and fact not in self.model_fields_set:
            setattr(self, fact, True)
        return self

    @model_validator(mode="after")
    def _discount_within_price(self) -> LineIn:
        if self.line_discount > self.unit_price * self.quantity:
            raise ValueError("line_discount is larger than unit_price × quantity")
        return self


class ParcelIn(_Strict):
    """One outbound parcel and the line quantities in it."""

    parcel_id: Ref
    carrier: Annotated[str, Field(max_length=64)] | None = None
    tracking_number: Annotated[str, Field(max_length=64)] | None = None
    shipped_at: Moment | None = None
    delivered_at: Moment | None = Field(
        None, description="When the customer signed for / took possession of the parcel."
    )
    lines: dict[Ref, Annotated[int, Field(ge=1, le=10_000)]] = Field(
        description="line_id → quantity in this parcel.", min_length=1
    )


class PaymentIn(_Strict):
    """Money captured for the order (a Stripe PaymentIntent)."""

    provider: Literal["stripe"] = "stripe"
    reference: Annotated[str, Field(min_length=3, max_length=255)]
    amount: Minor
    method: Annotated[str, Field(max_length=32)] = "card"
    captured_at: Moment | None = None


class OrderIn(_Strict):
    """An order as the shop sends it; amounts are integer minor units of `currency`."""

    number: Ref
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    customer_name: Annotated[str, Field(max_length=200)] = ""
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    locale: Annotated[str, Field(max_length=16)] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    placed_at: Moment
    order_discount: Minor = Field(0, description="Order-level discount, shared across lines.")
    coupon_code: Annotated[str, Field(max_length=64)] | None = None
    shipping_paid: Minor = 0
    standard_shipping: Minor = Field(0, description="Price of standard delivery.")
    free_shipping_threshold: Minor | None = None
    withdrawal_info_given: Flag = True
    return_costs_disclosed: Flag = True
    shipping_address: dict[str, Annotated[str, Field(max_length=300)]] = {}
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    parcels: list[ParcelIn] = []
    payments: list[PaymentIn] = []


def consistency_errors(order: OrderIn) -> dict[str, list[str]]:
    """Check what one field cannot say alone; return {dotted.path: [message, …]}."""
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    seen: dict[str, int] = {}
    for index, line in enumerate(order.lines):
        if line.line_id in seen:
            add(
                f"lines.{index}.line_id",
                f"repeats line {seen[line.line_id]}'s line_id {line.line_id}",
            )
        seen.setdefault(line.line_id, index)
    by_id = {line.line_id: line for line in order.lines}
    for index, line in enumerate(order.lines):
        if line.gift_of is None:
            continue
        main = by_id.get(line.gift_of)
        if main is None or main is line:
            add(f"lines.{index}.gift_of", f"names no other line of this order: {line.gift_of}")
        elif main.gift_of is not None:
            add(f"lines.{index}.gift_of", f"names line {line.gift_of}, which is itself a gift")
    parcels_seen: set[str] = set()
    shipped: Counter[str] = Counter()
    for index, parcel in enumerate(order.parcels):
        if parcel.parcel_id in parcels_seen:
            add(f"parcels.{index}.parcel_id", f"parcel_id {parcel.parcel_id} is repeated")
        parcels_seen.add(parcel.parcel_id)
        for line_id, qty in parcel.lines.items():
            if line_id not in by_id:
                add(f"parcels.{index}.lines.{line_id}", "names no line of this order")
            shipped[line_id] += qty
    for line_id, qty in shipped.items():
        if line_id in by_id and qty > by_id[line_id].quantity:
            add(
                "parcels",
                f"line {line_id} ships {qty} units, "
                f"more than the {by_id[line_id].quantity} ordered",
            )
    payments_seen: dict[tuple[str, str], int] = {}
    for index, payment in enumerate(order.payments):
        key = (payment.provider, payment.reference)
        if key in payments_seen:
            add(
                f"payments.{index}.reference",
                f"repeats payment {payments_seen[key]}'s reference {payment.reference}",
            )
        payments_seen.setdefault(key, index)
    goods = sum(
        line.unit_price * line.quantity - line.line_discount
        for line in order.lines
        if line.gift_of is None
    )
    if order.order_discount > goods:
        add("order_discount", f"is larger than the goods' total ({goods})")
    return errors


# Plain-words messages for pattern checks; pydantic would print the regular expression.
PATTERN_HINTS = {
    "email": "must be an email address",
    "currency": "must be a three-letter ISO 4217 code in capitals, e.g. CNY or EUR",
    "country": "must be a two-letter ISO 3166 code in capitals, e.g. CN",
    "category": "must be lower-case letters, digits and underscores, e.g. home_textiles",
    "gtin": "must be 8 to 14 digits",
}
REF_HINT = "may only hold letters, digits and . _ : / # -"


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Turn pydantic's errors into {dotted.field.path: [message, …]}."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"]) or "order"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            message = PATTERN_HINTS.get(str(error["loc"][-1]), REF_HINT)
        errors.setdefault(loc, []).append(message)
    return errors
