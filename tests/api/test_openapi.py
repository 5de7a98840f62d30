"""The OpenAPI document is generated from the models and enums the API really uses."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from returns_portal.api import openapi
from returns_portal.api.schemas import ErrorOut, EvaluationOut, RedemptionOut, StoreCreditOut
from returns_portal.extensions import db
from returns_portal.policy import (
    PACKS,
    ConfirmationExclusion,
    Resolution,
    ReturnMethod,
    ReturnReason,
)
from returns_portal.policy.abuse import RULES as ABUSE_RULES
from returns_portal.policy.document import PAID_BY
from returns_portal.policy.packs import QUESTION_CODES
from returns_portal.refunds import credit
from tests.builders import make_order


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def schemas(document) -> dict[str, Any]:
    return document["components"]["schemas"]


def enums_in(schema: Any) -> list[list[Any]]:
    if isinstance(schema, dict):
        found = [schema["enum"]] if "enum" in schema else []
        return found + [e for value in schema.values() for e in enums_in(value)]
    if isinstance(schema, list):
        return [e for item in schema for e in enums_in(item)]
    return []


CODE_ENUMS = {
    "ReturnReason": [m.value for m in ReturnReason],
    "Resolution": [m.value for m in Resolution],
    "ReturnMethod": [m.value for m in ReturnMethod],
}


@pytest.mark.parametrize(("name", "values"), CODE_ENUMS.items())
def test_each_documented_enum_is_the_codes_enum(document, name, values):
    assert schemas(document)[name]["enum"] == values


def test_the_other_documented_choices_are_the_codes(document):
    found = schemas(document)
    packs = sorted(PACKS)
    assert found["PolicyDocument"]["properties"]["pack"]["enum"] == packs
    assert found["Evaluation"]["properties"]["pack"]["enum"] == packs
    assert found["ReturnShippingIn"]["properties"]["paid_by"]["enum"] == list(PAID_BY)
    exclusion = found["LineIn"]["properties"]["confirmation_exclusion"]["anyOf"][0]
    assert exclusion["enum"] == [m.value for m in ConfirmationExclusion]
    answers = found["LineFindingsIn"]["properties"]["answers"]
    assert answers["propertyNames"]["enum"] == sorted(QUESTION_CODES)


def test_no_enum_in_the_document_is_written_by_hand(document):
    known = [
        *CODE_ENUMS.values(),
        sorted(PACKS),
        list(PAID_BY),
        [m.value for m in ConfirmationExclusion],
        sorted(QUESTION_CODES),
        ["auto", "finance", "two_finance"],  # RefundOut.approval
        list(ABUSE_RULES),  # AbuseFlagOut.code
        ["stripe"],  # PaymentIn.provider
    ]
    for values in enums_in(document):
        assert values in known, values


def request_bodies(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                yield f"{method.upper()} {path}", ref.removeprefix(openapi.REF)


def test_every_request_body_is_one_of_the_models(document):
    bodies = dict(request_bodies(document))
    assert bodies == {
        "POST /orders": "Order",
        "POST /policy/evaluate": "DryRun",
        "POST /store-credit/{code}/redemptions": "Redeem",
    }


@pytest.mark.parametrize("name", ["Order", "DryRun", "Redeem"])
def test_each_documented_request_body_schema_is_its_models_schema(document, name):
    model, mode = openapi.MODELS[name]
    own = model.model_json_schema(ref_template=openapi.REF + "{model}", mode=mode)
    names = openapi.component_names()
    expected = {names.get(k, k): v for k, v in own.pop("$defs", {}).items()}
    expected[name] = own
    for component, schema in expected.items():
        documented = dict(schemas(document)[component])
        documented.pop("title", None)
        schema = openapi._renamed(schema, names)
        schema.pop("title", None)
        assert documented == schema, component


def test_every_reference_resolves_and_every_schema_is_valid_json_schema(document):
    found = schemas(document)
    for schema in found.values():
        jsonschema_rs.meta.validate(schema)  # against JSON Schema 2020-12, as OpenAPI 3.1
    refs = {
        value.removeprefix(openapi.REF)
        for value in _values(document, "$ref")
        if value.startswith(openapi.REF)
    }
    assert refs <= set(found)


def _values(schema: Any, key: str) -> list[Any]:
    if isinstance(schema, dict):
        own = [schema[key]] if key in schema else []
        return own + [v for value in schema.values() for v in _values(value, key)]
    if isinstance(schema, list):
        return [v for item in schema for v in _values(item, key)]
    return []


def test_every_path_and_operation_is_still_documented(document):
    operations = {(p, m) for p, ops in document["paths"].items() for m in ops}
    assert operations == {
        ("/orders", "post"),
        ("/orders/{number}", "get"),
        ("/policy/evaluate", "post"),
        ("/store-credit/{code}", "get"),
        ("/store-credit/{code}/redemptions", "post"),
        ("/openapi.json", "get"),
    }


# The answers are what the answer models say --------------------------------------------


def test_an_evaluation_answer_is_the_documented_evaluation(client, auth):
    order = make_order()
    body = {
        "order": order,
        "return": {
            "requested_at": "2026-11-09T12:00:00+08:00",
            "lines": [{"line_id": "L1", "quantity": 2, "reason": "changed_mind"}],
        },
        "inspection": {
            "received_at": "2026-11-12T12:00:00+08:00",
            "lines": {"L1": {"received_qty": 1}},
        },
        "policy": {"return_shipping": {"label_cost": 800}},
    }
    response = client.post("/api/v1/policy/evaluate", json=body, headers=auth)
    assert response.status_code == 200, response.json
    evaluation = EvaluationOut.model_validate_json(response.get_data())
    assert evaluation.refund.deductions and evaluation.decisions[0].checklist


def test_error_answers_are_the_documented_error(client, auth):
    invalid = client.post("/api/v1/policy/evaluate", json={"order": make_order()}, headers=auth)
    missing = client.get("/api/v1/orders/nope", headers=auth)
    for response in (invalid, missing, client.get("/api/v1/orders/nope")):
        assert response.status_code >= 400
        ErrorOut.model_validate_json(response.get_data())


def test_store_credit_answers_are_the_documented_ones(client, auth):
    code = credit.issue("li.wei@example.com", 5000, 500, "CNY", None, "test")
    db.session.commit()
    read = client.get(f"/api/v1/store-credit/{code}", headers=auth)
    assert read.status_code == 200
    StoreCreditOut.model_validate_json(read.get_data())
    body = {"amount": 700, "currency": "CNY", "key": "doc-1"}
    made = client.post(f"/api/v1/store-credit/{code}/redemptions", json=body, headers=auth)
    assert made.status_code == 201
    RedemptionOut.model_validate_json(made.get_data())
