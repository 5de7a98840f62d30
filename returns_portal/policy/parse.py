"""Turn JSON-like input into request and inspection facts, naming every bad field.

A return request and an inspection are read by pydantic models (`ReturnRequestIn`,
`InspectionIn`, in the messages of `validation.py`); the same models document them in the
API's OpenAPI schema. `validate_request` then checks a request against its order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)

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
from returns_portal.policy.validation import (
    Input,
    Key,
    Moment,
    NonEmpty,
    Positive,
    Text,
    Whole,
    at,
    merged,
    one_of,
    problem,
    read,
)


def _non_empty_list(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    if not isinstance(value, list) or not value:
        raise problem("must be a non-empty list")
    return handler(value)


class RequestedLineIn(Input):
    """One line the customer asks to return."""

    line_id: NonEmpty
    quantity: Positive
    reason: Annotated[ReturnReason, one_of(ReturnReason)]
    resolution: Annotated[Resolution, one_of(Resolution)] = Resolution.REFUND
    note: Text = ""


class ReturnRequestIn(Input):
    """A return request: when, which lines, and how the parcel goes back."""

    requested_at: Moment = Field(description="When the customer asks (ISO 8601 with offset).")
    lines: Annotated[list[RequestedLineIn], WrapValidator(_non_empty_list)] = Field(
        json_schema_extra={"minItems": 1}
    )
    method: Annotated[ReturnMethod, one_of(ReturnMethod)] = ReturnMethod.LABEL
    label_cost: Whole | None = Field(
        default=None, description="The chosen carrier's price; default the policy's label cost."
    )
    previously_returned: dict[Key, Whole] = Field(
        default_factory=dict, description="line_id → units returned by earlier returns."
    )

    def to_request(self) -> ReturnRequest:
        """Return the request as the engine's facts."""
        return ReturnRequest(
            requested_at=self.requested_at,
            lines=tuple(
                RequestedLine(line.line_id, line.quantity, line.reason, line.resolution, line.note)
                for line in self.lines
            ),
            method=self.method,
            label_cost=self.label_cost,
            previously_returned=dict(self.previously_returned),
        )


def _answers(value: Any, handler: ValidatorFunctionWrapHandler) -> dict[str, bool]:
    if not isinstance(value, Mapping):
        raise problem("must be an object of question code -> true/false")
    wrong = [
        at((str(code),), "unknown checklist question", passed)
        if code not in QUESTION_CODES
        else at((str(code),), "must be true or false", passed)
        for code, passed in value.items()
        if code not in QUESTION_CODES or not isinstance(passed, bool)
    ]
    merged(None, wrong, "answers")
    return dict(value)


class LineFindingsIn(Input):
    """What the warehouse found for one line."""

    # Compared with the key the findings are filed under, whatever it holds (see InspectionIn).
    line_id: Annotated[Any, WithJsonSchema({"type": "string"})] = Field(
        default=None, description="If given, the key it is filed under."
    )
    received_qty: Whole
    answers: Annotated[dict[str, bool], WrapValidator(_answers)] = Field(
        default_factory=dict,
        description="Checklist question code → passed (e.g. brand_tag_attached).",
        json_schema_extra={"propertyNames": {"enum": [*sorted(QUESTION_CODES)]}},
    )
    diminished_value: Whole = Field(
        default=0, description="EU: minor units for handling beyond need."
    )


def _findings(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    if not isinstance(value, Mapping):
        raise problem("must be an object keyed by line id")
    wrong = [
        at((str(key), "line_id"), "must match the key it is filed under", item)
        for key, item in value.items()
        if isinstance(item, Mapping) and "line_id" in item and item["line_id"] != key
    ]
    try:
        findings = handler(value)
    except ValidationError as exc:
        merged(exc, wrong, "lines")
        raise
    merged(None, wrong, "lines")
    return findings


class InspectionIn(Input):
    """The warehouse's findings for a received return, per line."""

    received_at: Moment
    lines: Annotated[dict[Key, LineFindingsIn], WrapValidator(_findings)] = Field(
        description="line_id → findings."
    )

    def to_inspection(self) -> Inspection:
        """Return the findings as the engine's facts."""
        return Inspection(
            received_at=self.received_at,
            lines={
                key: LineFindings(key, line.received_qty, line.answers, line.diminished_value)
                for key, line in self.lines.items()
            },
        )


def parse_request(data: Mapping[str, Any]) -> ReturnRequest:
    """Build a ReturnRequest from JSON-like data; raise PolicyInputError naming bad fields."""
    return read(ReturnRequestIn, data).to_request()


def parse_inspection(data: Mapping[str, Any]) -> Inspection:
    """Build an Inspection from JSON-like data; raise PolicyInputError naming bad fields."""
    return read(InspectionIn, data).to_inspection()


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
