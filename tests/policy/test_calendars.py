"""Calendar arithmetic in the store's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from returns_portal.policy import add_months, end_of_day, local_date, roll_to_working_day


def test_adding_months_clamps_to_the_end_of_a_shorter_month():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 2, 28), 12) == date(2028, 2, 28)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 11, 20), 12) == date(2027, 11, 20)


def test_rolling_skips_weekends_and_listed_holidays_only():
    assert roll_to_working_day(date(2026, 11, 20), set()) == date(2026, 11, 20)  # Friday
    assert roll_to_working_day(date(2026, 11, 21), set()) == date(2026, 11, 23)  # Saturday
    holidays = {date(2026, 12, 25), date(2026, 12, 28)}
    assert roll_to_working_day(date(2026, 12, 25), holidays) == date(2026, 12, 29)


def test_the_end_of_a_day_is_the_next_local_midnight_in_utc_even_across_dst():
    berlin = ZoneInfo("Europe/Berlin")
    # Clocks went back on 25 Oct 2026: that day has 25 hours, and midnight after it is +01:00.
    assert end_of_day(date(2026, 10, 25), berlin) == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert end_of_day(date(2026, 10, 24), berlin) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)


def test_local_dates_need_an_aware_moment():
    shanghai = ZoneInfo("Asia/Shanghai")
    assert local_date(datetime(2026, 11, 10, 17, 0, tzinfo=UTC), shanghai) == date(2026, 11, 11)
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 11, 10, 17, 0), shanghai)
