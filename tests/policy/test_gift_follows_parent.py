"""A free gift follows the item it came with: its window, its eligibility, its inspection.

RULES.md cn-7day "Gifts": the item, its accessories and any gifts go back together; only a
gift that is not sent back may be charged, at its stated price.
"""

from __future__ import annotations

from datetime import date

from returns_portal.policy import FAULT_REASONS, Parcel, ReturnReason, decide_lines, evaluate
from tests.policy.builders import (
    SIGNED,
    ask,
    at,
    codes,
    found,
    inspected,
    make_line,
    make_order,
    make_policy,
    make_request,
)

GIFT_VALUE = 1500


def order_with_gift(main_signed: str, gift_signed: str, **gift_facts):
    """An item and its free gift, each in a parcel of its own, signed for at different times."""
    return make_order(
        make_line("MAIN", price=20000, category="electronics"),
        make_line(
            "GIFT", price=0, category="gift", gift_of="MAIN", gift_value=GIFT_VALUE, **gift_facts
        ),
        parcels=(
            Parcel("P1", at(gift_signed), {"GIFT": 1}),
            Parcel("P2", at(main_signed), {"MAIN": 1}),
        ),
    )


def early_gift():
    # The gift's own 7 days ended on 10 Nov; the item's run to 17 Nov.
    return order_with_gift(main_signed=SIGNED, gift_signed="2026-11-03T10:00:00+08:00")


def decisions(order, policy, when="2026-11-12T10:00:00+08:00"):
    return {d.line_id: d for d in decide_lines(order, policy, at(when))}


# cn-7day: the window ---------------------------------------------------------------------


def test_a_gift_signed_for_before_its_item_may_be_returned_while_the_item_may():
    decided = decisions(early_gift(), make_policy())
    main, gift = decided["MAIN"], decided["GIFT"]
    assert main.eligible and gift.eligible
    assert gift.statutory == main.statutory is True
    assert gift.last_day == main.last_day == date(2026, 11, 17)
    assert gift.closes_at == main.closes_at
    assert gift.allowed_reasons == main.allowed_reasons
    assert gift.allowed_resolutions == main.allowed_resolutions
    assert "window_closed" not in codes(gift.reasons)


def test_a_gift_signed_for_after_its_item_is_refused_once_the_item_is():
    order = order_with_gift(
        main_signed="2026-11-01T10:00:00+08:00", gift_signed="2026-11-10T10:00:00+08:00"
    )
    decided = decisions(order, make_policy(), when="2026-11-12T10:00:00+08:00")
    assert not decided["MAIN"].eligible
    gift = decided["GIFT"]
    assert not gift.eligible
    assert gift.last_day == decided["MAIN"].last_day == date(2026, 11, 8)
    assert "window_closed" in codes(gift.reasons)


def test_a_gift_keeps_its_own_condition_checklist():
    decided = decisions(early_gift(), make_policy())
    assert [q.code for q in decided["GIFT"].checklist] == ["accessories_complete", "gifts_returned"]
    assert "no_unauthorised_repair" in [q.code for q in decided["MAIN"].checklist]


def test_an_item_returned_with_its_early_gift_is_accepted_whole_and_costs_nothing():
    evaluation = evaluate(early_gift(), make_request(ask("MAIN"), ask("GIFT")), make_policy())
    assert [d.eligible for d in evaluation.decisions] == [True, True]
    assert evaluation.refund.deductions == ()
    assert evaluation.refund.total == 20000


# cn-7day: the inspection -----------------------------------------------------------------


def test_a_gift_packed_with_its_item_and_ticked_returned_there_is_not_charged():
    # The gift was not announced as a line of its own: the item's answer "all free gifts that
    # came with it were returned" stands for it.
    evaluation = evaluate(
        early_gift(),
        make_request(ask("MAIN")),
        make_policy(),
        inspected(found("MAIN", gifts_returned=True, no_unauthorised_repair=True)),
    )
    assert evaluation.refund.deductions == ()
    assert evaluation.refund.total == 20000


