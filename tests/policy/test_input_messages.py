"""Every kind of bad input is named by its dotted path with the same sentence it always had.

The readers of the policy document, the return request and the inspection are pydantic models;
these cases pin their messages (not pydantic's) so that a merchant fixing a document, and the
API's clients, read what they always did.
"""

from __future__ import annotations

import pytest

from returns_portal.policy import (
    PolicyInputError,
    PolicyRefused,
    load_policy,
    parse_inspection,
    parse_request,
)

GOOD_REQUEST = {
    "requested_at": "2026-11-12T10:00:00+08:00",
    "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
}
GOOD_INSPECTION = {"received_at": "2026-11-15T14:00:00Z", "lines": {"L1": {"received_qty": 1}}}


def errors_of(read, data):
    with pytest.raises(PolicyInputError) as error:
        read(data)
    return error.value.errors


@pytest.mark.parametrize(
    ("document", "errors"),
    [
        ({"colour": "blue"}, {"colour": ["unknown field"]}),
        ({"pack": 5}, {"pack": ["must be a non-empty string"]}),
        ({"pack": " "}, {"pack": ["must be a non-empty string"]}),
        ({"timezone": 8}, {"timezone": ["must be a non-empty string"]}),
        ({"windows": []}, {"windows": ["must be an object"]}),
        ({"windows": {"weeks": {}}}, {"windows.weeks": ["unknown field"]}),
        (
            {"windows": {"categories": {"apparel": "thirty"}}},
            {"windows.categories.apparel": ["must be an integer"]},
        ),
        (
            {"windows": {"categories": {"apparel": True}}},
            {"windows.categories.apparel": ["must be an integer"]},
        ),
        (
            {"windows": {"products": {"SKU-1": 0}}},
            {"windows.products.SKU-1": ["must be at least 1"]},
        ),
        ({"holidays": "2026-12-25"}, {"holidays": ["must be a list"]}),
        ({"holidays": ["2026-13-01"]}, {"holidays.0": ["must be a date as yyyy-mm-dd"]}),
        ({"holidays": [""]}, {"holidays.0": ["must be a non-empty string"]}),
        ({"holiday_extensions": {}}, {"holiday_extensions": ["must be a list"]}),
        (
            {"holiday_extensions": [{"ordered_from": "2026-11-01"}]},
            {
                "holiday_extensions.0.ordered_to": ["must be a date as yyyy-mm-dd"],
                "holiday_extensions.0.return_by": ["must be a date as yyyy-mm-dd"],
            },
        ),
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
            {"holiday_extensions.0.ordered_to": ["must not be before ordered_from"]},
        ),
        ({"final_sale_skus": [5]}, {"final_sale_skus.0": ["must be a non-empty string"]}),
        ({"defect": {"window_days": 2.5}}, {"defect.window_days": ["must be an integer"]}),
        (
            {"defect": {"photos_required": "yes"}},
            {"defect.photos_required": ["must be true or false"]},
        ),
        (
            {"restocking_fee": {"default": {"percent": 5, "fixed": 100}}},
            {"restocking_fee.default": ["must set exactly one of percent or fixed"]},
        ),
        (
            {"restocking_fee": {"default": {}}},
            {"restocking_fee.default": ["must set exactly one of percent or fixed"]},
        ),
        (
            {"restocking_fee": {"default": 10}},
            {
                "restocking_fee.default": [
                    "must be an object",
                    "must set exactly one of percent or fixed",
                ]
            },
        ),
        (
            {"restocking_fee": {"default": {"percent": 150}}},
            {"restocking_fee.default.percent": ["must be at most 100"]},
        ),
        (
            {"restocking_fee": {"categories": {"shoes": {"fixed": -1}}}},
            {"restocking_fee.categories.shoes.fixed": ["must be at least 0"]},
        ),
        (
            {"restocking_fee": {"default": {"percent": 5, "applies_to_statutory": "no"}}},
            {"restocking_fee.default.applies_to_statutory": ["must be true or false"]},
        ),
        (
            {"return_shipping": {"paid_by": "nobody"}},
            {"return_shipping.paid_by": ["must be one of customer, merchant"]},
        ),
        (
            {"return_shipping": {"label_cost": -1}},
            {"return_shipping.label_cost": ["must be at least 0"]},
        ),
        (
            {"return_shipping": {"free_above": "x"}},
            {"return_shipping.free_above": ["must be an integer"]},
        ),
        ({"methods": []}, {"methods": ["must not be empty"]}),
        ({"methods": ["label", "pigeon"]}, {"methods.1": ["must be one of label, qr_dropoff"]}),
        ({"methods": "label"}, {"methods": ["must be a list"]}),
        (
            {"resolutions": {"allowed": ["cash"]}},
            {"resolutions.allowed.0": ["must be one of refund, store_credit, exchange"]},
        ),
        (
            {"resolutions": {"store_credit_bonus_percent": None}},
            {"resolutions.store_credit_bonus_percent": ["must be an integer"]},
        ),
        (
            {"resolutions": {"exchange_only_categories": [" "]}},
            {"resolutions.exchange_only_categories.0": ["must be a non-empty string"]},
        ),
        ({"refund_within_days": 0}, {"refund_within_days": ["must be at least 1"]}),
        (
            {"approval": {"auto_approve_below": 100, "two_approvers_above": 50}},
            {"approval.two_approvers_above": ["must not be below auto_approve_below"]},
        ),
        (
            {"approval": {"auto_approve_below": -5}},
            {"approval.auto_approve_below": ["must be at least 0"]},
        ),
        ({"abuse": {"max_returns": 0}}, {"abuse.max_returns": ["must be at least 1"]}),
        ({"abuse": {"within_days": None}}, {"abuse.within_days": ["must be an integer"]}),
    ],
)
def test_a_bad_policy_document_is_named_field_by_field(document, errors):
    assert errors_of(load_policy, document) == errors


