"""The policy proposes a refund without the parcel ("keep the item") for returns not worth the
postage, by unit value, category and reason (docs/policy.md `returnless`); support decides."""

from __future__ import annotations

import pytest

from returns_portal.policy import (
    CustomerHistory,
    Money,
    PolicyInputError,
    Resolution,
    ReturnReason,
    evaluate,
    load_policy,
)
from tests.policy.builders import ask, inspected, make_line, make_order, make_policy, make_request

CHEAP = {"below": 3000}


def proposal(rule, *lines, request=None, **policy):
    order = make_order(*(lines or (make_line(price=2500),)))
    return evaluate(order, request or make_request(ask()), make_policy(returnless=rule, **policy))


@pytest.mark.parametrize(("price", "proposed"), [(2999, True), (3000, False), (3001, False)])
def test_a_unit_worth_less_than_the_bar_is_proposed_and_one_at_it_is_not(price, proposed):
    evaluation = proposal(CHEAP, make_line(price=price))
    assert (evaluation.returnless is not None) is proposed
    if proposed:
        assert evaluation.returnless.code == "returnless_proposed"
        assert evaluation.returnless.params["below"] == Money(3000, "CNY")
        assert evaluation.to_dict()["returnless"]["code"] == "returnless_proposed"
    else:
        assert evaluation.to_dict()["returnless"] is None


def test_the_unit_value_is_what_was_paid_for_one_unit_after_discounts():
    # Two units at 40.00 with 20.00 off the line: 30.00 a unit, not under 30.00.
    line = make_line(price=4000, quantity=2, line_discount=2000)
    assert proposal(CHEAP, line, request=make_request(ask(quantity=2))).returnless is None
    line = make_line(price=4000, quantity=2, line_discount=2002)
    assert proposal(CHEAP, line, request=make_request(ask(quantity=2))).returnless is not None


def test_every_unit_coming_back_must_qualify():
    cheap, dear = make_line("L1", price=1000), make_line("L2", price=9000)
    both = make_request(ask("L1"), ask("L2"))
    assert proposal(CHEAP, cheap, dear, request=both).returnless is None
    assert proposal(CHEAP, cheap, dear, request=make_request(ask("L1"))).returnless is not None


def test_categories_and_reasons_narrow_it():
    rule = {**CHEAP, "categories": ["Cosmetics"], "reasons": ["changed_mind"]}
    lipstick = make_line(price=2500, category="cosmetics")
    mind = make_request(ask(reason=ReturnReason.CHANGED_MIND))
    assert proposal(rule, lipstick, request=mind).returnless is not None
    assert (
        proposal(rule, make_line(price=2500, category="apparel"), request=mind).returnless is None
    )
    small = make_request(ask(reason=ReturnReason.TOO_SMALL))
    assert proposal(rule, lipstick, request=small).returnless is None


def test_never_for_an_exchange_a_flagged_return_or_after_inspection():
    exchange = make_request(ask(resolution=Resolution.EXCHANGE))
    assert proposal(CHEAP, request=exchange).returnless is None
    order = make_order(make_line(price=2500), customer=CustomerHistory(returns=9))
    flagged = evaluate(
        order, make_request(ask()),
        make_policy(returnless=CHEAP, abuse={"returns_in_period": {"max_returns": 1}}),
    )  # fmt: skip
    assert flagged.needs_review and flagged.returnless is None
    checked = evaluate(
        make_order(make_line(price=2500)), make_request(ask()), make_policy(returnless=CHEAP),
        inspected(),
    )  # fmt: skip
    assert checked.returnless is None


def test_off_by_default_and_in_the_canonical_document():
    assert proposal({}, make_line(price=1)).returnless is None
    document = load_policy(
        {"returnless": {"below": 500, "categories": [" Cosmetics ", "cosmetics"],
                        "reasons": ["too_small", "changed_mind", "too_small"]}}
    ).document  # fmt: skip
    assert document["returnless"] == {
        "below": 500, "categories": ["cosmetics"], "reasons": ["changed_mind", "too_small"]
    }  # fmt: skip
    assert load_policy({}).document["returnless"] == {"below": None, "categories": [],
                                                      "reasons": []}  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "where"),
    [({"below": -1}, "returnless.below"), ({"reasons": ["bored"]}, "returnless.reasons"),
     ({"categories": [""]}, "returnless.categories"), ({"after": 3}, "returnless.after")],
)  # fmt: skip
def test_bad_values_are_refused_with_where_they_are(rule, where):
    with pytest.raises(PolicyInputError) as refused:
        load_policy({"returnless": rule})
    assert where in str(refused.value)


def test_the_dry_run_report_says_it():
    from returns_portal.policy import format_evaluation

    report = format_evaluation(proposal(CHEAP), "Asia/Shanghai")
    assert "Keep the items" in report and "worth less than" in report
