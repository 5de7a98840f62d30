"""eu-14day: the EU right of withdrawal (RULES.md "Pack eu-14day")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from returns_portal.policy import (
    ConfirmationExclusion,
    Parcel,
    ReturnReason,
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


def eu_policy(**rules):
    rules.setdefault("timezone", "Europe/Berlin")
    return make_policy("eu-14day", **rules)


def eu_order(*lines, delivered_at="2026-11-05T10:00:00+01:00", **facts):
    facts.setdefault("currency", "EUR")
    return make_order(*lines, delivered_at=delivered_at, **facts)


# Window -------------------------------------------------------------------------------


def test_the_period_starts_with_the_last_parcel_of_the_order():
    order = eu_order(
        make_line("A"),
        make_line("B"),
        parcels=(
            Parcel("P1", at("2026-11-02T10:00:00+01:00"), {"A": 1}),
            Parcel("P2", at("2026-11-05T10:00:00+01:00"), {"B": 1}),
        ),
    )
    a, b = decide_lines(order, eu_policy(), at("2026-11-17T12:00:00+01:00"))
    assert a.last_day == b.last_day == date(2026, 11, 19)
    assert a.eligible and a.statutory


def test_the_event_day_is_not_counted_and_the_period_ends_with_its_last_day():
    order = eu_order(delivered_at="2026-11-05T23:50:00+01:00")
    policy = eu_policy()
    assert only(decide_lines(order, policy, at("2026-11-19T23:59:59+01:00"))).eligible
    late = only(decide_lines(order, policy, at("2026-11-20T00:00:00+01:00")))
    assert not late.eligible
    assert late.closes_at == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)


def test_a_period_ending_on_a_saturday_runs_to_the_end_of_monday():
    order = eu_order(delivered_at="2026-11-07T10:00:00+01:00")
    decision = only(decide_lines(order, eu_policy(), at("2026-11-23T23:00:00+01:00")))
    assert decision.last_day == date(2026, 11, 23)
    assert decision.eligible


def test_a_period_ending_on_a_public_holiday_runs_to_the_next_working_day():
    order = eu_order(delivered_at="2026-11-05T10:00:00+01:00")
    policy = eu_policy(holidays=["2026-11-19"])
    decision = only(decide_lines(order, policy, at("2026-11-20T12:00:00+01:00")))
    assert decision.last_day == date(2026, 11, 20)
    assert decision.eligible


def test_a_holiday_before_a_weekend_rolls_the_period_past_both():
    order = eu_order(delivered_at="2026-12-11T10:00:00+01:00")
    policy = eu_policy(holidays=["2026-12-25", "2026-12-26"])
    decision = only(decide_lines(order, policy, at("2026-12-20T12:00:00+01:00")))
    assert decision.last_day == date(2026, 12, 28)


def test_withdrawal_is_allowed_before_delivery_with_no_end_known_yet():
    order = eu_order(delivered_at=None)
    decision = only(decide_lines(order, eu_policy(), at("2026-11-04T12:00:00+01:00")))
    assert decision.eligible
    assert decision.statutory
    assert decision.last_day is None
    assert decision.closes_at is None


def test_an_order_with_one_parcel_still_out_has_not_started_its_period():
    order = eu_order(
        make_line("A"),
        make_line("B"),
        parcels=(
            Parcel("P1", at("2026-09-01T10:00:00+01:00"), {"A": 1}),
            Parcel("P2", None, {"B": 1}),
        ),
    )
    a, _ = decide_lines(order, eu_policy(), at("2026-11-04T12:00:00+01:00"))
    assert a.eligible
    assert a.last_day is None


def test_missing_withdrawal_information_extends_the_period_by_12_months():
    order = eu_order(delivered_at="2026-11-06T10:00:00+01:00", withdrawal_info_given=False)
    decision = only(decide_lines(order, eu_policy(), at("2027-11-01T12:00:00+01:00")))
    # 20 Nov 2026 + 12 months is Saturday 20 Nov 2027 -> Monday 22 Nov 2027.
    assert decision.last_day == date(2027, 11, 22)
    assert decision.eligible
    assert "withdrawal_info_missing_extension" in codes(decision.reasons)


def test_without_the_extension_the_same_order_is_closed_a_year_later():
    order = eu_order(delivered_at="2026-11-06T10:00:00+01:00")
    decision = only(decide_lines(order, eu_policy(), at("2027-11-01T12:00:00+01:00")))
    assert decision.last_day == date(2026, 11, 20)
    assert not decision.eligible


# Exclusions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "code"),
    [
        ("custom_made", "excluded_custom_made"),
        ("perishable", "excluded_perishable"),
        ("periodical", "excluded_periodical"),
        ("digital_download", "excluded_digital_download"),
    ],
)
def test_art_16_exclusions_refuse_withdrawal(fact, code):
    order = eu_order(make_line("L1", **{fact: True}))
    decision = only(evaluate(order, make_request(ask()), eu_policy()).decisions)
    assert not decision.eligible
    assert code in codes(decision.reasons)


@pytest.mark.parametrize(
    ("fact", "note", "refusal"),
    [
        ("hygiene_sealed", "hygiene_must_stay_sealed", "excluded_hygiene_sealed"),
        ("sealed_media", "sealed_media_must_stay_sealed", "excluded_unsealed_media"),
    ],
)
def test_sealed_goods_can_be_withdrawn_only_while_sealed(fact, note, refusal):
    order = eu_order(make_line("L1", price=3000, **{fact: True}))
    request = make_request(ask())
    policy = eu_policy()
    requested = evaluate(order, request, policy)
    assert only(requested.decisions).eligible
    assert note in codes(only(requested.decisions).reasons)

    unsealed = evaluate(order, request, policy, inspected(found(seal_intact=False)))
    assert not only(unsealed.decisions).eligible
    assert refusal in codes(only(unsealed.decisions).reasons)
    assert unsealed.refund.total == 0

    sealed = evaluate(order, request, policy, inspected(found(seal_intact=True)))
    assert sealed.refund.total == 3000


def test_confirmation_exclusions_do_not_exist_under_eu_law():
    line = make_line(
        "L1",
        category="cosmetics",
        confirmation_exclusion=ConfirmationExclusion.QUALITY_CHANGES_ONCE_UNSEALED,
        exclusion_confirmed=True,
    )
    decision = only(evaluate(eu_order(line), make_request(ask()), eu_policy()).decisions)
    assert decision.eligible
    assert "excluded_on_confirmation" not in codes(decision.reasons)


def test_there_is_no_intactness_check_only_diminished_value():
    order = eu_order(make_line("L1", price=5000, category="apparel"))
    decision = only(evaluate(order, make_request(ask()), eu_policy()).decisions)
    assert decision.checklist == ()


# Money --------------------------------------------------------------------------------


def delivery_order(**facts):
    return eu_order(
        make_line("A", price=4000),
        make_line("B", price=6000),
        shipping_paid=1500,  # express
        standard_shipping=500,
        **facts,
    )


def test_full_withdrawal_refunds_the_standard_delivery_not_the_dearer_one():
    request = make_request(ask("A"), ask("B"))
    evaluation = evaluate(delivery_order(), request, eu_policy())
    assert evaluation.refund.shipping == 500
    assert evaluation.refund.total == 4000 + 6000 + 500
    assert "standard_delivery_refunded" in codes(evaluation.refund.reasons)


def test_partial_withdrawal_refunds_no_delivery_cost():
    evaluation = evaluate(delivery_order(), make_request(ask("A")), eu_policy())
    assert evaluation.refund.shipping == 0
    assert evaluation.refund.total == 4000


def test_the_return_that_completes_the_withdrawal_refunds_the_delivery_cost():
    request = make_request(ask("B"), previously_returned={"A": 1})
    evaluation = evaluate(delivery_order(), request, eu_policy())
    assert evaluation.refund.shipping == 500


def test_delivery_refund_is_never_more_than_what_was_paid_for_delivery():
    order = eu_order(make_line("A", price=4000), shipping_paid=300, standard_shipping=500)
    evaluation = evaluate(order, make_request(ask("A")), eu_policy())
    assert evaluation.refund.shipping == 300


def test_diminished_value_set_by_inspection_is_deducted():
    order = eu_order(make_line("L1", price=5000))
    evaluation = evaluate(
        order, make_request(ask()), eu_policy(), inspected(found(diminished_value=1200))
    )
    (deduction,) = evaluation.refund.deductions
    assert (deduction.code, deduction.line_id, deduction.amount) == ("diminished_value", "L1", 1200)
    assert evaluation.refund.total == 3800


def test_diminished_value_is_capped_at_the_lines_refund():
    order = eu_order(make_line("L1", price=5000, tax=1000))
    evaluation = evaluate(
        order, make_request(ask()), eu_policy(), inspected(found(diminished_value=99999))
    )
    assert evaluation.refund.deductions[0].amount == 6000
    assert evaluation.refund.total == 0


def test_diminished_value_does_not_apply_to_a_fault_claim():
    order = eu_order(make_line("L1", price=5000))
    evaluation = evaluate(
        order,
        make_request(ask(reason=ReturnReason.DEFECTIVE)),
        eu_policy(),
        inspected(found(diminished_value=1200)),
    )
    assert evaluation.refund.total == 5000


def test_the_consumer_pays_the_return_when_the_cost_was_disclosed():
    policy = eu_policy(return_shipping={"label_cost": 695})
    evaluation = evaluate(eu_order(make_line("L1", price=5000)), make_request(ask()), policy)
    assert [(d.code, d.amount) for d in evaluation.refund.deductions] == [
        ("return_label_cost", 695)
    ]


def test_the_shop_pays_the_return_when_it_did_not_disclose_the_cost():
    policy = eu_policy(return_shipping={"label_cost": 695})
    order = eu_order(make_line("L1", price=5000), return_costs_disclosed=False)
    evaluation = evaluate(order, make_request(ask()), policy)
    assert evaluation.refund.deductions == ()
    assert "free_return_shipping" in codes(evaluation.refund.reasons)


def test_the_refund_is_due_14_days_after_the_withdrawal():
    request = make_request(ask(), requested_at="2026-11-12T10:00:00+01:00")
    evaluation = evaluate(eu_order(), request, eu_policy())
    assert evaluation.refund.refund_due_by == date(2026, 11, 26)


def test_a_refund_deadline_on_a_weekend_runs_to_the_next_working_day():
    request = make_request(ask(), requested_at="2026-11-07T10:00:00+01:00")
    evaluation = evaluate(eu_order(delivered_at="2026-11-06T10:00:00+01:00"), request, eu_policy())
    assert evaluation.refund.refund_due_by == date(2026, 11, 23)


def test_a_late_return_accepted_by_the_shop_is_not_a_withdrawal_and_refunds_no_delivery():
    policy = eu_policy(windows={"categories": {"apparel": 60}})
    request = make_request(ask("A"), ask("B"), requested_at="2026-12-15T10:00:00+01:00")
    evaluation = evaluate(delivery_order(), request, policy)
    assert all(d.eligible and not d.statutory for d in evaluation.decisions)
    assert evaluation.refund.shipping == 0
