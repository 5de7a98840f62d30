"""Pydantic building blocks for the policy's readers, speaking this package's error messages.

The merchant's policy document, a return request and an inspection are validated by pydantic
models built from these types. `read` runs a model and turns pydantic's errors into
PolicyInputError: {dotted.field.path: [message, …]}, with the package's own messages
("must be an integer", "unknown field") rather than pydantic's. A required field that is
missing is named with the same message as a wrong value, because a missing value and `null`
are the same mistake to the person fixing the document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from returns_portal.policy.errors import PolicyInputError

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)

# The error type of every message written here; anything else is one of pydantic's own.
OURS = "policy_input"
# Pydantic's structural errors, in this package's words. Numbers and flags say the same thing
# wherever they occur, so their messages live here rather than on each field.
MESSAGES = {
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "extra_forbidden": "unknown field",
    "list_type": "must be a list",
    "too_short": "must not be empty",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
}


def problem(message: str, field: str | None = None) -> PydanticCustomError:
    """Return an error with our `message`; `field` names a field below where it is raised.

    A model validator's error sits at the model's own path; `field` moves it to one of the
    model's fields (e.g. `ordered_to` of a holiday extension) without pydantic's help.
    """
    return PydanticCustomError(OURS, message, {"field": field} if field else None)


def _path(loc: Iterable[str | int]) -> str:
    return ".".join(str(part) for part in loc)


def input_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Turn pydantic's errors into {dotted.field.path: [message, …]}."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        kind = error["type"]
        ctx = error.get("ctx") or {}
        if loc and loc[-1] == "[key]":  # a key of a dict field that is not a string
            path, message = _path(loc[:-2]), f"keys must be strings, got {loc[-2]}"
        elif kind == "invalid_key":  # a key of an object that is not a string
            path, message = _path(loc[:-1]), f"keys must be strings, got {loc[-1]}"
        elif kind == OURS:
            path, message = _path(loc + ((ctx["field"],) if ctx.get("field") else ())), error["msg"]
        else:  # only our templates are formatted: pydantic's own message may hold braces
            template = MESSAGES.get(kind)
            path, message = _path(loc), template.format(**ctx) if template else error["msg"]
        errors.setdefault(path, []).append(message)
    return errors


def read(model: type[M], data: object) -> M:
    """Validate `data` with `model`; raise PolicyInputError naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PolicyInputError(input_errors(exc)) from None


def merged(exc: ValidationError | None, extra: list[InitErrorDetails], title: str) -> None:
    """Raise one ValidationError holding `exc`'s errors and `extra`, if there are any.

    Lets a check that needs the raw input report beside the field errors instead of
    replacing them.
    """
    details: list[InitErrorDetails] = []
    for error in exc.errors() if exc is not None else ():
        kind = error["type"]
        details.append(
            InitErrorDetails(
                type=PydanticCustomError(OURS, error["msg"], error.get("ctx"))
                if kind == OURS
                else kind,
                loc=tuple(error["loc"]),
                input=error["input"],
                ctx=error.get("ctx") or {},
            )
        )
    details.extend(extra)
    if details:
        raise ValidationError.from_exception_data(title, details)


def at(loc: tuple[str | int, ...], message: str, value: object) -> InitErrorDetails:
    """Return one of our errors at `loc` (relative to where it is raised), for `merged`."""
    return InitErrorDetails(type=problem(message), loc=loc, input=value)


class Input(BaseModel):
    """A section of input: unknown fields refused, a missing required field read as null."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _missing_reads_as_null(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        names = (f.alias or name for name, f in cls.model_fields.items() if f.is_required())
        missing = {name: None for name in names if name not in data}
        return {**data, **missing} if missing else data


def _our_message(message: str, check: Callable[[Any], Any]) -> WrapValidator:
    """Validate with `check`, which returns the value or None for `message`."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        checked = check(value)
        if checked is None:
            raise problem(message)
        return checked

    return WrapValidator(validate)


def _non_blank(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _non_empty(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def iso_date(value: object) -> date | None:
    """Return `value` read as an ISO date, or None."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def one_of(enum: type[E], strip: bool = False) -> WrapValidator:
    """Accept a value of `enum` (stripped first when `strip`), naming the choices otherwise."""
    allowed = [member.value for member in enum]
    message = f"must be one of {', '.join(allowed)}"

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> E:
        if strip:
            if not isinstance(value, str) or not value.strip():
                raise problem("must be a non-empty string")
            value = value.strip()
        if isinstance(value, str) and value in allowed:
            return enum(value)
        raise problem(message)

    return WrapValidator(validate)


def _moment(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    moment = None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None:
        raise problem("must be an ISO-8601 date and time with a UTC offset")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise problem("must include a UTC offset, e.g. +08:00 or Z")
    return moment


def _holiday(value: object) -> date | None:
    text = _non_blank(value)
    if text is None:
        raise problem("must be a non-empty string")
    return iso_date(text)


# Whole numbers: true/false is an int in Python, and "3" or 3.0 in JSON is not a count.
Whole = Annotated[int, Field(strict=True, ge=0)]
Positive = Annotated[int, Field(strict=True, ge=1)]
Flag = Annotated[bool, Strict()]
Text = Annotated[str, Strict()]
Key = Annotated[str, Strict()]
NonBlank = Annotated[
    str, Field(min_length=1), _our_message("must be a non-empty string", _non_blank)
]
NonEmpty = Annotated[
    str, Field(min_length=1), _our_message("must be a non-empty string", _non_empty)
]
IsoDate = Annotated[date, _our_message("must be a date as yyyy-mm-dd", iso_date)]
Holiday = Annotated[date, _our_message("must be a date as yyyy-mm-dd", _holiday)]
Moment = Annotated[datetime, WrapValidator(_moment)]
