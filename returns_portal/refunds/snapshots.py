"""The stored JSON of a decision, typed: a return's estimate and a refund's breakdown.

`Return.estimate` keeps the policy's evaluation when the return was opened; `Refund.breakdown`
keeps it as of the inspection, with the settlement's split. Both are read back through these
models instead of dict lookups. `schema_version` says how a row was written:

1. before this version: reason params were display strings ("CNY 12.00", "2026-12-01"),
   and a breakdown written before settlements were split has no `settlement`;
2. reason params typed (money as {amount, currency}, a day as {date});
3. the evaluation lists the abuse rules that fired (`abuse`); an older row's one rule is
   read from its review reason.

Old rows are read as they are (reasons through `Reason.from_dict`); nothing is rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from returns_portal.policy import Deduction, Param, Reason
from returns_portal.policy.reasons import param_from_json

SCHEMA_VERSION = 3


class _Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ReasonSnapshot(_Snapshot):
    code: str = ""
    message: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    text: str = ""

    def reason(self) -> Reason:
        return Reason.from_dict(self.model_dump())


class LineSnapshot(_Snapshot):
    line_id: str
    quantity: int = 0
    items: int = 0
    tax: int = 0
    resolution: str = ""

    @property
    def value(self) -> int:
        """Goods and tax refunded for the line."""
        return self.items + self.tax


class DeductionSnapshot(_Snapshot):
    code: str = ""
    line_id: str | None = None
    amount: int = 0
    reason: ReasonSnapshot = Field(default_factory=ReasonSnapshot)

    def deduction(self) -> Deduction:
        return Deduction(self.code, self.line_id, self.amount, self.reason.reason())


class RefundSnapshot(_Snapshot):
    """The policy's refund: lines, shipping, deductions and the total."""

    currency: str = ""
    lines: list[LineSnapshot] = Field(default_factory=list)
    shipping: int = 0
    deductions: list[DeductionSnapshot] = Field(default_factory=list)
    total: int | None = None  # None: no policy total (e.g. a refund made at the provider)
    bonus_credit: int = 0
    approval: str = "finance"
    refund_due_by: date | None = None
    reasons: list[ReasonSnapshot] = Field(default_factory=list)


class QuestionSnapshot(_Snapshot):
    code: str
    text: str = ""


class DecisionSnapshot(_Snapshot):
    line_id: str = ""
    reasons: list[ReasonSnapshot] = Field(default_factory=list)
    checklist: list[QuestionSnapshot] = Field(default_factory=list)


class SettlementSnapshot(_Snapshot):
    """How the refund's total was split (refunds/settlement.py)."""

    currency: str = ""
    card: int = 0
    credit: int = 0
    bonus: int = 0
    charge: int = 0
    exchange_value: int = 0
    exchange_price: int = 0
    exchange_prices: dict[str, int] = Field(default_factory=dict)


def _typed(params: Any) -> dict[str, Param]:
    # Money and days are objects; text (an SKU, an address) is kept exactly as written.
    if not isinstance(params, Mapping):
        return {}
    return {
        str(k): param_from_json(v)
        if isinstance(v, Mapping | int) and not isinstance(v, bool)
        else str(v)
        for k, v in params.items()
    }


class AbuseFlagSnapshot(_Snapshot):
    """An abuse rule that fired (policy/abuse.py): its code, the rule's thresholds, the
    customer's figures (typed: counts as int, money as Money), and `why`, the sentence to
    show with the `explain` filter: `{{ explain(flag.why) }}`."""

    code: str = ""  # the rule: returns_in_period, share_returned, value_in_period, ...
    thresholds: dict[str, Any] = Field(default_factory=dict)
    figures: dict[str, Any] = Field(default_factory=dict)
    reason: ReasonSnapshot = Field(default_factory=ReasonSnapshot)

    @field_validator("thresholds", "figures", mode="before")
    @classmethod
    def _typed_params(cls, value: Any) -> dict[str, Param]:
        return _typed(value)

    @property
    def why(self) -> Reason:
        """The rule's sentence with its figures, for `explain()` in the reader's language."""
        return self.reason.reason()

    @property
    def params(self) -> dict[str, Param]:
        """The thresholds and the figures together."""
        return {**self.thresholds, **self.figures}


# The only abuse rule before the rule set wrote a review reason and no `abuse` list.
LEGACY_ABUSE_CODE = "abuse_review"


def _legacy_abuse(reasons: Any) -> list[dict[str, Any]]:
    flags = []
    for item in reasons if isinstance(reasons, list) else []:
        if isinstance(item, Mapping) and item.get("code") == LEGACY_ABUSE_CODE:
            raw = item.get("params")
            params: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            days, count = params.get("days"), params.get("count")
            flags.append(
                {
                    "code": "returns_in_period",
                    "thresholds": {} if days is None else {"within_days": days},
                    "figures": {} if count is None else {"earlier_returns": count},
                    "reason": item,
                }
            )
    return flags


class EstimateSnapshot(_Snapshot):
    """A return's stored evaluation.

    `abuse` lists the abuse rules that fired; a row written before the rule set has its one
    rule read from its review reason (code `abuse_review`)."""

    schema_version: int = 1
    order_number: str = ""
    policy_version: int | None = None
    policy_digest: str = ""
    pack: str | None = None  # None: not decided by the policy (e.g. a provider's refund)
    needs_review: bool = False
    reasons: list[ReasonSnapshot] = Field(default_factory=list)
    abuse: list[AbuseFlagSnapshot] = Field(default_factory=list)
    # The policy proposed letting the customer keep the items (the desk offers it), and why.
    returnless: ReasonSnapshot | None = None
    decisions: list[DecisionSnapshot] = Field(default_factory=list)
    refund: RefundSnapshot = Field(default_factory=RefundSnapshot)

    @model_validator(mode="before")
    @classmethod
    def _abuse_of_old_rows(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "abuse" not in data:
            return {**data, "abuse": _legacy_abuse(data.get("reasons"))}
        return data

    def reason_codes(self) -> set[str]:
        """Every reason code of every line decision."""
        return {r.code for d in self.decisions for r in d.reasons}


class BreakdownSnapshot(EstimateSnapshot):
    """A refund's stored evaluation with its settlement."""

    settlement: SettlementSnapshot | None = None
    source: str | None = None  # where a refund without a policy came from

    @property
    def issued_bonus(self) -> int:
        """The store-credit bonus the settlement issues (the policy's, for a row written
        before settlements were split)."""
        return self.settlement.bonus if self.settlement else self.refund.bonus_credit


def estimate_of(stored: dict[str, Any] | None) -> EstimateSnapshot:
    return EstimateSnapshot.model_validate(stored or {})


def breakdown_of(stored: dict[str, Any] | None) -> BreakdownSnapshot:
    return BreakdownSnapshot.model_validate(stored or {})


def to_store(evaluation: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The JSON to store for an evaluation (and e.g. its settlement), with its version."""
    return {**evaluation, **extra, "schema_version": SCHEMA_VERSION}
