"""Abuse rules: each fires exactly past its threshold, says its figures, and only asks for a
person to look (docs/policy.md "abuse")."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings

from returns_portal.policy import (
    CustomerHistory,
    Money,
    PolicyInputError,
    ReturnReason,
    evaluate,
    line_checklist,
    load_policy,
    normalise_address,
    normalise_email,
)
from returns_portal.policy.packs import PACKS
from tests.policy.builders import (
    ask,
    codes,
    found,
    inspected,
    make_line,
    make_order,
    make_policy,
    make_product,
    make_request,
)
from tests.policy.test_engine_properties import scenarios


def evaluated(abuse, *lines, customer=None, request=None, inspection=None, currency="CNY"):
    order = make_order(*lines, customer=customer or CustomerHistory(), currency=currency)
    return evaluate(order, request or make_request(ask()), make_policy(abuse=abuse), inspection)


def only_flag(evaluation):
    (flag,) = evaluation.abuse
    return flag


# Each rule at its threshold and just below it --------------------------------------------


@pytest.mark.parametrize(("earlier", "fires"), [(2, False), (3, True)])
def test_returns_in_period_fires_when_this_return_is_one_more_than_allowed(earlier, fires):
    rule = {"returns_in_period": {"max_returns": 3, "within_days": 60}}
    evaluation = evaluated(rule, customer=CustomerHistory(returns=earlier))
    assert evaluation.needs_review is fires
    if fires:
        flag = only_flag(evaluation)
        assert flag.code == "returns_in_period"
        assert dict(flag.thresholds) == {"max_returns": 3, "within_days": 60}
        assert dict(flag.figures) == {"returns": 4}
        assert flag.reason.code == "abuse_returns_in_period"
        assert flag.reason.text == (
            "With this one the customer has made 4 returns in the last 60 days, more than "
            "the 3 the shop allows before a person checks the return."
        )
    else:
        assert evaluation.abuse == () and evaluation.reasons == ()


@pytest.mark.parametrize(
    ("other_orders", "other_returned", "fires", "percent"),
    [
        (3, 1, False, 50),  # 2 of 4 orders: 50 %, not more than 50 %
        (4, 2, True, 60),  # 3 of 5: 60 %
        (2, 2, False, 100),  # 3 of 3 orders: the rule applies from 4 orders
    ],
)
def test_share_returned_fires_above_the_percent_from_the_minimum_of_orders(
    other_orders, other_returned, fires, percent
):
    rule = {"share_returned": {"max_percent": 50, "min_orders": 4}}
    history = CustomerHistory(other_orders=other_orders, other_orders_returned=other_returned)
    evaluation = evaluated(rule, customer=history)
    assert evaluation.needs_review is fires
    if fires:
        flag = only_flag(evaluation)
        assert dict(flag.figures) == {"orders": 5, "returned_orders": 3, "percent": percent}
        assert flag.reason.text == (
            "The customer has returned items from 3 of their 5 orders (60%), more than the "
            "50% the shop allows once a customer has 4 orders, so a person checks the return."
        )


@pytest.mark.parametrize(("earlier", "fires"), [(20000, False), (20001, True)])
def test_value_in_period_counts_this_return_on_top_of_the_earlier_ones(earlier, fires):
    rule = {"value_in_period": {"max_value": 30000, "within_days": 30}}
    line = make_line("L1", price=12000, quantity=2, line_discount=4000)  # 10000 a unit
    history = CustomerHistory(returned_value=earlier, currency="CNY")
    evaluation = evaluated(rule, line, customer=history)
    assert evaluation.needs_review is fires
    if fires:
        flag = only_flag(evaluation)
        assert flag.thresholds["max_value"] == Money(30000, "CNY")
        assert flag.figures["value"] == Money(30001, "CNY")
        assert flag.reason.text == (
            "With this one the customer's returns in the last 30 days are worth CNY 300.01, "
            "more than the CNY 300.00 the shop allows before a person checks the return."
        )


def test_value_rules_do_not_compare_money_in_another_currency_than_the_stores():
    rules = {
        "value_in_period": {"max_value": 0},
        "high_value_line": {"above": 0},
    }
    history = CustomerHistory(returned_value=10**6, currency="CNY")
    assert evaluated(rules, customer=history, currency="EUR").abuse == ()
    assert len(evaluated(rules, customer=history, currency="CNY").abuse) == 2


@pytest.mark.parametrize(("earlier", "fires"), [(1, False), (2, True)])
def test_refuted_claims_fire_past_the_number_allowed(earlier, fires):
    rule = {"refuted_claims": {"max_refuted": 1, "within_days": 180}}
    evaluation = evaluated(rule, customer=CustomerHistory(refuted_claims=earlier))
    assert evaluation.needs_review is fires
    if fires:
        flag = only_flag(evaluation)
        assert dict(flag.thresholds) == {"max_refuted": 1, "within_days": 180}
        assert dict(flag.figures) == {"refuted": 2}
        assert '2 of the customer\'s "wrong item" or "not as described" claims' in (
            flag.reason.text
        )


@pytest.mark.parametrize(
    ("answer", "fires"), [(False, True), (True, False), (None, False)], ids=str
)
def test_this_returns_own_claim_counts_once_the_inspection_refutes_it(answer, fires):
    rule = {"refuted_claims": {"max_refuted": 1, "within_days": 180}}
    answers = {} if answer is None else {"wrong_item_confirmed": answer}
    evaluation = evaluated(
        rule,
        customer=CustomerHistory(refuted_claims=1),
        request=make_request(ask(reason=ReturnReason.WRONG_ITEM)),
        inspection=inspected(found("L1", **answers)),
    )
    assert evaluation.needs_review is fires
    if fires:
        assert only_flag(evaluation).figures["refuted"] == 2


def test_a_refuted_claim_check_of_another_reason_is_not_counted():
    rule = {"refuted_claims": {"max_refuted": 0, "within_days": 180}}
    evaluation = evaluated(
        rule,
        request=make_request(ask(reason=ReturnReason.DEFECTIVE)),
        inspection=inspected(found("L1", not_as_described_confirmed=False)),
    )
    assert evaluation.abuse == ()


@pytest.mark.parametrize(("price", "fires"), [(50000, False), (50001, True)])
def test_a_high_value_line_fires_above_the_amount(price, fires):
    rule = {"high_value_line": {"above": 50000}}
    cheap = make_line("L2", price=100, sku="SOCKS")
    evaluation = evaluated(
        rule,
        make_line("L1", price=price, sku="WATCH-1"),
        cheap,
        request=make_request(ask("L1"), ask("L2")),
    )
    assert evaluation.needs_review is fires
    if fires:
        flag = only_flag(evaluation)
        assert dict(flag.figures) == {
            "line_id": "L1",
            "sku": "WATCH-1",
            "value": Money(50001, "CNY"),
        }
        assert flag.reason.text == (
            "The returned WATCH-1 (L1) is worth CNY 500.01, more than CNY 500.00, so a person "
            "checks the return."
        )


def test_a_high_value_line_is_the_value_of_the_units_returned():
    rule = {"high_value_line": {"above": 30000}}
    line = make_line("L1", price=20000, quantity=3)
    assert evaluated(rule, line, request=make_request(ask("L1", 1))).abuse == ()
    two = evaluated(rule, line, request=make_request(ask("L1", 2)))
    assert only_flag(two).figures["value"] == Money(40000, "CNY")


# The blocklist -------------------------------------------------------------------------------


def test_a_blocklisted_email_matches_whatever_its_case_and_whitespace():
    rule = {"blocklist": {"emails": ["  Li.Wei@Example.COM "]}}
    evaluation = evaluated(rule, customer=CustomerHistory(email="li.wei@example.com"))
    flag = only_flag(evaluation)
    assert flag.code == "blocklist" and dict(flag.figures) == {"email": "li.wei@example.com"}
    assert flag.reason.text == (
        "The customer's e-mail address li.wei@example.com is on the shop's blocklist, so a "
        "person checks the return."
    )
    assert evaluated(rule, customer=CustomerHistory(email="li.wei2@example.com")).abuse == ()


def test_a_blocklisted_address_matches_whatever_its_case_spaces_and_commas():
    rule = {"blocklist": {"addresses": ["100  huaihai ROAD apt 1, 200031"]}}
    customer = CustomerHistory(address="100 Huaihai Road, Apt 1, 200031")
    flag = only_flag(evaluated(rule, customer=customer))
    assert dict(flag.figures) == {"address": "100 Huaihai Road, Apt 1, 200031"}
    other = CustomerHistory(address="100 Huaihai Road, Apt 2, 200031")
    assert evaluated(rule, customer=other).abuse == ()


def test_the_blocklist_is_kept_as_it_is_compared():
    policy = make_policy(
        abuse={"blocklist": {"emails": ["B@x.com", " b@X.com"], "addresses": ["A ,b  C"]}}
    )
    assert policy.document["abuse"]["blocklist"] == {"emails": ["b@x.com"], "addresses": ["a b c"]}
    assert normalise_email(" A @B.com ") == "a@b.com"
    assert normalise_address(" 1 Main St,\tFlat 2 ") == "1 main st flat 2"


# Together, and never a refusal -------------------------------------------------------------


def test_every_rule_that_fires_is_listed_and_none_refuses_the_return():
    rules = {
        "returns_in_period": {"max_returns": 1},
        "high_value_line": {"above": 100},
        "blocklist": {"emails": ["li.wei@example.com"]},
    }
    history = CustomerHistory(returns=5, email="li.wei@example.com")
    evaluation = evaluated(rules, customer=history)
    assert [f.code for f in evaluation.abuse] == [
        "returns_in_period",
        "high_value_line",
        "blocklist",
    ]
    assert codes(evaluation.reasons) == [f.reason.code for f in evaluation.abuse]
    assert all(d.eligible for d in evaluation.decisions)
    assert evaluation.refund.total > 0


def test_the_fired_rules_are_written_with_typed_figures():
    rules = {"value_in_period": {"max_value": 0}}
    stored = evaluated(rules).to_dict()
    assert stored["needs_review"] is True
    (flag,) = stored["abuse"]
    assert flag["code"] == "value_in_period"
    assert flag["thresholds"] == {"max_value": {"amount": 0, "currency": "CNY"}, "within_days": 90}
    assert flag["figures"] == {"value": {"amount": 10000, "currency": "CNY"}}
    assert flag["reason"] == stored["reasons"][0]
    json.dumps(stored)


def test_without_rules_nothing_is_flagged_whatever_the_history():
    history = CustomerHistory(returns=99, refuted_claims=9, other_orders=9, other_orders_returned=9)
    assert evaluated({}, customer=history).needs_review is False


EVERY_RULE_AT_ZERO = {
    "returns_in_period": {"max_returns": 1},
    "share_returned": {"max_percent": 0, "min_orders": 1},
    "value_in_period": {"max_value": 0},
    "refuted_claims": {"max_refuted": 0},
    "high_value_line": {"above": 0},
    "blocklist": {"emails": ["li.wei@example.com"]},
}


@settings(max_examples=150, deadline=None)
@given(scenario=scenarios())
def test_a_fired_rule_never_changes_a_decision_or_the_money(scenario):
    order, request, inspection = scenario
    watched = replace(order, customer=CustomerHistory(returns=3, email="li.wei@example.com"))
    plain = evaluate(order, request, make_policy(), inspection)
    flagged = evaluate(watched, request, make_policy(abuse=EVERY_RULE_AT_ZERO), inspection)
    assert flagged.needs_review and flagged.abuse
    assert flagged.decisions == plain.decisions
    assert flagged.refund == plain.refund


# The claim check at inspection ---------------------------------------------------------------


@pytest.mark.parametrize("pack", ["cn-7day", "eu-14day"])
def test_a_claim_the_inspection_can_refute_gets_its_own_check(pack):
    product = make_product(category="apparel")
    wrong = [q.code for q in line_checklist(PACKS[pack], product, "wrong_item")]
    described = [q.code for q in line_checklist(PACKS[pack], product, "not_as_described")]
    plain = [q.code for q in line_checklist(PACKS[pack], product, "too_small")]
    assert wrong == [*plain, "wrong_item_confirmed"]
    assert described == [*plain, "not_as_described_confirmed"]
    assert "wrong_item_confirmed" not in [q.code for q in line_checklist(PACKS[pack], product)]


def test_a_refuted_claim_still_refunds_as_a_fault_claim_does():
    request = make_request(ask(reason=ReturnReason.WRONG_ITEM))
    order = make_order()
    policy = make_policy()
    decision = evaluate(order, request, policy).decisions[0]
    assert "wrong_item_confirmed" in [q.code for q in decision.checklist]
    refuted = evaluate(order, request, policy, inspected(found(wrong_item_confirmed=False)))
    assert refuted.refund.total == evaluate(order, request, policy, inspected(found())).refund.total


# Documents of the first shape ----------------------------------------------------------------


def test_the_first_shape_reads_as_the_returns_in_period_rule():
    old = make_policy(abuse={"max_returns": 5, "within_days": 30})
    new = make_policy(abuse={"returns_in_period": {"max_returns": 5, "within_days": 30}})
    assert old.document == new.document and old.digest == new.digest
    assert old.document["abuse"]["returns_in_period"] == {"max_returns": 5, "within_days": 30}
    assert make_policy(abuse={"within_days": 30}).document["abuse"]["returns_in_period"] is None


@pytest.mark.parametrize(("earlier", "fires"), [(4, False), (5, True)])
def test_a_first_shape_document_decides_as_it_did(earlier, fires):
    evaluation = evaluated(
        {"max_returns": 5, "within_days": 90}, customer=CustomerHistory(returns=earlier)
    )
    assert evaluation.needs_review is fires
    assert [f.code for f in evaluation.abuse] == (["returns_in_period"] if fires else [])


def test_a_stored_first_shape_canonical_document_still_loads():
    # What `flask policy export` wrote before the rule set, as kept in policy_versions.
    document = make_policy().document
    document["abuse"] = {"max_returns": 2, "within_days": 90}
    policy = load_policy(json.loads(json.dumps(document)), version=4)
    assert policy.abuse.returns_in_period is not None
    assert policy.abuse.returns_in_period.max_returns == 2
    again = load_policy(policy.document, version=4)
    assert again.digest == policy.digest


def test_an_exported_document_may_take_the_first_shape_keys():
    document = make_policy().document
    document["abuse"] = {**document["abuse"], "max_returns": 3}
    assert load_policy(document).abuse.returns_in_period.max_returns == 3


# Bad rule values, field by field -------------------------------------------------------------


def errors_of(document):
    with pytest.raises(PolicyInputError) as error:
        load_policy(document)
    return error.value.errors


@pytest.mark.parametrize(
    ("abuse", "errors"),
    [
        (
            {"returns_in_period": {}},
            {"abuse.returns_in_period.max_returns": ["must be an integer"]},
        ),
        (
            {"returns_in_period": {"max_returns": 0, "within_days": "90"}},
            {
                "abuse.returns_in_period.max_returns": ["must be at least 1"],
                "abuse.returns_in_period.within_days": ["must be an integer"],
            },
        ),
        (
            {"share_returned": {"max_percent": 100, "min_orders": 0}},
            {
                "abuse.share_returned.max_percent": ["must be at most 99"],
                "abuse.share_returned.min_orders": ["must be at least 1"],
            },
        ),
        (
            {"value_in_period": {"max_value": -1}},
            {"abuse.value_in_period.max_value": ["must be at least 0"]},
        ),
        (
            {"value_in_period": {"max_value": 12.5}},
            {"abuse.value_in_period.max_value": ["must be an integer"]},
        ),
        (
            {"refuted_claims": {"max_refuted": True, "within_days": 0}},
            {
                "abuse.refuted_claims.max_refuted": ["must be an integer"],
                "abuse.refuted_claims.within_days": ["must be at least 1"],
            },
        ),
        (
            {"high_value_line": {"over": 5}},
            {
                "abuse.high_value_line.above": ["must be an integer"],
                "abuse.high_value_line.over": ["unknown field"],
            },
        ),
        (
            {"blocklist": {"emails": ["li.wei", ""], "addresses": [" "]}},
            {
                "abuse.blocklist.emails.0": ["must be an e-mail address"],
                "abuse.blocklist.emails.1": ["must be an e-mail address"],
                "abuse.blocklist.addresses.0": ["must be a non-empty string"],
            },
        ),
        ({"blocklist": {"emails": "a@b.com"}}, {"abuse.blocklist.emails": ["must be a list"]}),
        (
            {"value_in_period": {"max_value": 1, "within_days": 3651}},
            {"abuse.value_in_period.within_days": ["must be at most 3650"]},
        ),
        ({"blocklist": []}, {"abuse.blocklist": ["must be an object"]}),
        ({"scoring": {}}, {"abuse.scoring": ["unknown field"]}),
        (
            {"max_returns": 2, "returns_in_period": {"max_returns": 3}},
            {
                "abuse.max_returns": [
                    "give returns_in_period or the older max_returns and within_days, not both"
                ]
            },
        ),
    ],
)
def test_bad_rule_values_are_named_field_by_field(abuse, errors):
    assert errors_of({"abuse": abuse}) == errors
