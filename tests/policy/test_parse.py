"""Parsing and validating requests and inspections: every bad field named by its path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from returns_portal.policy import (
    PolicyInputError,
    RequestedLine,
    Resolution,
    ReturnMethod,
    ReturnReason,
    ReturnRequest,
    evaluate,
    parse_inspection,
    parse_request,
    validate_request,
)
from tests.policy.builders import ask, make_line, make_order, make_policy, make_request

GOOD_REQUEST = {
    "requested_at": "2026-11-12T10:00:00+08:00",
    "lines": [
        {"line_id": "L1", "quantity": 2, "reason": "too_small", "resolution": "exchange"},
        {"line_id": "L2", "quantity": 1, "reason": "defective", "note": "screen flickers"},
    ],
    "method": "qr_dropoff",
    "label_cost": 650,
    "previously_returned": {"L1": 1},
}


def errors_of(parse, data):
    with pytest.raises(PolicyInputError) as error:
        parse(data)
    return error.value.errors


def test_a_good_request_parses_into_facts():
    request = parse_request(GOOD_REQUEST)
    assert request.requested_at == datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
    assert request.lines == (
        RequestedLine("L1", 2, ReturnReason.TOO_SMALL, Resolution.EXCHANGE),
        RequestedLine("L2", 1, ReturnReason.DEFECTIVE, Resolution.REFUND, "screen flickers"),
    )
    assert request.method is ReturnMethod.QR_DROPOFF
    assert request.label_cost == 650
    assert request.previously_returned == {"L1": 1}


def test_a_utc_z_suffix_is_accepted():
    request = parse_request({**GOOD_REQUEST, "requested_at": "2026-11-12T02:00:00Z"})
    assert request.requested_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"requested_at": "2026-11-12T10:00:00"}, "requested_at"),
        ({"requested_at": "yesterday"}, "requested_at"),
        ({"lines": []}, "lines"),
        ({"method": "pigeon"}, "method"),
        ({"label_cost": -5}, "label_cost"),
        ({"previously_returned": {"L1": -1}}, "previously_returned.L1"),
        ({"extra": 1}, "extra"),
        ({"lines": [{"line_id": "L1", "quantity": 0, "reason": "too_small"}]}, "lines.0.quantity"),
        (
            {"lines": [{"line_id": "L1", "quantity": True, "reason": "too_small"}]},
            "lines.0.quantity",
        ),
        ({"lines": [{"line_id": "L1", "quantity": 1, "reason": "bored"}]}, "lines.0.reason"),
        ({"lines": [{"line_id": "", "quantity": 1, "reason": "other"}]}, "lines.0.line_id"),
        (
            {"lines": [{"line_id": "L1", "quantity": 1, "reason": "other", "resolution": "cash"}]},
            "lines.0.resolution",
        ),
        ({"lines": [{"line_id": "L1", "quantity": 1, "reason": "other", "x": 1}]}, "lines.0.x"),
    ],
)
def test_a_bad_request_field_is_named_by_its_dotted_path(change, path):
    assert path in errors_of(parse_request, {**GOOD_REQUEST, **change})


def test_every_bad_field_is_reported_at_once():
    errors = errors_of(parse_request, {"lines": [{"quantity": "two"}]})
    assert {"requested_at", "lines.0.line_id", "lines.0.quantity", "lines.0.reason"} <= set(errors)


def test_a_good_inspection_parses_into_findings():
    inspection = parse_inspection(
        {
            "received_at": "2026-11-15T14:00:00+08:00",
            "lines": {
                "L1": {"received_qty": 1, "answers": {"brand_tag_attached": False}},
                "L2": {"received_qty": 0, "diminished_value": 300},
            },
        }
    )
    assert inspection.received_at.tzinfo is not None
    assert inspection.lines["L1"].answers == {"brand_tag_attached": False}
    assert inspection.lines["L2"].diminished_value == 300


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"received_at": "2026-11-15T14:00:00", "lines": {}}, "received_at"),
        ({"received_at": "2026-11-15T14:00:00Z", "lines": []}, "lines"),
        ({"received_at": "2026-11-15T14:00:00Z", "lines": {"L1": {}}}, "lines.L1.received_qty"),
        (
            {"received_at": "2026-11-15T14:00:00Z", "lines": {"L1": {"received_qty": -1}}},
            "lines.L1.received_qty",
        ),
        (
            {
                "received_at": "2026-11-15T14:00:00Z",
                "lines": {"L1": {"received_qty": 1, "answers": {"smells_nice": True}}},
            },
            "lines.L1.answers.smells_nice",
        ),
        (
            {
                "received_at": "2026-11-15T14:00:00Z",
                "lines": {"L1": {"received_qty": 1, "answers": {"seal_intact": "yes"}}},
            },
            "lines.L1.answers.seal_intact",
        ),
        (
            {
                "received_at": "2026-11-15T14:00:00Z",
                "lines": {"L1": {"received_qty": 1, "line_id": "L2"}},
            },
            "lines.L1.line_id",
        ),
    ],
)
def test_a_bad_inspection_field_is_named_by_its_dotted_path(data, path):
    assert path in errors_of(parse_inspection, data)


def two_line_order():
    return make_order(make_line("L1", quantity=3), make_line("L2"))


def test_a_request_for_an_unknown_line_is_invalid():
    with pytest.raises(PolicyInputError) as error:
        validate_request(two_line_order(), make_request(ask("L9")))
    assert "lines.0.line_id" in error.value.errors


def test_a_request_for_more_than_remains_is_invalid():
    request = make_request(ask("L1", 2), previously_returned={"L1": 2})
    with pytest.raises(PolicyInputError) as error:
        validate_request(two_line_order(), request)
    assert error.value.errors == {
        "lines.0.quantity": ["only 1 unit(s) of this line can still be returned"]
    }


def test_a_line_requested_twice_is_invalid():
    with pytest.raises(PolicyInputError) as error:
        validate_request(two_line_order(), make_request(ask("L1"), ask("L1")))
    assert "lines.1.line_id" in error.value.errors


def test_previously_returned_units_must_belong_to_the_order():
    request = make_request(ask("L1"), previously_returned={"L9": 1, "L2": 5})
    with pytest.raises(PolicyInputError) as error:
        validate_request(two_line_order(), request)
    assert set(error.value.errors) == {"previously_returned.L9", "previously_returned.L2"}


def test_a_valid_request_passes_validation():
    validate_request(two_line_order(), make_request(ask("L1", 3), ask("L2")))


def test_the_engine_refuses_to_evaluate_an_unknown_line():
    with pytest.raises(PolicyInputError):
        evaluate(two_line_order(), make_request(ask("L9")), make_policy())


def test_the_engine_refuses_more_than_remains_with_a_reason():
    request = make_request(ask("L1", 2), previously_returned={"L1": 2})
    evaluation = evaluate(two_line_order(), request, make_policy())
    decision = evaluation.decisions[0]
    assert not decision.eligible
    assert decision.remaining_qty == 1
    assert [r.code for r in decision.reasons][-1] == "quantity_exceeds_remaining"
    assert evaluation.refund.total == 0


def test_plain_strings_for_enums_become_enums():
    line = RequestedLine("L1", 1, "too_large", "store_credit")  # type: ignore[arg-type]
    assert line.reason is ReturnReason.TOO_LARGE
    assert line.resolution is Resolution.STORE_CREDIT
    with pytest.raises(ValueError):
        RequestedLine("L1", 1, "bored")  # type: ignore[arg-type]


def test_naive_datetimes_are_refused_in_facts():
    with pytest.raises(ValueError, match="timezone-aware"):
        ReturnRequest(requested_at=datetime(2026, 11, 12, 10, 0), lines=(ask(),))
    aware = datetime(2026, 11, 12, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert ReturnRequest(requested_at=aware, lines=(ask(),)).requested_at == aware
