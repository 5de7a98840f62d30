"""Policy reasons read naturally in the customer's language."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from returns_portal import policy
from returns_portal.filters import money
from returns_portal.returns.reasons import explain


@pytest.mark.parametrize(
    "amount", [policy.Money(1200, "CNY"), policy.Money(380, "VND"), policy.Money(1250, "BHD")]
)
def test_money_in_a_reason_is_formatted_like_the_rest_of_the_page(app, amount):
    reason = policy.Reason(
        "return_label_cost", "The return shipping label costs {amount}.", {"amount": amount}
    )
    with app.test_request_context(), force_locale("en"):
        page = money(amount.amount, amount.currency)
        assert explain(reason) == f"The return shipping label costs {page}."


def test_a_reason_stored_with_display_strings_reads_as_a_typed_one(app):
    stored = {
        "code": "window_open",
        "message": "You can return this item until {last_day}; the label costs {amount}.",
        "params": {"last_day": "2026-11-29", "amount": "CNY 12.00", "reason": "too_small"},
    }
    reason = policy.Reason.from_dict(stored)
    assert reason.params == {
        "last_day": date(2026, 11, 29), "amount": policy.Money(1200, "CNY"),
        "reason": "too_small",
    }  # fmt: skip
    assert policy.Reason.from_dict(reason.to_dict()) == reason  # the typed form round-trips
    with app.test_request_context(), force_locale("en"):
        assert explain(reason) == (
            "You can return this item until November 29, 2026; the label costs CN¥12.00."
        )


def test_codes_in_a_reason_become_words(app):
    reason = policy.Reason(
        "resolution_not_allowed", "{resolution} is not offered.", {"resolution": "store_credit"}
    )
    with app.test_request_context(), force_locale("en"):
        assert explain(reason) == "Store credit is not offered."


def test_dates_in_a_reason_follow_the_locale(app):
    reason = policy.Reason(
        "window_open",
        "You can return this item until {last_day}.",
        {"last_day": date(2026, 11, 29)},
    )
    with app.test_request_context(), force_locale("en"):
        assert explain(reason) == "You can return this item until November 29, 2026."
