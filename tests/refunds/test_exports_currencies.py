"""Zero-decimal currencies read the same in the policy's sentences, the CSV and the pages.

The pages' money filter writes VND, CLP and ISK without decimals (ISO 4217); the policy and
the CSV counted them with two, so 380 dong read "VND 3.80" in a reason, "3.80" in the CSV
(and a finance adjustment of "380" became 38,000 dong).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from returns_portal import filters
from returns_portal.policy import Reason, format_money
from returns_portal.policy.money import ZERO_DECIMAL_CURRENCIES, minor_digits
from returns_portal.refunds import exports
from returns_portal.returns.reasons import explain


def test_the_policy_counts_decimals_as_the_pages_do():
    assert set(filters.ZERO_DECIMAL) <= ZERO_DECIMAL_CURRENCIES


@pytest.mark.parametrize("currency", ["JPY", "KRW", "VND", "CLP", "ISK"])
def test_a_zero_decimal_amount_is_whole_units_everywhere(currency):
    assert minor_digits(currency) == 0
    assert format_money(380, currency) == f"{currency} 380"
    assert exports.to_major(380, currency) == "380.00"
    assert exports.to_minor(Decimal("380"), currency) == 380
    with pytest.raises(ValueError):
        exports.to_minor(Decimal("3.80"), currency)


def test_a_deduction_sentence_names_the_amount_the_breakdown_shows(app):
    reason = Reason(
        "return_label_cost",
        "The return shipping label costs {amount}, deducted from the refund.",
        {"amount": format_money(380, "VND")},
    )
    with app.test_request_context(), force_locale("en"):
        assert filters.money(380, "VND") in explain(reason)


def test_two_decimal_currencies_keep_their_cents():
    assert format_money(380, "CNY") == "CNY 3.80"
    assert exports.to_major(380, "EUR") == "3.80"
    assert exports.to_minor(Decimal("3.80"), "EUR") == 380
