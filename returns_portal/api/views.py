"""JSON API v1: order ingestion and the policy dry run, behind bearer tokens."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, g, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from returns_portal import policy
from returns_portal.accounts.tokens import authenticate_token, touch_token
from returns_portal.api.errors import error
from returns_portal.api.openapi import openapi_document
from returns_portal.api.schemas import RedeemIn, redeem_errors
from returns_portal.orders import services as orders
from returns_portal.refunds import credit
from returns_portal.store import services as store

bp = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])


def token_required(view: F) -> F:
    """Let the view run only for a request carrying a live bearer token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        token = authenticate_token(raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            response = error(401, "A valid API token is required: Authorization: Bearer <token>.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="returns-portal"'
            return response
        g.api_token = token
        touch_token(token)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def json_body() -> Any:
    """Return the parsed JSON body, or None when the body is not JSON."""
    return request.get_json(silent=True)


def init_app(app: Flask) -> None:
    """Answer errors under /api/ in JSON, including unknown URLs and wrong methods."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | HTTPException:
        if not request.path.startswith(bp.url_prefix or "/api/"):
            return exc
        response = error(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.response is None:
            response.headers["Allow"] = ", ".join(exc.valid_methods or ())  # type: ignore[attr-defined]
        return response


@bp.get("/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.post("/orders")
@token_required
def put_order() -> Response:
    """Create or update an order by its number (idempotent)."""
    data = json_body()
    if not isinstance(data, dict):
        return error(400, "The body must be a JSON object (Content-Type: application/json).")
    try:
        result = orders.upsert_order(data, actor=f"api:{g.api_token.name}")
    except orders.OrderConflict as exc:
        return error(409, "The change would rewrite lines in a return; nothing was saved.",
                     exc.errors)  # fmt: skip
    except orders.OrderInvalid as exc:
        return error(422, "The order is not valid; nothing was saved.", exc.errors)
    response = jsonify(orders.order_to_dict(result.order))
    response.status_code = 201 if result.created else 200
    return response


@bp.get("/orders/<number>")
@token_required
def get_order(number: str) -> Response:
    """Return one order in the ingestion format."""
    order = orders.load_order(number)
    if order is None:
        return error(404, f"No order {number}.")
    return jsonify(orders.order_to_dict(order))


@bp.post("/policy/evaluate")
@token_required
def evaluate_policy() -> Response:
    """Dry-run a proposed return: per-line decisions and the refund breakdown."""
    data = json_body()
    if not isinstance(data, dict):
        return error(400, "The body must be a JSON object (Content-Type: application/json).")
    try:
        evaluation, _rules = store.dry_run(data)
    except store.DryRunInvalid as exc:
        return error(422, "The dry-run input is not valid.", exc.errors)
    except policy.PolicyRefused as exc:
        return error(
            422,
            "The policy would cut a statutory right.",
            {v.rule: [f"cuts {v.right}: {v.message}"] for v in exc.violations},
        )
    return jsonify(evaluation.to_dict())


def _credit_to_dict(found: credit.CreditCode) -> dict[str, Any]:
    return {
        "code": found.code,
        "currency": found.currency,
        "issued": found.issued,
        "balance": found.balance,
        "expires_at": found.expires_at.isoformat() if found.expires_at else None,
        "expired": found.expired,
    }


@bp.get("/store-credit/<code>")
@token_required
def get_store_credit(code: str) -> Response:
    """Return what is left on a store-credit code (minor units) and when it expires."""
    found = credit.lookup(code)
    if found is None:
        return error(404, "There is no store credit with that code.")
    return jsonify(_credit_to_dict(found))


@bp.post("/store-credit/<code>/redemptions")
@token_required
def redeem_store_credit(code: str) -> Response:
    """Spend store credit at checkout; the same `key` again spends nothing more."""
    data = json_body()
    if not isinstance(data, dict):
        return error(400, "The body must be a JSON object (Content-Type: application/json).")
    try:
        body = RedeemIn.model_validate(data)
    except ValidationError as exc:
        return error(422, "The redemption is not valid; nothing was spent.", redeem_errors(exc))
    try:
        done = credit.redeem(code, body.amount, body.currency, body.key, body.reference)
    except credit.CreditError as exc:
        return error(exc.status, str(exc))
    response = jsonify(
        {
            "code": done.code,
            "amount": done.amount,
            "currency": done.currency,
            "balance": done.balance,
            "key": done.key,
            "replayed": done.replayed,
        }
    )
    response.status_code = 200 if done.replayed else 201
    return response
