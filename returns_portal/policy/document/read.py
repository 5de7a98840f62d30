"""Read the merchant's policy document: its shape and types, as pydantic models.

A document is a JSON object laid over a rule pack (RULES.md "Merchant rules"); every key is
optional. Reading checks only what the document says on its own terms — types, ranges, known
choices, dates in order — and names each bad field by its dotted path. Whether its rules keep
the statutory rights is the floors' question (`floors.py`), asked of a document read whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from returns_portal.policy.facts import Resolution, ReturnMethod, ReturnReason
from returns_portal.policy.packs import DEFAULT_PACK, PACKS
from returns_portal.policy.validation import (
    Flag,
    Holiday,
    Input,
    IsoDate,
    Key,
    NonBlank,
    Positive,
    Whole,
    at,
    iso_date,
    merged,
    one_of,
    problem,
)

PAID_BY = ("customer", "merchant")
Percent = Annotated[int, Field(strict=True, ge=0, le=100)]
MethodItem = Annotated[ReturnMethod, one_of(ReturnMethod, strip=True)]
ResolutionItem = Annotated[Resolution, one_of(Resolution, strip=True)]


def _paid_by(value: Any, handler: ValidatorFunctionWrapHandler) -> str:
    # Compared as given, like every choice outside a list: "customer ", 1 and null are wrong.
    if isinstance(value, str) and value in PAID_BY:
        return value
    raise problem(f"must be one of {', '.join(PAID_BY)}")


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unset(description: str) -> Any:
    """Declare a field whose absence means something: the pack's default, or the other fee.

    The field has no default in the JSON Schema, is not validated when absent (so `null` is
    still refused), and its model's `model_fields_set` tells whether it was given.
    """
    return Field(default=None, json_schema_extra=_no_default, description=description)


class WindowsIn(Input):
    """Longer no-reason windows, in days: never shorter than the pack's."""

    categories: dict[Key, Positive] = Field(
        default_factory=dict, description="Product category (trimmed, lower case) → days."
    )
    products: dict[Key, Positive] = Field(default_factory=dict, description="SKU → days.")


class HolidayExtensionIn(Input):
    """Orders placed from `ordered_from` to `ordered_to` may be returned until `return_by`."""

    ordered_from: IsoDate
    ordered_to: IsoDate
    return_by: IsoDate

    @model_validator(mode="wrap")
    @classmethod
    def _in_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> HolidayExtensionIn:
        # Checked on the raw dates, so that it is reported beside an unknown field too.
        raw = data if isinstance(data, Mapping) else {}
        start, end = iso_date(raw.get("ordered_from")), iso_date(raw.get("ordered_to"))
        until = iso_date(raw.get("return_by"))
        wrong = []
        if start is not None and end is not None and until is not None and start > end:
            wrong.append(at(("ordered_to",), "must not be before ordered_from", data))
        try:
            extension: HolidayExtensionIn = handler(data)
        except ValidationError as exc:
            merged(exc, wrong, cls.__name__)
            raise
        merged(None, wrong, cls.__name__)
        return extension


class DefectIn(Input):
    """How long faulty, damaged or wrong items can be reported, and whether photos are needed."""

    window_days: Positive = unset("Days. Default: the pack's window.")
    photos_required: Flag = True


