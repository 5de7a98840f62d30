"""The accounting CSV: one row per line and deduction, adding up to each refund.

Nothing here changes a refund; these are queries for pages and exports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from returns_portal.extensions import db
from returns_portal.orders.models import Order, OrderLine
from returns_portal.refunds.exports.amounts import to_major
from returns_portal.refunds.exports.refund_file import describe_line, order_lines
from returns_portal.refunds.models import Refund
from returns_portal.refunds.settlement import PART_OF_METHOD, part_entries
from returns_portal.refunds.snapshots import RefundSnapshot, SettlementSnapshot, breakdown_of
from returns_portal.returns.models import Return
from returns_portal.store.identity import store_timezone

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
        for code, description, amount in _entries(refund, order_lines(order)):
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
    breakdown = breakdown_of(refund.breakdown)
    money = breakdown.refund
    if money.total is None:  # e.g. a refund made in the Stripe dashboard: no breakdown
        yield "", breakdown.source or "refund", refund.amount
        return
    if breakdown.settlement is not None:
        yield from _part_entries(refund, money, breakdown.settlement, by_ref)
        return
    for line in money.lines:  # a row written before settlements were split
        description = f"{describe_line(by_ref.get(line.line_id), line.line_id)} x{line.quantity}"
        yield line.line_id, description, line.value
    if money.shipping:
        yield "shipping", "Shipping refunded", money.shipping
    for deduction in money.deductions:
        yield deduction.code, deduction.reason.text, -deduction.amount
    if refund.amount != money.total:  # finance adjusted the policy's total
        yield "adjustment", "Adjusted by finance", refund.amount - money.total


PART_WORDS = {"shipping": "Shipping refunded"}


def _part_entries(
    refund: Refund, money: RefundSnapshot, settlement: SettlementSnapshot,
    by_ref: dict[str, OrderLine],
) -> Iterator[tuple[str, str, int]]:  # fmt: skip
    """Entries for one part of a split settlement: they add up to that part, not the total.

    For an exchange charge the signs are those of money coming in: the new items count up,
    what came back counts down.
    """
    reasons = {(d.code, d.line_id): d.reason.text for d in money.deductions}
    quantities = {line.line_id: line.quantity for line in money.lines}
    prices = settlement.exchange_prices
    split = money.model_dump()  # the settlement's arithmetic reads the stored form
    entries = part_entries(split, prices, PART_OF_METHOD[refund.method])
    if not entries and refund.method == "original_payment":
        # A return that settles to nothing keeps a zero card row; its lines (all in the
        # credit part, which came to nothing too) say why, so the refund is in the export.
        entries = part_entries(split, prices, "credit")
    total = 0
    for code, line_id, amount in entries:
        total += amount
        if code == "line":
            described = describe_line(by_ref.get(line_id or ""), line_id or "")
            yield line_id or "", f"{described} x{quantities.get(line_id or '', 0)}", amount
        elif code == "exchange_new_items":
            described = describe_line(by_ref.get(line_id or ""), line_id or "")
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
    return ZoneInfo(store_timezone())
