"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

The paths and operations are written here; every schema is generated from the pydantic models
that read the request bodies (`OrderIn`, `DryRunIn`, `RedeemIn`) and that describe the answers
(`api/schemas.py`), so enums such as the return reasons come from the code's own StrEnums. The
models' `$defs` become `components/schemas`: the top-level models and a few nested ones under
the names this document has always given them, every other model under its class name.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from returns_portal.api.schemas import (
    ErrorOut,
    EvaluationOut,
    RedeemIn,
    RedemptionOut,
    StoreCreditOut,
)
from returns_portal.orders.schemas import OrderIn
from returns_portal.store.services import DryRunIn

REF = "#/components/schemas/"
# Component name → the model it is generated from, and whether it is read or written.
MODELS: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {
    "Order": (OrderIn, "validation"),
    "DryRun": (DryRunIn, "validation"),
    "Redeem": (RedeemIn, "validation"),
    "Error": (ErrorOut, "serialization"),
    "Evaluation": (EvaluationOut, "serialization"),
    "StoreCredit": (StoreCreditOut, "serialization"),
    "Redemption": (RedemptionOut, "serialization"),
}
# Nested models published under a name of their own before the schemas were generated.
NAMES = {
    "DryRunReturnIn": "ReturnRequest",
    "InspectionIn": "Inspection",
    "PolicyDocumentIn": "PolicyDocument",
    "ReasonOut": "Reason",
}


def _renamed(schema: Any, names: dict[str, str]) -> Any:
    """Return `schema` with every `$ref` to a renamed component pointing at its new name."""
    if isinstance(schema, dict):
        return {
            key: REF + names.get(value.removeprefix(REF), value.removeprefix(REF))
            if key == "$ref" and isinstance(value, str) and value.startswith(REF)
            else _renamed(value, names)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_renamed(item, names) for item in schema]
    return schema


def component_names() -> dict[str, str]:
    """Return the class name → component name of every model that is not named as its class."""
    return {model.__name__: name for name, (model, _) in MODELS.items()} | NAMES


@cache
def component_schemas() -> dict[str, Any]:
    """Generate components/schemas from the models, with one shared set of definitions."""
    refs, shared = models_json_schema(
        [(model, mode) for model, mode in MODELS.values()], ref_template=REF + "{model}"
    )
    names = component_names()
    for name, key in MODELS.items():  # every top-level model is a definition of its own
        generated = refs[key]["$ref"].removeprefix(REF)
        assert names.get(generated, generated) == name, (generated, name)
    schemas = {}
    for name, schema in shared.get("$defs", {}).items():
        schema = _renamed(schema, names)
        if name in names and schema.get("title") == name:
            schema["title"] = names[name]
        schemas[names.get(name, name)] = schema
    return dict(sorted(schemas.items()))


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF + name}}}


def _responses(ok: dict[str, Any]) -> dict[str, Any]:
    return ok | {
        "400": {"description": "The body is not a JSON object.", "content": _json("Error")},
        "401": {"description": "Missing, unknown or revoked API token.", "content": _json("Error")},
        "422": {"description": "Invalid input: `errors` names each field.", "content": _json("Error")},
    }  # fmt: skip


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": _json(name)}


CODE_PARAMETER = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
                  "description": "SC-XXXX-XXXX-XXXX; case, spaces and dashes are ignored."}  # fmt: skip
NUMBER_PARAMETER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}

PATHS = {
    "/orders": {
        "post": {
            "summary": "Create or update an order (idempotent upsert by order number)",
            "description": "The same body sent twice leaves one order. A line that is "
            "already in a return cannot be removed, nor its SKU or price changed, nor its "
            "quantity cut below the units in returns (409). Invalid input saves nothing.",
            "requestBody": _body("Order"),
            "responses": _responses({
                "201": {"description": "Created.", "content": _json("Order")},
                "200": {"description": "Updated (or unchanged).", "content": _json("Order")},
                "409": {"description": "The change would rewrite lines in a return: `errors` "
                        "names each line and why; nothing was saved.", "content": _json("Error")},
            }),
        }
    },
    "/orders/{number}": {
        "get": {
            "summary": "Read an order",
            "parameters": [NUMBER_PARAMETER],
            "responses": _responses({
                "200": {"description": "The order.", "content": _json("Order")},
                "404": {"description": "No such order.", "content": _json("Error")},
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
            "requestBody": _body("DryRun"),
            "responses": _responses({
                "200": {"description": "The evaluation.", "content": _json("Evaluation")},
            }),
        }
    },
    "/store-credit/{code}": {
        "get": {
            "summary": "Read a store-credit code's balance",
            "parameters": [CODE_PARAMETER],
            "responses": _responses({
                "200": {"description": "The code.", "content": _json("StoreCredit")},
                "404": {"description": "No such code.", "content": _json("Error")},
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
            "requestBody": _body("Redeem"),
            "responses": _responses({
                "201": {"description": "Spent.", "content": _json("Redemption")},
                "200": {"description": "Already spent with this key: nothing more was.", "content": _json("Redemption")},
                "404": {"description": "No such code.", "content": _json("Error")},
                "409": {"description": "Not enough left, or the key was used for another redemption.", "content": _json("Error")},
                "410": {"description": "The credit has expired.", "content": _json("Error")},
            }),
        }
    },
    "/openapi.json": {
        "get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}}
    },
}  # fmt: skip


@cache
def openapi_document() -> dict[str, Any]:
    """Build the OpenAPI document (cached: it never changes while the app runs)."""
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
            "schemas": component_schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": PATHS,
    }
