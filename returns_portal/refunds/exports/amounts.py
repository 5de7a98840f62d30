"""Amounts as finance types and reads them: major units in, major units out, per currency."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from babel.numbers import list_currencies
from sqlalchemy import ColumnElement, and_, or_

from returns_portal.policy.money import minor_digits
from returns_portal.refunds.models import Refund


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


def amount_bound(major: Decimal, lower: bool) -> ColumnElement[bool]:
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
