"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json."""

from __future__ import annotations

from functools import cache
from typing import Any

from returns_portal.orders.schemas import order_json_schema

REASONS = ["no_reason", "changed_mind", "too_small", "too_large", "not_as_described",
           "defective", "damaged_in_transit", "wrong_item", "arrived_late", "other"]  # fmt: skip

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong, in a sentence."},
        "errors": {
            "type": "object",
            "description": "Dotted field path → messages, e.g. `lines.0.quantity`.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}

RETURN_REQUEST = {
    "type": "object",
    "required": ["lines"],
    "properties": {
        "requested_at": {"type": "string", "format": "date-time",
                         "description": "When the customer asks (ISO 8601 with offset); default now."},
        "method": {"type": "string", "enum": ["label", "qr_dropoff"], "default": "label"},
        "label_cost": {"type": ["integer", "null"], "minimum": 0,
                       "description": "Chosen carrier's price; default the policy's label cost."},
        "previously_returned": {"type": "object", "additionalProperties": {"type": "integer"},
                                "description": "line_id → units returned earlier (default: from the portal's returns when order_number is used)."},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["line_id", "quantity", "reason"],
                "properties": {
                    "line_id": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "reason": {"type": "string", "enum": REASONS},
                    "resolution": {"type": "string", "enum": ["refund", "store_credit", "exchange"],
                                   "default": "refund"},
                    "note": {"type": "string"},
                },
            },
        },
    },
}  # fmt: skip

INSPECTION = {
    "type": "object",
    "required": ["received_at", "lines"],
    "properties": {
        "received_at": {"type": "string", "format": "date-time"},
        "lines": {
            "type": "object",
            "description": "line_id → findings.",
            "additionalProperties": {
                "type": "object",
                "required": ["received_qty"],
                "properties": {
                    "received_qty": {"type": "integer", "minimum": 0},
                    "answers": {"type": "object", "additionalProperties": {"type": "boolean"},
                                "description": "Checklist code → passed (e.g. brand_tag_attached)."},
                    "diminished_value": {"type": "integer", "minimum": 0},
                },
            },
        },
    },
}  # fmt: skip

REASON = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable machine code, e.g. window_closed."},
        "message": {"type": "string", "description": "English template with {placeholders}; translate, then format."},
        "params": {"type": "object", "additionalProperties": {"type": "string"}},
        "text": {"type": "string", "description": "The sentence in English."},
    },
}  # fmt: skip

EVALUATION = {
    "type": "object",
    "description": "Per-line decisions and the refund breakdown. Amounts are minor units.",
    "properties": {
        "order_number": {"type": "string"},
        "pack": {"type": "string", "enum": ["cn-7day", "eu-14day"]},
        "policy_version": {"type": ["integer", "null"]},
        "policy_digest": {"type": "string"},
        "needs_review": {"type": "boolean"},
        "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
        "decisions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line_id": {"type": "string"},
                    "eligible": {"type": "boolean"},
                    "statutory": {"type": "boolean", "description": "Covered by the law's right, not only the merchant's rules."},
                    "last_day": {"type": ["string", "null"], "format": "date"},
                    "closes_at": {"type": ["string", "null"], "format": "date-time"},
                    "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
                },
            },
        },
        "refund": {
            "type": "object",
            "properties": {
                "currency": {"type": "string"},
                "lines": {"type": "array", "items": {"type": "object"}},
                "shipping": {"type": "integer"},
                "deductions": {"type": "array", "items": {"type": "object"}},
                "total": {"type": "integer"},
                "bonus_credit": {"type": "integer"},
                "approval": {"type": "string", "enum": ["auto", "finance", "two_finance"]},
                "refund_due_by": {"type": ["string", "null"], "format": "date"},
            },
        },
    },
}  # fmt: skip


def _responses(ok: dict[str, Any]) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return ok | {
        "400": {"description": "The body is not a JSON object.", **error},
        "401": {"description": "Missing, unknown or revoked API token.", **error},
        "422": {"description": "Invalid input: `errors` names each field.", **error},
    }


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
CODE_PARAMETER = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
                  "description": "SC-XXXX-XXXX-XXXX; case, spaces and dashes are ignored."}  # fmt: skip
