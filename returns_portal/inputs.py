"""The input boundary: refuse what the database or the schema cannot hold, before a view runs.

Every request passes `check_request` (NUL bytes, invalid UTF-8, lone surrogates, JSON nested
too deep); views parse numbers with `parse_int` and money with `MoneyField`, which accept only
ASCII digits within the column's range and finite decimals. What is refused answers 4xx with
the field path: JSON under /api/, a plain page elsewhere (forms re-render their own errors).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response as BaseResponse
from wtforms import DecimalField

from returns_portal.api.errors import error

INT32_MAX = 2**31 - 1  # PostgreSQL `integer`: ids, quantities, amounts in Integer columns
INT64_MAX = 2**63 - 1  # PostgreSQL `bigint`; SQLite's INTEGER is the same size
JSON_MAX_DEPTH = 32  # the deepest real document (a policy) nests 6 levels
# Major units. The services check an amount against what is refundable; this bound only keeps
# the number small enough that scaling it to minor units fits a bigint and stays exact.
MONEY_MAX = Decimal(10) ** 10
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,19}")


class BoundedInt(IntegerConverter):
    """`<int:…>` in URLs: ids beyond PostgreSQL's `integer` match no route (404), not a 500."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(*args, **kwargs)


def parse_int(raw: str | None, minimum: int = 0, maximum: int = INT32_MAX) -> int | None:
    """Return `raw` as an int in [minimum, maximum], or None; only ASCII digits count.

    `str.isdigit()` is true for '²' and '١', which `int()` then refuses or reads; an HTML
    number input only ever sends ASCII digits, so nothing else is a number here.
    """
    text = (raw or "").strip()
    if not _ASCII_INT.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_money(raw: str | None) -> Decimal | None:
    """Return `raw` as a finite decimal of at most MONEY_MAX major units, or None.

    `Decimal()` reads 'NaN', 'sNaN' and 'Infinity'; comparing sNaN raises, NaN compares false
    to everything, and '1e999999' scales to a number no column holds.
    """
    text = (raw or "").strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,13}(\.[0-9]{1,6})?", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return None
    return value if abs(value) <= MONEY_MAX else None


class MoneyField(DecimalField):
    """A DecimalField that takes only plain finite amounts (no NaN, Infinity or exponents)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        if raw is None or str(raw).strip() == "":
            self.data = None
            return
        value = parse_money(str(raw))
        if value is None:
            self.data = None
            raise ValueError(_l("Enter an amount as a plain number, e.g. 120.50."))
        self.data = value


def _text_problem(value: str) -> str | None:
    """Say why a database text column cannot store `value`, or None when it can."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (no lone surrogates)"
    return None


def _json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Tell whether the JSON text nests arrays/objects deeper than `limit`, without parsing it.

    Python's json module raises RecursionError (not ValueError) on very deep input, so the
    depth is measured on the bytes first.
    """
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _json_problems(value: Any, path: str, errors: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            errors.setdefault(path or "body", []).append(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            problem = _text_problem(str(key))
            if problem:
                errors.setdefault(path or "body", []).append(f"has a key that {problem}")
                continue
            _json_problems(item, child, errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_problems(item, f"{path}.{index}" if path else str(index), errors)


def request_problems() -> dict[str, list[str]]:
    """Find what in this request no column can store: {field path: [message, …]}."""
    errors: dict[str, list[str]] = {}
    environ = request.environ
    # WSGI hands the path over as latin-1 of the raw bytes: undo that to see the real bytes.
    raw_path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    raw_query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    for name, raw in (("path", raw_path), ("query", raw_query)):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.setdefault(name, []).append("must be valid UTF-8")
    # U+FFFD is what invalid UTF-8 became on the way in (the test client decodes it early).
    problem = _text_problem(request.path)
    if problem is None and "\ufffd" in request.path and "path" not in errors:
        problem = "must be valid UTF-8"
    if problem:
        errors.setdefault("path", []).append(problem)
    sources = [("query", request.args)]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in FORM_TYPES:
        sources.append(("form", request.form))
    for source, values in sources:
        for key, value in values.items(multi=True):
            # Werkzeug decodes invalid UTF-8 in fields to U+FFFD; nobody types that character.
            problem = _text_problem(key) or _text_problem(value)
            if problem is None and "\ufffd" in key + value:
                problem = "must be valid UTF-8"
            if problem:
                field = key if _text_problem(key) is None else source
                errors.setdefault(field, []).append(problem)
    if request.is_json:
        body = request.get_data(cache=True)
        if _json_depth_exceeds(body, JSON_MAX_DEPTH):
            errors.setdefault("body", []).append(
                f"nests deeper than {JSON_MAX_DEPTH} levels of arrays and objects"
            )
        else:
            _json_problems(request.get_json(silent=True), "", errors)
    return errors


def init_app(app: Flask) -> None:
    """Check every request at the boundary and bound `<int:…>` URL parts to `integer`."""
    # Before any blueprint registers: rules pick their converter when they are added.
    app.url_map.converters["int"] = BoundedInt

    @app.before_request
    def check_request() -> BaseResponse | tuple[str, int] | None:
        errors = request_problems()
        if not errors:
            return None
        if request.path.startswith("/api/"):
            return error(400, "The request holds text no field can store.", errors)
        # Back to the page the form was on (same site only), not the start of the flow.
        back = request.referrer if _same_site(request.referrer) else None
        return render_template("returns/error.html", code=400, errors=errors, back=back), 400


def _same_site(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc == request.host
