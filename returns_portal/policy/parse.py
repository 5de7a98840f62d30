"""Turn JSON-like input into request and inspection facts, naming every bad field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from returns_portal.policy.decisions import check_request_lines
from returns_portal.policy.errors import ErrorCollector, PolicyInputError
from returns_portal.policy.facts import (
    Inspection,
    LineFindings,
    OrderFacts,
    RequestedLine,
    Resolution,
    ReturnMethod,
    ReturnReason,
    ReturnRequest,
)
from returns_portal.policy.packs import QUESTION_CODES

E = TypeVar("E", bound=StrEnum)


def _keys(
    data: object, path: str, allowed: tuple[str, ...], errors: ErrorCollector
) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        errors.add(path or "", "must be an object")
        return {}
    for key in data:
        if key not in allowed:
            errors.add(f"{path}.{key}" if path else str(key), "unknown field")
    return data


def _datetime(value: object, path: str, errors: ErrorCollector) -> datetime | None:
    if not isinstance(value, str):
        errors.add(path, "must be an ISO-8601 date and time with a UTC offset")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.add(path, "must be an ISO-8601 date and time with a UTC offset")
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        errors.add(path, "must include a UTC offset, e.g. +08:00 or Z")
        return None
    return moment


def _integer(value: object, path: str, errors: ErrorCollector, minimum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(path, "must be an integer")
        return None
    if value < minimum:
        errors.add(path, f"must be at least {minimum}")
        return None
    return value


def _choice(value: object, path: str, errors: ErrorCollector, enum: type[E]) -> E | None:
    allowed = [member.value for member in enum]
    if isinstance(value, str) and value in allowed:
        return enum(value)
    errors.add(path, f"must be one of {', '.join(allowed)}")
    return None


def parse_request(data: Mapping[str, Any]) -> ReturnRequest:
    """Build a ReturnRequest from JSON-like data; raise PolicyInputError naming bad fields."""
    errors = ErrorCollector()
    top = _keys(
        data,
        "",
        ("requested_at", "lines", "method", "label_cost", "previously_returned"),
        errors,
    )
    requested_at = _datetime(top.get("requested_at"), "requested_at", errors)

    lines: list[RequestedLine] = []
    raw_lines = top.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        errors.add("lines", "must be a non-empty list")
        raw_lines = []
    for i, raw in enumerate(raw_lines):
        path = f"lines.{i}"
        item = _keys(raw, path, ("line_id", "quantity", "reason", "resolution", "note"), errors)
        line_id = item.get("line_id")
        if not isinstance(line_id, str) or not line_id:
            errors.add(f"{path}.line_id", "must be a non-empty string")
        quantity = _integer(item.get("quantity"), f"{path}.quantity", errors, 1)
        return_reason = _choice(item.get("reason"), f"{path}.reason", errors, ReturnReason)
        resolution = _choice(
            item.get("resolution", Resolution.REFUND.value),
            f"{path}.resolution",
            errors,
            Resolution,
        )
        note = item.get("note", "")
        if not isinstance(note, str):
            errors.add(f"{path}.note", "must be a string")
        if (
            isinstance(line_id, str)
            and line_id
            and quantity is not None
            and return_reason is not None
            and resolution is not None
            and isinstance(note, str)
        ):
            lines.append(RequestedLine(line_id, quantity, return_reason, resolution, note))

    method = _choice(top.get("method", ReturnMethod.LABEL.value), "method", errors, ReturnMethod)
    label_cost = None
    if top.get("label_cost") is not None:
        label_cost = _integer(top["label_cost"], "label_cost", errors, 0)

    previously_returned: dict[str, int] = {}
    raw_previous = top.get("previously_returned", {})
    if not isinstance(raw_previous, Mapping):
        errors.add("previously_returned", "must be an object")
        raw_previous = {}
    for line_id, value in raw_previous.items():
        qty = _integer(value, f"previously_returned.{line_id}", errors, 0)
        if qty is not None:
            previously_returned[str(line_id)] = qty

    errors.raise_if_any()
    assert requested_at is not None and method is not None  # errors were raised otherwise
    return ReturnRequest(
        requested_at=requested_at,
        lines=tuple(lines),
        method=method,
        label_cost=label_cost,
        previously_returned=previously_returned,
    )


def parse_inspection(data: Mapping[str, Any]) -> Inspection:
    """Build an Inspection from JSON-like data; raise PolicyInputError naming bad fields."""
    errors = ErrorCollector()
    top = _keys(data, "", ("received_at", "lines"), errors)
    received_at = _datetime(top.get("received_at"), "received_at", errors)
    raw_lines = top.get("lines")
    if not isinstance(raw_lines, Mapping):
        errors.add("lines", "must be an object keyed by line id")
        raw_lines = {}
    findings: dict[str, LineFindings] = {}
    for line_id, raw in raw_lines.items():
        path = f"lines.{line_id}"
        item = _keys(raw, path, ("line_id", "received_qty", "answers", "diminished_value"), errors)
        if "line_id" in item and item["line_id"] != line_id:
            errors.add(f"{path}.line_id", "must match the key it is filed under")
        received = _integer(item.get("received_qty"), f"{path}.received_qty", errors, 0)
        diminished = _integer(
            item.get("diminished_value", 0), f"{path}.diminished_value", errors, 0
        )
        answers: dict[str, bool] = {}
        raw_answers = item.get("answers", {})
        if not isinstance(raw_answers, Mapping):
            errors.add(f"{path}.answers", "must be an object of question code -> true/false")
            raw_answers = {}
        for code, passed in raw_answers.items():
            where = f"{path}.answers.{code}"
            if code not in QUESTION_CODES:
                errors.add(where, "unknown checklist question")
            elif not isinstance(passed, bool):
                errors.add(where, "must be true or false")
            else:
                answers[code] = passed
        if received is not None and diminished is not None:
            findings[str(line_id)] = LineFindings(str(line_id), received, answers, diminished)
    errors.raise_if_any()
    assert received_at is not None  # errors were raised otherwise
    return Inspection(received_at=received_at, lines=findings)


def validate_request(order: OrderFacts, request: ReturnRequest) -> None:
    """Check `request` against `order`; raise PolicyInputError naming each bad field."""
    errors = ErrorCollector()
    check_request_lines(order, request, errors)
    known = {line.line_id: line.quantity for line in order.lines}
    for i, requested in enumerate(request.lines):
        if requested.line_id not in known:
            continue
        remaining = known[requested.line_id] - request.previously_returned.get(requested.line_id, 0)
        if requested.quantity > remaining:
            errors.add(
                f"lines.{i}.quantity",
                f"only {max(remaining, 0)} unit(s) of this line can still be returned",
            )
    if errors.errors:
        raise PolicyInputError(errors.errors)
