"""Reasons: a stable machine code plus a translatable English sentence.

The UI translates ``message`` (a template with ``{name}`` placeholders) and then formats it
with ``params``; ``pybabel extract -k N_`` finds every template because each one is written
through ``N_``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from returns_portal.policy.money import Money, minor_digits


def N_(message: str) -> str:
    """Return `message` unchanged; mark it for translation extraction."""
    return message


# A reason's value: words and codes as text, counts as int, money and days typed, so each
# reader formats them its own way (the pages in the reader's language, the CLI in English).
Param = str | int | Money | date
_LEGACY_MONEY = re.compile(r"([A-Z]{3}) (-?\d+)(?:\.(\d+))?")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Reason:
    """Why the engine decided something: code, English template and its parameters."""

    code: str
    message: str
    params: Mapping[str, Param] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def text(self) -> str:
        """Return the English sentence with its parameters filled in."""
        return self.message.format_map({k: _english(v) for k, v in self.params.items()})

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable form with stable key order: money as
        {"amount", "currency"}, a day as {"date": "yyyy-mm-dd"}."""
        return {
            "code": self.code,
            "message": self.message,
            "params": {k: param_to_json(v) for k, v in sorted(self.params.items())},
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        """Rebuild a stored reason. Rows written before params were typed hold display
        strings ("CNY 12.00", "2026-12-01"): those are read back as money and days."""
        raw = data.get("params") or {}
        params = (
            {str(k): param_from_json(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
        )
        return cls(
            code=str(data.get("code", "")),
            message=str(data.get("message", "")),
            params=MappingProxyType(params),
        )


def _english(value: Param) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def param_to_json(value: Param) -> object:
    """Return a param as JSON: money as {"amount", "currency"}, a day as {"date"}."""
    if isinstance(value, Money):
        return {"amount": value.amount, "currency": value.currency}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value


def param_from_json(value: object) -> Param:
    """Read a stored param back (display strings of rows written before params were typed
    included)."""
    if isinstance(value, Mapping):
        if "date" in value:
            return date.fromisoformat(str(value["date"]))
        return Money(int(value["amount"]), str(value["currency"]))
    if isinstance(value, bool) or not isinstance(value, int | str):
        return str(value)
    if isinstance(value, int):
        return value
    money = _LEGACY_MONEY.fullmatch(value)
    if money:
        currency, whole, fraction = money.groups()
        digits = minor_digits(currency)
        fraction = (fraction or "").ljust(digits, "0")[:digits] if digits else ""
        sign = -1 if whole.startswith("-") else 1
        return Money(sign * (abs(int(whole)) * 10**digits + int(fraction or 0)), currency)
    if _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def reason(code: str, message: str, **params: Param) -> Reason:
    """Build a Reason; money and days stay typed until a reader formats them."""
    return Reason(code=code, message=message, params=MappingProxyType(dict(params)))


# Templates. Their {placeholders} are filled with the reason's params (see Param).

WINDOW_OPEN = N_("You can return this item until {last_day}.")
WINDOW_OPEN_BEFORE_DELIVERY = N_(
    "You can withdraw before delivery; the {days}-day period starts when you receive the "
    "last parcel of the order."
)
WINDOW_CLOSED = N_("The {days}-day return window ended on {last_day}.")
WINDOW_CLOSED_ON = N_("The return window ended on {last_day}.")
STATUTORY_RIGHT = N_("The law gives you {days} days to return this item without a reason ({pack}).")
STATUTORY_RIGHT_UNTIL = N_(
    "The law gives you {days} days to return this item without a reason ({pack}), until {last_day}."
)
STATUTORY_RIGHT_OVER_FINAL_SALE = N_(
    "This item is marked final sale, but the law still lets you return it until {last_day}."
)
MERCHANT_WINDOW = N_("The shop accepts returns of this item for {days} days, until {last_day}.")
HOLIDAY_EXTENSION = N_(
    "Orders placed from {ordered_from} to {ordered_to} can be returned until {return_by}."
)
DEFECT_WINDOW = N_("Faulty, damaged or wrong items can be reported until {last_day}.")
DEFECT_WINDOW_CLOSED = N_(
    "The window to report a faulty, damaged or wrong item ended on {last_day}."
)
NOT_DELIVERED = N_(
    "This item has not been delivered yet, so it cannot be returned; cancel the order instead."
)
EXCLUDED_CUSTOM_MADE = N_("Items made to your specifications can't be returned without a reason.")
EXCLUDED_PERISHABLE = N_("Fresh or perishable goods can't be returned without a reason.")
EXCLUDED_DIGITAL_DOWNLOAD = N_("Downloaded digital goods can't be returned without a reason.")
EXCLUDED_PERIODICAL = N_("Newspapers and periodicals can't be returned without a reason.")
SEALED_MEDIA_MUST_STAY_SEALED = N_(
    "Sealed audio, video or software can be returned only with its seal unbroken."
)
EXCLUDED_UNSEALED_MEDIA = N_(
    "Audio, video or software with a broken seal can't be returned without a reason."
)
HYGIENE_MUST_STAY_SEALED = N_(
    "Sealed health or hygiene goods can be returned only with their seal unbroken."
)
EXCLUDED_HYGIENE_SEALED = N_(
    "Health or hygiene goods with a broken seal can't be returned without a reason."
)
EXCLUDED_ON_CONFIRMATION = {
    "quality_changes_once_unsealed": N_(
        "You confirmed at purchase that this item can't be returned without a reason once "
        "unsealed, because its quality changes."
    ),
    "value_drops_once_activated": N_(
        "You confirmed at purchase that this item can't be returned without a reason once "
        "activated or tried, because its value drops sharply."
    ),
    "near_expiry_or_flaw": N_(
        "You confirmed at purchase that this item, sold near its expiry date or with a stated "
        "flaw, can't be returned without a reason."
    ),
}
EXCLUSION_NOT_CONFIRMED = N_(
    "This item is marked as not returnable without a reason, but no confirmation was recorded "
    "at purchase, so the right to return it still applies."
)
FINAL_SALE = N_("Final sale items can't be returned after the statutory window.")
ALREADY_RETURNED = N_("All units of this item have already been returned.")
QUANTITY_EXCEEDS_REMAINING = N_(
    "You asked to return {requested} units, but only {remaining} can still be returned."
)
RESOLUTION_NOT_ALLOWED = N_("The shop does not offer {resolution} for this item.")
EXCHANGE_ONLY = N_("Outside the statutory window this item can only be exchanged.")
METHOD_NOT_ALLOWED = N_("The shop does not offer the {method} return method.")
FAULT_CLAIM = N_(
    "Reported as {reason}: legal exclusions and the condition check do not block a fault claim."
)
PHOTOS_REQUIRED = N_("Please add photos showing the problem.")
NOT_RECEIVED = N_("This item was not in the returned parcel.")
FEWER_RECEIVED = N_("Only {received} of {requested} units were received.")
NOT_INTACT = N_("The item failed the condition check: {question}")
GIFT_NOT_RETURNED = N_(
    "{missing} free gift unit(s) of {gift_line} were not returned; their stated value of "
    "{amount} is deducted."
)
RESTOCKING_FEE = N_("A restocking fee of {amount} applies to returns outside the statutory right.")
RETURN_LABEL_COST = N_("The return shipping label costs {amount}, deducted from the refund.")
FREE_RETURN_SHIPPING_FAULT = N_(
    "Return shipping is free because an item is faulty, damaged or wrong."
)
FREE_RETURN_SHIPPING_MERCHANT = N_("Return shipping is free: the shop pays for it.")
FREE_RETURN_SHIPPING_ABOVE = N_("Return shipping is free for orders of {threshold} or more.")
FREE_RETURN_SHIPPING_UNDISCLOSED = N_(
    "Return shipping is free because the shop did not say beforehand that you would pay it."
)
FREE_SHIPPING_THRESHOLD_BROKEN = N_(
    "The order shipped free because it reached {threshold}; after this return it no longer "
    "does, so the delivery fee of {amount} is deducted."
)
STANDARD_DELIVERY_REFUNDED = N_(
    "The whole order was withdrawn, so the standard delivery cost of {amount} is refunded."
)
DIMINISHED_VALUE = N_(
    "Handling beyond what was needed to check the item reduced its value by {amount}."
)
STORE_CREDIT_BONUS = N_("Choosing store credit adds a bonus of {amount}.")
# Written by the only abuse rule before the rule set; stored returns still hold it.
ABUSE_REVIEW = N_(
    "This customer made {count} returns in the last {days} days, so a person will review "
    "this return."
)
# The abuse rules (abuse.py): each says the rule's thresholds and the customer's figures.
ABUSE_RETURNS_IN_PERIOD = N_(
    "With this one the customer has made {returns} returns in the last {within_days} days, "
    "more than the {max_returns} the shop allows before a person checks the return."
)
ABUSE_SHARE_RETURNED = N_(
    "The customer has returned items from {returned_orders} of their {orders} orders "
    "({percent}%), more than the {max_percent}% the shop allows once a customer has "
    "{min_orders} orders, so a person checks the return."
)
ABUSE_VALUE_IN_PERIOD = N_(
    "With this one the customer's returns in the last {within_days} days are worth {value}, "
    "more than the {max_value} the shop allows before a person checks the return."
)
ABUSE_REFUTED_CLAIMS = N_(
    '{refuted} of the customer\'s "wrong item" or "not as described" claims in the last '
    "{within_days} days were refuted at inspection, more than the {max_refuted} the shop "
    "allows before a person checks the return."
)
ABUSE_HIGH_VALUE_LINE = N_(
    "The returned {sku} ({line_id}) is worth {value}, more than {above}, so a person checks "
    "the return."
)
ABUSE_BLOCKLISTED_EMAIL = N_(
    "The customer's e-mail address {email} is on the shop's blocklist, so a person checks "
    "the return."
)
ABUSE_BLOCKLISTED_ADDRESS = N_(
    "The customer's address {address} is on the shop's blocklist, so a person checks the return."
)
WITHDRAWAL_INFO_MISSING_EXTENSION = N_(
    "You were not told about the right of withdrawal, so the period is extended by 12 months, "
    "until {last_day}."
)
RETURNLESS_PROPOSED = N_(
    "Every item coming back is worth less than {below}: the shop may let the customer keep "
    "them and refund without the parcel."
)
REFUND_DUE_BY = N_("The refund is due by {due_date}.")
REFUND_DUE_AFTER_RECEIPT = N_("The refund is due within {days} days after we receive your return.")
REFUND_SAME_MEANS = N_(
    "The refund goes back the way you paid; points and coupons come back as points and coupons."
)
SEND_BACK_WITHIN = N_("Please send the goods back within 14 days of withdrawing, by {last_day}.")
DEDUCTION_CAPPED = N_(
    "The {deduction} deduction of {wanted} was capped at {amount} so the refund does not go "
    "below zero."
)
