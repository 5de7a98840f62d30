"""The engine: decide every requested line and work out the refund, with reasons.

Everything follows RULES.md: the pack sets the floor, the merchant's rules are laid over it
and never below it. Money is integer minor units; every rounding favours never over-refunding.

Longer than most modules on purpose: it is one computation (lines, shipping, each deduction,
caps, bonus, due date) read top to bottom in the order RULES.md states it, and each step
shares the same `_Return` facts; split, the order of the steps would live nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from returns_portal.policy import reasons as r
from returns_portal.policy.abuse import AbuseFlag, abuse_flags
from returns_portal.policy.calendars import local_date
from returns_portal.policy.decisions import (
    LineDecision,
    check_request_lines,
    decide_line,
    decide_lines,
    iso,
)
from returns_portal.policy.document import Policy
from returns_portal.policy.errors import ErrorCollector
from returns_portal.policy.facts import (
    FAULT_REASONS,
    Inspection,
    LineFindings,
    OrderFacts,
    OrderLine,
    RequestedLine,
    Resolution,
    ReturnRequest,
)
from returns_portal.policy.money import Money, line_paid_amounts, unit_share
from returns_portal.policy.packs import CN_7DAY, EU_14DAY, assess_product, normalise_category
from returns_portal.policy.reasons import Reason, reason

__all__ = [
    "Deduction",
    "Evaluation",
    "LineDecision",
    "RefundBreakdown",
    "RefundLine",
    "decide_lines",
    "evaluate",
]


@dataclass(frozen=True)
class RefundLine:
    """Money for one requested line: goods and tax for the units refunded."""

    line_id: str
    quantity: int
    items: int
    tax: int
    resolution: Resolution


@dataclass(frozen=True)
class Deduction:
    """An amount taken off the refund, with why."""

    code: str
    line_id: str | None
    amount: int
    reason: Reason


@dataclass(frozen=True)
class RefundBreakdown:
    """The refund: lines, shipping, deductions and the total, all in minor units."""

    currency: str
    lines: tuple[RefundLine, ...]
    shipping: int
    deductions: tuple[Deduction, ...]
    total: int
    bonus_credit: int  # extra store credit; never part of `total`
    approval: str  # "auto", "finance" or "two_finance"
    refund_due_by: date | None
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form with stable key order and ISO dates."""
        return {
            "currency": self.currency,
            "lines": [
                {
                    "line_id": line.line_id,
                    "quantity": line.quantity,
                    "items": line.items,
                    "tax": line.tax,
                    "resolution": line.resolution.value,
                }
                for line in self.lines
            ],
            "shipping": self.shipping,
            "deductions": [
                {
                    "code": d.code,
                    "line_id": d.line_id,
                    "amount": d.amount,
                    "reason": d.reason.to_dict(),
                }
                for d in self.deductions
            ],
            "total": self.total,
            "bonus_credit": self.bonus_credit,
            "approval": self.approval,
            "refund_due_by": iso(self.refund_due_by),
            "reasons": [x.to_dict() for x in self.reasons],
        }


@dataclass(frozen=True)
class Evaluation:
    """The full answer for one return request."""

    order_number: str
    policy_version: int | None
    policy_digest: str
    pack: str
    decisions: tuple[LineDecision, ...]
    refund: RefundBreakdown
    needs_review: bool
    reasons: tuple[Reason, ...]  # why a person must look at it (each fired rule's too)
    abuse: tuple[AbuseFlag, ...] = ()  # the abuse rules that fired, with their figures
    # The policy proposes a refund without the parcel (support decides), and why.
    returnless: Reason | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form with stable key order and ISO dates."""
        return {
            "order_number": self.order_number,
            "policy_version": self.policy_version,
            "policy_digest": self.policy_digest,
            "pack": self.pack,
            "needs_review": self.needs_review,
            "reasons": [x.to_dict() for x in self.reasons],
            "abuse": [flag.to_dict() for flag in self.abuse],
            "returnless": self.returnless.to_dict() if self.returnless else None,
            "decisions": [d.to_dict() for d in self.decisions],
            "refund": self.refund.to_dict(),
        }


@dataclass(frozen=True)
class _Return:
    """One evaluation's inputs, with what every step needs worked out once."""

    order: OrderFacts
    request: ReturnRequest
    policy: Policy
    inspection: Inspection | None
    paid: dict[str, int]  # goods paid per line, after discounts

    def money(self, amount: int) -> Money:
        return Money(amount, self.order.currency)

    def before(self, line_id: str) -> int:
        return self.request.previously_returned.get(line_id, 0)


