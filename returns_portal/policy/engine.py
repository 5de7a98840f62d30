"""The engine: decide each line's eligibility and work out the refund, with reasons.

Everything here follows RULES.md: the pack sets the floor, the merchant's rules are laid over
it and never below it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from returns_portal.policy import reasons as r
from returns_portal.policy.calendars import add_months, end_of_day, local_date, roll_to_working_day
from returns_portal.policy.document import Policy
from returns_portal.policy.errors import ErrorCollector
from returns_portal.policy.facts import (
    FAULT_REASONS,
    Inspection,
    LineFindings,
    OrderFacts,
    OrderLine,
    Resolution,
    ReturnMethod,
    ReturnReason,
    ReturnRequest,
    require_aware,
)
from returns_portal.policy.money import format_money, line_paid_amounts, unit_share
from returns_portal.policy.packs import (
    CN_7DAY,
    EU_14DAY,
    ChecklistQuestion,
    assess_product,
    line_checklist,
    normalise_category,
)
from returns_portal.policy.reasons import Reason, reason

_NOTHING_RETURNED: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True)
class LineDecision:
    """The policy's answer for one order line."""

    line_id: str
    eligible: bool
    statutory: bool  # covered by the pack's statutory right (not just the merchant's goodwill)
    remaining_qty: int
    last_day: date | None  # last day of the no-reason window, in the store's calendar
    closes_at: datetime | None  # the window's end in UTC, exclusive
    defect_last_day: date | None
    allowed_resolutions: tuple[Resolution, ...]
    allowed_methods: tuple[ReturnMethod, ...]
    photos_required_for: tuple[ReturnReason, ...]
    reasons: tuple[Reason, ...]
    checklist: tuple[ChecklistQuestion, ...]
    allowed_reasons: tuple[ReturnReason, ...] = ()  # which return reasons are accepted now

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form with stable key order."""
        return {
            "line_id": self.line_id,
            "eligible": self.eligible,
            "statutory": self.statutory,
            "remaining_qty": self.remaining_qty,
            "last_day": _iso(self.last_day),
            "closes_at": _iso(self.closes_at),
            "defect_last_day": _iso(self.defect_last_day),
            "allowed_resolutions": [x.value for x in self.allowed_resolutions],
            "allowed_methods": [x.value for x in self.allowed_methods],
            "allowed_reasons": [x.value for x in self.allowed_reasons],
            "photos_required_for": [x.value for x in self.photos_required_for],
            "reasons": [x.to_dict() for x in self.reasons],
            "checklist": [
                {"code": q.code, "text": q.text, "breaks_intact": q.breaks_intact}
                for q in self.checklist
            ],
        }


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
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form with stable key order and ISO dates."""
        refund = self.refund
        return {
            "order_number": self.order_number,
            "policy_version": self.policy_version,
            "policy_digest": self.policy_digest,
            "pack": self.pack,
            "needs_review": self.needs_review,
            "reasons": [x.to_dict() for x in self.reasons],
            "decisions": [d.to_dict() for d in self.decisions],
            "refund": {
                "currency": refund.currency,
                "lines": [
                    {
                        "line_id": line.line_id,
                        "quantity": line.quantity,
                        "items": line.items,
                        "tax": line.tax,
                        "resolution": line.resolution.value,
                    }
                    for line in refund.lines
                ],
                "shipping": refund.shipping,
                "deductions": [
                    {
                        "code": d.code,
                        "line_id": d.line_id,
                        "amount": d.amount,
                        "reason": d.reason.to_dict(),
                    }
                    for d in refund.deductions
                ],
                "total": refund.total,
                "bonus_credit": refund.bonus_credit,
                "approval": refund.approval,
                "refund_due_by": _iso(refund.refund_due_by),
                "reasons": [x.to_dict() for x in refund.reasons],
            },
        }


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _line_delivered_at(order: OrderFacts, line: OrderLine) -> datetime | None:
    """Return when all units of `line` were delivered (the latest parcel), or None if not yet."""
    held = 0
    latest: datetime | None = None
    for parcel in order.parcels:
        qty = parcel.lines.get(line.line_id, 0)
        if qty <= 0:
            continue
        if parcel.delivered_at is None:
            return None
        held += qty
        if latest is None or parcel.delivered_at > latest:
            latest = parcel.delivered_at
    return latest if held >= line.quantity else None


