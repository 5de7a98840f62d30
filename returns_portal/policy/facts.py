"""Facts the engine decides on: the order as sold, the customer's request, the inspection.

All money is integer minor units in the order's currency; all datetimes are timezone-aware.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ConfirmationExclusion(StrEnum):
    """Exclusions that apply only if the customer confirmed them at purchase (RULES.md cn-7day)."""

    QUALITY_CHANGES_ONCE_UNSEALED = "quality_changes_once_unsealed"
    VALUE_DROPS_ONCE_ACTIVATED = "value_drops_once_activated"
    NEAR_EXPIRY_OR_FLAW = "near_expiry_or_flaw"


class ReturnReason(StrEnum):
    """Why the customer returns a line."""

    NO_REASON = "no_reason"
    CHANGED_MIND = "changed_mind"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    NOT_AS_DESCRIBED = "not_as_described"
    DEFECTIVE = "defective"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    WRONG_ITEM = "wrong_item"
    ARRIVED_LATE = "arrived_late"
    OTHER = "other"


# Fault claims: the merchant's defect window, photos, free return shipping, no restocking fee;
# legal exclusions and intactness do not block them (RULES.md "Merchant rules").
FAULT_REASONS: tuple[ReturnReason, ...] = (
    ReturnReason.NOT_AS_DESCRIBED,
    ReturnReason.DEFECTIVE,
    ReturnReason.DAMAGED_IN_TRANSIT,
    ReturnReason.WRONG_ITEM,
)


class Resolution(StrEnum):
    """What the customer gets back."""

    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"


class ReturnMethod(StrEnum):
    """How the parcel goes back."""

    LABEL = "label"
    QR_DROPOFF = "qr_dropoff"


def require_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless `value` is a timezone-aware datetime."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _require_non_negative(value: int, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


@dataclass(frozen=True)
class Product:
    """The product facts the policy needs."""

    sku: str
    category: str
    custom_made: bool = False
    perishable: bool = False
    digital_download: bool = False
    sealed_media: bool = False  # audio/video/software sold sealed
    periodical: bool = False
    hygiene_sealed: bool = False  # EU Art. 16: sealed, unsuitable for return once unsealed
    final_sale: bool = False  # the merchant's flag
    confirmation_exclusion: ConfirmationExclusion | None = None
    exclusion_confirmed: bool = False  # the customer confirmed the exclusion at purchase

    def __post_init__(self) -> None:
        if self.confirmation_exclusion is not None:
            kind = ConfirmationExclusion(self.confirmation_exclusion)
            object.__setattr__(self, "confirmation_exclusion", kind)


@dataclass(frozen=True)
class OrderLine:
    """One line of the order: product, quantity and what was charged for it."""

    line_id: str
    product: Product
    quantity: int
    unit_price: int  # per unit before any discount, minor units
    line_discount: int = 0  # discount specific to this line, total for the line
    tax: int = 0  # tax charged on top, whole line (0 when prices include tax)
    gift_of: str | None = None  # a free gift given with line `gift_of`
    gift_value: int = 0  # stated value per gift unit, charged if the gift is not returned

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError(f"line {self.line_id}: quantity must be at least 1")
        for name in ("unit_price", "line_discount", "tax", "gift_value"):
            _require_non_negative(getattr(self, name), f"line {self.line_id}: {name}")
        if self.line_discount > self.unit_price * self.quantity:
            raise ValueError(f"line {self.line_id}: line_discount exceeds the line's price")

    @property
    def gross(self) -> int:
        """Return the line's price after its own discount, before the order discount."""
        return self.unit_price * self.quantity - self.line_discount


@dataclass(frozen=True)
class Parcel:
    """One delivery: which units of which lines it held, and when the customer took them."""

    parcel_id: str
    delivered_at: datetime | None  # when the customer signed / took possession
    lines: Mapping[str, int]  # line_id -> quantity in this parcel

    def __post_init__(self) -> None:
        if self.delivered_at is not None:
            require_aware(self.delivered_at, f"parcel {self.parcel_id}: delivered_at")


