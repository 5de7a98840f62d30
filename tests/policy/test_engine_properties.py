"""Invariants of the refund, checked over generated orders, requests and inspections."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from returns_portal.policy import (
    FAULT_REASONS,
    CustomerHistory,
    Evaluation,
    Inspection,
    LineFindings,
    OrderFacts,
    RequestedLine,
    Resolution,
    ReturnReason,
    ReturnRequest,
    evaluate,
    line_paid_amounts,
    unit_share,
)
from tests.policy.builders import at, make_line, make_order, make_policy

POLICIES = {
    "cn plain": make_policy(),
    "cn generous": make_policy(
        windows={"categories": {"apparel": 30, "electronics": 30}},
        defect={"window_days": 45},
        restocking_fee={"categories": {}, "default": {"percent": 15}},
        return_shipping={"label_cost": 900},
        resolutions={"store_credit_bonus_percent": 12},
        approval={"auto_approve_below": 3000, "two_approvers_above": 40000},
    ),
    "cn fixed fee": make_policy(
        windows={"categories": {"apparel": 30}},
        restocking_fee={"categories": {}, "default": {"fixed": 700}},
        return_shipping={"label_cost": 2500},
    ),
    "eu plain": make_policy("eu-14day", timezone="Europe/Berlin"),
    "eu": make_policy("eu-14day", timezone="Europe/Berlin", return_shipping={"label_cost": 650}),
    "eu generous": make_policy(
        "eu-14day",
        timezone="Europe/Berlin",
        windows={"categories": {"apparel": 60}},
        restocking_fee={"categories": {}, "default": {"percent": 20}},
        resolutions={"store_credit_bonus_percent": 25},
    ),
}

CATEGORIES = ["apparel", "electronics", "cosmetics", "media", "food", "other"]
FLAGS = ["custom_made", "perishable", "sealed_media", "hygiene_sealed", "final_sale", "periodical"]
REQUEST_TIMES = [
    "2026-11-11T09:00:00+08:00",
    "2026-11-17T23:59:59+08:00",
    "2026-11-18T00:00:00+08:00",
    "2026-11-30T12:00:00+08:00",
    "2027-01-20T12:00:00+08:00",
]


@st.composite
def orders(draw) -> OrderFacts:
    count = draw(st.integers(min_value=1, max_value=4))
    lines = []
    for i in range(count):
        quantity = draw(st.integers(min_value=1, max_value=5))
        price = draw(st.integers(min_value=0, max_value=50000))
        gift_of = None
        if i > 0 and draw(st.booleans()) and lines[0].gift_of is None:
            gift_of = lines[0].line_id
        flags = {flag: True for flag in draw(st.sets(st.sampled_from(FLAGS), max_size=2))}
        lines.append(
            make_line(
                f"L{i}",
                price=price,
                quantity=quantity,
                category=draw(st.sampled_from(CATEGORIES)),
                line_discount=draw(st.integers(min_value=0, max_value=price * quantity)),
                tax=draw(st.integers(min_value=0, max_value=20000)),
                gift_of=gift_of,
                gift_value=draw(st.integers(min_value=0, max_value=3000)) if gift_of else 0,
                **flags,
            )
        )
    goods = sum(line.gross for line in lines if line.gift_of is None)
    threshold = draw(st.none() | st.integers(min_value=0, max_value=max(goods, 1) * 2))
    return make_order(
        *lines,
        delivered_at=draw(st.sampled_from(["2026-11-10T23:30:00+08:00", None])),
        order_discount=draw(st.integers(min_value=0, max_value=goods)),
        shipping_paid=draw(st.integers(min_value=0, max_value=3000)),
        standard_shipping=draw(st.integers(min_value=0, max_value=3000)),
        free_shipping_threshold=threshold,
        return_costs_disclosed=draw(st.booleans()),
        customer=CustomerHistory(returns=draw(st.integers(min_value=0, max_value=8))),
    )


@st.composite
def scenarios(draw) -> tuple[OrderFacts, ReturnRequest, Inspection | None]:
    order = draw(orders())
    previously = {
        line.line_id: draw(st.integers(min_value=0, max_value=line.quantity - 1))
        for line in order.lines
    }
    chosen = draw(st.lists(st.sampled_from(order.lines), min_size=1, unique_by=lambda x: x.line_id))
    requested = tuple(
        RequestedLine(
            line.line_id,
            draw(st.integers(min_value=1, max_value=line.quantity - previously[line.line_id])),
            draw(st.sampled_from(list(ReturnReason))),
            draw(st.sampled_from(list(Resolution))),
        )
        for line in chosen
    )
    request = ReturnRequest(
        requested_at=at(draw(st.sampled_from(REQUEST_TIMES))),
        lines=requested,
        label_cost=draw(st.none() | st.integers(min_value=0, max_value=5000)),
        previously_returned=previously,
    )
    inspection = None
    if draw(st.booleans()):
        findings = {}
        for line in order.lines:
            if draw(st.booleans()):
                findings[line.line_id] = LineFindings(
                    line.line_id,
                    draw(st.integers(min_value=0, max_value=line.quantity)),
                    draw(
                        st.dictionaries(
                            st.sampled_from(
                                [
                                    "seal_intact",
                                    "brand_tag_attached",
                                    "gifts_returned",
                                    "not_used_beyond_trial",
                                ]
                            ),
                            st.booleans(),
                        )
                    ),
                    draw(st.integers(min_value=0, max_value=20000)),
                )
        inspection = Inspection(at("2026-11-20T10:00:00+08:00"), findings)
    return order, request, inspection


def paid_for_returned_units(order: OrderFacts, request: ReturnRequest, ev: Evaluation) -> int:
    """What the customer paid for the units this evaluation refunds, plus delivery paid."""
    paid = line_paid_amounts(order)
    total = order.shipping_paid
    for refund_line in ev.refund.lines:
        line = order.line(refund_line.line_id)
        before = request.previously_returned.get(line.line_id, 0)
        total += unit_share(paid[line.line_id], line.quantity, before, refund_line.quantity)
        total += unit_share(line.tax, line.quantity, before, refund_line.quantity)
    return total


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(), policy_name=st.sampled_from(sorted(POLICIES)))
def test_the_total_adds_up_and_never_goes_below_zero(scenario, policy_name):
    order, request, inspection = scenario
    refund = evaluate(order, request, POLICIES[policy_name], inspection).refund
    lines = sum(line.items + line.tax for line in refund.lines)
    deducted = sum(d.amount for d in refund.deductions)
    assert refund.total == lines + refund.shipping - deducted
    assert refund.total >= 0
    assert all(d.amount >= 0 for d in refund.deductions)
    assert refund.bonus_credit >= 0


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(), policy_name=st.sampled_from(sorted(POLICIES)))
def test_the_refund_never_exceeds_what_was_paid_for_the_returned_units(scenario, policy_name):
    order, request, inspection = scenario
    evaluation = evaluate(order, request, POLICIES[policy_name], inspection)
    assert evaluation.refund.total <= paid_for_returned_units(order, request, evaluation)
    assert evaluation.refund.shipping <= min(order.shipping_paid, order.standard_shipping)


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), policy_name=st.sampled_from(sorted(POLICIES)))
def test_refused_lines_contribute_nothing_and_say_why(scenario, policy_name):
    order, request, inspection = scenario
    evaluation = evaluate(order, request, POLICIES[policy_name], inspection)
    for decision, refund_line in zip(evaluation.decisions, evaluation.refund.lines, strict=True):
        assert decision.line_id == refund_line.line_id
        if not decision.eligible:
            assert (refund_line.quantity, refund_line.items, refund_line.tax) == (0, 0, 0)
            assert decision.reasons


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), policy_name=st.sampled_from(sorted(POLICIES)))
def test_fault_claims_pay_no_restocking_fee(scenario, policy_name):
    order, request, inspection = scenario
    evaluation = evaluate(order, request, POLICIES[policy_name], inspection)
    faulty = {rl.line_id for rl in request.lines if rl.reason in FAULT_REASONS}
    assert not [
        d
        for d in evaluation.refund.deductions
        if d.code == "restocking_fee" and d.line_id in faulty
    ]


@settings(max_examples=100, deadline=None)
@given(scenario=scenarios(), policy_name=st.sampled_from(sorted(POLICIES)))
def test_an_evaluation_serialises_to_json(scenario, policy_name):
    order, request, inspection = scenario
    evaluation = evaluate(order, request, POLICIES[policy_name], inspection)
    data = evaluation.to_dict()
    assert json.loads(json.dumps(data)) == data


@given(orders())
def test_discount_allocation_sums_exactly_to_the_order_discount(order):
    paid = line_paid_amounts(order)
    sold = [line for line in order.lines if line.gift_of is None]
    assert sum(line.gross for line in sold) - sum(paid[line.line_id] for line in sold) == (
        order.order_discount
    )
    assert all(amount >= 0 for amount in paid.values())


@settings(max_examples=200, deadline=None)
@given(
    price=st.integers(min_value=0, max_value=100000),
    tax=st.integers(min_value=0, max_value=30000),
    discount_share=st.floats(min_value=0, max_value=1),
    order_discount_share=st.floats(min_value=0, max_value=1),
    split=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=6),
    policy_name=st.sampled_from(["cn plain", "eu plain"]),  # no deductions to muddy the sum
)
def test_repeated_partial_returns_add_up_to_exactly_the_line(
    price, tax, discount_share, order_discount_share, split, policy_name
):
    quantity = sum(split)
    line_discount = int(price * quantity * discount_share)
    line = make_line("L1", price=price, quantity=quantity, line_discount=line_discount, tax=tax)
    other = make_line("L2", price=1000)
    goods = line.gross + other.gross
    order = make_order(line, other, order_discount=int(goods * order_discount_share))
    policy = POLICIES[policy_name]
    paid = line_paid_amounts(order)["L1"] + tax

    returned = 0
    refunded = 0
    for count in split:
        request = ReturnRequest(
            requested_at=at("2026-11-12T10:00:00+08:00"),
            lines=(RequestedLine("L1", count, ReturnReason.NO_REASON),),
            previously_returned={"L1": returned},
        )
        refund = evaluate(order, request, policy).refund
        refunded += refund.total
        returned += count
        assert refunded <= paid
    assert refunded == paid
