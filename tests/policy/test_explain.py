"""The plain-text report a merchant reads."""

from __future__ import annotations

from returns_portal.policy import (
    CustomerHistory,
    Resolution,
    ReturnReason,
    evaluate,
    format_evaluation,
)
from tests.policy.builders import (
    ask,
    found,
    inspected,
    make_line,
    make_order,
    make_policy,
    make_request,
)


def report_for(order, request, policy, inspection=None, tz="Asia/Shanghai"):
    return format_evaluation(evaluate(order, request, policy, inspection), tz)


def test_the_report_gives_each_lines_verdict_and_reasons_as_sentences():
    order = make_order(make_line("A", price=12900), make_line("B", perishable=True))
    text = report_for(order, make_request(ask("A"), ask("B")), make_policy())
    assert "A: eligible (statutory right)" in text
    assert "B: refused" in text
    assert "- Fresh or perishable goods can't be returned without a reason." in text


def test_the_report_shows_the_last_day_and_the_close_in_the_store_time_zone():
    text = report_for(make_order(), make_request(ask()), make_policy())
    assert "last day 2026-11-17; window closes 2026-11-18 00:00 CST" in text


def test_the_report_lists_the_money_with_currency_deductions_and_their_reasons():
    policy = make_policy(
        return_shipping={"label_cost": 800},
        approval={"auto_approve_below": 20000},
    )
    order = make_order(make_line("A", price=12900, tax=1300))
    text = report_for(order, make_request(ask("A")), policy, inspected(found("A")))
    assert "A x1 (refund)" in text and "CNY 129.00" in text
    assert "tax on A" in text and "CNY 13.00" in text
    assert "Less return_label_cost" in text
    assert "CNY -8.00  The return shipping label costs CNY 8.00, deducted from the refund." in text
    assert "Total" in text and "CNY 134.00" in text
    assert "Approval: auto" in text
    assert "Refund due by: 2026-11-22" in text


def test_before_receipt_the_report_states_the_refund_promise():
    text = report_for(make_order(), make_request(ask()), make_policy())
    assert "Refund due: The refund is due within 7 days after we receive your return." in text


def test_the_report_uses_whole_units_for_zero_decimal_currencies():
    order = make_order(make_line("A", price=4500), currency="JPY")
    text = report_for(order, make_request(ask("A")), make_policy())
    assert "JPY 4500" in text


def test_the_report_shows_store_credit_bonus_and_review_reasons():
    policy = make_policy(resolutions={"store_credit_bonus_percent": 10}, abuse={"max_returns": 1})
    order = make_order(make_line("A", price=10000), customer=CustomerHistory(returns=3))
    request = make_request(ask("A", resolution=Resolution.STORE_CREDIT))
    text = report_for(order, request, policy)
    assert "Bonus store credit (not in total)" in text and "CNY 10.00" in text
    assert "Review" in text
    assert (
        "  - abuse rule returns_in_period: With this one the customer has made 4 returns in "
        "the last 90 days, more than the 1 the shop allows" in text
    )


def test_the_eu_report_uses_the_eu_store_time_zone():
    policy = make_policy("eu-14day", timezone="Europe/Berlin")
    order = make_order(delivered_at="2026-11-05T10:00:00+01:00", currency="EUR")
    request = make_request(ask(reason=ReturnReason.CHANGED_MIND))
    text = report_for(order, request, policy, tz="Europe/Berlin")
    assert "window closes 2026-11-20 00:00 CET" in text
    assert "Refund due by: 2026-11-26" in text
