"""The JSON API's error answers: one shape everywhere, used by the input boundary too."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def error(status: int, message: str, errors: dict[str, list[str]] | None = None) -> Response:
    """Build a JSON error response."""
    body: dict[str, Any] = {"error": message}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response
