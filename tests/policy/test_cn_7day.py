"""cn-7day: China's 7-day no-reason returns (RULES.md "Pack cn-7day")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from returns_portal.policy import (
    ConfirmationExclusion,
    Parcel,
    ReturnReason,
    checklist,
    decide_lines,
    evaluate,
)
from tests.policy.builders import (
    ask,
    at,
    codes,
    found,
    inspected,
    make_line,
    make_order,
    make_policy,
    make_request,
    only,
)

# Window -------------------------------------------------------------------------------


def test_window_counts_from_the_day_after_signing():
    order = make_order(delivered_at="2026-11-10T23:30:00+08:00")
    decision = only(decide_lines(order, make_policy(), at("2026-11-11T09:00:00+08:00")))
    assert decision.last_day == date(2026, 11, 17)
    assert decision.statutory


def test_request_in_the_last_second_of_the_last_day_is_allowed():
    order = make_order(delivered_at="2026-11-10T23:30:00+08:00")
    decision = only(decide_lines(order, make_policy(), at("2026-11-17T23:59:59+08:00")))
    assert decision.eligible
    assert "window_open" in codes(decision.reasons)


def test_request_at_local_midnight_after_the_last_day_is_refused():
    order = make_order(delivered_at="2026-11-10T23:30:00+08:00")
    decision = only(decide_lines(order, make_policy(), at("2026-11-18T00:00:00+08:00")))
    assert not decision.eligible
    closed = next(r for r in decision.reasons if r.code == "window_closed")
    assert closed.text == "The 7-day return window ended on 2026-11-17."


def test_window_closes_at_the_next_local_midnight_given_in_utc():
    order = make_order(delivered_at="2026-11-10T23:30:00+08:00")
    decision = only(decide_lines(order, make_policy(), at("2026-11-12T09:00:00+08:00")))
    assert decision.closes_at == datetime(2026, 11, 17, 16, 0, tzinfo=UTC)


def test_a_utc_request_that_is_already_the_next_day_in_shanghai_is_refused():
    order = make_order(delivered_at="2026-11-10T23:30:00+08:00")
    policy = make_policy()
    # 15:59:59Z is 23:59:59 on the 17th in Shanghai; 16:00Z is already the 18th there.
    assert only(decide_lines(order, policy, at("2026-11-17T15:59:59+00:00"))).eligible
    assert not only(decide_lines(order, policy, at("2026-11-17T16:00:00+00:00"))).eligible


def test_signing_counts_by_the_store_date_not_the_utc_date():
    # 17:00Z on the 10th is 01:00 on the 11th in Shanghai: the window starts a day later.
    order = make_order(delivered_at="2026-11-10T17:00:00+00:00")
    decision = only(decide_lines(order, make_policy(), at("2026-11-12T00:00:00+00:00")))
    assert decision.last_day == date(2026, 11, 18)


def test_naive_times_are_refused():
    order = make_order()
    with pytest.raises(ValueError, match="timezone-aware"):
        decide_lines(order, make_policy(), datetime(2026, 11, 12, 9, 0))


def test_each_line_counts_from_its_own_parcel():
    order = make_order(
        make_line("A"),
        make_line("B"),
        parcels=(
            Parcel("P1", at("2026-11-10T12:00:00+08:00"), {"A": 1}),
            Parcel("P2", at("2026-11-14T12:00:00+08:00"), {"B": 1}),
        ),
    )
    a, b = decide_lines(order, make_policy(), at("2026-11-12T12:00:00+08:00"))
    assert (a.last_day, b.last_day) == (date(2026, 11, 17), date(2026, 11, 21))


def test_a_line_split_over_parcels_counts_from_the_latest_one():
    order = make_order(
        make_line("A", quantity=2),
        parcels=(
            Parcel("P1", at("2026-11-10T12:00:00+08:00"), {"A": 1}),
            Parcel("P2", at("2026-11-12T12:00:00+08:00"), {"A": 1}),
        ),
    )
    decision = only(decide_lines(order, make_policy(), at("2026-11-13T12:00:00+08:00")))
    assert decision.last_day == date(2026, 11, 19)


def test_an_undelivered_line_cannot_be_returned_yet_and_should_be_cancelled():
    order = make_order(delivered_at=None)
    decision = only(decide_lines(order, make_policy(), at("2026-11-12T12:00:00+08:00")))
    assert not decision.eligible
    assert decision.last_day is None
    assert codes(decision.reasons) == ["not_delivered"]
    assert "cancel" in decision.reasons[0].text


# Exclusions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "code"),
    [
        ("custom_made", "excluded_custom_made"),
        ("perishable", "excluded_perishable"),
        ("digital_download", "excluded_digital_download"),
        ("periodical", "excluded_periodical"),
    ],
)
def test_legal_exclusions_refuse_a_no_reason_return_without_confirmation(fact, code):
    order = make_order(make_line("L1", **{fact: True}))
    evaluation = evaluate(order, make_request(ask()), make_policy())
    decision = only(evaluation.decisions)
    assert not decision.eligible
    assert code in codes(decision.reasons)
    assert evaluation.refund.total == 0


@pytest.mark.parametrize("fact", ["custom_made", "perishable", "digital_download", "periodical"])
def test_legal_exclusions_do_not_block_a_fault_claim(fact):
    order = make_order(make_line("L1", price=5000, **{fact: True}))
    evaluation = evaluate(order, make_request(ask(reason=ReturnReason.DEFECTIVE)), make_policy())
    assert only(evaluation.decisions).eligible
    assert evaluation.refund.total == 5000


def test_sealed_media_may_be_requested_but_must_stay_sealed():
    order = make_order(make_line("L1", category="media", sealed_media=True))
    decision = only(evaluate(order, make_request(ask()), make_policy()).decisions)
    assert decision.eligible
    assert "sealed_media_must_stay_sealed" in codes(decision.reasons)
    assert "seal_intact" in [q.code for q in decision.checklist]


def test_unsealed_media_found_at_inspection_is_not_refunded():
    order = make_order(make_line("L1", price=8000, category="media", sealed_media=True))
    evaluation = evaluate(
        order, make_request(ask()), make_policy(), inspected(found(seal_intact=False))
    )
    decision = only(evaluation.decisions)
    assert not decision.eligible
    assert "excluded_unsealed_media" in codes(decision.reasons)
    assert evaluation.refund.total == 0


def test_sealed_media_with_its_seal_intact_is_refunded():
    order = make_order(make_line("L1", price=8000, category="media", sealed_media=True))
    evaluation = evaluate(
        order, make_request(ask()), make_policy(), inspected(found(seal_intact=True))
    )
    assert evaluation.refund.total == 8000


def test_a_confirmed_exclusion_refuses_a_no_reason_return():
    line = make_line(
        "L1",
        category="cosmetics",
        confirmation_exclusion=ConfirmationExclusion.QUALITY_CHANGES_ONCE_UNSEALED,
        exclusion_confirmed=True,
    )
    decision = only(evaluate(make_order(line), make_request(ask()), make_policy()).decisions)
    assert not decision.eligible
    assert "excluded_on_confirmation" in codes(decision.reasons)


def test_an_unconfirmed_exclusion_does_not_apply():
    line = make_line(
        "L1",
        category="electronics",
        confirmation_exclusion=ConfirmationExclusion.VALUE_DROPS_ONCE_ACTIVATED,
        exclusion_confirmed=False,
    )
    decision = only(evaluate(make_order(line), make_request(ask()), make_policy()).decisions)
    assert decision.eligible
    assert decision.statutory
    assert "exclusion_not_confirmed" in codes(decision.reasons)
    assert "excluded_on_confirmation" not in codes(decision.reasons)


# Intactness ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("food", ["not_used_beyond_trial"]),
        ("cosmetics", ["not_used_beyond_trial"]),
        ("medical", ["not_used_beyond_trial"]),
        ("family_planning", ["not_used_beyond_trial"]),
        (
            "electronics",
            [
                "no_unauthorised_repair",
                "labels_and_serials_intact",
                "no_permanent_usage_marks",
                "not_activated_or_bound",
            ],
        ),
        (
            "appliances",
            [
                "no_unauthorised_repair",
                "labels_and_serials_intact",
                "no_permanent_usage_marks",
                "not_activated_or_bound",
            ],
        ),
        ("apparel", ["brand_tag_attached", "clean_and_undamaged"]),
        ("shoes", ["brand_tag_attached", "clean_and_undamaged"]),
        ("bags", ["brand_tag_attached", "clean_and_undamaged"]),
        ("toys", ["brand_tag_attached", "clean_and_undamaged"]),
        ("home_textiles", ["brand_tag_attached", "clean_and_undamaged"]),
        ("home", ["brand_tag_attached", "clean_and_undamaged"]),
        ("other", []),
    ],
)
def test_each_category_asks_its_intactness_questions(category, expected):
    questions = [q.code for q in checklist(category)]
    assert questions == [*expected, "accessories_complete", "gifts_returned"]


@pytest.mark.parametrize(
    ("category", "question"),
    [
        ("cosmetics", "not_used_beyond_trial"),
        ("electronics", "not_activated_or_bound"),
        ("electronics", "labels_and_serials_intact"),
        ("apparel", "brand_tag_attached"),
        ("toys", "clean_and_undamaged"),
        ("bags", "accessories_complete"),
    ],
)
def test_an_item_that_is_not_intact_gets_no_no_reason_refund(category, question):
    order = make_order(make_line("L1", price=9900, category=category))
    evaluation = evaluate(
        order, make_request(ask()), make_policy(), inspected(found(**{question: False}))
    )
    decision = only(evaluation.decisions)
    assert not decision.eligible
    not_intact = next(r for r in decision.reasons if r.code == "not_intact")
    assert not_intact.params["question_code"] == question
    assert evaluation.refund.lines[0].items == 0
    assert evaluation.refund.total == 0


def test_an_item_that_passes_every_check_is_refunded_in_full():
    order = make_order(make_line("L1", price=9900, category="electronics"))
    answers = {q.code: True for q in checklist("electronics")}
    evaluation = evaluate(order, make_request(ask()), make_policy(), inspected(found(**answers)))
    assert evaluation.refund.total == 9900


def test_a_failed_check_does_not_block_a_fault_claim():
    order = make_order(make_line("L1", price=9900, category="electronics"))
    evaluation = evaluate(
        order,
        make_request(ask(reason=ReturnReason.DEFECTIVE)),
        make_policy(),
        inspected(found(not_activated_or_bound=False)),
    )
    assert evaluation.refund.total == 9900


# Gifts --------------------------------------------------------------------------------


def gift_order():
    return make_order(
        make_line("MAIN", price=20000),
        make_line("GIFT", price=0, gift_of="MAIN", gift_value=1500),
    )


def test_a_gift_not_sent_back_with_its_item_is_charged_at_its_stated_value():
    evaluation = evaluate(gift_order(), make_request(ask("MAIN")), make_policy())
    (deduction,) = evaluation.refund.deductions
    assert (deduction.code, deduction.line_id, deduction.amount) == (
        "gift_not_returned",
        "GIFT",
        1500,
    )
    assert evaluation.refund.total == 20000 - 1500


def test_a_gift_sent_back_with_its_item_costs_nothing():
    evaluation = evaluate(gift_order(), make_request(ask("MAIN"), ask("GIFT")), make_policy())
    assert evaluation.refund.deductions == ()
    assert evaluation.refund.total == 20000


def test_a_gift_missing_from_the_received_parcel_is_charged():
    evaluation = evaluate(
        gift_order(),
        make_request(ask("MAIN"), ask("GIFT")),
        make_policy(),
        inspected(found("MAIN"), found("GIFT", received_qty=0)),
    )
    assert [d.code for d in evaluation.refund.deductions] == ["gift_not_returned"]
    assert evaluation.refund.total == 20000 - 1500


def test_a_gift_the_warehouse_marks_as_not_returned_is_charged_but_does_not_refuse_the_item():
    evaluation = evaluate(
        gift_order(),
        make_request(ask("MAIN")),
        make_policy(),
        inspected(found("MAIN", gifts_returned=False)),
    )
    assert evaluation.decisions[0].eligible
    assert evaluation.refund.total == 20000 - 1500


# Money --------------------------------------------------------------------------------


def test_the_refund_is_what_was_actually_paid_after_discounts():
    order = make_order(
        make_line("A", price=10000, quantity=2, line_discount=2000),
        make_line("B", price=2000),
        order_discount=1000,
    )
    evaluation = evaluate(order, make_request(ask("A", 2)), make_policy())
    # A's goods: 18000 of 20000 weight -> 900 of the order discount.
    assert evaluation.refund.lines[0].items == 18000 - 900
    assert evaluation.refund.total == 17100


def test_return_shipping_is_paid_by_the_consumer_by_default():
    policy = make_policy(return_shipping={"label_cost": 800})
    evaluation = evaluate(make_order(make_line("L1", price=5000)), make_request(ask()), policy)
    assert [(d.code, d.amount) for d in evaluation.refund.deductions] == [
        ("return_label_cost", 800)
    ]
    assert evaluation.refund.total == 4200


def threshold_order():
    return make_order(
        make_line("A", price=15000),
        make_line("B", price=15000),
        shipping_paid=0,
        standard_shipping=1000,
        free_shipping_threshold=20000,
    )


def test_breaking_the_free_shipping_threshold_deducts_the_delivery_fee():
    evaluation = evaluate(threshold_order(), make_request(ask("A")), make_policy())
    (deduction,) = evaluation.refund.deductions
    assert (deduction.code, deduction.amount) == ("free_shipping_threshold_broken", 1000)
    assert evaluation.refund.total == 14000


def test_the_free_shipping_threshold_is_deducted_only_once_per_order():
    request = make_request(ask("B"), previously_returned={"A": 1})
    evaluation = evaluate(threshold_order(), request, make_policy())
    assert evaluation.refund.deductions == ()
    assert evaluation.refund.total == 15000


def test_a_return_that_keeps_the_order_above_the_threshold_deducts_nothing():
    order = make_order(
        make_line("A", price=15000),
        make_line("B", price=15000),
        make_line("C", price=5000),
        shipping_paid=0,
        standard_shipping=1000,
        free_shipping_threshold=20000,
    )
    evaluation = evaluate(order, make_request(ask("C")), make_policy())
    assert evaluation.refund.deductions == ()


def test_an_order_that_paid_for_shipping_has_no_threshold_to_break():
    order = make_order(
        make_line("A", price=15000),
        make_line("B", price=15000),
        shipping_paid=1000,
        standard_shipping=1000,
        free_shipping_threshold=20000,
    )
    assert evaluate(order, make_request(ask("A")), make_policy()).refund.deductions == ()


def test_the_refund_is_due_within_7_days_of_receiving_the_goods():
    evaluation = evaluate(
        make_order(),
        make_request(ask()),
        make_policy(),
        inspected(found(), received_at="2026-11-15T14:00:00+08:00"),
    )
    assert evaluation.refund.refund_due_by == date(2026, 11, 22)


def test_the_refund_due_date_counts_from_the_store_date_of_receipt():
    # 20:00Z on the 15th is already the 16th in Shanghai.
    evaluation = evaluate(
        make_order(),
        make_request(ask()),
        make_policy(),
        inspected(found(), received_at="2026-11-15T20:00:00+00:00"),
    )
    assert evaluation.refund.refund_due_by == date(2026, 11, 23)


def test_before_receipt_the_refund_due_date_is_stated_as_a_promise():
    evaluation = evaluate(make_order(), make_request(ask()), make_policy())
    assert evaluation.refund.refund_due_by is None
    due = next(r for r in evaluation.refund.reasons if r.code == "refund_due_after_receipt")
    assert due.text == "The refund is due within 7 days after we receive your return."


def test_a_gift_shared_by_several_units_is_owed_only_when_the_last_of_them_comes_back():
    order = make_order(
        make_line("MAIN", price=10000, quantity=2),
        make_line("GIFT", price=0, gift_of="MAIN", gift_value=1500),
    )
    # The customer keeps one unit, and with it the right to the gift.
    first = evaluate(order, make_request(ask("MAIN", 1)), make_policy())
    assert first.refund.deductions == ()
    second = evaluate(
        order, make_request(ask("MAIN", 1), previously_returned={"MAIN": 1}), make_policy()
    )
    assert [d.code for d in second.refund.deductions] == ["gift_not_returned"]


def test_a_faulty_item_coming_back_does_not_break_the_free_shipping_threshold():
    request = make_request(ask("A", reason=ReturnReason.DEFECTIVE))
    assert evaluate(threshold_order(), request, make_policy()).refund.deductions == ()