def _order_delivered_at(order: OrderFacts) -> datetime | None:
    """Return when the last parcel of the order was delivered, or None if any is still out."""
    moments = [_line_delivered_at(order, line) for line in order.lines]
    if not moments or any(m is None for m in moments):
        return None
    return max(m for m in moments if m is not None)


def _resolutions(
    policy: Policy, line: OrderLine, statutory: bool, fault: bool
) -> tuple[Resolution, ...]:
    allowed = set(policy.resolutions)
    if statutory or fault:
        # The statutory right and a fault claim are to a refund, whatever the shop prefers.
        allowed.add(Resolution.REFUND)
    elif normalise_category(line.product.category) in policy.exchange_only_categories:
        # RULES.md "Merchant rules": exchange-only applies outside the statutory right only.
        allowed = {Resolution.EXCHANGE}
    return tuple(x for x in Resolution if x in allowed)


@dataclass(frozen=True)
class _Windows:
    """The windows that apply to one line, as store-calendar last days."""

    statutory_open: bool
    statutory_last: date | None = None
    statutory_days: int | None = None  # None when the law stretched it by months
    merchant_last: date | None = None  # only when longer than the statutory window
    merchant_days: int | None = None  # None when a holiday extension set merchant_last
    merchant_open: bool = False
    defect_last: date | None = None
    defect_open: bool = False
    extension: Reason | None = None  # why the merchant's window is longer
    notes: tuple[Reason, ...] = ()


def _windows(
    order: OrderFacts,
    line: OrderLine,
    policy: Policy,
    at: datetime,
    delivered_at: datetime | None,
) -> _Windows:
    """Work out the statutory, merchant and defect windows for `line` at `at`."""
    pack = policy.rules
    tz = policy.timezone
    holidays = policy.holidays
    if delivered_at is None:
        # eu-14day: withdrawal is allowed before delivery; cn-7day: nothing to return yet.
        return _Windows(statutory_open=pack.code == EU_14DAY)

    event_day = local_date(delivered_at, tz)
    statutory_last = pack.last_day(event_day, pack.days, holidays)
    statutory_days: int | None = pack.days
    notes: list[Reason] = []
    if pack.code == EU_14DAY and not order.withdrawal_info_given:
        # RULES.md eu-14day: not informed of the right -> 12 more months (CRD Art. 10),
        # counted from the period's last day, then the 1182/71 end rule again.
        unrolled = event_day + timedelta(days=pack.days)
        statutory_last = roll_to_working_day(add_months(unrolled, 12), holidays)
        statutory_days = None
        notes.append(
            reason(
                "withdrawal_info_missing_extension",
                r.WITHDRAWAL_INFO_MISSING_EXTENSION,
                last_day=statutory_last.isoformat(),
            )
        )

    merchant_last: date | None = None
    merchant_days = policy.product_windows.get(line.product.sku)
    if merchant_days is None:
        merchant_days = policy.category_windows.get(normalise_category(line.product.category))
    extension: Reason | None = None
    if merchant_days is not None:
        # Merchant windows are counted the pack's way, so they are never shorter than the law's.
        candidate = pack.last_day(event_day, merchant_days, holidays)
        if candidate > statutory_last:
            merchant_last = candidate
            extension = reason(
                "merchant_window",
                r.MERCHANT_WINDOW,
                days=str(merchant_days),
                last_day=candidate.isoformat(),
            )
    placed_day = local_date(order.placed_at, tz)
    for ext in policy.holiday_extensions:
        if ext.ordered_from <= placed_day <= ext.ordered_to and ext.return_by > max(
            statutory_last, merchant_last or statutory_last
        ):
            merchant_last, merchant_days = ext.return_by, None
            extension = reason(
                "holiday_extension",
                r.HOLIDAY_EXTENSION,
                ordered_from=ext.ordered_from.isoformat(),
                ordered_to=ext.ordered_to.isoformat(),
                return_by=ext.return_by.isoformat(),
            )
    defect_last = pack.last_day(event_day, policy.defect_window_days, holidays)
    return _Windows(
        statutory_open=at < end_of_day(statutory_last, tz),
        statutory_last=statutory_last,
        statutory_days=statutory_days,
        merchant_last=merchant_last,
        merchant_days=merchant_days if merchant_last is not None else None,
        merchant_open=merchant_last is not None and at < end_of_day(merchant_last, tz),
        defect_last=defect_last,
        defect_open=at < end_of_day(defect_last, tz),
        extension=extension,
        notes=tuple(notes),
    )