class FeeIn(Input):
    """A restocking fee: exactly one of `percent` (of the refunded goods) or `fixed`."""

    percent: Percent = unset("Percent of the refunded goods.")
    fixed: Whole = unset("Minor units per returned unit.")
    applies_to_statutory: Flag = Field(
        default=False, description="Must be false: the law's returns never pay a restocking fee."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["percent"]}, {"required": ["fixed"]}]},
    )

    @model_validator(mode="wrap")
    @classmethod
    def _exactly_one(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> FeeIn:
        must = at((), "must set exactly one of percent or fixed", data)
        if not isinstance(data, Mapping):
            # Say what the object must hold, too.
            raise ValidationError.from_exception_data(
                cls.__name__, [at((), "must be an object", data), must]
            )
        if sum(k in data for k in ("percent", "fixed")) == 1:
            fee: FeeIn = handler(data)
            return fee
        # Which amount is meant is unknown, so neither is checked; unknown keys still are.
        unknown = [
            at((key,), "unknown field", value)
            if isinstance(key, str)
            else at((), f"keys must be strings, got {key!r}", key)
            for key, value in data.items()
            if key not in cls.model_fields
        ]
        raise ValidationError.from_exception_data(cls.__name__, [*unknown, must])


class RestockingFeeIn(Input):
    """Restocking fees per category and by default; charged only where the law does not reach."""

    categories: dict[Key, FeeIn | None] = Field(default_factory=dict)
    default: FeeIn | None = None


class ReturnShippingIn(Input):
    """Who pays return shipping, the flat label cost, and an order value above which it's free."""

    paid_by: Annotated[Literal["customer", "merchant"], WrapValidator(_paid_by)] = "customer"
    label_cost: Whole = Field(
        default=0, description="Minor units; used when no carrier price is given."
    )
    free_above: Whole | None = Field(default=None, description="Order value (minor units).")
    ship_within_days: Positive | None = Field(
        default=None, description="Days from the request to send the parcel; none: no limit."
    )
    services: Annotated[list[NonBlank], Field(strict=True)] = Field(
        default_factory=list,
        description="The carrier services customers may choose (carrier:service); none: all.",
    )
    max_rate: Whole | None = Field(
        default=None, description="The most a label may cost (minor units); none: no limit."
    )
    remind_days_before: Whole | None = Field(
        default=2,
        description="Remind the customer this many days before the last day to send it; "
        "none: no reminder.",
    )


class ResolutionsIn(Input):
    """The resolutions offered, the store-credit bonus, and exchange-only categories."""

    allowed: Annotated[list[ResolutionItem], Field(strict=True, min_length=1)] = Field(
        default_factory=lambda: list(Resolution)
    )
    store_credit_bonus_percent: Whole = 0
    exchange_only_categories: Annotated[list[NonBlank], Field(strict=True)] = Field(
        default_factory=list
    )
    ship_exchanges_before_receipt: Flag = Field(
        default=False,
        description="Hand an exchange's new item to fulfilment as soon as the return is "
        "accepted, before its parcel reaches the warehouse.",
    )


class ApprovalIn(Input):
    """Refund approval thresholds, in minor units."""

    auto_approve_below: Whole | None = None
    two_approvers_above: Whole | None = None

    @model_validator(mode="after")
    def _in_order(self) -> ApprovalIn:
        below, above = self.auto_approve_below, self.two_approvers_above
        if below is not None and above is not None and above < below:
            raise problem("must not be below auto_approve_below", field="two_approvers_above")
        return self


# A look-back period, in days: ten years at most, so that it stays a date to count from.
Period = Annotated[int, Field(strict=True, ge=1, le=3650)]


class ReturnsInPeriodIn(Input):
    """More than `max_returns` returns in `within_days` days, this one included."""

    max_returns: Positive
    within_days: Period = 90


class ShareReturnedIn(Input):
    """More than `max_percent` % of the customer's orders returned (whole percent, rounded
    down), once the customer has `min_orders` orders (this one included)."""

    max_percent: Annotated[int, Field(strict=True, ge=0, le=99)]
    min_orders: Positive = 5


class ValueInPeriodIn(Input):
    """Returns worth more than `max_value` (minor units of the store currency) in
    `within_days` days, this one included."""

    max_value: Whole
    within_days: Period = 90


class RefutedClaimsIn(Input):
    """More than `max_refuted` "wrong item" or "not as described" claims refuted at
    inspection in `within_days` days."""

    max_refuted: Whole = 1
    within_days: Period = 365


class HighValueLineIn(Input):
    """A returned line worth more than `above` (minor units of the store currency)."""

    above: Whole


def _email(value: Any, handler: ValidatorFunctionWrapHandler) -> str:
    text = "".join(value.split()) if isinstance(value, str) else ""
    if text.count("@") != 1 or text.startswith("@") or text.endswith("@"):
        raise problem("must be an e-mail address")
    return text


BlockedEmail = Annotated[str, WrapValidator(_email)]


class BlocklistIn(Input):
    """E-mail addresses and postal addresses whose returns a person checks; compared without
    regard to case, whitespace (and, in addresses, commas)."""

    emails: Annotated[list[BlockedEmail], Field(strict=True)] = Field(default_factory=list)
    addresses: Annotated[list[NonBlank], Field(strict=True)] = Field(
        default_factory=list,
        description='Street lines and postal code, e.g. "100 Huaihai Road, Apt 1, 200031".',
    )


# The first shape of `abuse`, before the rule set: still read, as `returns_in_period`.
OLD_ABUSE_KEYS = ("max_returns", "within_days")


class AbuseIn(Input):
    """Abuse rules: each sends a return to a person when it fires; none refuses it."""

    returns_in_period: ReturnsInPeriodIn | None = None
    share_returned: ShareReturnedIn | None = None
    value_in_period: ValueInPeriodIn | None = None
    refuted_claims: RefutedClaimsIn | None = None
    high_value_line: HighValueLineIn | None = None
    blocklist: BlocklistIn = Field(default_factory=BlocklistIn)
    max_returns: Positive | None = Field(
        default=None,
        description="Deprecated: read as returns_in_period.max_returns.",
        json_schema_extra={"deprecated": True},
    )
    within_days: Period = Field(
        default=90,
        description="Deprecated: read as returns_in_period.within_days.",
        json_schema_extra={"deprecated": True},
    )

    @model_validator(mode="after")
    def _one_shape(self) -> AbuseIn:
        # An exported document with `"returns_in_period": null` may take the older keys.
        old = [key for key in OLD_ABUSE_KEYS if key in self.model_fields_set]
        if old and self.returns_in_period is not None:
            raise problem(
                "give returns_in_period or the older max_returns and within_days, not both",
                field=old[0],
            )
        return self

    def returns_rule(self) -> ReturnsInPeriodIn | None:
        """Return the returns-in-period rule, read from the older keys if they are used."""
        if self.returns_in_period is not None or self.max_returns is None:
            return self.returns_in_period
        return ReturnsInPeriodIn(max_returns=self.max_returns, within_days=self.within_days)


ReasonItem = Annotated[ReturnReason, one_of(ReturnReason, strip=True)]


class ReturnlessIn(Input):
    """When to propose that the customer keeps the items (a refund without the parcel):
    every unit returned worth less than `below`, of one of `categories` and returned for one
    of `reasons` (no list: any). Support decides at the desk; nothing happens by itself."""

    below: Whole | None = Field(
        default=None, description="Unit value (minor units); none: never proposed."
    )
    categories: Annotated[list[NonBlank], Field(strict=True)] = Field(default_factory=list)
    reasons: Annotated[list[ReasonItem], Field(strict=True)] = Field(default_factory=list)


class RefundAtFirstScanIn(Input):
    """Refund trusted customers when the carrier accepts the parcel, not at receipt: orders
    paid less than `below` (minor units), with no flag and no rejected return before."""

    below: Whole | None = Field(default=None, description="Order value; none: never.")


class PolicyDocumentIn(Input):
    """The merchant's rules over a statutory pack (docs/policy.md); every key is optional."""

    pack: NonBlank = Field(default=DEFAULT_PACK, json_schema_extra={"enum": [*sorted(PACKS)]})
    timezone: NonBlank = unset("IANA time zone; windows are whole days in it. Default: the pack's.")
    holidays: Annotated[list[Holiday], Field(strict=True)] = Field(
        default_factory=list, description="Public holidays, for the EU end-of-period rule."
    )
    windows: WindowsIn = Field(default_factory=WindowsIn)
    holiday_extensions: Annotated[list[HolidayExtensionIn], Field(strict=True)] = Field(
        default_factory=list
    )
    final_sale_skus: Annotated[list[NonBlank], Field(strict=True)] = Field(default_factory=list)
    defect: DefectIn = Field(default_factory=DefectIn)
    restocking_fee: RestockingFeeIn = Field(default_factory=RestockingFeeIn)
    return_shipping: ReturnShippingIn = Field(default_factory=ReturnShippingIn)
    methods: Annotated[list[MethodItem], Field(strict=True, min_length=1)] = Field(
        default_factory=lambda: list(ReturnMethod)
    )
    resolutions: ResolutionsIn = Field(default_factory=ResolutionsIn)
    refund_within_days: Positive | None = Field(
        default=None, description="A shorter refund deadline than the pack's, in days."
    )
    approval: ApprovalIn = Field(default_factory=ApprovalIn)
    abuse: AbuseIn = Field(default_factory=AbuseIn)
    returnless: ReturnlessIn = Field(default_factory=ReturnlessIn)
    refund_at_first_scan: RefundAtFirstScanIn = Field(default_factory=RefundAtFirstScanIn)
