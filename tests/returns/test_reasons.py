"""Policy reasons read naturally in the customer's language."""

from __future__ import annotations

from flask_babel import force_locale

from returns_portal import policy
from returns_portal.returns.reasons import explain


def test_money_in_a_reason_is_formatted_like_the_rest_of_the_page(app):
    reason = policy.Reason(
        "return_label_cost", "The return shipping label costs {amount}.", {"amount": "CNY 12.00"}
    )
    with app.test_request_context(), force_locale("en"):
        assert explain(reason) == "The return shipping label costs CN¥12.00."


def test_codes_in_a_reason_become_words(app):
    reason = policy.Reason(
        "resolution_not_allowed", "{resolution} is not offered.", {"resolution": "store_credit"}
    )
    with app.test_request_context(), force_locale("en"):
        assert explain(reason) == "Store credit is not offered."


def test_dates_in_a_reason_follow_the_locale(app):
    reason = policy.Reason(
        "window_open", "You can return this item until {last_day}.", {"last_day": "2026-11-29"}
    )
    with app.test_request_context(), force_locale("en"):
        assert explain(reason) == "You can return this item until November 29, 2026."
