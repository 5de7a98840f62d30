"""Line decisions: may this line be returned now, for this reason, and how (RULES.md).

The pack sets the floor; the merchant's windows, final-sale marks and resolutions are laid
over it and never below it.

Over 400 lines on purpose: one line's decision (window, exclusions, gift following its item,
reasons, resolutions, methods) is one walk through RULES.md, and its steps share the window
they work out; the reasons they give only make sense read in that order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from returns_portal.policy import reasons as r
from returns_portal.policy.calendars import add_months, end_of_day, local_date, roll_to_working_day
from returns_portal.policy.document import Policy
from returns_portal.policy.errors import ErrorCollector
from returns_portal.policy.facts import (
    FAULT_REASONS,
    OrderFacts,
    OrderLine,
    Resolution,
    ReturnMethod,
    ReturnReason,
    ReturnRequest,
    require_aware,
)
from returns_portal.policy.packs import (
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
            "last_day": iso(self.last_day),
            "closes_at": iso(self.closes_at),
            "defect_last_day": iso(self.defect_last_day),
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


def iso(value: date | datetime | None) -> str | None:
    """Return ISO text for a date or datetime, or None."""
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
                last_day=statutory_last,
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
                days=merchant_days,
                last_day=candidate,
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
                ordered_from=ext.ordered_from,
                ordered_to=ext.ordered_to,
                return_by=ext.return_by,
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


def _gift_parent(order: OrderFacts, line: OrderLine) -> OrderLine:
    """Return the line whose window and eligibility `line` follows: its item, if it is a gift."""
    if line.gift_of is None:
        return line
    return order.line(line.gift_of)


def decide_line(
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
    remaining = max(line.quantity - previously_returned.get(line.line_id, 0), 0)
    said: list[Reason] = []
    # RULES.md cn-7day "Gifts": the item and its gifts go back together, so a free gift is
    # judged as the item it came with: that item's parcel, windows, exclusions and final-sale
    # mark (a gift signed for before its item must not be refused while the item is not).
    # Only the units, and the gift's own condition checklist, stay the gift's.
    basis = _gift_parent(order, line)
    product = basis.product

    # RULES.md cn-7day counts per line from its own parcel; eu-14day from the order's last parcel.
    if pack.counts_from_last_parcel:
        delivered_at = _order_delivered_at(order)
    else:
        delivered_at = _line_delivered_at(order, basis)

    assessment = assess_product(pack, product)
    excluded = bool(assessment.exclusions)
    final_sale = product.final_sale or product.sku in policy.final_sale_skus

    windows = _windows(order, basis, policy, at, delivered_at)
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
            said.append(reason("window_open", r.WINDOW_OPEN_BEFORE_DELIVERY, days=pack.days))
        else:
            said.append(reason("not_delivered", r.NOT_DELIVERED))
    elif last_day is not None:
        if no_reason_ok:
            said.append(reason("window_open", r.WINDOW_OPEN, last_day=last_day))
        elif window_days is not None:
            said.append(
                reason(
                    "window_closed",
                    r.WINDOW_CLOSED,
                    days=window_days,
                    last_day=last_day,
                )
            )
        else:
            said.append(reason("window_closed", r.WINDOW_CLOSED_ON, last_day=last_day))
    if statutory:
        if final_sale and statutory_last is not None:
            said.append(
                reason(
                    "statutory_right",
                    r.STATUTORY_RIGHT_OVER_FINAL_SALE,
                    last_day=statutory_last,
                )
            )
        elif statutory_last is not None:
            # Name the statutory last day: past it, a longer merchant window still takes the
            # item back, but on the merchant's terms (fees, exchange-only), not the law's.
            said.append(
                reason(
                    "statutory_right",
                    r.STATUTORY_RIGHT_UNTIL,
                    days=pack.days,
                    pack=pack.code,
                    last_day=statutory_last,
                )
            )
        else:
            said.append(
                reason("statutory_right", r.STATUTORY_RIGHT, days=pack.days, pack=pack.code)
            )
    if final_sale and not statutory and not excluded and delivered_at is not None:
        said.append(reason("final_sale", r.FINAL_SALE))
    if not excluded and not final_sale and windows.extension is not None:
        said.append(windows.extension)
    said.extend(assessment.exclusions)
    # Notes are about the line's own condition (e.g. keep the seal unbroken): a gift's own.
    said.extend(assessment.notes if basis is line else assess_product(pack, line.product).notes)

    if defect_last is not None and (is_fault or (return_reason is None and defect_open)):
        template = r.DEFECT_WINDOW if defect_open else r.DEFECT_WINDOW_CLOSED
        code = "defect_window" if defect_open else "defect_window_closed"
        said.append(reason(code, template, last_day=defect_last))
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
                requested=quantity,
                remaining=remaining,
            )
        )

    resolutions = _resolutions(policy, basis, statutory, fault_only)
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
        checklist=line_checklist(pack, line.product, return_reason),
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
    return tuple(decide_line(order, line, policy, at, previously_returned) for line in order.lines)