@dataclass(frozen=True)
class _LineOutcome:
    """What one requested line comes to."""

    decision: LineDecision  # final, after inspection
    refund: RefundLine
    fault: bool
    goes_back: bool  # accepted at request time, so the item is shipped back
    charges: tuple[tuple[str, int, Reason], ...] = ()  # line deductions: code, amount, why


@dataclass
class _Ledger:
    """Deductions in the order they are applied, clamped so the total never goes below zero."""

    currency: str
    running: int
    deductions: list[Deduction] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)

    def deduct(self, code: str, line_id: str | None, wanted: int, why: Reason) -> None:
        if wanted <= 0:
            return
        amount = min(wanted, self.running)
        if amount < wanted:
            self.notes.append(
                reason(
                    "deduction_capped",
                    r.DEDUCTION_CAPPED,
                    deduction=code,
                    wanted=Money(wanted, self.currency),
                    amount=Money(amount, self.currency),
                )
            )
        self.running -= amount
        self.deductions.append(Deduction(code, line_id, amount, why))


def _ceil_percent(amount: int, percent: int) -> int:
    # A fee rounds up so the refund rounds down: rounding never over-refunds.
    return -(-amount * percent // 100)


def _inspect(
    ret: _Return, line: OrderLine, requested: RequestedLine, decision: LineDecision
) -> tuple[int, bool, list[Reason], LineFindings | None]:
    """Apply the warehouse's findings: units received, and whether the item is refundable."""
    assert ret.inspection is not None
    findings = ret.inspection.lines.get(line.line_id)
    received = 0 if findings is None else min(findings.received_qty, requested.quantity)
    said: list[Reason] = []
    if received == 0:
        said.append(reason("not_received", r.NOT_RECEIVED))
    elif received < requested.quantity:
        said.append(
            reason(
                "fewer_received",
                r.FEWER_RECEIVED,
                received=received,
                requested=requested.quantity,
            )
        )
    if findings is None or requested.reason in FAULT_REASONS:
        # Fault claims are not blocked by exclusions or the condition check.
        return received, True, said, findings
    failed = [
        q for q in decision.checklist if q.breaks_intact and findings.answers.get(q.code) is False
    ]
    seal_failure = assess_product(ret.policy.rules, line.product).seal_failure
    for question in failed:
        if question.code == "seal_intact" and seal_failure is not None:
            said.append(seal_failure)
        else:
            # RULES.md cn-7day "Condition: the goods must be intact".
            said.append(
                reason(
                    "not_intact", r.NOT_INTACT, question=question.text, question_code=question.code
                )
            )
    if failed:
        return 0, False, said, findings
    return received, True, said, findings


def _line_charges(
    ret: _Return,
    line: OrderLine,
    decision: LineDecision,
    refund: RefundLine,
    findings: LineFindings | None,
    fault: bool,
) -> tuple[tuple[str, int, Reason], ...]:
    """Return the line's own deductions, each capped at what is left of the line's refund."""
    charges: list[tuple[str, int, Reason]] = []
    left = refund.items + refund.tax
    diminished = 0 if findings is None else findings.diminished_value
    # RULES.md eu-14day: the consumer is liable for diminished value. cn-7day knows only
    # intact / not intact inside the statutory right, so there it applies outside it only.
    if diminished and not fault and (ret.policy.pack == EU_14DAY or not decision.statutory):
        amount = min(diminished, left)
        why = reason("diminished_value", r.DIMINISHED_VALUE, amount=ret.money(amount))
        charges.append(("diminished_value", amount, why))
        left -= amount
    fee = ret.policy.restocking_fee_for(line.product.category)
    if fee is not None and not fault and not decision.statutory:
        # RULES.md "Merchant rules": a restocking fee only where the law does not apply.
        if fee.percent is not None:
            wanted = _ceil_percent(refund.items, fee.percent)
        else:
            wanted = (fee.fixed or 0) * refund.quantity
        amount = min(wanted, left)
        if amount:
            why = reason("restocking_fee", r.RESTOCKING_FEE, amount=ret.money(amount))
            charges.append(("restocking_fee", amount, why))
    return tuple(charges)


def _line_outcome(ret: _Return, requested: RequestedLine) -> _LineOutcome:
    """Decide one requested line and work out its money."""
    line = ret.order.line(requested.line_id)
    decision = decide_line(
        ret.order,
        line,
        ret.policy,
        ret.request.requested_at,
        ret.request.previously_returned,
        requested.reason,
        requested.resolution,
        requested.quantity,
    )
    fault = requested.reason in FAULT_REASONS
    units = requested.quantity if decision.eligible else 0
    eligible = decision.eligible
    findings: LineFindings | None = None
    said: list[Reason] = []
    if decision.eligible and ret.inspection is not None:
        units, eligible, said, findings = _inspect(ret, line, requested, decision)
    final = replace(
        decision,
        eligible=eligible,
        statutory=decision.statutory and eligible,
        reasons=decision.reasons + tuple(said),
    )
    before = ret.before(line.line_id)
    items = unit_share(ret.paid[line.line_id], line.quantity, before, units) if units else 0
    tax = unit_share(line.tax, line.quantity, before, units) if units else 0
    refund = RefundLine(line.line_id, units, items, tax, requested.resolution)
    charges = _line_charges(ret, line, final, refund, findings, fault) if units else ()
    return _LineOutcome(final, refund, fault, decision.eligible, charges)


def _standard_delivery(ret: _Return, outcomes: list[_LineOutcome]) -> tuple[int, list[Reason]]:
    """Return the delivery cost refunded: eu-14day, once the whole order is withdrawn."""
    refunded = {o.refund.line_id: o.refund.quantity for o in outcomes if o.refund.quantity}
    if ret.policy.pack != EU_14DAY or not refunded:
        return 0, []
    whole_order = all(
        ret.before(line.line_id) + refunded.get(line.line_id, 0) >= line.quantity
        for line in ret.order.lines
        if line.gift_of is None
    )
    # A late return the merchant accepts out of goodwill is not a withdrawal.
    withdrawn = all(o.decision.statutory or o.fault for o in outcomes if o.refund.quantity)
    if not (whole_order and withdrawn):
        return 0, []
    # RULES.md eu-14day: the standard delivery cost, not the extra of a dearer delivery.
    amount = min(ret.order.shipping_paid, ret.order.standard_shipping)
    if not amount:
        return 0, []
    why = reason(
        "standard_delivery_refunded", r.STANDARD_DELIVERY_REFUNDED, amount=ret.money(amount)
    )
    return amount, [why]


def _charge_missing_gifts(ret: _Return, outcomes: list[_LineOutcome], ledger: _Ledger) -> None:
    """Charge the stated value of gifts not sent back with their item (RULES.md cn-7day)."""
    if ret.policy.pack != CN_7DAY:
        return
    refunded = {o.refund.line_id: o.refund.quantity for o in outcomes if o.refund.quantity}
    requested = {rl.line_id: rl.quantity for rl in ret.request.lines}
    for gift in ret.order.lines:
        main_id = gift.gift_of
        if main_id is None or main_id not in refunded or not gift.gift_value:
            continue
        main = ret.order.line(main_id)
        # Gifts follow the main line's units, rounded down: never charge for a gift the
        # customer may keep along with the units they keep.
        owed = gift.quantity * (ret.before(main_id) + refunded[main_id]) // main.quantity
        owed = max(owed - ret.before(gift.line_id), 0)
        if ret.inspection is None:
            back = requested.get(gift.line_id, 0)
        else:
            gift_findings = ret.inspection.lines.get(gift.line_id)
            main_findings = ret.inspection.lines.get(main_id)
            if gift_findings is not None:  # the gift was counted in on its own line
                back = gift_findings.received_qty
            elif main_findings is not None and main_findings.answers.get("gifts_returned"):
                # Packed with its item and checked there ("all free gifts ... returned"):
                # only a gift really not sent back is charged.
                back = owed
            else:
                back = 0
        missing = max(owed - back, 0)
        if missing:
            amount = missing * gift.gift_value
            why = reason(
                "gift_not_returned",
                r.GIFT_NOT_RETURNED,
                missing=missing,
                gift_line=gift.line_id,
                amount=ret.money(amount),
            )
            ledger.deduct("gift_not_returned", gift.line_id, amount, why)


def _goods_value(ret: _Return) -> int:
    return sum(ret.paid[line.line_id] for line in ret.order.lines if line.gift_of is None)


def _charge_return_shipping(
    ret: _Return, outcomes: list[_LineOutcome], ledger: _Ledger, notes: list[Reason]
) -> None:
    """Deduct the return label, unless someone else bears the cost of sending it back."""
    if not any(o.goes_back for o in outcomes):
        return
    policy, order = ret.policy, ret.order
    free: Reason | None = None
    if policy.return_shipping_paid_by == "merchant":
        free = reason("free_return_shipping", r.FREE_RETURN_SHIPPING_MERCHANT)
    elif any(o.goes_back and o.fault for o in outcomes):
        # The shop must take a faulty item back at its own cost anyway.
        free = reason("free_return_shipping", r.FREE_RETURN_SHIPPING_FAULT)
    elif policy.pack == EU_14DAY and not order.return_costs_disclosed:
        # RULES.md eu-14day: the shop bears the cost if it did not say so beforehand.
        free = reason("free_return_shipping", r.FREE_RETURN_SHIPPING_UNDISCLOSED)
    elif policy.free_return_above is not None and _goods_value(ret) >= policy.free_return_above:
        free = reason(
            "free_return_shipping",
            r.FREE_RETURN_SHIPPING_ABOVE,
            threshold=ret.money(policy.free_return_above),
        )
    if free is not None:
        notes.append(free)
        return
    # RULES.md: otherwise the consumer pays the direct cost of returning.
    cost = ret.request.label_cost if ret.request.label_cost is not None else policy.label_cost
    why = reason("return_label_cost", r.RETURN_LABEL_COST, amount=ret.money(cost))
    ledger.deduct("return_label_cost", None, cost, why)


def _charge_broken_threshold(ret: _Return, outcomes: list[_LineOutcome], ledger: _Ledger) -> None:
    """Deduct the delivery fee when this return breaks a free-shipping condition, once per order."""
    # RULES.md cn-7day "Money": the shop may deduct the original shipping fee.
    order = ret.order
    threshold = order.free_shipping_threshold
    if ret.policy.pack != CN_7DAY or threshold is None or order.shipping_paid != 0:
        return
    returned_before = sum(
        unit_share(ret.paid[line.line_id], line.quantity, 0, ret.before(line.line_id))
        for line in order.lines
        if line.gift_of is None
    )
    # Faulty goods coming back are the shop's doing, not the customer's choice.
    returned_now = sum(
        o.refund.items
        for o in outcomes
        if order.line(o.refund.line_id).gift_of is None and not o.fault
    )
    kept_before = _goods_value(ret) - returned_before
    kept_after = kept_before - returned_now
    # Already below the threshold before this return: an earlier return broke it and paid.
    if kept_before >= threshold > kept_after and order.standard_shipping:
        why = reason(
            "free_shipping_threshold_broken",
            r.FREE_SHIPPING_THRESHOLD_BROKEN,
            threshold=ret.money(threshold),
            amount=ret.money(order.standard_shipping),
        )
        ledger.deduct("free_shipping_threshold_broken", None, order.standard_shipping, why)


def _bonus_credit(
    ret: _Return, outcomes: list[_LineOutcome], ledger: _Ledger
) -> tuple[int, list[Reason]]:
    """Return the extra store credit earned by choosing store credit (never part of the total)."""
    percent = ret.policy.store_credit_bonus_percent
    if not percent:
        return 0, []
    deducted: dict[str, int] = {}
    for d in ledger.deductions:
        if d.line_id is not None:
            deducted[d.line_id] = deducted.get(d.line_id, 0) + d.amount
    credit = sum(
        max(o.refund.items + o.refund.tax - deducted.get(o.refund.line_id, 0), 0)
        for o in outcomes
        if o.refund.resolution == Resolution.STORE_CREDIT
    )
    # On what actually goes to store credit, rounded down, never on more than the total.
    bonus = min(credit, ledger.running) * percent // 100
    if not bonus:
        return 0, []
    return bonus, [reason("store_credit_bonus", r.STORE_CREDIT_BONUS, amount=ret.money(bonus))]


def _refund_due(ret: _Return) -> tuple[date | None, list[Reason]]:
    """Return the refund deadline and the sentences that state it."""
    pack, policy, tz = ret.policy.rules, ret.policy, ret.policy.timezone
    days = policy.refund_within_days or pack.refund_days
    notes: list[Reason] = []
    due_by: date | None = None
    if pack.refund_counts_from_receipt:
        # RULES.md cn-7day: within 7 days of receiving the returned goods.
        if ret.inspection is None:
            notes.append(reason("refund_due_after_receipt", r.REFUND_DUE_AFTER_RECEIPT, days=days))
        else:
            received = local_date(ret.inspection.received_at, tz)
            due_by = pack.last_day(received, days, policy.holidays)
    else:
        # RULES.md eu-14day: within 14 days of the withdrawal; the goods go back within 14 too.
        told = local_date(ret.request.requested_at, tz)
        due_by = pack.last_day(told, days, policy.holidays)
        send_by = pack.last_day(told, pack.days, policy.holidays)
        notes.append(reason("send_back_within", r.SEND_BACK_WITHIN, last_day=send_by))
    if due_by is not None:
        notes.append(reason("refund_due_by", r.REFUND_DUE_BY, due_date=due_by))
    # RULES.md: both packs refund by the same means the consumer paid.
    notes.append(reason("refund_same_means", r.REFUND_SAME_MEANS))
    return due_by, notes


def _review(ret: _Return) -> list[Reason]:
    """Return why a person must look at this return, if anyone must."""
    policy = ret.policy
    said: list[Reason] = []
    if ret.request.method not in policy.methods:
        said.append(
            reason("method_not_allowed", r.METHOD_NOT_ALLOWED, method=ret.request.method.value)
        )
    return said


def _returnless(ret: _Return, outcomes: list[_LineOutcome]) -> Reason | None:
    """Propose keeping the items when every unit coming back is worth less than the
    policy's `returnless.below`, in its categories and for its reasons (none: any); an
    exchange needs its item back, so it is never proposed for one."""
    rule = ret.policy.returnless
    back = [(o, rl) for o, rl in zip(outcomes, ret.request.lines, strict=True)
            if o.refund.quantity]  # fmt: skip
    if rule.below is None or not back:
        return None
    for _, rl in back:
        line = ret.order.line(rl.line_id)
        unit = ret.paid[rl.line_id] // max(1, line.quantity)
        if (
            unit >= rule.below
            or rl.resolution == Resolution.EXCHANGE
            or (
                rule.categories and normalise_category(line.product.category) not in rule.categories
            )
            or (rule.reasons and rl.reason not in rule.reasons)
        ):
            return None
    return reason("returnless_proposed", r.RETURNLESS_PROPOSED, below=ret.money(rule.below))


def _approval(policy: Policy, total: int) -> str:
    if policy.auto_approve_below is not None and total < policy.auto_approve_below:
        return "auto"
    if policy.two_approvers_above is not None and total > policy.two_approvers_above:
        return "two_finance"
    return "finance"


def evaluate(
    order: OrderFacts,
    request: ReturnRequest,
    policy: Policy,
    inspection: Inspection | None = None,
) -> Evaluation:
    """Decide every requested line and work out the refund, with the reasons for each part."""
    errors = ErrorCollector()
    check_request_lines(order, request, errors)
    errors.raise_if_any()
    ret = _Return(order, request, policy, inspection, line_paid_amounts(order))

    outcomes = [_line_outcome(ret, requested) for requested in request.lines]
    shipping, notes = _standard_delivery(ret, outcomes)
    ledger = _Ledger(
        order.currency, sum(o.refund.items + o.refund.tax for o in outcomes) + shipping
    )
    # Deductions apply in this order; the ledger caps each so the total stays >= 0.
    for outcome in outcomes:
        for code, amount, why in outcome.charges:
            ledger.deduct(code, outcome.refund.line_id, amount, why)
    _charge_missing_gifts(ret, outcomes, ledger)
    _charge_return_shipping(ret, outcomes, ledger, notes)
    _charge_broken_threshold(ret, outcomes, ledger)
    notes.extend(ledger.notes)
    bonus, said = _bonus_credit(ret, outcomes, ledger)
    notes.extend(said)
    due_by: date | None = None
    if any(o.refund.quantity for o in outcomes):
        due_by, said = _refund_due(ret)
        notes.extend(said)
    # RULES.md "abuse limits": a fired rule sends the return to a person, never refuses it.
    flags = tuple(abuse_flags(policy.abuse, order, request, inspection))
    review = [*_review(ret), *(flag.reason for flag in flags)]

    refund = RefundBreakdown(
        currency=order.currency,
        lines=tuple(o.refund for o in outcomes),
        shipping=shipping,
        deductions=tuple(ledger.deductions),
        total=ledger.running,
        bonus_credit=bonus,
        approval=_approval(policy, ledger.running),
        refund_due_by=due_by,
        reasons=tuple(notes),
    )
    return Evaluation(
        order_number=order.number,
        policy_version=policy.version,
        policy_digest=policy.digest,
        pack=policy.pack,
        decisions=tuple(o.decision for o in outcomes),
        refund=refund,
        needs_review=bool(review),
        reasons=tuple(review),
        abuse=flags,
        returnless=None if flags or inspection else _returnless(ret, outcomes),
    )
