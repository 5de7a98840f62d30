"""Money arithmetic in integer minor units: allocation, per-unit shares, formatting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel.numbers import get_currency_precision

from returns_portal.policy.facts import OrderFacts

# How many decimals a currency's minor unit has: ISO 4217 as CLDR (babel) records it, where
# the payment provider counts minor units differently (Stripe's API takes HUF in 1/100 forint
# though it has no coins below 1) its count wins, since amounts come from and go to it.
PROVIDER_DIGITS = {"HUF": 2}


@dataclass(frozen=True, order=True)
class Money:
    """An amount in integer minor units of its currency; formatted only for people."""

    amount: int
    currency: str  # upper-case ISO 4217

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)

    @property
    def major(self) -> Decimal:
        """The amount in major units, exactly: Money(12900, "CNY").major == Decimal("129.00")."""
        return Decimal(self.amount).scaleb(-minor_digits(self.currency))


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` by `weights` (largest remainder); the parts sum exactly to `total`."""
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total != 0:
            raise ValueError(f"cannot allocate {total} over zero weights")
        return [0 for _ in weights]
    parts = [total * weight // weight_sum for weight in weights]
    remainders = [total * weight % weight_sum for weight in weights]
    leftover = total - sum(parts)
    # Largest remainder first; ties go to the earliest index so the result is deterministic.
    # Zero weights have remainder 0 and there are always enough positive remainders.
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in order[:leftover]:
        parts[index] += 1
    return parts


def unit_share(amount: int, quantity: int, before: int, count: int) -> int:
    """Return the part of `amount` (for `quantity` units) due for `count` units after `before`.

    Telescoping floor: floor(A*(before+count)/q) - floor(A*before/q). Any sequence of partial
    returns adds up to at most `amount`, and to exactly `amount` once all units are back.
    """
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    if before < 0 or count < 0 or before + count > quantity:
        raise ValueError(f"cannot take {count} units after {before} of {quantity}")
    return amount * (before + count) // quantity - amount * before // quantity


def line_paid_amounts(order: OrderFacts) -> dict[str, int]:
    """Return what was paid for each line's goods: its price less its discounts (no tax)."""
    # The order discount is spread over the lines that were sold, pro rata to their price;
    # free gifts carry none of it.
    weights = [line.gross if line.gift_of is None else 0 for line in order.lines]
    if sum(weights) == 0:
        shares = [0 for _ in order.lines]
    else:
        shares = allocate(order.order_discount, weights)
    return {
        line.line_id: line.gross - share for line, share in zip(order.lines, shares, strict=True)
    }


def order_discount_share(order: OrderFacts, line_id: str, before: int, count: int) -> int:
    """Return the part of the order discount (a coupon) that `count` units of the line, after
    `before` returned earlier, carried: their price after the line's own discount, less what
    was paid for them. It is what their refund lacks of the price the customer saw."""
    line = order.line(line_id)
    paid = line_paid_amounts(order)[line_id]
    return unit_share(line.gross, line.quantity, before, count) - unit_share(
        paid, line.quantity, before, count
    )


@cache
def minor_digits(currency: str) -> int:
    """Return how many decimals `currency`'s minor unit has (2 when babel doesn't know it)."""
    code = currency.upper()
    return PROVIDER_DIGITS.get(code, int(get_currency_precision(code)))


def format_money(amount: int, currency: str) -> str:
    """Format minor units for people, e.g. 12900 CNY -> "CNY 129.00"."""
    digits = minor_digits(currency)
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if digits == 0:
        return f"{currency} {sign}{value}"
    major, minor = divmod(value, 10**digits)
    return f"{currency} {sign}{major}.{minor:0{digits}d}"
