"""Finance's read side of refunds: the approval queue, one refund's file, the accounting CSV.

Nothing here changes a refund; approving, adjusting and denying go through services.py.
These are queries for pages and exports, kept out of the views so they stay thin.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import list_currencies
from flask import current_app
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload

from returns_portal.accounts.models import User
from returns_portal.extensions import db
from returns_portal.orders.models import Order, OrderLine
from returns_portal.policy import Reason
from returns_portal.policy.money import Money, minor_digits
from returns_portal.receiving.models import Inspection
from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.refunds.services import approvals_needed
from returns_portal.refunds.settlement import PART_OF_METHOD, part_entries
from returns_portal.returns.models import Return, ReturnItem
from returns_portal.store.models import PolicyVersion
from returns_portal.types import utcnow

QUEUE_DEFAULT = (RefundStatus.PROPOSED.value, RefundStatus.FAILED.value)
QUEUE_LIMIT = 500  # rows on one page; the totals always cover the whole filtered set
METHODS = ("original_payment", "store_credit", "exchange_charge")

# --- money ---------------------------------------------------------------------------------


def to_minor(value: Decimal, currency: str) -> int:
    """Convert major units (12.34) to `currency`'s minor units (1234); refuse finer amounts."""
    scaled = value.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} amounts have at most {minor_digits(currency)} decimals")
    return int(scaled)


def to_major(amount: int, currency: str) -> str:
    """Write minor units as major units for spreadsheets, with at least two decimals and as
    many as the currency has: 1234 CNY -> "12.34", 380 JPY -> "380.00", 1250 BHD -> "1.250"."""
    digits = minor_digits(currency)
    return f"{Decimal(amount).scaleb(-digits):.{max(2, digits)}f}"


def _amount_bound(major: Decimal, lower: bool) -> ColumnElement[bool]:
    """Compare each refund's amount with `major` units of its own currency."""
    rounding = ROUND_CEILING if lower else ROUND_FLOOR
    by_digits: dict[int, list[str]] = {}
    for code in list_currencies():
        by_digits.setdefault(minor_digits(code), []).append(code)
    conditions = []
    for digits, currencies in by_digits.items():
        bound = int(major.scaleb(digits).to_integral_value(rounding))
        # Currencies babel doesn't list have 2 decimals, like most.
        in_group = (
            or_(Refund.currency.in_(currencies), Refund.currency.not_in(list_currencies()))
            if digits == 2
            else Refund.currency.in_(currencies)
        )
        compare = Refund.amount >= bound if lower else Refund.amount <= bound
        conditions.append(and_(in_group, compare))
    return or_(*conditions)


# --- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """What the finance user asked to see; amounts are major units of each refund's currency."""

    statuses: tuple[str, ...] = QUEUE_DEFAULT
    older_than_days: int | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    method: str | None = None
    ids: tuple[int, ...] | None = None

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.statuses:
            found.append(Refund.status.in_(self.statuses))
        if self.older_than_days is not None:
            found.append(Refund.created_at <= now - timedelta(days=self.older_than_days))
        if self.min_amount is not None:
            found.append(_amount_bound(self.min_amount, lower=True))
        if self.max_amount is not None:
            found.append(_amount_bound(self.max_amount, lower=False))
        if self.method:
            found.append(Refund.method == self.method)
        if self.ids is not None:
            found.append(Refund.id.in_(self.ids))
        return found


@dataclass(frozen=True)
class QueueRow:
    """One refund as the queue shows it."""

    refund: Refund
    return_number: str | None
    order_number: str
    email: str
    age_days: int
    approvals: int
    needed: int


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    totals: dict[str, int]  # per currency, over the whole filtered set
    count: int

    @property
    def truncated(self) -> bool:
        return self.count > len(self.rows)