def test_a_gift_the_item_s_check_says_is_missing_is_the_only_deduction():
    evaluation = evaluate(
        early_gift(),
        make_request(ask("MAIN")),
        make_policy(),
        inspected(found("MAIN", gifts_returned=False)),
    )
    assert evaluation.decisions[0].eligible
    assert [(d.code, d.line_id, d.amount) for d in evaluation.refund.deductions] == [
        ("gift_not_returned", "GIFT", GIFT_VALUE)
    ]
    assert evaluation.refund.total == 20000 - GIFT_VALUE


def test_a_gift_counted_in_on_its_own_line_is_judged_by_that_count():
    here = evaluate(
        early_gift(),
        make_request(ask("MAIN"), ask("GIFT")),
        make_policy(),
        inspected(found("MAIN", gifts_returned=False), found("GIFT", received_qty=1)),
    )
    assert here.refund.deductions == ()
    missing = evaluate(
        early_gift(),
        make_request(ask("MAIN"), ask("GIFT")),
        make_policy(),
        inspected(found("MAIN", gifts_returned=True), found("GIFT", received_qty=0)),
    )
    assert [d.code for d in missing.refund.deductions] == ["gift_not_returned"]


def test_no_gift_is_charged_with_an_item_that_is_not_refunded():
    evaluation = evaluate(
        early_gift(),
        make_request(ask("MAIN")),
        make_policy(),
        inspected(found("MAIN", received_qty=0)),
    )
    assert evaluation.refund.deductions == ()


# eu-14day --------------------------------------------------------------------------------


def eu_order(**gift_facts):
    return make_order(
        make_line("MAIN", price=20000, category="electronics"),
        make_line(
            "GIFT", price=0, category="gift", gift_of="MAIN", gift_value=GIFT_VALUE, **gift_facts
        ),
        currency="EUR",
    )


def eu_policy(**rules):
    return make_policy("eu-14day", timezone="Europe/Berlin", **rules)


def test_eu_a_gift_has_its_item_s_longer_merchant_window():
    policy = eu_policy(windows={"categories": {"electronics": 30}})
    # 20 days after delivery: past the 14-day withdrawal period, inside the shop's 30 days.
    decided = decisions(eu_order(), policy, when="2026-11-30T12:00:00+01:00")
    main, gift = decided["MAIN"], decided["GIFT"]
    assert main.eligible and not main.statutory
    assert gift.eligible and not gift.statutory
    assert gift.last_day == main.last_day == date(2026, 12, 10)


def test_eu_a_gift_the_law_would_exclude_on_its_own_goes_back_with_its_item():
    decided = decisions(eu_order(perishable=True), eu_policy())
    assert decided["MAIN"].eligible
    assert decided["GIFT"].eligible
    assert "excluded_perishable" not in codes(decided["GIFT"].reasons)


def test_eu_a_gift_of_an_excluded_item_is_excluded_with_it():
    order = make_order(
        make_line("MAIN", price=20000, category="apparel", custom_made=True),
        make_line("GIFT", price=0, category="gift", gift_of="MAIN", gift_value=GIFT_VALUE),
        currency="EUR",
    )
    decided = decisions(order, eu_policy())
    assert decided["GIFT"].allowed_reasons == decided["MAIN"].allowed_reasons == FAULT_REASONS
    assert "excluded_custom_made" in codes(decided["GIFT"].reasons)
    no_reason = evaluate(
        order, make_request(ask("GIFT", reason=ReturnReason.CHANGED_MIND)), eu_policy()
    )
    assert not no_reason.decisions[0].eligible


def test_eu_a_fault_claim_on_the_item_covers_its_gift_in_the_defect_window():
    policy = eu_policy(defect={"window_days": 60})
    when = "2027-01-05T12:00:00+01:00"  # past 14 days, inside the 60-day defect window
    decided = decisions(eu_order(), policy, when=when)
    assert decided["GIFT"].eligible == decided["MAIN"].eligible is True
    assert decided["GIFT"].allowed_reasons == decided["MAIN"].allowed_reasons
    assert ReturnReason.DEFECTIVE in decided["GIFT"].allowed_reasons
    assert ReturnReason.CHANGED_MIND not in decided["GIFT"].allowed_reasons