@dataclass(frozen=True)
class CustomerHistory:
    """What the abuse rules count about the customer, gathered by the app for the policy's
    look-back periods (docs/policy.md "abuse").

    Every count leaves out the return being decided (the rules add it themselves), and
    cancelled, rejected and expired returns gave nothing back, so they count nowhere except in
    `refuted_claims`: a claim the inspection refuted stays refuted whatever became of its
    return. Money is minor units of `currency`.
    """

    email: str = ""
    address: str = ""  # street lines and postal code on one line (abuse.address_line)
    returns: int = 0  # earlier live returns in the returns_in_period look-back
    returned_value: int = 0  # their goods' value in the value_in_period look-back
    other_orders: int = 0  # the customer's orders besides this one
    other_orders_returned: int = 0  # of those, orders with a live return
    refuted_claims: int = 0  # claims refuted at inspection in the refuted_claims look-back
    currency: str | None = None  # the store's, which value thresholds are in; None: the order's

    def __post_init__(self) -> None:
        for name in ("returns", "returned_value", "other_orders", "refuted_claims"):
            _require_non_negative(getattr(self, name), f"customer.{name}")
        if not 0 <= self.other_orders_returned <= self.other_orders:
            raise ValueError("customer.other_orders_returned must be within other_orders")


@dataclass(frozen=True)
class OrderFacts:
    """The order as sold and delivered."""

    number: str
    currency: str
    placed_at: datetime
    lines: tuple[OrderLine, ...]
    parcels: tuple[Parcel, ...]
    order_discount: int = 0  # allocated to non-gift lines pro rata
    shipping_paid: int = 0  # what the customer paid for delivery
    standard_shipping: int = 0  # the price of standard delivery
    free_shipping_threshold: int | None = None  # shipped free because net goods >= threshold
    withdrawal_info_given: bool = True  # EU: False extends the window by 12 months
    return_costs_disclosed: bool = True  # EU: False makes the shop bear the return cost
    customer: CustomerHistory = field(default_factory=CustomerHistory)  # for abuse rules

    def __post_init__(self) -> None:
        require_aware(self.placed_at, "placed_at")
        for name in ("order_discount", "shipping_paid", "standard_shipping"):
            _require_non_negative(getattr(self, name), name)
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError(f"order {self.number}: duplicate line ids")
        known = set(ids)
        for line in self.lines:
            if line.gift_of is not None and line.gift_of not in known:
                raise ValueError(f"line {line.line_id}: gift_of names unknown line {line.gift_of}")
        for parcel in self.parcels:
            for line_id, qty in parcel.lines.items():
                if line_id not in known:
                    raise ValueError(f"parcel {parcel.parcel_id}: unknown line {line_id}")
                _require_non_negative(qty, f"parcel {parcel.parcel_id}: quantity of {line_id}")
        if self.order_discount > sum(line.gross for line in self.lines if line.gift_of is None):
            raise ValueError(f"order {self.number}: order_discount exceeds the goods' price")

    def line(self, line_id: str) -> OrderLine:
        """Return the line called `line_id`; raise KeyError if there is none."""
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)


@dataclass(frozen=True)
class RequestedLine:
    """One line of a return request."""

    line_id: str
    quantity: int
    reason: ReturnReason
    resolution: Resolution = Resolution.REFUND
    note: str = ""

    def __post_init__(self) -> None:
        # Accept the plain strings JSON and forms carry; a bad value fails here, not later.
        object.__setattr__(self, "reason", ReturnReason(self.reason))
        object.__setattr__(self, "resolution", Resolution(self.resolution))


@dataclass(frozen=True)
class ReturnRequest:
    """What the customer asks to return, and how."""

    requested_at: datetime
    lines: tuple[RequestedLine, ...]
    method: ReturnMethod = ReturnMethod.LABEL
    label_cost: int | None = None  # the chosen carrier's price; None: the policy's flat cost
    # Units of each line already returned by earlier returns of the same order.
    previously_returned: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware(self.requested_at, "requested_at")
        object.__setattr__(self, "method", ReturnMethod(self.method))


@dataclass(frozen=True)
class LineFindings:
    """The warehouse's findings for one returned line."""

    line_id: str
    received_qty: int
    answers: Mapping[str, bool] = field(default_factory=dict)  # checklist code -> passed?
    diminished_value: int = 0  # EU: deduction for handling beyond what was necessary


@dataclass(frozen=True)
class Inspection:
    """The warehouse's findings for a received return."""

    received_at: datetime
    lines: Mapping[str, LineFindings]

    def __post_init__(self) -> None:
        require_aware(self.received_at, "received_at")