def _decide(
    order: OrderFacts,
    line: OrderLine,
    policy: Policy,
    at: datetime,
    previously_returned: Mapping[str, int],
    return_reason: ReturnReason | None = None,
    resolution: Resolution | None = None,
    quantity: int | None = None,
) -> LineDecision:
    """Decide one line at `at`, for a given return reason (None: any reason)."""
    pack = policy.rules
    tz = policy.timezone
    product = line.product
    remaining = max(line.quantity - previously_returned.get(line.line_id, 0), 0)
    said: list[Reason] = []

    # RULES.md cn-7day counts per line from its own parcel; eu-14day from the order's last parcel.
    if pack.counts_from_last_parcel:
        delivered_at = _order_delivered_at(order)
    else:
        delivered_at = _line_delivered_at(order, line)

    assessment = assess_product(pack, product)
    excluded = bool(assessment.exclusions)
    final_sale = product.final_sale or product.sku in policy.final_sale_skus

    windows = _windows(order, line, policy, at, delivered_at)
    said.extend(windows.notes)
    statutory_open, merchant_open = windows.statutory_open, windows.merchant_open
    statutory_last, merchant_last = windows.statutory_last, windows.merchant_last
    defect_last, defect_open = windows.defect_last, windows.defect_open

    statutory = statutory_open and not excluded
    # RULES.md "Merchant rules": final sale refuses only outside the statutory right.
    by_merchant = merchant_open and not statutory_open and not excluded and not final_sale
    no_reason_ok = statutory or by_merchant
    fault_ok = no_reason_ok or defect_open
    is_fault = return_reason in FAULT_REASONS

    # The window a no-reason return is judged by: the merchant's, when it applies and is longer.
    last_day: date | None = None
    window_days: int | None = None
    if not excluded and delivered_at is not None:
        if merchant_last is not None and not final_sale:
            last_day, window_days = merchant_last, windows.merchant_days
        else:
            last_day, window_days = statutory_last, windows.statutory_days

    if delivered_at is None:
        if pack.code == EU_14DAY:
            said.append(reason("window_open", r.WINDOW_OPEN_BEFORE_DELIVERY, days=str(pack.days)))
        else:
            said.append(reason("not_delivered", r.NOT_DELIVERED))
    elif last_day is not None:
        if no_reason_ok:
            said.append(reason("window_open", r.WINDOW_OPEN, last_day=last_day.isoformat()))
        elif window_days is not None:
            said.append(
                reason(
                    "window_closed",
                    r.WINDOW_CLOSED,
                    days=str(window_days),
                    last_day=last_day.isoformat(),
                )
            )
        else:
            said.append(reason("window_closed", r.WINDOW_CLOSED_ON, last_day=last_day.isoformat()))
    if statutory:
        if final_sale and statutory_last is not None:
            said.append(
                reason(
                    "statutory_right",
                    r.STATUTORY_RIGHT_OVER_FINAL_SALE,
                    last_day=statutory_last.isoformat(),
                )
            )
        else:
            said.append(
                reason("statutory_right", r.STATUTORY_RIGHT, days=str(pack.days), pack=pack.code)
            )
    if final_sale and not statutory and not excluded and delivered_at is not None:
        said.append(reason("final_sale", r.FINAL_SALE))
    if not excluded and not final_sale and windows.extension is not None:
        said.append(windows.extension)
    said.extend(assessment.exclusions)
    said.extend(assessment.notes)

    if defect_last is not None and (is_fault or (return_reason is None and defect_open)):
        template = r.DEFECT_WINDOW if defect_open else r.DEFECT_WINDOW_CLOSED
        code = "defect_window" if defect_open else "defect_window_closed"
        said.append(reason(code, template, last_day=defect_last.isoformat()))
    if is_fault and return_reason is not None:
        said.append(reason("fault_claim", r.FAULT_CLAIM, reason=return_reason.value))
        if policy.photos_required:
            said.append(reason("photos_required", r.PHOTOS_REQUIRED))

    if return_reason is None:
        eligible = fault_ok
        fault_only = fault_ok and not no_reason_ok
    elif is_fault:
        eligible, fault_only = fault_ok, True
    else:
        eligible, fault_only = no_reason_ok, False

    allowed_reasons: tuple[ReturnReason, ...] = ()
    if no_reason_ok:
        allowed_reasons = tuple(ReturnReason)
    elif fault_ok:
        allowed_reasons = FAULT_REASONS

    if remaining == 0:
        eligible = False
        allowed_reasons = ()
        said.append(reason("already_returned", r.ALREADY_RETURNED))
    elif quantity is not None and quantity > remaining:
        eligible = False
        said.append(
            reason(
                "quantity_exceeds_remaining",
                r.QUANTITY_EXCEEDS_REMAINING,
                requested=str(quantity),
                remaining=str(remaining),
            )
        )

    resolutions = _resolutions(policy, line, statutory, fault_only)
    if (
        not statutory
        and not fault_only
        and normalise_category(product.category) in policy.exchange_only_categories
        and no_reason_ok
    ):
        said.append(reason("exchange_only", r.EXCHANGE_ONLY))
    if resolution is not None and resolution not in resolutions and eligible:
        eligible = False
        said.append(
            reason("resolution_not_allowed", r.RESOLUTION_NOT_ALLOWED, resolution=resolution.value)
        )

    photos = FAULT_REASONS if policy.photos_required else ()
    return LineDecision(
        line_id=line.line_id,
        eligible=eligible,
        statutory=statutory and eligible,
        remaining_qty=remaining,
        last_day=last_day,
        closes_at=None if last_day is None else end_of_day(last_day, tz),
        defect_last_day=defect_last,
        allowed_resolutions=resolutions,
        allowed_methods=policy.methods,
        photos_required_for=photos,
        reasons=tuple(said),
        checklist=line_checklist(pack, product),
        allowed_reasons=allowed_reasons,
    )


