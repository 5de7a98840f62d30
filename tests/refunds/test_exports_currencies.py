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
from returns_portal.policy import Money, Reason, format_money
from returns_portal.policy.money import minor_digits
from returns_portal.refunds import exports
from returns_portal.returns.reasons import explain


@pytest.mark.parametrize(
    ("currency", "page"), [("VND", "₫380"), ("CNY", "CN¥3.80"), ("BHD", "BHD0.380")]
)
def test_the_pages_count_decimals_by_the_policys_one_table(app, currency, page):
    with app.test_request_context(), force_locale("en"):
        assert filters.money(380, currency).replace("\xa0", " ") == page


@pytest.mark.parametrize("currency", ["JPY", "KRW", "VND", "CLP", "ISK"])
def test_a_zero_decimal_amount_is_whole_units_everywhere(currency):
    assert minor_digits(currency) == 0
    assert format_money(380, currency) == f"{currency} 380"
    assert exports.to_major(380, currency) == "380.00"
    assert exports.to_minor(Decimal("380"), currency) == 380
    with pytest.raises(ValueError):
        exports.to_minor(Decimal("3.80"), currency)


@pytest.mark.parametrize(
    "stored",
    [
        {"amount": {"amount": 380, "currency": "VND"}},  # typed, as the engine writes it now
        {"amount": "VND 380"},  # a row stored when the engine wrote display strings
    ],
)
def test_a_deduction_sentence_names_the_amount_the_breakdown_shows(app, stored):
    template = "The return shipping label costs {amount}, deducted from the refund."
    reason = Reason.from_dict({"code": "return_label_cost", "message": template, "params": stored})
    assert reason.params["amount"] == Money(380, "VND")
    with app.test_request_context(), force_locale("en"):
        assert filters.money(380, "VND") in explain(reason)


def test_two_decimal_currencies_keep_their_cents():
    assert format_money(380, "CNY") == "CNY 3.80"
    assert exports.to_major(380, "EUR") == "3.80"
    assert exports.to_minor(Decimal("3.80"), "EUR") == 380


def test_a_three_decimal_currency_keeps_its_fils_in_the_file():
    assert minor_digits("BHD") == 3
    assert exports.to_major(1250, "BHD") == "1.250"
    assert exports.to_minor(Decimal("1.250"), "BHD") == 1250
    with pytest.raises(ValueError):
        exports.to_minor(Decimal("1.2505"), "BHD")
