"""Merchant rules laid over a pack, never below it (RULES.md "Merchant rules")."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from returns_portal.policy import (
    CustomerHistory,
    Money,
    PolicyInputError,
    PolicyRefused,
    Resolution,
    ReturnMethod,
    ReturnReason,
    decide_lines,
    default_document,
    evaluate,
    load_policy,
)
from tests.policy.builders import (
    ask,
    at,
    codes,
    make_line,
    make_order,
    make_policy,
    make_request,
    only,
)

# Signed 10 Nov 2026 (Shanghai): the statutory window's last day is 17 Nov.
DAY_3 = "2026-11-13T12:00:00+08:00"
DAY_10 = "2026-11-20T12:00:00+08:00"
DAY_20 = "2026-11-30T12:00:00+08:00"


# Windows ------------------------------------------------------------------------------


def test_a_category_window_extends_the_statutory_one():
    policy = make_policy(windows={"categories": {"apparel": 30}})
    decision = only(decide_lines(make_order(), policy, at(DAY_20)))
    assert decision.eligible
    assert not decision.statutory
    assert decision.last_day == date(2026, 12, 10)
    assert "merchant_window" in codes(decision.reasons)


def test_a_category_window_lets_the_statutory_right_apply_while_it_lasts():
    policy = make_policy(windows={"categories": {"apparel": 30}})
    decision = only(decide_lines(make_order(), policy, at(DAY_3)))
    assert decision.statutory
    assert decision.last_day == date(2026, 12, 10)


def test_a_product_window_overrides_its_category_window():
    policy = make_policy(windows={"categories": {"apparel": 30}, "products": {"SKU-1": 60}})
    order = make_order(make_line("L1", sku="SKU-1"))
    decision = only(decide_lines(order, policy, at(DAY_20)))
    assert decision.last_day == date(2027, 1, 9)


def test_a_closed_merchant_window_names_its_own_length():
    policy = make_policy(windows={"categories": {"apparel": 15}})
    decision = only(decide_lines(make_order(), policy, at(DAY_20)))
    closed = next(r for r in decision.reasons if r.code == "window_closed")
    assert closed.text == "The 15-day return window ended on 2026-11-25."


def test_a_category_window_does_not_reach_other_categories():
    policy = make_policy(windows={"categories": {"apparel": 30}})
    order = make_order(make_line("L1", category="electronics"))
    assert not only(decide_lines(order, policy, at(DAY_20))).eligible


HOLIDAYS = {
    "holiday_extensions": [
        {"ordered_from": "2026-11-01", "ordered_to": "2026-12-24", "return_by": "2027-01-31"}
    ]
}


def test_a_holiday_extension_covers_orders_placed_in_its_range():
    policy = make_policy(**HOLIDAYS)
    decision = only(decide_lines(make_order(), policy, at("2027-01-31T23:00:00+08:00")))
    assert decision.eligible
    assert decision.last_day == date(2027, 1, 31)
    assert "holiday_extension" in codes(decision.reasons)


def test_a_holiday_extension_ignores_orders_placed_outside_its_range():
    policy = make_policy(**HOLIDAYS)
    order = make_order(placed_at="2026-10-31T23:00:00+08:00")
    decision = only(decide_lines(order, policy, at(DAY_20)))
    assert not decision.eligible
    assert decision.last_day == date(2026, 11, 17)


def test_inside_a_longer_merchant_window_the_statutory_last_day_is_still_named():
    policy = make_policy(windows={"categories": {"apparel": 30}})
    order = make_order(delivered_at="2026-11-10T10:00:00+08:00")
    decision = only(decide_lines(order, policy, at("2026-11-12T10:00:00+08:00")))
    assert decision.statutory
    assert decision.last_day == date(2026, 12, 10)
    right = next(r for r in decision.reasons if r.code == "statutory_right")
    assert right.params["last_day"] == date(2026, 11, 17)
    assert right.text.endswith("until 2026-11-17.")


# Final sale ---------------------------------------------------------------------------


def test_final_sale_gives_way_to_the_statutory_right():
    order = make_order(make_line("L1", final_sale=True))
    decision = only(decide_lines(order, make_policy(), at(DAY_3)))
    assert decision.eligible
    assert decision.statutory
    right = next(r for r in decision.reasons if r.code == "statutory_right")
    assert "final sale" in right.text


def test_final_sale_refuses_outside_the_statutory_right_even_with_a_longer_window():
    policy = make_policy(windows={"categories": {"apparel": 30}})
    order = make_order(make_line("L1", final_sale=True))
    decision = only(decide_lines(order, policy, at(DAY_10)))
    assert not decision.eligible
    final = next(r for r in decision.reasons if r.code == "final_sale")
    assert final.text == "Final sale items can't be returned after the statutory window."


def test_final_sale_skus_in_the_policy_act_like_the_product_flag():
    policy = make_policy(windows={"categories": {"apparel": 30}}, final_sale_skus=["SKU-9"])
    order = make_order(make_line("L1", sku="SKU-9"))
    assert only(decide_lines(order, policy, at(DAY_3))).eligible
    assert not only(decide_lines(order, policy, at(DAY_10))).eligible


# Defects ------------------------------------------------------------------------------

DEFECTS = {
    "defect": {"window_days": 30, "photos_required": True},
    "restocking_fee": {"categories": {}, "default": {"percent": 10}},
    "return_shipping": {"paid_by": "customer", "label_cost": 800},
}


def test_after_the_window_only_fault_claims_are_accepted_within_the_defect_window():
    decision = only(decide_lines(make_order(), make_policy(**DEFECTS), at(DAY_20)))
    assert decision.eligible
    assert decision.allowed_reasons == (
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.DEFECTIVE,
        ReturnReason.DAMAGED_IN_TRANSIT,
        ReturnReason.WRONG_ITEM,
    )
    assert decision.defect_last_day == date(2026, 12, 10)
    no_reason = evaluate(make_order(), make_request(ask(), requested_at=DAY_20), make_policy())
    assert not only(no_reason.decisions).eligible


def test_a_fault_claim_ships_free_without_a_restocking_fee_and_asks_for_photos():
    order = make_order(make_line("L1", price=10000))
    request = make_request(ask(reason=ReturnReason.DEFECTIVE), requested_at=DAY_20)
    evaluation = evaluate(order, request, make_policy(**DEFECTS))
    decision = only(evaluation.decisions)
    assert decision.eligible
    assert "defect_window" in codes(decision.reasons)
    assert "photos_required" in codes(decision.reasons)
    assert ReturnReason.DEFECTIVE in decision.photos_required_for
    assert evaluation.refund.deductions == ()
    assert evaluation.refund.total == 10000
    assert "free_return_shipping" in codes(evaluation.refund.reasons)


def test_a_fault_claim_after_the_defect_window_is_refused():
    request = make_request(
        ask(reason=ReturnReason.DEFECTIVE), requested_at="2026-12-11T00:00:00+08:00"
    )
    decision = only(evaluate(make_order(), request, make_policy(**DEFECTS)).decisions)
    assert not decision.eligible
    assert "defect_window_closed" in codes(decision.reasons)


# Restocking fees ----------------------------------------------------------------------


def restocking_policy(fee):
    return make_policy(
        windows={"categories": {"electronics": 15}},
        restocking_fee={"categories": {"electronics": fee}},
    )


def electronics_order(price=12345, quantity=1):
    return make_order(make_line("L1", price=price, quantity=quantity, category="electronics"))


def test_a_restocking_fee_never_applies_inside_the_statutory_right():
    policy = restocking_policy({"percent": 10})
    evaluation = evaluate(electronics_order(), make_request(ask(), requested_at=DAY_3), policy)
    assert evaluation.refund.deductions == ()
    assert evaluation.refund.total == 12345


def test_a_percentage_restocking_fee_applies_outside_it_and_rounds_against_over_refunding():
    policy = restocking_policy({"percent": 10})
    evaluation = evaluate(electronics_order(), make_request(ask(), requested_at=DAY_10), policy)
    (fee,) = evaluation.refund.deductions
    assert (fee.code, fee.amount) == ("restocking_fee", 1235)  # 1234.5 rounds up
    assert evaluation.refund.total == 12345 - 1235


def test_a_fixed_restocking_fee_is_charged_per_unit():
    policy = restocking_policy({"fixed": 500})
    order = electronics_order(price=5000, quantity=3)
    evaluation = evaluate(order, make_request(ask(quantity=2), requested_at=DAY_10), policy)
    assert [d.amount for d in evaluation.refund.deductions] == [1000]
    assert evaluation.refund.total == 9000


# Resolutions --------------------------------------------------------------------------


def test_store_credit_earns_a_bonus_that_is_not_part_of_the_money_total():
    policy = make_policy(resolutions={"store_credit_bonus_percent": 10})
    order = make_order(make_line("L1", price=9999))
    evaluation = evaluate(order, make_request(ask(resolution=Resolution.STORE_CREDIT)), policy)
    assert evaluation.refund.total == 9999
    assert evaluation.refund.bonus_credit == 999
    assert "store_credit_bonus" in codes(evaluation.refund.reasons)


def test_a_refund_to_the_original_payment_earns_no_bonus():
    policy = make_policy(resolutions={"store_credit_bonus_percent": 10})
    evaluation = evaluate(make_order(), make_request(ask()), policy)
    assert evaluation.refund.bonus_credit == 0


def test_a_resolution_the_shop_does_not_offer_is_refused_outside_the_statutory_right():
    policy = make_policy(
        windows={"categories": {"apparel": 30}}, resolutions={"allowed": ["store_credit"]}
    )
    request = make_request(ask(resolution=Resolution.REFUND), requested_at=DAY_20)
    decision = only(evaluate(make_order(), request, policy).decisions)
    assert not decision.eligible
    assert "resolution_not_allowed" in codes(decision.reasons)


def test_the_statutory_right_always_offers_a_refund():
    policy = make_policy(resolutions={"allowed": ["store_credit"]})
    decision = only(decide_lines(make_order(), policy, at(DAY_3)))
    assert decision.allowed_resolutions == (Resolution.REFUND, Resolution.STORE_CREDIT)


def test_exchange_only_categories_apply_only_outside_the_statutory_right():
    policy = make_policy(
        windows={"categories": {"shoes": 30}},
        resolutions={"exchange_only_categories": ["shoes"]},
    )
    order = make_order(make_line("L1", category="shoes"))
    inside = only(decide_lines(order, policy, at(DAY_3)))
    outside = only(decide_lines(order, policy, at(DAY_20)))
    assert Resolution.REFUND in inside.allowed_resolutions
    assert outside.allowed_resolutions == (Resolution.EXCHANGE,)
    assert "exchange_only" in codes(outside.reasons)


# Return shipping ----------------------------------------------------------------------


def test_the_chosen_carrier_price_replaces_the_flat_label_cost():
    policy = make_policy(return_shipping={"label_cost": 800})
    order = make_order(make_line("L1", price=5000))
    evaluation = evaluate(order, make_request(ask(), label_cost=650), policy)
    assert [d.amount for d in evaluation.refund.deductions] == [650]


def test_return_shipping_is_free_above_the_order_value_set_by_the_shop():
    policy = make_policy(return_shipping={"label_cost": 800, "free_above": 20000})
    order = make_order(make_line("L1", price=20000))
    evaluation = evaluate(order, make_request(ask()), policy)
    assert evaluation.refund.deductions == ()
    assert evaluation.refund.total == 20000


def test_return_shipping_is_free_when_the_shop_pays_for_it():
    policy = make_policy(return_shipping={"paid_by": "merchant", "label_cost": 800})
    evaluation = evaluate(make_order(make_line("L1", price=5000)), make_request(ask()), policy)
    assert evaluation.refund.total == 5000


def test_a_method_the_shop_does_not_offer_sends_the_return_to_review():
    policy = make_policy(methods=["label"])
    evaluation = evaluate(make_order(), make_request(ask(), method=ReturnMethod.QR_DROPOFF), policy)
    assert evaluation.needs_review
    assert codes(evaluation.reasons) == ["method_not_allowed"]


# Approval and abuse -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "level"),
    [(4999, "auto"), (5000, "finance"), (50000, "finance"), (50001, "two_finance")],
)
def test_the_approval_level_follows_the_refund_total(price, level):
    policy = make_policy(approval={"auto_approve_below": 5000, "two_approvers_above": 50000})
    evaluation = evaluate(make_order(make_line("L1", price=price)), make_request(ask()), policy)
    assert evaluation.refund.approval == level


def test_without_approval_thresholds_every_refund_goes_to_finance():
    evaluation = evaluate(make_order(make_line("L1", price=1)), make_request(ask()), make_policy())
    assert evaluation.refund.approval == "finance"


@pytest.mark.parametrize(("recent", "review"), [(4, False), (5, True)])
def test_too_many_recent_returns_send_the_return_to_review(recent, review):
    policy = make_policy(abuse={"max_returns": 5, "within_days": 90})
    order = make_order(customer=CustomerHistory(returns=recent))
    evaluation = evaluate(order, make_request(ask()), policy)
    assert evaluation.needs_review is review
    assert ("abuse_returns_in_period" in codes(evaluation.reasons)) is review


# Refusing rules that cut a right ------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "rule", "right"),
    [
        (
            {"windows": {"categories": {"apparel": 5}}},
            "windows.categories.apparel",
            "cn-7day: 7-day no-reason return (RULES.md)",
        ),
        (
            {"windows": {"products": {"SKU-1": 3}}},
            "windows.products.SKU-1",
            "cn-7day: 7-day no-reason return (RULES.md)",
        ),
        (
            {"defect": {"window_days": 6}},
            "defect.window_days",
            "cn-7day: 7-day no-reason return (RULES.md)",
        ),
        (
            {"refund_within_days": 10},
            "refund_within_days",
            "cn-7day: refund within 7 days of receiving the returned goods (RULES.md)",
        ),
        (
            {
                "restocking_fee": {
                    "categories": {"apparel": {"percent": 5, "applies_to_statutory": True}}
                }
            },
            "restocking_fee.categories.apparel.applies_to_statutory",
            "cn-7day: 7-day no-reason return (RULES.md)",
        ),
        ({"timezone": "Mars/Olympus"}, "timezone", None),
        ({"pack": "us-30day"}, "pack", None),
    ],
)
def test_a_rule_that_cuts_a_statutory_right_is_refused_naming_rule_and_right(rules, rule, right):
    with pytest.raises(PolicyRefused) as refused:
        load_policy(rules)
    (violation,) = refused.value.violations
    assert violation.rule == rule
    if right is not None:
        assert violation.right == right
    assert violation.right and violation.message


def test_the_eu_pack_refuses_a_window_shorter_than_14_days():
    with pytest.raises(PolicyRefused) as refused:
        load_policy({"pack": "eu-14day", "windows": {"categories": {"apparel": 10}}})
    assert refused.value.violations[0].right == "eu-14day: 14-day right of withdrawal (RULES.md)"


def test_every_violation_is_reported_at_once():
    with pytest.raises(PolicyRefused) as refused:
        load_policy(
            {"windows": {"categories": {"apparel": 5, "shoes": 6}}, "refund_within_days": 9}
        )
    assert {v.rule for v in refused.value.violations} == {
        "windows.categories.apparel",
        "windows.categories.shoes",
        "refund_within_days",
    }


def test_a_window_equal_to_the_statutory_one_and_a_shorter_refund_deadline_are_accepted():
    policy = load_policy({"windows": {"categories": {"apparel": 7}}, "refund_within_days": 3})
    assert policy.document["refund_within_days"] == 3


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"colour": "blue"}, "colour"),
        ({"windows": {"categories": {"apparel": "thirty"}}}, "windows.categories.apparel"),
        ({"windows": {"categories": {"apparel": True}}}, "windows.categories.apparel"),
        ({"windows": {"weeks": {}}}, "windows.weeks"),
        ({"holidays": ["2026-13-01"]}, "holidays.0"),
        ({"methods": ["label", "pigeon"]}, "methods.1"),
        ({"methods": []}, "methods"),
        ({"resolutions": {"allowed": ["cash"]}}, "resolutions.allowed.0"),
        ({"restocking_fee": {"default": {"percent": 5, "fixed": 100}}}, "restocking_fee.default"),
        ({"restocking_fee": {"default": {"percent": 150}}}, "restocking_fee.default.percent"),
        ({"return_shipping": {"paid_by": "nobody"}}, "return_shipping.paid_by"),
        ({"return_shipping": {"label_cost": -1}}, "return_shipping.label_cost"),
        (
            {
                "holiday_extensions": [
                    {
                        "ordered_from": "2026-12-24",
                        "ordered_to": "2026-11-01",
                        "return_by": "2027-01-31",
                    }
                ]
            },
            "holiday_extensions.0.ordered_to",
        ),
        (
            {"holiday_extensions": [{"ordered_from": "2026-11-01"}]},
            "holiday_extensions.0.return_by",
        ),
        (
            {"approval": {"auto_approve_below": 100, "two_approvers_above": 50}},
            "approval.two_approvers_above",
        ),
        ({"abuse": {"max_returns": 0}}, "abuse.max_returns"),
        ({"timezone": 8}, "timezone"),
    ],
)
def test_input_errors_name_the_field_by_its_dotted_path(doc, path):
    with pytest.raises(PolicyInputError) as error:
        load_policy(doc)
    assert path in error.value.errors


# Canonical form -----------------------------------------------------------------------

RICH = {
    "pack": "cn-7day",
    "timezone": "Asia/Shanghai",
    "holidays": ["2026-12-25", "2026-10-01"],
    "windows": {"categories": {"Apparel": 30, "electronics": 15}, "products": {"SKU-1": 60}},
    "holiday_extensions": HOLIDAYS["holiday_extensions"],
    "final_sale_skus": ["SKU-9", "SKU-8"],
    "defect": {"window_days": 30, "photos_required": True},
    "restocking_fee": {"categories": {"electronics": {"percent": 10}}, "default": None},
    "return_shipping": {"paid_by": "customer", "label_cost": 800, "free_above": 20000},
    "methods": ["qr_dropoff", "label"],
    "resolutions": {
        "allowed": ["refund", "store_credit", "exchange"],
        "store_credit_bonus_percent": 10,
        "exchange_only_categories": [],
    },
    "refund_within_days": None,
    "approval": {"auto_approve_below": 5000, "two_approvers_above": 50000},
    "abuse": {"max_returns": 5, "within_days": 90},
}


def test_an_empty_document_is_the_pack_with_its_defaults():
    assert load_policy({}).document == default_document("cn-7day")
    assert load_policy({"pack": "eu-14day"}).document == default_document("eu-14day")


def test_export_and_load_round_trip_to_the_same_policy():
    policy = load_policy(RICH, version=3)
    again = load_policy(json.loads(policy.export()), version=3)
    assert again.document == policy.document
    assert again.digest == policy.digest


def test_the_canonical_document_is_normalised():
    document = load_policy(RICH).document
    assert document["holidays"] == ["2026-10-01", "2026-12-25"]
    assert document["windows"]["categories"] == {"apparel": 30, "electronics": 15}
    assert document["methods"] == ["label", "qr_dropoff"]
    assert document["final_sale_skus"] == ["SKU-8", "SKU-9"]


def test_the_digest_depends_on_the_rules_not_on_key_order_or_version():
    reordered = dict(reversed(list(RICH.items())))
    assert load_policy(RICH, version=1).digest == load_policy(reordered, version=2).digest
    changed = {**RICH, "refund_within_days": 5}
    assert load_policy(changed).digest != load_policy(RICH).digest


def test_the_digest_is_the_sha256_of_the_canonical_json():
    policy = load_policy(RICH)
    text = json.dumps(policy.document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert policy.digest == hashlib.sha256(text.encode()).hexdigest()


def test_an_evaluation_records_the_policy_it_was_decided_under():
    policy = load_policy(RICH, version=7)
    evaluation = evaluate(make_order(), make_request(ask()), policy)
    assert (evaluation.policy_version, evaluation.policy_digest, evaluation.pack) == (
        7,
        policy.digest,
        "cn-7day",
    )


def test_a_label_dearer_than_the_refund_is_capped_at_zero_and_the_cap_explained():
    policy = make_policy(return_shipping={"label_cost": 800})
    evaluation = evaluate(make_order(make_line("L1", price=500)), make_request(ask()), policy)
    assert [(d.code, d.amount) for d in evaluation.refund.deductions] == [
        ("return_label_cost", 500)
    ]
    assert evaluation.refund.total == 0
    capped = next(r for r in evaluation.refund.reasons if r.code == "deduction_capped")
    assert capped.params == {
        "deduction": "return_label_cost",
        "wanted": Money(800, "CNY"),
        "amount": Money(500, "CNY"),
    }
    assert capped.text == (
        "The return_label_cost deduction of CNY 8.00 was capped at CNY 5.00 so the refund "
        "does not go below zero."
    )


def test_units_already_returned_are_not_offered_again():
    order = make_order(make_line("L1", quantity=3))
    partly = only(decide_lines(order, make_policy(), at(DAY_3), {"L1": 2}))
    assert (partly.eligible, partly.remaining_qty) == (True, 1)
    done = only(decide_lines(order, make_policy(), at(DAY_3), {"L1": 3}))
    assert (done.eligible, done.remaining_qty, done.allowed_reasons) == (False, 0, ())
    assert "already_returned" in codes(done.reasons)
