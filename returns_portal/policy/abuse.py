"""Abuse rules: each one a threshold and a sentence, never a score (docs/policy.md "abuse").

A rule that fires sends the return to a person (needs_review); none refuses a return on its
own. Each fired rule is an `AbuseFlag`: the rule's code, its thresholds, the customer's
figures and the sentence that says them, so the staff desk and the dry run show exactly why.
The customer's history (earlier returns, orders, refuted claims) is counted by the app and
handed in as `CustomerHistory`; this module only compares, it never looks anything up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from returns_portal.policy import reasons as r
from returns_portal.policy.facts import (
    Inspection,
    OrderFacts,
    OrderLine,
    ReturnReason,
    ReturnRequest,
)
from returns_portal.policy.money import Money
from returns_portal.policy.packs import CLAIM_CHECKS
from returns_portal.policy.reasons import Param, Reason, param_to_json, reason

RETURNS_IN_PERIOD = "returns_in_period"
SHARE_RETURNED = "share_returned"
VALUE_IN_PERIOD = "value_in_period"
REFUTED_CLAIMS = "refuted_claims"
HIGH_VALUE_LINE = "high_value_line"
BLOCKLIST = "blocklist"
RULES = (
    RETURNS_IN_PERIOD,
    SHARE_RETURNED,
    VALUE_IN_PERIOD,
    REFUTED_CLAIMS,
    HIGH_VALUE_LINE,
    BLOCKLIST,
)


def normalise_email(value: str) -> str:
    """Return an e-mail address as the blocklist compares it: no whitespace, case folded."""
    return "".join(value.split()).casefold()


def normalise_address(value: str) -> str:
    """Return an address as the blocklist compares it: case folded, commas and runs of
    whitespace read as one space."""
    return " ".join(value.replace(",", " ").split()).casefold()


def address_line(line1: str = "", line2: str = "", postal_code: str = "") -> str:
    """Return the address the blocklist compares: street lines and postal code, one line."""
    return ", ".join(part.strip() for part in (line1, line2, postal_code) if part and part.strip())


@dataclass(frozen=True)
class ReturnsInPeriod:
    """More than `max_returns` returns (this one included) in `within_days` days."""

    max_returns: int
    within_days: int


@dataclass(frozen=True)
class ShareReturned:
    """More than `max_percent` % of the customer's orders returned, from `min_orders` orders."""

    max_percent: int
    min_orders: int


@dataclass(frozen=True)
class ValueInPeriod:
    """Returns worth more than `max_value` (minor units, this one included) in `within_days`."""

    max_value: int
    within_days: int


@dataclass(frozen=True)
class RefutedClaims:
    """More than `max_refuted` wrong-item / not-as-described claims refuted at inspection."""

    max_refuted: int
    within_days: int


@dataclass(frozen=True)
class HighValueLine:
    """A returned line worth more than `above` (minor units)."""

    above: int


@dataclass(frozen=True)
class AbuseRules:
    """The merchant's abuse rules; a rule that is None is off."""

    returns_in_period: ReturnsInPeriod | None = None
    share_returned: ShareReturned | None = None
    value_in_period: ValueInPeriod | None = None
    refuted_claims: RefutedClaims | None = None
    high_value_line: HighValueLine | None = None
    blocked_emails: frozenset[str] = frozenset()
    blocked_addresses: frozenset[str] = frozenset()

    @property
    def needs_history(self) -> bool:
        """Whether any rule counts the customer's earlier returns or orders."""
        return any(
            rule is not None
            for rule in (
                self.returns_in_period,
                self.share_returned,
                self.value_in_period,
                self.refuted_claims,
            )
        )

    @classmethod
    def from_document(cls, abuse: Mapping[str, Any]) -> AbuseRules:
        """Read the canonical document's `abuse` section (the first shape too:
        {"max_returns", "within_days"} is the returns-in-period rule)."""
        if "max_returns" in abuse:  # a canonical document written before the rule set
            limit = abuse.get("max_returns")
            days = int(abuse.get("within_days") or 90)
            return cls(returns_in_period=ReturnsInPeriod(limit, days) if limit else None)

        def given(key: str) -> Mapping[str, Any] | None:
            value = abuse.get(key)
            return value if isinstance(value, Mapping) else None

        returns, share = given(RETURNS_IN_PERIOD), given(SHARE_RETURNED)
        value, refuted, high = given(VALUE_IN_PERIOD), given(REFUTED_CLAIMS), given(HIGH_VALUE_LINE)
        blocklist = given(BLOCKLIST) or {}
        return cls(
            returns_in_period=ReturnsInPeriod(**returns) if returns else None,
            share_returned=ShareReturned(**share) if share else None,
            value_in_period=ValueInPeriod(**value) if value else None,
            refuted_claims=RefutedClaims(**refuted) if refuted else None,
            high_value_line=HighValueLine(**high) if high else None,
            blocked_emails=frozenset(normalise_email(e) for e in blocklist.get("emails", ())),
            blocked_addresses=frozenset(
                normalise_address(a) for a in blocklist.get("addresses", ())
            ),
        )