def _check_previously_returned(
    order: OrderFacts, previously_returned: Mapping[str, int], errors: ErrorCollector, path: str
) -> None:
    known = {line.line_id: line.quantity for line in order.lines}
    for line_id, qty in previously_returned.items():
        where = f"{path}.{line_id}"
        if line_id not in known:
            errors.add(where, "unknown order line")
        elif qty < 0:
            errors.add(where, "must not be negative")
        elif qty > known[line_id]:
            errors.add(where, f"more than the {known[line_id]} units ordered")


def check_request_lines(order: OrderFacts, request: ReturnRequest, errors: ErrorCollector) -> None:
    """Record errors for request lines the engine cannot decide at all (unknown, repeated)."""
    known = {line.line_id for line in order.lines}
    seen: set[str] = set()
    for i, requested in enumerate(request.lines):
        if requested.line_id not in known:
            errors.add(f"lines.{i}.line_id", f"unknown order line {requested.line_id!r}")
        elif requested.line_id in seen:
            errors.add(f"lines.{i}.line_id", "appears more than once")
        seen.add(requested.line_id)
        if requested.quantity < 1:
            errors.add(f"lines.{i}.quantity", "must be at least 1")
    _check_previously_returned(order, request.previously_returned, errors, "previously_returned")


def decide_lines(
    order: OrderFacts,
    policy: Policy,
    at: datetime,
    previously_returned: Mapping[str, int] = _NOTHING_RETURNED,
) -> tuple[LineDecision, ...]:
    """Decide whether each line of `order` can be returned at `at`, and how."""
    require_aware(at, "at")
    errors = ErrorCollector()
    _check_previously_returned(order, previously_returned, errors, "previously_returned")
    errors.raise_if_any()
    return tuple(_decide(order, line, policy, at, previously_returned) for line in order.lines)


@dataclass
class _Ledger:
    """Deductions in the order they are applied, clamped so the total never goes below zero."""

    currency: str
    running: int
    deductions: list[Deduction]
    notes: list[Reason]

    def deduct(self, code: str, line_id: str | None, wanted: int, why: Reason) -> int:
        if wanted <= 0:
            return 0
        amount = min(wanted, self.running)
        if amount < wanted:
            self.notes.append(
                reason(
                    "deduction_capped",
                    r.DEDUCTION_CAPPED,
                    deduction=code,
                    wanted=format_money(wanted, self.currency),
                    amount=format_money(amount, self.currency),
                )
            )
        self.running -= amount
        self.deductions.append(Deduction(code, line_id, amount, why))
        return amount