def refund_queue(wanted: QueueFilter, limit: int = QUEUE_LIMIT) -> Queue:
    """Return the refunds matching `wanted`, oldest first, with totals per currency."""
    now = utcnow()
    conditions = wanted.conditions(now)
    rows = db.session.execute(
        select(Refund, Return.number, Order.number, Order.email)
        .outerjoin(Return, Return.id == Refund.return_id)
        .join(Order, Order.id == Refund.order_id)
        .where(*conditions)
        .options(selectinload(Refund.approvals))
        .order_by(Refund.created_at, Refund.id)
        .limit(limit)
    ).all()
    sums = db.session.execute(
        select(Refund.currency, func.sum(Refund.amount), func.count(Refund.id))
        .where(*conditions)
        .group_by(Refund.currency)
        .order_by(Refund.currency)
    ).all()
    return Queue(
        rows=[
            QueueRow(
                refund=refund,
                return_number=return_number,
                order_number=order_number,
                email=email,
                age_days=max(0, (now - refund.created_at).days),
                approvals=sum(1 for a in refund.approvals if a.decision == "approve"),
                needed=approvals_needed(refund),
            )
            for refund, return_number, order_number, email in rows
        ],
        totals={currency: int(total or 0) for currency, total, _ in sums},
        count=sum(int(n) for _, _, n in sums),
    )


# --- one refund's file ---------------------------------------------------------------------


def reason_of(data: dict[str, Any]) -> Reason:
    """Rebuild a policy Reason from its stored form, so `explain` can word it for the reader."""
    return Reason.from_dict(data)


@dataclass(frozen=True)
class Line:
    line_id: str
    description: str
    quantity: int
    amount: int  # goods and tax
    resolution: str


@dataclass(frozen=True)
class Deduction:
    code: str
    line_id: str | None
    amount: int
    reason: Reason


@dataclass(frozen=True)
class Finding:
    """What the warehouse found for one returned item."""

    description: str
    received_qty: int
    answers: list[tuple[str, bool]]  # (question, yes)
    grade: str | None
    disposition: str | None
    disposition_reason: str | None
    diminished_value: int
    notes: str
    photos: list[str]  # storage keys: the customer's photos of the item, then the warehouse's


@dataclass(frozen=True)
class DecisionReasons:
    line_id: str
    description: str
    reasons: list[Reason]


@dataclass(frozen=True)
class RefundFile:
    """Everything finance reads before deciding on one refund."""

    refund: Refund
    rma: Return | None
    order: Order
    lines: list[Line]
    shipping: int
    deductions: list[Deduction]
    total: int | None  # the policy's total; None for refunds made outside the portal
    bonus_credit: int
    approval: str
    refund_due_by: str | None
    policy: str
    findings: list[Finding]
    inspectors: list[str]
    decisions: list[DecisionReasons]
    notes: list[Reason] = field(default_factory=list)
    approvers: dict[int, str] = field(default_factory=dict)  # user id -> email


def _describe(line: OrderLine | None, line_id: str) -> str:
    if line is None:
        return line_id
    return f"{line.product_name} · {line.variant}" if line.variant else line.product_name


def _order_lines(order: Order) -> dict[str, OrderLine]:
    return {line.line_ref: line for line in order.lines}


def _policy_label(refund: Refund) -> str:
    breakdown = refund.breakdown or {}
    version = (
        db.session.get(PolicyVersion, refund.policy_version_id)
        if refund.policy_version_id
        else None
    )
    if version is not None:
        return f"{version.pack} v{version.version} ({version.digest[:12]})"
    if "pack" not in breakdown:
        return ""
    number = breakdown.get("policy_version")
    digest = str(breakdown.get("policy_digest") or "")[:12]
    return f"{breakdown['pack']} v{number} ({digest})" if number is not None else breakdown["pack"]


def _notes(breakdown: dict[str, Any], money: dict[str, Any]) -> list[Reason]:
    """Return the policy's notes, with the bonus the settlement actually issues."""
    notes = [reason_of(r) for r in [*breakdown.get("reasons", []), *money.get("reasons", [])]]
    settlement = breakdown.get("settlement")
    if settlement is None:
        return notes
    # The policy's bonus is before an exchange or a cost takes part of the credit; the
    # settlement's bonus is what is issued, so that is the amount finance must read.
    bonus = int(settlement.get("bonus") or 0)
    amount = Money(bonus, str(money.get("currency") or settlement.get("currency") or ""))
    return [
        Reason(n.code, n.message, {**n.params, "amount": amount})
        if n.code == "store_credit_bonus"
        else n
        for n in notes
        if n.code != "store_credit_bonus" or bonus
    ]