@dataclass(frozen=True)
class AbuseFlag:
    """One rule that fired: its code, its thresholds, the customer's figures and why."""

    code: str  # the rule, e.g. "returns_in_period"
    thresholds: Mapping[str, Param]
    figures: Mapping[str, Param]
    reason: Reason  # code "abuse_<rule>"; its params are the thresholds and the figures

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form (params typed as in `Reason.to_dict`)."""
        return {
            "code": self.code,
            "thresholds": {k: param_to_json(v) for k, v in sorted(self.thresholds.items())},
            "figures": {k: param_to_json(v) for k, v in sorted(self.figures.items())},
            "reason": self.reason.to_dict(),
        }


def _flag(code: str, message: str, thresholds: dict[str, Param], figures: dict[str, Param]
          ) -> AbuseFlag:  # fmt: skip
    return AbuseFlag(
        code=code,
        thresholds=MappingProxyType(thresholds),
        figures=MappingProxyType(figures),
        reason=reason(f"abuse_{code}", message, **thresholds, **figures),
    )


def returned_value(line: OrderLine, quantity: int) -> int:
    """Return the value of `quantity` units of a line as the abuse rules count it: the
    line's price after its own discount, before order-wide discounts and tax, rounded down.

    The app counts earlier returns the same way, in one query (store/services.py)."""
    return line.gross * quantity // line.quantity


def _refuted_now(request: ReturnRequest, inspection: Inspection | None) -> int:
    """Count this return's claims the inspection refuted (its claim check answered no)."""
    if inspection is None:
        return 0
    refuted = 0
    for requested in request.lines:
        question = CLAIM_CHECKS.get(ReturnReason(requested.reason))
        findings = inspection.lines.get(requested.line_id)
        if question is not None and findings is not None:
            refuted += findings.answers.get(question.code) is False
    return refuted


@dataclass(frozen=True)
class _Figures:
    order: OrderFacts
    request: ReturnRequest
    inspection: Inspection | None
    values: dict[str, int] = field(default_factory=dict)  # this return's value per line

    @property
    def comparable(self) -> bool:
        """Whether this order's money is in the currency the thresholds are written in."""
        currency = self.order.customer.currency
        return currency is None or currency == self.order.currency

    def money(self, amount: int) -> Money:
        return Money(amount, self.order.currency)


def abuse_flags(
    rules: AbuseRules,
    order: OrderFacts,
    request: ReturnRequest,
    inspection: Inspection | None = None,
) -> list[AbuseFlag]:
    """Return every abuse rule this return fires, in the document's order of rules."""
    facts = _Figures(
        order,
        request,
        inspection,
        {rl.line_id: returned_value(order.line(rl.line_id), rl.quantity) for rl in request.lines},
    )
    customer = order.customer
    flags: list[AbuseFlag] = []
    if (rule := rules.returns_in_period) is not None:
        count = customer.returns + 1  # this return is one of them
        if count > rule.max_returns:
            flags.append(
                _flag(
                    RETURNS_IN_PERIOD,
                    r.ABUSE_RETURNS_IN_PERIOD,
                    {"max_returns": rule.max_returns, "within_days": rule.within_days},
                    {"returns": count},
                )
            )
    if (share := rules.share_returned) is not None:
        orders = customer.other_orders + 1
        returned = customer.other_orders_returned + 1  # this order now has a return
        percent = returned * 100 // orders
        if orders >= share.min_orders and percent > share.max_percent:
            flags.append(
                _flag(
                    SHARE_RETURNED,
                    r.ABUSE_SHARE_RETURNED,
                    {"max_percent": share.max_percent, "min_orders": share.min_orders},
                    {"orders": orders, "returned_orders": returned, "percent": percent},
                )
            )
    if (value := rules.value_in_period) is not None and facts.comparable:
        total = customer.returned_value + sum(facts.values.values())
        if total > value.max_value:
            flags.append(
                _flag(
                    VALUE_IN_PERIOD,
                    r.ABUSE_VALUE_IN_PERIOD,
                    {"max_value": facts.money(value.max_value), "within_days": value.within_days},
                    {"value": facts.money(total)},
                )
            )
    if (refuted := rules.refuted_claims) is not None:
        count = customer.refuted_claims + _refuted_now(request, inspection)
        if count > refuted.max_refuted:
            flags.append(
                _flag(
                    REFUTED_CLAIMS,
                    r.ABUSE_REFUTED_CLAIMS,
                    {"max_refuted": refuted.max_refuted, "within_days": refuted.within_days},
                    {"refuted": count},
                )
            )
    if (high := rules.high_value_line) is not None and facts.comparable:
        for rl in request.lines:
            worth = facts.values[rl.line_id]
            if worth > high.above:
                flags.append(
                    _flag(
                        HIGH_VALUE_LINE,
                        r.ABUSE_HIGH_VALUE_LINE,
                        {"above": facts.money(high.above)},
                        {
                            "line_id": rl.line_id,
                            "sku": order.line(rl.line_id).product.sku,
                            "value": facts.money(worth),
                        },
                    )
                )
    email = normalise_email(customer.email)
    if email and email in rules.blocked_emails:
        flags.append(_flag(BLOCKLIST, r.ABUSE_BLOCKLISTED_EMAIL, {}, {"email": email}))
    address = normalise_address(customer.address)
    if address and address in rules.blocked_addresses:
        shown = customer.address.strip()
        flags.append(_flag(BLOCKLIST, r.ABUSE_BLOCKLISTED_ADDRESS, {}, {"address": shown}))
    return flags