def test_a_policy_document_that_is_not_an_object_is_refused_whole():
    assert errors_of(load_policy, ["pack"]) == {"": ["the policy document must be an object"]}


def test_every_bad_field_of_a_document_is_reported_at_once():
    document = {"pack": 5, "windows": {"categories": {"apparel": 0}}, "abuse": []}
    assert errors_of(load_policy, document) == {
        "abuse": ["must be an object"],
        "pack": ["must be a non-empty string"],
        "windows.categories.apparel": ["must be at least 1"],
    }


def test_unknown_fields_are_named_beside_a_fee_that_sets_both_amounts():
    document = {"restocking_fee": {"default": {"percent": 150, "fixed": 1, "flat": 2}}}
    assert errors_of(load_policy, document) == {
        "restocking_fee.default": ["must set exactly one of percent or fixed"],
        "restocking_fee.default.flat": ["unknown field"],
    }


def test_dates_out_of_order_are_named_beside_an_unknown_field():
    extension = {
        "ordered_from": "2026-12-24",
        "ordered_to": "2026-11-01",
        "return_by": "2027-01-31",
    }
    document = {"holiday_extensions": [extension | {"until": "2027-02-01"}]}
    assert errors_of(load_policy, document) == {
        "holiday_extensions.0.ordered_to": ["must not be before ordered_from"],
        "holiday_extensions.0.until": ["unknown field"],
    }


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"requested_at": "2026-11-12T10:00:00"},
            {"requested_at": ["must include a UTC offset, e.g. +08:00 or Z"]},
        ),
        (
            {"requested_at": "yesterday"},
            {"requested_at": ["must be an ISO-8601 date and time with a UTC offset"]},
        ),
        (
            {"requested_at": None},
            {"requested_at": ["must be an ISO-8601 date and time with a UTC offset"]},
        ),
        ({"lines": []}, {"lines": ["must be a non-empty list"]}),
        ({"lines": {}}, {"lines": ["must be a non-empty list"]}),
        ({"method": "pigeon"}, {"method": ["must be one of label, qr_dropoff"]}),
        ({"label_cost": -5}, {"label_cost": ["must be at least 0"]}),
        ({"label_cost": "5"}, {"label_cost": ["must be an integer"]}),
        ({"previously_returned": []}, {"previously_returned": ["must be an object"]}),
        ({"previously_returned": {"L1": -1}}, {"previously_returned.L1": ["must be at least 0"]}),
        ({"extra": 1}, {"extra": ["unknown field"]}),
        (
            {"lines": [{"line_id": "L1", "quantity": 0, "reason": "too_small"}]},
            {"lines.0.quantity": ["must be at least 1"]},
        ),
        (
            {"lines": [{"line_id": "", "quantity": 1, "reason": "other"}]},
            {"lines.0.line_id": ["must be a non-empty string"]},
        ),
        (
            {"lines": [{"line_id": "L1", "quantity": 1, "reason": "bored"}]},
            {
                "lines.0.reason": [
                    "must be one of no_reason, changed_mind, too_small, too_large, not_as_described, defective, damaged_in_transit, wrong_item, arrived_late, other"
                ]
            },
        ),
        (
            {"lines": [{"line_id": "L1", "quantity": 1, "reason": "other", "resolution": "cash"}]},
            {"lines.0.resolution": ["must be one of refund, store_credit, exchange"]},
        ),
        (
            {"lines": [{"line_id": "L1", "quantity": 1, "reason": "other", "note": 5}]},
            {"lines.0.note": ["must be a string"]},
        ),
        (
            {"lines": [{"quantity": 1, "reason": "other"}]},
            {"lines.0.line_id": ["must be a non-empty string"]},
        ),
    ],
)
def test_a_bad_return_request_is_named_field_by_field(change, errors):
    assert errors_of(parse_request, {**GOOD_REQUEST, **change}) == errors


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"received_at": "2026-11-15T14:00:00"},
            {"received_at": ["must include a UTC offset, e.g. +08:00 or Z"]},
        ),
        ({"lines": []}, {"lines": ["must be an object keyed by line id"]}),
        ({"lines": {"L1": {}}}, {"lines.L1.received_qty": ["must be an integer"]}),
        (
            {"lines": {"L1": {"received_qty": -1}}},
            {"lines.L1.received_qty": ["must be at least 0"]},
        ),
        (
            {"lines": {"L1": {"received_qty": 1, "answers": {"smells_nice": True}}}},
            {"lines.L1.answers.smells_nice": ["unknown checklist question"]},
        ),
        (
            {"lines": {"L1": {"received_qty": 1, "answers": {"seal_intact": "yes"}}}},
            {"lines.L1.answers.seal_intact": ["must be true or false"]},
        ),
        (
            {"lines": {"L1": {"received_qty": 1, "answers": []}}},
            {"lines.L1.answers": ["must be an object of question code -> true/false"]},
        ),
        (
            {"lines": {"L1": {"received_qty": 1, "line_id": "L2"}}},
            {"lines.L1.line_id": ["must match the key it is filed under"]},
        ),
        (
            {"lines": {"L1": {"received_qty": 1, "diminished_value": None}}},
            {"lines.L1.diminished_value": ["must be an integer"]},
        ),
        ({"lines": {"L1": {"received_qty": 1, "x": 1}}}, {"lines.L1.x": ["unknown field"]}),
    ],
)
def test_a_bad_inspection_is_named_field_by_field(change, errors):
    assert errors_of(parse_inspection, {**GOOD_INSPECTION, **change}) == errors


@pytest.mark.parametrize("name", ["America", "Mars/Olympus", "x" * 300, "a\x00b"])
def test_a_time_zone_that_is_not_a_zone_is_refused_not_a_crash(name):
    with pytest.raises(PolicyRefused) as refused:
        load_policy({"timezone": name})
    assert [v.rule for v in refused.value.violations] == ["timezone"]
