"""Calendar arithmetic in the store's time zone."""

from __future__ import annotations

import calendar
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from returns_portal.policy.facts import require_aware


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """Return the calendar date of the aware `moment` in `tz`."""
    require_aware(moment, "moment")
    return moment.astimezone(tz).date()


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """Return the first instant after `day` in `tz` (the next local midnight), in UTC.

    A window that lasts "until the end of `day`" is open while ``at < end_of_day(day, tz)``.
    """
    # Where a DST jump skips midnight, zoneinfo maps the missing 00:00 (fold=0) to the moment
    # of the jump, which is still the first instant of the next day.
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Say whether `day` is neither a Saturday, a Sunday nor a listed public holiday."""
    return day.weekday() < 5 and day not in holidays


def roll_to_working_day(day: date, holidays: Collection[date]) -> date:
    """Return `day`, or the next working day if it is a weekend day or a holiday."""
    # RULES.md eu-14day / Reg. 1182/71 Art. 3(4): a period ending on a Saturday, Sunday or
    # public holiday runs to the end of the next working day.
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """Add calendar months to `day`, clamping to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