def refund_file(refund: Refund) -> RefundFile:
    """Gather the refund's breakdown, the inspection findings and the policy's reasons."""
    order = db.session.get(Order, refund.order_id)
    assert order is not None
    rma = db.session.get(Return, refund.return_id) if refund.return_id else None
    by_ref = _order_lines(order)
    breakdown = refund.breakdown or {}
    money = breakdown.get("refund") or {}
    checklist: dict[str, str] = {}
    decisions = []
    for decision in breakdown.get("decisions", []):
        line_id = str(decision.get("line_id", ""))
        checklist.update({q["code"]: q["text"] for q in decision.get("checklist", [])})
        decisions.append(
            DecisionReasons(
                line_id,
                _describe(by_ref.get(line_id), line_id),
                [reason_of(r) for r in decision.get("reasons", [])],
            )
        )
    findings: list[Finding] = []
    inspectors: list[str] = []
    if rma is not None:
        items = {item.id: item for item in rma.items}
        inspections = db.session.scalars(
            select(Inspection).where(Inspection.return_id == rma.id).order_by(Inspection.id)
        )
        for inspection in inspections:
            inspectors.append(inspection.inspector)
            for found in inspection.items:
                item: ReturnItem | None = items.get(found.return_item_id)
                findings.append(
                    Finding(
                        description=_describe(item.line if item else None, "?"),
                        received_qty=found.received_qty,
                        answers=[
                            (checklist.get(code, code), bool(yes))
                            for code, yes in (found.answers or {}).items()
                        ],
                        grade=found.grade,
                        disposition=found.disposition,
                        disposition_reason=found.disposition_reason,
                        diminished_value=found.diminished_value,
                        notes=found.notes,
                        photos=[*(item.photos or [] if item else []), *(found.photos or [])],
                    )
                )
    return RefundFile(
        refund=refund,
        rma=rma,
        order=order,
        lines=[
            Line(
                line_id=str(line["line_id"]),
                description=_describe(by_ref.get(str(line["line_id"])), str(line["line_id"])),
                quantity=int(line.get("quantity", 0)),
                amount=int(line.get("items", 0)) + int(line.get("tax", 0)),
                resolution=str(line.get("resolution", "")),
            )
            for line in money.get("lines", [])
        ],
        shipping=int(money.get("shipping") or 0),
        deductions=[
            Deduction(
                code=str(d.get("code", "")),
                line_id=d.get("line_id"),
                amount=int(d.get("amount", 0)),
                reason=reason_of(d.get("reason") or {}),
            )
            for d in money.get("deductions", [])
        ],
        total=int(money["total"]) if "total" in money else None,
        bonus_credit=int(money.get("bonus_credit") or 0),
        approval=str(money.get("approval", "")),
        refund_due_by=money.get("refund_due_by"),
        policy=_policy_label(refund),
        findings=findings,
        inspectors=inspectors,
        decisions=decisions,
        notes=_notes(breakdown, money),
        approvers={
            user_id: email
            for user_id, email in db.session.execute(
                select(User.id, User.email).where(
                    User.id.in_([a.user_id for a in refund.approvals])
                )
            )
        },
    )


# --- the accounting CSV --------------------------------------------------------------------

HEADER = (
    "refund_key",
    "status",
    "created_date",
    "succeeded_date",
    "return_number",
    "order_number",
    "line_or_deduction",
    "description",
    "amount",
    "currency",
    "provider_refund_id",
    "method",
)


class ExportRangeError(ValueError):
    """The export's dates are missing or unreadable; the message says which, in plain words."""


def parse_range(start: str | None, end: str | None) -> tuple[date, date]:
    """Read ?from= and ?to= (YYYY-MM-DD, both included) into dates."""
    if not start or not end:
        raise ExportRangeError("Give both dates: from=YYYY-MM-DD and to=YYYY-MM-DD.")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise ExportRangeError(
            f"Dates are written YYYY-MM-DD, e.g. 2025-03-31; got from={start!r}, to={end!r}."
        ) from None
    if first > last:
        raise ExportRangeError("The 'from' date is after the 'to' date.")
    return first, last