def _approval(policy: Policy, total: int) -> str:
    if policy.auto_approve_below is not None and total < policy.auto_approve_below:
        return "auto"
    if policy.two_approvers_above is not None and total > policy.two_approvers_above:
        return "two_finance"
    return "finance"


def _ceil_percent(amount: int, percent: int) -> int:
    # A fee rounds up so the refund rounds down: rounding never over-refunds.
    return -(-amount * percent // 100)


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

    pack = policy.rules
    tz = policy.timezone
    currency = order.currency
    paid = line_paid_amounts(order)
    previous = request.previously_returned
    requested_qty = {rl.line_id: rl.quantity for rl in request.lines}

    decisions: list[LineDecision] = []
    refund_lines: list[RefundLine] = []
    refunded: dict[str, int] = {}  # units refunded in this return, per line
    faults: dict[str, bool] = {}
    line_deductions: list[tuple[str, str, int, Reason]] = []
    shipped = False  # at least one line goes back, so return shipping is incurred
    fault_shipped = False

    for requested in request.lines:
        line = order.line(requested.line_id)
        decision = _decide(
            order,
            line,
            policy,
            request.requested_at,
            previous,
            requested.reason,
            requested.resolution,
            requested.quantity,
        )
        is_fault = requested.reason in FAULT_REASONS
        faults[line.line_id] = is_fault
        units = requested.quantity if decision.eligible else 0
        shipped = shipped or decision.eligible
        fault_shipped = fault_shipped or (decision.eligible and is_fault)
        extra: list[Reason] = []
        findings: LineFindings | None = None
        eligible = decision.eligible
        if eligible and inspection is not None:
            findings = inspection.lines.get(line.line_id)
            received = 0 if findings is None else min(findings.received_qty, requested.quantity)
            if received == 0:
                extra.append(reason("not_received", r.NOT_RECEIVED))
            elif received < requested.quantity:
                extra.append(
                    reason(
                        "fewer_received",
                        r.FEWER_RECEIVED,
                        received=str(received),
                        requested=str(requested.quantity),
                    )
                )
            units = received
            if findings is not None and not is_fault:
                # Fault claims are not blocked by exclusions or the condition check.
                failed = [
                    q
                    for q in decision.checklist
                    if q.breaks_intact and findings.answers.get(q.code) is False
                ]
                assessment = assess_product(pack, line.product)
                for question in failed:
                    if question.code == "seal_intact" and assessment.seal_failure is not None:
                        extra.append(assessment.seal_failure)
                    else:
                        # RULES.md cn-7day "the goods must be intact".
                        extra.append(
                            reason(
                                "not_intact",
                                r.NOT_INTACT,
                                question=question.text,
                                question_code=question.code,
                            )
                        )
                if failed:
                    units = 0
                    eligible = False
        decisions.append(
            replace(
                decision,
                eligible=eligible,
                statutory=decision.statutory and eligible,
                reasons=decision.reasons + tuple(extra),
            )
        )

        before = previous.get(line.line_id, 0)
        items = unit_share(paid[line.line_id], line.quantity, before, units) if units else 0
        tax = unit_share(line.tax, line.quantity, before, units) if units else 0
        refund_lines.append(RefundLine(line.line_id, units, items, tax, requested.resolution))
        if not units:
            continue
        refunded[line.line_id] = units

        line_value = items + tax
        statutory = decision.statutory
        diminished = 0 if findings is None else findings.diminished_value
        # RULES.md eu-14day: the consumer is liable for diminished value. cn-7day knows only
        # intact / not intact inside the statutory right, so there it applies outside it only.
        if diminished and not is_fault and (pack.code == EU_14DAY or not statutory):
            amount = min(diminished, line_value)
            line_deductions.append(
                (
                    "diminished_value",
                    line.line_id,
                    amount,
                    reason(
                        "diminished_value",
                        r.DIMINISHED_VALUE,
                        amount=format_money(amount, currency),
                    ),
                )
            )
            line_value -= amount
        fee = policy.restocking_fee_for(line.product.category)
        if fee is not None and not is_fault and not statutory:
            # RULES.md "Merchant rules": a restocking fee only where the law does not apply.
            if fee.percent is not None:
                wanted = _ceil_percent(items, fee.percent)
            else:
                wanted = (fee.fixed or 0) * units
            amount = min(wanted, line_value)
            if amount:
                line_deductions.append(
                    (
                        "restocking_fee",
                        line.line_id,
                        amount,
                        reason(
                            "restocking_fee",
                            r.RESTOCKING_FEE,
                            amount=format_money(amount, currency),
                        ),
                    )
                )

    ledger = _Ledger(currency, 0, [], [])
    refund_notes: list[Reason] = []

    # RULES.md eu-14day: reimburse the standard delivery cost when the whole order is withdrawn.
    shipping = 0
    if pack.code == EU_14DAY and refunded:
        whole_order = all(
            previous.get(line.line_id, 0) + refunded.get(line.line_id, 0) >= line.quantity
            for line in order.lines
            if line.gift_of is None
        )
        covered = all(d.statutory or faults[d.line_id] for d in decisions if d.line_id in refunded)
        if whole_order and covered:
            shipping = min(order.shipping_paid, order.standard_shipping)
            if shipping:
                refund_notes.append(
                    reason(
                        "standard_delivery_refunded",
                        r.STANDARD_DELIVERY_REFUNDED,
                        amount=format_money(shipping, currency),
                    )
                )

    ledger.running = sum(line.items + line.tax for line in refund_lines) + shipping
    for code, line_id, amount, why in line_deductions:
        ledger.deduct(code, line_id, amount, why)

    # RULES.md cn-7day "Gifts": gifts go back with the item, or are charged at their stated value.
    if pack.code == CN_7DAY:
        for gift in order.lines:
            main_id = gift.gift_of
            if main_id is None or main_id not in refunded or not gift.gift_value:
                continue
            main = order.line(main_id)
            # Gifts follow the main line's units, rounded down: never charge for a gift the
            # customer may keep with the units they keep.
            owed_total = (
                gift.quantity * (previous.get(main_id, 0) + refunded[main_id]) // main.quantity
            )
            owed = max(owed_total - previous.get(gift.line_id, 0), 0)
            if inspection is None:
                back = requested_qty.get(gift.line_id, 0)
            else:
                main_findings = inspection.lines.get(main_id)
                gift_findings = inspection.lines.get(gift.line_id)
                back = 0 if gift_findings is None else gift_findings.received_qty
                if (
                    main_findings is not None
                    and main_findings.answers.get("gifts_returned") is False
                ):
                    back = 0
            missing = max(owed - back, 0)
            if missing:
                amount = missing * gift.gift_value
                ledger.deduct(
                    "gift_not_returned",
                    gift.line_id,
                    amount,
                    reason(
                        "gift_not_returned",
                        r.GIFT_NOT_RETURNED,
                        missing=str(missing),
                        gift_line=gift.line_id,
                        amount=format_money(amount, currency),
                    ),
                )

    goods_value = sum(paid[line.line_id] for line in order.lines if line.gift_of is None)
    if shipped:
        free: Reason | None = None
        if policy.return_shipping_paid_by == "merchant":
            free = reason("free_return_shipping", r.FREE_RETURN_SHIPPING_MERCHANT)
        elif fault_shipped:
            # The shop must take a faulty item back at its own cost anyway.
            free = reason("free_return_shipping", r.FREE_RETURN_SHIPPING_FAULT)
        elif pack.code == EU_14DAY and not order.return_costs_disclosed:
            # RULES.md eu-14day: the shop bears the cost if it did not say so beforehand.
            free = reason("free_return_shipping", r.FREE_RETURN_SHIPPING_UNDISCLOSED)
        elif policy.free_return_above is not None and goods_value >= policy.free_return_above:
            free = reason(
                "free_return_shipping",
                r.FREE_RETURN_SHIPPING_ABOVE,
                threshold=format_money(policy.free_return_above, currency),
            )
        if free is not None:
            refund_notes.append(free)
        else:
            cost = request.label_cost if request.label_cost is not None else policy.label_cost
            ledger.deduct(
                "return_label_cost",
                None,
                cost,
                reason(
                    "return_label_cost", r.RETURN_LABEL_COST, amount=format_money(cost, currency)
                ),
            )

    # RULES.md cn-7day "Money": a free-shipping condition broken by the return lets the shop
    # deduct the original shipping fee, once per order.
    threshold = order.free_shipping_threshold
    if pack.code == CN_7DAY and threshold is not None and order.shipping_paid == 0:
        returned_before = sum(
            unit_share(paid[line.line_id], line.quantity, 0, previous.get(line.line_id, 0))
            for line in order.lines
            if line.gift_of is None
        )
        # Faulty goods coming back are the shop's doing, not the customer's choice.
        returned_now = sum(
            rl.items
            for rl in refund_lines
            if order.line(rl.line_id).gift_of is None and not faults[rl.line_id]
        )
        kept_before = goods_value - returned_before
        kept_after = kept_before - returned_now
        if kept_before >= threshold > kept_after and order.standard_shipping:
            ledger.deduct(
                "free_shipping_threshold_broken",
                None,
                order.standard_shipping,
                reason(
                    "free_shipping_threshold_broken",
                    r.FREE_SHIPPING_THRESHOLD_BROKEN,
                    threshold=format_money(threshold, currency),
                    amount=format_money(order.standard_shipping, currency),
                ),
            )

    total = ledger.running
    refund_notes.extend(ledger.notes)

    bonus = 0
    if policy.store_credit_bonus_percent:
        per_line_deducted: dict[str, int] = {}
        for d in ledger.deductions:
            if d.line_id is not None:
                per_line_deducted[d.line_id] = per_line_deducted.get(d.line_id, 0) + d.amount
        credit = sum(
            max(rl.items + rl.tax - per_line_deducted.get(rl.line_id, 0), 0)
            for rl in refund_lines
            if rl.resolution == Resolution.STORE_CREDIT
        )
        # Bonus on what actually goes to store credit, rounded down, never on more than the total.
        bonus = min(credit, total) * policy.store_credit_bonus_percent // 100
        if bonus:
            refund_notes.append(
                reason(
                    "store_credit_bonus", r.STORE_CREDIT_BONUS, amount=format_money(bonus, currency)
                )
            )

    due_by: date | None = None
    if refunded:
        days = policy.refund_within_days or pack.refund_days
        if pack.refund_counts_from_receipt:
            if inspection is not None:
                due_by = pack.last_day(
                    local_date(inspection.received_at, tz), days, policy.holidays
                )
            else:
                refund_notes.append(
                    reason("refund_due_after_receipt", r.REFUND_DUE_AFTER_RECEIPT, days=str(days))
                )
        else:
            due_by = pack.last_day(local_date(request.requested_at, tz), days, policy.holidays)
            send_by = pack.last_day(
                local_date(request.requested_at, tz), pack.days, policy.holidays
            )
            refund_notes.append(
                reason("send_back_within", r.SEND_BACK_WITHIN, last_day=send_by.isoformat())
            )
        if due_by is not None:
            refund_notes.append(
                reason("refund_due_by", r.REFUND_DUE_BY, due_date=due_by.isoformat())
            )
        refund_notes.append(reason("refund_same_means", r.REFUND_SAME_MEANS))

    review_reasons: list[Reason] = []
    if request.method not in policy.methods:
        review_reasons.append(
            reason("method_not_allowed", r.METHOD_NOT_ALLOWED, method=request.method.value)
        )
    if (
        policy.abuse_max_returns is not None
        and order.customer_recent_returns >= policy.abuse_max_returns
    ):
        # RULES.md: more than N returns in the look-back period -> this one would be N+1.
        review_reasons.append(
            reason(
                "abuse_review",
                r.ABUSE_REVIEW,
                count=str(order.customer_recent_returns),
                days=str(policy.abuse_within_days),
            )
        )

    breakdown = RefundBreakdown(
        currency=currency,
        lines=tuple(refund_lines),
        shipping=shipping,
        deductions=tuple(ledger.deductions),
        total=total,
        bonus_credit=bonus,
        approval=_approval(policy, total),
        refund_due_by=due_by,
        reasons=tuple(refund_notes),
    )
    return Evaluation(
        order_number=order.number,
        policy_version=policy.version,
        policy_digest=policy.digest,
        pack=policy.pack,
        decisions=tuple(decisions),
        refund=breakdown,
        needs_review=bool(review_reasons),
        reasons=tuple(review_reasons),
    )
