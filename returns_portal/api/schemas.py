"""The JSON API's own bodies as pydantic models: the redemption it reads, the answers it gives.

Orders (`orders/schemas.py`), the dry run (`store/services.py`) and the policy's inputs
(`policy/parse.py`, `policy/document/read.py`) have their models beside the code that reads
them; the OpenAPI document (`openapi.py`) is generated from all of them. The answer models
describe what the views send (`Evaluation.to_dict`, the store-credit dicts); the API tests
check real answers against them, so the document cannot drift from the code.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError

from returns_portal.inputs import INT32_MAX
from returns_portal.policy.abuse import RULES as ABUSE_RULES
from returns_portal.policy.facts import Resolution, ReturnMethod, ReturnReason
from returns_portal.policy.packs import PACKS


def _not_blank(key: str) -> str:
    if not key.strip():
        raise ValueError("blank")
    return key


class RedeemIn(BaseModel):
    """Spend store credit at checkout; the same `key` again spends nothing more."""

    # Fields this body does not know have always been ignored, not refused.
    model_config = ConfigDict(extra="ignore")

    amount: Annotated[int, Field(strict=True, ge=-INT32_MAX, le=INT32_MAX)] = Field(
        description="Minor units to spend; the ledger's column holds at most 2³¹−1, and an "
        "amount that is not positive is refused by the ledger (422)."
    )
    currency: Annotated[str, Field(strict=True, min_length=3, max_length=3)] = Field(
        description="ISO 4217, the credit's currency."
    )
    key: Annotated[
        str, Field(strict=True, min_length=1, max_length=64), AfterValidator(_not_blank)
    ] = Field(description="Your checkout's id for this payment: the idempotency key.")
    reference: Annotated[str, Strict()] = Field(
        default="", description="Your order number, for the ledger."
    )


# One sentence per field, whatever pydantic found wrong with it.
REDEEM_MESSAGES = {
    "amount": "An integer amount in minor units (at most 2³¹−1) is required.",
    "currency": "A three-letter ISO 4217 currency is required.",
    "key": "An idempotency key (your checkout's id for this payment) is required.",
    "reference": "The reference must be a string.",
}


def redeem_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Name each bad field of a redemption with its one sentence."""
    fields = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    return {name: [message] for name, message in REDEEM_MESSAGES.items() if name in fields}


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(_Answer):
    """Every error answer of the API."""

    error: str = Field(description="What went wrong, in a sentence.")
    errors: dict[str, list[str]] | None = Field(
        default=None, description="Dotted field path → messages, e.g. `lines.0.quantity`."
    )


class ReasonOut(_Answer):
    """Why: a stable code, an English template with its parameters, and the sentence."""

    code: str = Field(description="Stable machine code, e.g. window_closed.")
    message: str = Field(
        description="English template with {placeholders}; translate, then format."
    )
    params: dict[str, Any] = Field(description="The template's parameters.")
    text: str = Field(description="The sentence in English.")


class ChecklistQuestionOut(_Answer):
    """One condition check the warehouse answers; "yes" means it passed."""

    code: str
    text: str
    breaks_intact: bool


class DecisionOut(_Answer):
    """The policy's answer for one order line."""

    line_id: str
    eligible: bool
    statutory: bool = Field(
        description="Covered by the law's right, not only the merchant's rules."
    )
    remaining_qty: int = Field(description="Units that can still be returned.")
    last_day: date | None = Field(description="Last day of the no-reason window (store dates).")
    closes_at: datetime | None = Field(description="The window's end, exclusive.")
    defect_last_day: date | None
    allowed_resolutions: list[Resolution]
    allowed_methods: list[ReturnMethod]
    allowed_reasons: list[ReturnReason] = Field(description="Return reasons accepted now.")
    photos_required_for: list[ReturnReason]
    reasons: list[ReasonOut]
    checklist: list[ChecklistQuestionOut]


class RefundLineOut(_Answer):
    """Money for one requested line: goods and tax for the units refunded."""

    line_id: str
    quantity: int
    items: int
    tax: int
    resolution: Resolution


class DeductionOut(_Answer):
    """An amount taken off the refund, with why."""

    code: str
    line_id: str | None
    amount: int
    reason: ReasonOut


class RefundOut(_Answer):
    """The refund: lines, shipping, deductions and the total, all in minor units."""

    currency: str
    lines: list[RefundLineOut]
    shipping: int
    deductions: list[DeductionOut]
    total: int
    bonus_credit: int = Field(description="Extra store credit; never part of `total`.")
    approval: Literal["auto", "finance", "two_finance"]
    refund_due_by: date | None
    reasons: list[ReasonOut]


class AbuseFlagOut(_Answer):
    """An abuse rule that fired: it sends the return to a person, never refuses it."""

    code: str = Field(
        description="The rule, as named under `abuse` in the policy document.",
        json_schema_extra={"enum": [*ABUSE_RULES]},
    )
    thresholds: dict[str, Any] = Field(
        description='The rule\'s thresholds, e.g. {"max_returns": 5, "within_days": 90}.'
    )
    figures: dict[str, Any] = Field(description='The customer\'s figures, e.g. {"returns": 6}.')
    reason: ReasonOut = Field(description="The sentence that says both.")


class EvaluationOut(_Answer):
    """Per-line decisions and the refund breakdown. Amounts are minor units."""

    order_number: str
    policy_version: int | None
    policy_digest: str
    pack: str = Field(json_schema_extra={"enum": [*sorted(PACKS)]})
    needs_review: bool
    reasons: list[ReasonOut] = Field(
        description="Why a person must look at the return (each fired abuse rule's too)."
    )
    abuse: list[AbuseFlagOut] = Field(description="The abuse rules that fired, with figures.")
    returnless: ReasonOut | None = Field(
        description="The policy proposes a refund without the parcel (support decides), and why."
    )
    decisions: list[DecisionOut]
    refund: RefundOut


class StoreCreditOut(_Answer):
    """A store-credit code and what is left on it."""

    code: str
    currency: str
    issued: int = Field(description="Issued plus bonus, minor units.")
    balance: int = Field(description="What is left, minor units.")
    expires_at: datetime | None
    expired: bool


class RedemptionOut(_Answer):
    """Store credit spent at checkout (or, with `replayed`, spent before with this key)."""

    code: str
    amount: int
    currency: str
    balance: int = Field(description="Left on the code afterwards.")
    key: str
    replayed: bool
