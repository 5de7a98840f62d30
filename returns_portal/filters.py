"""Template filters: money and dates in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, get_locale

from returns_portal.policy import format_money
from returns_portal.policy.money import Money
from returns_portal.returns.reasons import (
    EVENT_LABELS,
    METHOD_LABELS,
    MONEY_LABELS,
    REASON_LABELS,
    RESOLUTION_LABELS,
    STATUS_LABELS,
    explain,
    reason_label,
)
from returns_portal.store.identity import store_name, store_timezone


def money(amount: int, currency: str) -> str:
    """Format integer minor units in the reader's locale, e.g. ¥106.60 or 106,60 €; the
    policy's currency table says how many decimals the minor unit has."""
    try:
        return str(format_currency(Money(amount, currency).major, currency))
    except Exception:  # an unknown currency still reads sensibly
        return format_money(amount, currency)


def day(value: date | str | None, style: str = "long") -> str:
    """Format a date (or ISO date string) in the reader's locale."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return str(format_date(value, style))


def moment(value: datetime | None, style: str = "short") -> str:
    """Format a point in time in the store's time zone and the reader's locale."""
    return "" if value is None else str(format_datetime(value, style))


def masked_code(code: str) -> str:
    """Show a store-credit code by its last group only: SC-••••-••••-8KGD."""
    groups = code.split("-")
    return (
        "-".join([groups[0], *("••••" for _ in groups[1:-1]), groups[-1]])
        if len(groups) > 2
        else "••••"
    )


def init_app(app: Flask) -> None:
    """Register the filters and the label dictionaries with Jinja."""
    app.jinja_env.filters.update(money=money, day=day, moment=moment, reason=reason_label,
                                 masked_code=masked_code)  # fmt: skip
    app.jinja_env.globals.update(
        REASON_LABELS=REASON_LABELS,
        RESOLUTION_LABELS=RESOLUTION_LABELS,
        METHOD_LABELS=METHOD_LABELS,
        MONEY_LABELS=MONEY_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        EVENT_LABELS=EVENT_LABELS,
        explain=explain,
        store_name=store_name,
        store_timezone=store_timezone,
    )

    @app.context_processor
    def locale_context() -> dict[str, Any]:
        return {"locale": str(get_locale() or "en")}