STORE_CREDIT_SCHEMAS: dict[str, Any] = {
    "StoreCredit": {
        "type": "object",
        "required": ["code", "currency", "issued", "balance", "expires_at", "expired"],
        "properties": {
            "code": {"type": "string"},
            "currency": {"type": "string"},
            "issued": {"type": "integer", "description": "Issued plus bonus, minor units."},
            "balance": {"type": "integer", "description": "What is left, minor units."},
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "expired": {"type": "boolean"},
        },
    },
    "Redeem": {
        "type": "object",
        "required": ["amount", "currency", "key"],
        "properties": {
            "amount": {"type": "integer", "minimum": 1},
            "currency": {"type": "string", "minLength": 3, "maxLength": 3},
            "key": {"type": "string", "minLength": 1, "maxLength": 64,
                    "description": "Your checkout's id for this payment: the idempotency key."},
            "reference": {"type": "string", "description": "Your order number, for the ledger."},
        },
    },
    "Redemption": {
        "type": "object",
        "required": ["code", "amount", "currency", "balance", "key", "replayed"],
        "properties": {
            "code": {"type": "string"},
            "amount": {"type": "integer"},
            "currency": {"type": "string"},
            "balance": {"type": "integer", "description": "Left on the code afterwards."},
            "key": {"type": "string"},
            "replayed": {"type": "boolean"},
        },
    },
}  # fmt: skip


@cache
def openapi_document() -> dict[str, Any]:
    """Build the OpenAPI document (cached: it never changes while the app runs)."""
    order = order_json_schema()
    components = {"Order": {k: v for k, v in order.items() if k != "$defs"}}
    components.update(order.get("$defs", {}))
    components.update(
        {"Error": ERROR, "ReturnRequest": RETURN_REQUEST, "Inspection": INSPECTION,
         "Reason": REASON, "Evaluation": EVALUATION}
    )  # fmt: skip
    components["DryRun"] = {
        "type": "object",
        "required": ["return"],
        "description": "Give `order` (inline, as for POST /orders) or `order_number` (stored).",
        "properties": {
            "order": {"$ref": "#/components/schemas/Order"},
            "order_number": {"type": "string"},
            "return": {"$ref": "#/components/schemas/ReturnRequest"},
            "inspection": {"$ref": "#/components/schemas/Inspection"},
            "policy": {"type": "object", "description": "A policy document to try instead of the active one (docs/policy.md)."},
        },
    }  # fmt: skip
    components.update(STORE_CREDIT_SCHEMAS)
    order_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Returns portal API",
            "version": "1.0.0",
            "description": "Order ingestion for shops and the return-policy dry run. "
            "Authenticate with `Authorization: Bearer <token>` (create one with "
            "`flask tokens create NAME`). Amounts are integer minor units of the order's currency; "
            "times are ISO 8601 with an offset.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/orders": {
                "post": {
                    "summary": "Create or update an order (idempotent upsert by order number)",
                    "description": "The same body sent twice leaves one order. A line that is "
                    "already in a return cannot be removed. Invalid input saves nothing.",
                    "requestBody": {"required": True, "content": order_ref},
                    "responses": _responses({
                        "201": {"description": "Created.", "content": order_ref},
                        "200": {"description": "Updated (or unchanged).", "content": order_ref},
                    }),
                }
            },
            "/orders/{number}": {
                "get": {
                    "summary": "Read an order",
                    "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": _responses({
                        "200": {"description": "The order.", "content": order_ref},
                        "404": {"description": "No such order.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    }),
                }
            },
            "/policy/evaluate": {
                "post": {
                    "summary": "Dry-run the return policy",
                    "description": "Runs the engine the portal uses on an order (inline or "
                    "stored), a proposed return and optional inspection findings and policy "
                    "document. Returns each line's eligibility with reasons and deadlines, "
                    "and the refund breakdown (each line, each deduction, total).",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DryRun"}}}},
                    "responses": _responses({
                        "200": {"description": "The evaluation.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Evaluation"}}}},
                    }),
                }
            },
            "/store-credit/{code}": {
                "get": {
                    "summary": "Read a store-credit code's balance",
                    "parameters": [CODE_PARAMETER],
                    "responses": _responses({
                        "200": {"description": "The code.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StoreCredit"}}}},
                        "404": {"description": "No such code.", "content": ERROR_CONTENT},
                    }),
                }
            },
            "/store-credit/{code}/redemptions": {
                "post": {
                    "summary": "Spend store credit at checkout (idempotent on key)",
                    "description": "Takes `amount` off the code, never more than its balance, "
                    "also when several checkouts redeem at once. The same `key` again spends "
                    "nothing and answers 200 with `replayed: true`; a key reused for a different "
                    "redemption is refused with 409.",
                    "parameters": [CODE_PARAMETER],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Redeem"}}}},
                    "responses": _responses({
                        "201": {"description": "Spent.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Redemption"}}}},
                        "200": {"description": "Already spent with this key: nothing more was.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Redemption"}}}},
                        "404": {"description": "No such code.", "content": ERROR_CONTENT},
                        "409": {"description": "Not enough left, or the key was used for another redemption.", "content": ERROR_CONTENT},
                        "410": {"description": "The credit has expired.", "content": ERROR_CONTENT},
                    }),
                }
            },
            "/openapi.json": {
                "get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}}
            },
        },
    }  # fmt: skip