def _cell(text: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheet apps (CSV injection):
    # https://owasp.org/www-community/attacks/CSV_Injection
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_rows(first: date, last: date, zone: ZoneInfo) -> Iterator[tuple[str, ...]]:
    """Yield one row per refund line, shipping, deduction and finance adjustment.

    Refunds are those created from `first` to `last` (days in the store's time zone); the
    rows of one refund add up to the amount refunded.
    """
    since = datetime.combine(first, time.min, zone).astimezone(UTC)
    until = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
    found = db.session.execute(
        select(Refund, Return.number, Order)
        .outerjoin(Return, Return.id == Refund.return_id)
        .join(Order, Order.id == Refund.order_id)
        .where(Refund.created_at >= since, Refund.created_at < until)
        .options(selectinload(Order.lines))
        .order_by(Refund.created_at, Refund.id)
    ).all()

    def local(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(zone).date().isoformat()

    for refund, return_number, order in found:
        for code, description, amount in _entries(refund, _order_lines(order)):
            yield (
                refund.key,
                refund.status,
                local(refund.created_at),
                local(refund.succeeded_at),
                return_number or "",
                _cell(order.number),
                _cell(code),
                _cell(description),
                to_major(amount, refund.currency),
                refund.currency,
                refund.provider_refund_id or "",
                refund.method,
            )


def _entries(refund: Refund, by_ref: dict[str, OrderLine]) -> Iterator[tuple[str, str, int]]:
    """Yield (line id or deduction code, description, signed amount) adding up to the refund."""
    money = (refund.breakdown or {}).get("refund") or {}
    if "total" not in money:  # e.g. a refund made in the Stripe dashboard: no breakdown
        yield "", str((refund.breakdown or {}).get("source") or "refund"), refund.amount
        return
    settlement = (refund.breakdown or {}).get("settlement")
    if settlement is not None:
        yield from _part_entries(refund, money, settlement, by_ref)
        return
    for line in money.get("lines", []):
        line_id = str(line["line_id"])
        description = f"{_describe(by_ref.get(line_id), line_id)} x{line.get('quantity', 0)}"
        yield line_id, description, int(line.get("items", 0)) + int(line.get("tax", 0))
    if money.get("shipping"):
        yield "shipping", "Shipping refunded", int(money["shipping"])
    for deduction in money.get("deductions", []):
        text = str((deduction.get("reason") or {}).get("text") or "")
        yield str(deduction.get("code", "")), text, -int(deduction.get("amount", 0))
    if refund.amount != int(money["total"]):  # finance adjusted the policy's total
        yield "adjustment", "Adjusted by finance", refund.amount - int(money["total"])


PART_WORDS = {"shipping": "Shipping refunded"}


def _part_entries(
    refund: Refund, money: dict[str, Any], settlement: dict[str, Any], by_ref: dict[str, OrderLine]
) -> Iterator[tuple[str, str, int]]:
    """Entries for one part of a split settlement: they add up to that part, not the total.

    For an exchange charge the signs are those of money coming in: the new items count up,
    what came back counts down.
    """
    reasons = {
        (d.get("code"), d.get("line_id")): str((d.get("reason") or {}).get("text") or "")
        for d in money.get("deductions", [])
    }
    quantities = {str(line["line_id"]): line.get("quantity", 0) for line in money.get("lines", [])}
    prices = settlement.get("exchange_prices") or {}
    entries = part_entries(money, prices, PART_OF_METHOD[refund.method])
    if not entries and refund.method == "original_payment":
        # A return that settles to nothing keeps a zero card row; its lines (all in the
        # credit part, which came to nothing too) say why, so the refund is in the export.
        entries = part_entries(money, prices, "credit")
    total = 0
    for code, line_id, amount in entries:
        total += amount
        if code == "line":
            described = _describe(by_ref.get(line_id or ""), line_id or "")
            yield line_id or "", f"{described} x{quantities.get(line_id or '', 0)}", amount
        elif code == "exchange_new_items":
            described = _describe(by_ref.get(line_id or ""), line_id or "")
            yield code, f"New items sent in exchange for {described}", amount
        else:
            yield code, PART_WORDS.get(code) or reasons.get((code, line_id), code), amount
    if refund.amount != total:  # finance adjusted this part
        yield "adjustment", "Adjusted by finance", refund.amount - total


def export_csv(first: date, last: date, zone: ZoneInfo) -> str:
    """Return the CSV text, starting with a byte-order mark so spreadsheet apps read UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(export_rows(first, last, zone))
    return out.getvalue()


def store_zone() -> ZoneInfo:
    """Return the store's time zone, in which export days start and end."""
    return ZoneInfo(current_app.config["STORE_TIMEZONE"])
